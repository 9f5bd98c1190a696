// PowerVotes: HTP power votes of one runtime — the standard performance profiles, raw
// power configs, and the vote currently in place — through the perf infrastructure that
// deviceGetInfrastructure returns (createPowerConfigId / setPowerConfig /
// destroyPowerConfigId). The class is free of Node-API and throws CoreError; only the
// Parse* helpers read JS values. Thread-safe: runs vote from worker threads while the
// main thread may set the instance profile.
//
// Profiles and their configs: docs/power.md (the table there is kProfiles in PowerVotes.cc).
#pragma once

#include <napi.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "qnn/qnn_api.h"

#include "Errors.h"

namespace qnn_node {

class RuntimeState;
struct RunOptions;

// Ascending by performance: when runs of several profiles are in flight at once, the
// highest one is voted (as HTP aggregates concurrent clients' votes by their maximum).
enum class PerfProfile : uint8_t {
  kUnset = 0,  // no preference: inherit (run → context → instance), or nothing voted
  kDefault,    // release: no vote of qnn-node's in place
  kExtremePowerSaver,
  kLowPowerSaver,
  kPowerSaver,
  kHighPowerSaver,
  kLowBalanced,
  kBalanced,
  kHighPerformance,
  kSustainedHighPerformance,
  kBurst,
  kCustom,  // raw configs (setPowerConfig): never requested by a run
};
constexpr size_t kPerfProfileCount = static_cast<size_t>(PerfProfile::kCustom) + 1;

// "burst" → kBurst …; false for an unknown name.
bool PerfProfileFromName(const std::string& name, PerfProfile* out);
const char* PerfProfileName(PerfProfile p);
// A JS string naming a profile (ERR_INVALID_ARG naming `what` otherwise).
PerfProfile ParsePerfProfile(Napi::Env env, const Napi::Value& value, const std::string& what);

// One QnnHtpPerfInfrastructure_PowerConfig_t as raw words: the option, then the union's
// sixteen 4-byte words (DcvsV3 fills all; the others use the first one to five). Its size
// and layout are those of every release (docs/qnn-abi.md), so it is passed as is.
struct PowerConfigWords {
  uint32_t option = 0;
  std::array<uint32_t, 16> words{};
};
constexpr size_t kPowerConfigWordCount = 17;

// The HTP API minor (backend API 5.x) from which setPowerConfig takes `option`; options
// older than every release qnn-node supports give 0. UINT32_MAX: an option qnn-node does
// not know.
uint32_t PowerOptionSinceMinor(uint32_t option);
const char* PowerOptionName(uint32_t option);

// Per-run options of the "power" section (RunOptions.h): parsed from the run's options
// object on the main thread.
void ParsePowerRunOptions(Napi::Env env, const Napi::Object& options, RunOptions* out);
// Raw configs as lib/backend/qnn/power encodes them: a Uint32Array of 17 words per config
// (option + the union's 16 words), 1 to 64 configs.
std::vector<PowerConfigWords> ParsePowerConfigWords(Napi::Env env, const Napi::Value& value);

class PowerVotes {
 public:
  // deviceGetInfrastructure → the HTP perf infrastructure, when the runtime has a device
  // and the backend offers it. nullptr and `*reason` (why power control is unavailable)
  // otherwise. Worker thread, during the runtime's load.
  static std::unique_ptr<PowerVotes> Probe(const RuntimeState& rt, std::string* reason);

  // The instance profile (Qnn.load perfProfile / setPerfProfile): voted now when it
  // differs from the vote in place (with runs in flight: when the last of them ends), and
  // the profile of every later run that names none (nor its context). kUnset clears it
  // without voting.
  void SetInstanceProfile(PerfProfile p);
  PerfProfile instanceProfile() const { return instance_.load(std::memory_order_relaxed); }

  // Raw configs, voted now on (deviceId, coreId); the vote stays until a profile replaces
  // it — the profile then destroys the raw configs' id, dropping everything they set —
  // and the instance profile is cleared (so runs that name none leave it in place).
  void SetRaw(std::vector<PowerConfigWords> configs, uint32_t deviceId, uint32_t coreId);

  // Around a run that resolved to profile `p` (not kUnset): votes the highest profile of
  // the runs in flight when it differs from the vote in place. EndRun (after the run,
  // also when it failed): with runs still in flight, their highest; otherwise, when any
  // run of the batch asked to restore (or the instance profile changed meanwhile), the
  // vote in place before the first of them began (or that new instance profile).
  struct RunVote {
    PerfProfile profile = PerfProfile::kUnset;
    bool restore = false;
  };
  void BeginRun(const RunVote& vote);
  void EndRun(const RunVote& vote);

  // What is voted now: a profile, kCustom, or kUnset (nothing yet).
  PerfProfile current() const;

  // Releases the vote in place and destroys every power config id. Before deviceFree; no
  // throw (failures are ignored: the device goes next).
  void Shutdown() noexcept;

  // The HTP API minor the backend reports (decides the options it takes).
  uint32_t backendMinor() const { return backendMinor_; }

 private:
  PowerVotes(const RuntimeState& rt, const QnnHtpDevice_PerfInfrastructure_t& perf);

  // Caller holds mu_.
  uint32_t IdFor(uint32_t deviceId, uint32_t coreId);
  void Send(uint32_t id, const std::vector<PowerConfigWords>& configs);
  void Vote(PerfProfile p);
  void DropRawIds();
  PerfProfile Highest() const;

  const RuntimeState& rt_;
  QnnHtpDevice_PerfInfrastructure_t perf_;
  uint32_t backendMajor_ = 0, backendMinor_ = 0;

  mutable std::mutex mu_;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> ids_;  // (device, core) → power config id
  PerfProfile current_ = PerfProfile::kUnset;
  std::vector<PowerConfigWords> raw_;  // the configs of kCustom
  uint32_t rawDevice_ = 0, rawCore_ = 0;
  std::set<std::pair<uint32_t, uint32_t>> rawKeys_;  // the ids raw configs were voted on
  std::array<uint32_t, kPerfProfileCount> active_{};  // runs in flight per profile
  uint32_t activeTotal_ = 0;
  PerfProfile resting_ = PerfProfile::kUnset;  // the vote before the first run in flight began
  bool restoreAsked_ = false;    // a run of the current batch asked to restore
  bool restingChanged_ = false;  // the instance profile changed while runs were in flight
  std::atomic<PerfProfile> instance_{PerfProfile::kUnset};
};

// The power side of one run: resolves its profile (the run's, else its context's, else
// the instance's), votes before graphExecute and ends the vote after it. Nothing to do
// (no profile anywhere) costs three loads. A profile without power control available
// throws POWER_UNAVAILABLE ("default" excepted: nothing to release).
class PowerRunScope {
 public:
  PowerRunScope(RuntimeState& rt, PerfProfile run, PerfProfile context, bool restore);
  ~PowerRunScope();  // ends the vote if End() was not reached, ignoring failures
  PowerRunScope(const PowerRunScope&) = delete;
  PowerRunScope& operator=(const PowerRunScope&) = delete;
  // After a successful run: ends the vote (a failing restore throws).
  void End();

 private:
  PowerVotes* votes_ = nullptr;
  PowerVotes::RunVote vote_;
};

}  // namespace qnn_node
