#include "PowerVotes.h"

#include <cstddef>
#include <cstring>

#include "HtpVersion.h"
#include "RunOptions.h"
#include "RuntimeState.h"

namespace qnn_node {
namespace {

static_assert(sizeof(PowerConfigWords) == 68, "a power config is 68 bytes in every release");
static_assert(sizeof(PowerConfigWords) == sizeof(QnnHtpPerfInfrastructure_PowerConfig_t),
              "PowerConfigWords mirrors QnnHtpPerfInfrastructure_PowerConfig_t");
static_assert(offsetof(QnnHtpPerfInfrastructure_PowerConfig_t, dcvsV3Config) == offsetof(PowerConfigWords, words),
              "the union starts after the option");

// Option numbers (QnnHtpPerfInfrastructure_PowerConfigOption_t), spelled out so this file
// compiles against SDK headers that predate the newer ones.
constexpr uint32_t kOptDcvsV3 = 1, kOptRpcControlLatency = 2, kOptRpcPollingTime = 3, kOptHmxTimeout = 4,
                   kOptHmxV2 = 5, kOptAdaptivePolling = 6, kOptDdrPerfMode = 7;

// Sleep latencies (µs) and RPC values the real runtimes use (docs/power.md).
constexpr uint32_t kSleepMin = 40, kSleepLow = 100, kSleepMedium = 1000, kSleepNoLimit = 65535;
constexpr uint32_t kRpcControlLatencyUs = 100, kRpcPollingHighUs = 9999;

struct ProfileRow {
  PerfProfile profile;
  const char* name;
  uint32_t dcvsEnable, powerMode, sleepLatency, corner, rpcControlLatency, rpcPollingTime;
};

constexpr uint32_t kPerformanceMode = QNN_HTP_PERF_INFRASTRUCTURE_POWERMODE_PERFORMANCE_MODE;
constexpr uint32_t kPowerSaverMode = QNN_HTP_PERF_INFRASTRUCTURE_POWERMODE_POWER_SAVER_MODE;
constexpr uint32_t kAdjustUpDown = QNN_HTP_PERF_INFRASTRUCTURE_POWERMODE_ADJUST_UP_DOWN;

// DCVS v3 from ONNX Runtime's QNN EP (SetHtpPowerConfig); RPC control latency and polling
// from the QNN delegates of ExecuTorch / LiteRT (polling for the three high profiles);
// kDefault is qnn-node's release vote. Order: names as users spell them.
constexpr ProfileRow kProfiles[] = {
    {PerfProfile::kBurst, "burst", 0, kPerformanceMode, kSleepMin, DCVS_VOLTAGE_VCORNER_MAX_VOLTAGE_CORNER,
     kRpcControlLatencyUs, kRpcPollingHighUs},
    {PerfProfile::kSustainedHighPerformance, "sustained_high_performance", 0, kPerformanceMode, kSleepLow,
     DCVS_VOLTAGE_VCORNER_TURBO, kRpcControlLatencyUs, kRpcPollingHighUs},
    {PerfProfile::kHighPerformance, "high_performance", 0, kPerformanceMode, kSleepLow, DCVS_VOLTAGE_VCORNER_TURBO,
     kRpcControlLatencyUs, kRpcPollingHighUs},
    {PerfProfile::kBalanced, "balanced", 1, kPerformanceMode, kSleepMedium, DCVS_VOLTAGE_VCORNER_NOM_PLUS,
     kRpcControlLatencyUs, 0},
    {PerfProfile::kLowBalanced, "low_balanced", 1, kPerformanceMode, kSleepMedium, DCVS_VOLTAGE_VCORNER_NOM,
     kRpcControlLatencyUs, 0},
    {PerfProfile::kHighPowerSaver, "high_power_saver", 1, kPerformanceMode, kSleepMedium, DCVS_VOLTAGE_VCORNER_SVS_PLUS,
     kRpcControlLatencyUs, 0},
    {PerfProfile::kPowerSaver, "power_saver", 1, kPerformanceMode, kSleepMedium, DCVS_VOLTAGE_VCORNER_SVS,
     kRpcControlLatencyUs, 0},
    {PerfProfile::kLowPowerSaver, "low_power_saver", 1, kPerformanceMode, kSleepMedium, DCVS_VOLTAGE_VCORNER_SVS2,
     kRpcControlLatencyUs, 0},
    {PerfProfile::kExtremePowerSaver, "extreme_power_saver", 1, kPowerSaverMode, kSleepMedium,
     DCVS_VOLTAGE_CORNER_DISABLE, kRpcControlLatencyUs, 0},
    {PerfProfile::kDefault, "default", 1, kAdjustUpDown, kSleepNoLimit, DCVS_VOLTAGE_CORNER_DISABLE, 0, 0},
};

const ProfileRow* RowOf(PerfProfile p) {
  for (const ProfileRow& r : kProfiles) {
    if (r.profile == p) return &r;
  }
  return nullptr;
}

// The configs one profile sends, in this order: DCVS v3, RPC control latency, RPC polling.
std::vector<PowerConfigWords> ProfileConfigs(PerfProfile p) {
  const ProfileRow* r = RowOf(p);
  if (!r) return {};
  PowerConfigWords dcvs;
  dcvs.option = kOptDcvsV3;
  dcvs.words = {0 /* contextId: the power config id */, 1, r->dcvsEnable, r->powerMode, 1, r->sleepLatency, 0, 0,
                1, r->corner, r->corner, r->corner, 1, r->corner, r->corner, r->corner};
  PowerConfigWords latency;
  latency.option = kOptRpcControlLatency;
  latency.words[0] = r->rpcControlLatency;
  PowerConfigWords polling;
  polling.option = kOptRpcPollingTime;
  polling.words[0] = r->rpcPollingTime;
  return {dcvs, latency, polling};
}

// kUnset (nothing voted) and kDefault (released) are the same state at the backend.
PerfProfile Normal(PerfProfile p) { return p == PerfProfile::kUnset ? PerfProfile::kDefault : p; }

std::string JoinedNames() {
  std::string out;
  for (const ProfileRow& r : kProfiles) out += (out.empty() ? "" : ", ") + std::string(r.name);
  return out;
}

}  // namespace

bool PerfProfileFromName(const std::string& name, PerfProfile* out) {
  for (const ProfileRow& r : kProfiles) {
    if (name == r.name) {
      *out = r.profile;
      return true;
    }
  }
  return false;
}

const char* PerfProfileName(PerfProfile p) {
  if (p == PerfProfile::kCustom) return "custom";
  if (p == PerfProfile::kUnset) return "unset";
  const ProfileRow* r = RowOf(p);
  return r ? r->name : "unknown";
}

uint32_t PowerOptionSinceMinor(uint32_t option) {
  switch (option) {
    case kOptDcvsV3:
    case kOptRpcControlLatency:
    case kOptRpcPollingTime:
    case kOptHmxTimeout:
      return 0;  // already in SDK 2.13's header (HTP API 5.13)
    case kOptHmxV2:
      return 25;  // absent from 5.13, present in 5.25: the earliest header set measured
    case kOptAdaptivePolling:
    case kOptDdrPerfMode:
      return 43;  // absent from 5.25, present in 5.43
    default:
      return UINT32_MAX;
  }
}

const char* PowerOptionName(uint32_t option) {
  switch (option) {
    case kOptDcvsV3: return "DCVS_V3";
    case kOptRpcControlLatency: return "RPC_CONTROL_LATENCY";
    case kOptRpcPollingTime: return "RPC_POLLING_TIME";
    case kOptHmxTimeout: return "HMX_TIMEOUT_INTERVAL_US";
    case kOptHmxV2: return "HMX_V2";
    case kOptAdaptivePolling: return "ADAPTIVE_POLLING_TIME";
    case kOptDdrPerfMode: return "DDR_PERF_MODE";
    default: return "UNKNOWN";
  }
}

// ---- the perf infrastructure ---------------------------------------------------------------

std::unique_ptr<PowerVotes> PowerVotes::Probe(const RuntimeState& rt, std::string* reason) {
  if (!rt.hasDevice) {
    if (rt.deviceSkipped) {
      *reason = "the runtime was loaded with device: false (power votes go to a QNN device)";
    } else if (rt.hasDeviceFailure) {
      *reason = "no QNN device: " + rt.deviceError;
    } else {
      *reason = "the backend offers no deviceCreate, so there is no QNN device to vote for";
    }
    return nullptr;
  }
  if (!rt.fns.deviceGetInfrastructure) {
    *reason = "the backend has no deviceGetInfrastructure in its function table (core API " + rt.provider.core.str() + ")";
    return nullptr;
  }
  QnnDevice_Infrastructure_t infra = nullptr;
  Qnn_ErrorHandle_t st = rt.fns.deviceGetInfrastructure(&infra);
  if (st != QNN_SUCCESS) {
    *reason = rt.StatusError("deviceGetInfrastructure", st).message;
    return nullptr;
  }
  if (!infra) {
    *reason = "deviceGetInfrastructure returned no infrastructure";
    return nullptr;
  }
  if (!IsHtpBackend(rt.provider.backendId)) {
    *reason = "power profiles drive the HTP perf infrastructure; this backend reports backend id " +
              std::to_string(rt.provider.backendId) + " (provider \"" + rt.provider.name + "\"), not libQnnHtp (6)";
    return nullptr;
  }
  if (!HtpHasOption(rt.provider, 0)) {
    *reason = "the HTP backend reports backend API " + rt.provider.backend.str() +
              ": qnn-node knows the perf infrastructure of HTP backend API 5.x only";
    return nullptr;
  }
  const auto* htp = reinterpret_cast<const QnnHtpDevice_Infrastructure_t*>(infra);
  uint32_t type = 0;
  std::memcpy(&type, &htp->infraType, sizeof type);
  if (type != QNN_HTP_DEVICE_INFRASTRUCTURE_TYPE_PERF) {
    *reason = "deviceGetInfrastructure returned infrastructure type " + std::to_string(type) +
              ", not the HTP perf infrastructure (" + std::to_string(QNN_HTP_DEVICE_INFRASTRUCTURE_TYPE_PERF) + ")";
    return nullptr;
  }
  QnnHtpDevice_PerfInfrastructure_t perf;
  std::memcpy(&perf, &htp->perfInfra, sizeof perf);
  const char* missing = !perf.createPowerConfigId    ? "createPowerConfigId"
                        : !perf.setPowerConfig       ? "setPowerConfig"
                        : !perf.destroyPowerConfigId ? "destroyPowerConfigId"
                                                     : nullptr;
  if (missing) {
    *reason = std::string("the HTP perf infrastructure has no ") + missing;
    return nullptr;
  }
  return std::unique_ptr<PowerVotes>(new PowerVotes(rt, perf));
}

PowerVotes::PowerVotes(const RuntimeState& rt, const QnnHtpDevice_PerfInfrastructure_t& perf)
    : rt_(rt), perf_(perf), backendMajor_(rt.provider.backend.major), backendMinor_(rt.provider.backend.minor) {}

uint32_t PowerVotes::IdFor(uint32_t deviceId, uint32_t coreId) {
  auto key = std::make_pair(deviceId, coreId);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  uint32_t id = 0;
  Qnn_ErrorHandle_t st = perf_.createPowerConfigId(deviceId, coreId, &id);
  if (st != QNN_SUCCESS) {
    throw CoreError(rt_.StatusError("createPowerConfigId", st,
                                    "for device " + std::to_string(deviceId) + ", core " + std::to_string(coreId)));
  }
  ids_[key] = id;
  return id;
}

void PowerVotes::Send(uint32_t id, const std::vector<PowerConfigWords>& configs) {
  std::vector<QnnHtpPerfInfrastructure_PowerConfig_t> structs(configs.size());
  std::vector<const QnnHtpPerfInfrastructure_PowerConfig_t*> ptrs(configs.size() + 1, nullptr);
  for (size_t i = 0; i < configs.size(); ++i) {
    PowerConfigWords c = configs[i];
    if (c.option == kOptDcvsV3) c.words[0] = id;  // contextId: the client the vote belongs to
    std::memcpy(&structs[i], &c, sizeof c);
    ptrs[i] = &structs[i];
  }
  Qnn_ErrorHandle_t st = perf_.setPowerConfig(id, ptrs.data());
  if (st != QNN_SUCCESS) throw CoreError(rt_.StatusError("setPowerConfig", st, "for power config id " + std::to_string(id)));
}

void PowerVotes::Vote(PerfProfile p) {
  if (p == PerfProfile::kUnset) return;
  if (Normal(p) == Normal(current_)) return;  // unchanged: no call
  if (p == PerfProfile::kCustom) {
    Send(IdFor(rawDevice_, rawCore_), raw_);
  } else {
    if (current_ == PerfProfile::kCustom) DropRawIds();
    Send(IdFor(0, 0), ProfileConfigs(p));
  }
  current_ = p;
}

// Raw configs may sit on other (device, core) ids than the profiles' (HTP takes the
// highest vote across ids) and may set what no profile sends (HMX, DDR, adaptive polling,
// HMX timeout, sleep disable): destroying their ids drops all of it; a later vote creates
// an id again.
void PowerVotes::DropRawIds() {
  std::set<std::pair<uint32_t, uint32_t>> keys;
  keys.swap(rawKeys_);
  for (const auto& key : keys) {
    auto it = ids_.find(key);
    if (it == ids_.end()) continue;
    uint32_t id = it->second;
    ids_.erase(it);
    Qnn_ErrorHandle_t st = perf_.destroyPowerConfigId(id);
    if (st != QNN_SUCCESS) throw CoreError(rt_.StatusError("destroyPowerConfigId", st, "for power config id " + std::to_string(id)));
  }
}

PerfProfile PowerVotes::Highest() const {
  for (size_t i = kPerfProfileCount; i-- > 0;) {
    if (active_[i] > 0) return static_cast<PerfProfile>(i);
  }
  return PerfProfile::kUnset;
}

PerfProfile PowerVotes::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

void PowerVotes::SetInstanceProfile(PerfProfile p) {
  std::lock_guard<std::mutex> lock(mu_);
  if (activeTotal_ > 0) {
    // Runs in flight keep their votes: the new profile is voted when the last one ends.
    if (p != PerfProfile::kUnset) {
      resting_ = p;
      restingChanged_ = true;
    }
  } else {
    Vote(p);
  }
  instance_.store(p, std::memory_order_relaxed);
}

void PowerVotes::SetRaw(std::vector<PowerConfigWords> configs, uint32_t deviceId, uint32_t coreId) {
  for (const PowerConfigWords& c : configs) {
    uint32_t since = PowerOptionSinceMinor(c.option);
    if (since == UINT32_MAX) {
      throw CoreError("UNSUPPORTED_OPTION", "The power config option " + std::to_string(c.option) +
                                                " is in no HTP release qnn-node knows (backend API " + rt_.provider.backend.str() + ")")
          .Detail("option", std::to_string(c.option))
          .Detail("backendApiVersion", rt_.provider.backend.str());
    }
    RequireHtpOption(rt_.provider, "The power config option", PowerOptionName(c.option), since);
  }
  std::lock_guard<std::mutex> lock(mu_);
  uint32_t id = IdFor(deviceId, coreId);
  Send(id, configs);
  raw_ = std::move(configs);
  rawDevice_ = deviceId;
  rawCore_ = coreId;
  rawKeys_.insert(std::make_pair(deviceId, coreId));
  current_ = PerfProfile::kCustom;
  restingChanged_ = false;
  instance_.store(PerfProfile::kUnset, std::memory_order_relaxed);
  if (activeTotal_ > 0) resting_ = PerfProfile::kCustom;
}

void PowerVotes::BeginRun(const RunVote& vote) {
  std::lock_guard<std::mutex> lock(mu_);
  if (activeTotal_ == 0) resting_ = current_;
  size_t k = static_cast<size_t>(vote.profile);
  ++active_[k];
  ++activeTotal_;
  try {
    Vote(Highest());
  } catch (...) {
    --active_[k];
    --activeTotal_;
    throw;
  }
}

void PowerVotes::EndRun(const RunVote& vote) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t k = static_cast<size_t>(vote.profile);
  if (active_[k] > 0) --active_[k];
  if (activeTotal_ > 0) --activeTotal_;
  // Any run of the batch that asked to restore is honoured when the last one ends.
  if (vote.restore) restoreAsked_ = true;
  if (activeTotal_ > 0) {
    Vote(Highest());
    return;
  }
  bool restore = restoreAsked_ || restingChanged_;
  restoreAsked_ = false;
  restingChanged_ = false;
  if (restore) Vote(resting_ == PerfProfile::kUnset ? PerfProfile::kDefault : resting_);
}

void PowerVotes::Shutdown() noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  try {
    if (Normal(current_) != PerfProfile::kDefault) Vote(PerfProfile::kDefault);
  } catch (...) {
    // The ids are destroyed next, which drops their votes anyway.
  }
  for (const auto& entry : ids_) perf_.destroyPowerConfigId(entry.second);
  ids_.clear();
  current_ = PerfProfile::kUnset;
}

// ---- a run ---------------------------------------------------------------------------------

PowerRunScope::PowerRunScope(RuntimeState& rt, PerfProfile run, PerfProfile context, bool restore) {
  PerfProfile p = run != PerfProfile::kUnset ? run : context;
  PowerVotes* votes = rt.power.get();
  if (p == PerfProfile::kUnset) {
    if (!votes) return;
    p = votes->instanceProfile();
    if (p == PerfProfile::kUnset) return;
  }
  if (!votes) {
    if (p == PerfProfile::kDefault) return;  // nothing to release
    throw CoreError("POWER_UNAVAILABLE", std::string("Cannot vote the performance profile \"") + PerfProfileName(p) +
                                             "\": power control is unavailable (" + rt.powerError + ")")
        .Detail("perfProfile", PerfProfileName(p))
        .Detail("reason", rt.powerError);
  }
  vote_.profile = p;
  vote_.restore = restore;
  votes->BeginRun(vote_);
  votes_ = votes;
}

void PowerRunScope::End() {
  PowerVotes* votes = votes_;
  votes_ = nullptr;
  if (votes) votes->EndRun(vote_);
}

PowerRunScope::~PowerRunScope() {
  if (!votes_) return;
  try {
    votes_->EndRun(vote_);
  } catch (...) {
    // The run already failed; its error is the one reported.
  }
}

// ---- JS values -----------------------------------------------------------------------------

PerfProfile ParsePerfProfile(Napi::Env env, const Napi::Value& value, const std::string& what) {
  PerfProfile p = PerfProfile::kUnset;
  if (!value.IsString() || !PerfProfileFromName(value.As<Napi::String>().Utf8Value(), &p)) {
    ThrowInvalidArg(env, "one of " + JoinedNames(), what, value);
  }
  return p;
}

void ParsePowerRunOptions(Napi::Env env, const Napi::Object& options, RunOptions* out) {
  Napi::Value profile = options.Get("perfProfile");
  if (!profile.IsUndefined() && !profile.IsNull()) out->perfProfile = ParsePerfProfile(env, profile, "options.perfProfile");
  Napi::Value restore = options.Get("restorePerfProfile");
  if (!restore.IsUndefined() && !restore.IsNull()) {
    if (!restore.IsBoolean()) ThrowInvalidArg(env, "a boolean", "options.restorePerfProfile", restore);
    out->restorePerfProfile = restore.As<Napi::Boolean>().Value();
  }
}

std::vector<PowerConfigWords> ParsePowerConfigWords(Napi::Env env, const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    ThrowInvalidArg(env, "a Uint32Array of power configs", "configs", value);
  }
  Napi::Uint32Array arr = value.As<Napi::Uint32Array>();
  size_t n = arr.ElementLength();
  if (n == 0 || n % kPowerConfigWordCount != 0 || n > 64 * kPowerConfigWordCount) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected 1 to 64 power configs of " + std::to_string(kPowerConfigWordCount) +
                                           " words for configs but received " + std::to_string(n) + " words");
  }
  std::vector<PowerConfigWords> out(n / kPowerConfigWordCount);
  const uint32_t* data = arr.Data();
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].option = data[i * kPowerConfigWordCount];
    for (size_t w = 0; w < 16; ++w) out[i].words[w] = data[i * kPowerConfigWordCount + 1 + w];
  }
  return out;
}

}  // namespace qnn_node
