// libQnnReference: the HTP performance infrastructure (deviceGetInfrastructure). Power
// votes have no effect on the CPU, but every call is checked the way the HTP headers
// document it and journaled with each config decoded field by field
// (docs/reference-backend.md, "Perf infrastructure").
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "backend_api.h"
#include "backend_journal.h"
#include "backend_perf.h"
#include "backend_registry.h"

namespace qnnref {
namespace {

constexpr uint32_t kMaxConfigs = 64;  // past this, the array is taken as not NULL-terminated

std::mutex g_powerMu;
std::set<uint32_t> g_powerIds;
uint32_t g_nextPowerId = 1;

uint32_t emulatedBackendMinor() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_emu.backend.major > 5 ? 1000u : g_emu.backend.major < 5 ? 0u : g_emu.backend.minor;
}

// Options by the HTP API minor that introduced them (measured from the SDK headers).
uint32_t optionSinceMinor(uint32_t option) {
  if (option >= 1 && option <= 4) return 0;  // DCVS_V3, RPC latency/polling, HMX timeout
  if (option == 5) return 25;                // HMX_V2
  if (option == 6 || option == 7) return 43; // ADAPTIVE_POLLING_TIME, DDR_PERF_MODE
  return UINT32_MAX;
}

const char* optionName(uint32_t option) {
  static const char* const kNames[] = {"UNKNOWN", "DCVS_V3", "RPC_CONTROL_LATENCY", "RPC_POLLING_TIME",
                                       "HMX_TIMEOUT_INTERVAL_US", "HMX_V2", "ADAPTIVE_POLLING_TIME", "DDR_PERF_MODE"};
  return option < 8 ? kNames[option] : "UNKNOWN";
}

bool validPowerMode(uint32_t mode) {
  return mode == 0x1 || mode == 0x2 || mode == 0x4 || mode == 0x8 || mode == 0x10 || mode == 0x20;
}

bool validVoltageCorner(uint32_t v, uint32_t minor) {
  switch (v) {
    case 0x10: case 0x20: case 0x30: case 0x40: case 0x50: case 0x60: case 0x70: case 0x80: case 0x90:
    case 0x92: case 0x93: case 0xA0:
      return true;
    case 0x94: case 0x95:  // TURBO_L4 / L5: SDK 2.43
      return minor >= 43;
    default:
      return false;
  }
}

bool validExpVoltageCorner(uint32_t v, uint32_t minor) {
  switch (v) {
    case 0: case 0x100: case 0x134: case 0x138: case 0x140: case 0x180: case 0x1C0: case 0x200: case 0x240:
    case 0x280: case 0x2A0: case 0x2B0: case 0x2C0: case 0xFFFF:
      return true;
    case 0x14C: case 0x190: case 0x1E0: case 0x250:  // the finer corners of SDK 2.43
      return minor >= 43;
    default:
      return false;
  }
}

uint32_t word(const QnnHtpPerfInfrastructure_PowerConfig_t* c, size_t i) {
  uint32_t w = 0;
  std::memcpy(&w, reinterpret_cast<const uint8_t*>(c) + 4 + 4 * i, 4);
  return w;
}

const char* const kDcvsFields[16] = {"contextId",          "setDcvsEnable",          "dcvsEnable",          "powerMode",
                                     "setSleepLatency",    "sleepLatency",           "setSleepDisable",     "sleepDisable",
                                     "setBusParams",       "busVoltageCornerMin",    "busVoltageCornerTarget",
                                     "busVoltageCornerMax", "setCoreParams",         "coreVoltageCornerMin",
                                     "coreVoltageCornerTarget", "coreVoltageCornerMax"};
const char* const kHmxV2Fields[5] = {"hmxPickDefault", "hmxVoltageCornerMin", "hmxVoltageCornerTarget",
                                     "hmxVoltageCornerMax", "hmxPerfMode"};

// One config as journal JSON, in the layout of its option (what the emulated version
// has; an option it lacks is journaled by number only).
std::string decode(const QnnHtpPerfInfrastructure_PowerConfig_t* c, uint32_t minor) {
  uint32_t option = static_cast<uint32_t>(c->option);
  std::string json = "{\"option\":" + jsonString(optionName(option));
  auto field = [&](const char* name, uint32_t v) { json += "," + jsonString(name) + ":" + std::to_string(v); };
  if (optionSinceMinor(option) > minor) {
    field("optionValue", option);
  } else if (option == 1) {
    for (size_t i = 0; i < 16; ++i) field(kDcvsFields[i], word(c, i));
  } else if (option == 2) {
    field("rpcControlLatency", word(c, 0));
  } else if (option == 3) {
    field("rpcPollingTime", word(c, 0));
  } else if (option == 4) {
    field("hmxTimeoutIntervalUs", word(c, 0));
  } else if (option == 5) {
    for (size_t i = 0; i < 5; ++i) field(kHmxV2Fields[i], word(c, i));
  } else if (option == 6) {
    field("adaptivePollingTime", word(c, 0));
  } else if (option == 7) {
    field("ddrPerfMode", word(c, 0));
  }
  return json + "}";
}

// What HTP refuses, as its header documents it: an option the release lacks
// (UNSUPPORTED_CONFIG); enum values outside their enum, an RPC polling time above 9999 µs
// and a sleep latency outside HAP's 10–65535 µs (INVALID_INPUT). "" when valid.
std::string check(const QnnHtpPerfInfrastructure_PowerConfig_t* c, uint32_t minor, uint32_t* code) {
  uint32_t option = static_cast<uint32_t>(c->option);
  *code = QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT;
  if (optionSinceMinor(option) > minor) {
    *code = QNN_HTP_PERF_INFRASTRUCTURE_ERROR_UNSUPPORTED_CONFIG;
    return formatString("unsupported option %u (%s) for backend API 5.%u", option, optionName(option), minor);
  }
  if (option == 1) {
    if (word(c, 1) && !validPowerMode(word(c, 3))) return formatString("powerMode 0x%x is not a power mode", word(c, 3));
    if (word(c, 4) && (word(c, 5) < 10 || word(c, 5) > 65535))
      return formatString("sleepLatency %u is outside 10-65535 us", word(c, 5));
    for (size_t group : {size_t(8), size_t(12)}) {
      if (!word(c, group)) continue;
      for (size_t i = group + 1; i <= group + 3; ++i) {
        if (!validVoltageCorner(word(c, i), minor))
          return formatString("%s 0x%x is not a voltage corner of backend API 5.%u", kDcvsFields[i], word(c, i), minor);
      }
    }
  } else if (option == 3) {
    if (word(c, 0) > QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIG_MAX_RPC_POLLING_TIME)
      return formatString("rpcPollingTime %u is above the maximum of 9999 us", word(c, 0));
  } else if (option == 5) {
    for (size_t i = 1; i <= 3; ++i) {
      if (!validExpVoltageCorner(word(c, i), minor))
        return formatString("%s 0x%x is not an HMX voltage corner of backend API 5.%u", kHmxV2Fields[i], word(c, i), minor);
    }
    if (word(c, 4) > 1) return formatString("hmxPerfMode %u is not a clock perf mode", word(c, 4));
  }
  return "";
}

Qnn_ErrorHandle_t perfCreatePowerConfigId(uint32_t deviceId, uint32_t coreId, uint32_t* id) {
  QNNREF_INJECT("createPowerConfigId", anyLogger());
  Qnn_ErrorHandle_t st = QNN_SUCCESS;
  uint32_t created = 0;
  if (!id) {
    st = fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "createPowerConfigId: id out-pointer is NULL");
  } else if (deviceId != 0 || coreId != 0) {
    // The emulated platform: device 0 with core 0 (deviceGetPlatformInfo).
    st = fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT,
              formatString("createPowerConfigId: no core %u on device %u (the platform has device 0, core 0)", coreId, deviceId));
  } else {
    std::lock_guard<std::mutex> lock(g_powerMu);
    created = g_nextPowerId++;
    g_powerIds.insert(created);
    *id = created;
  }
  JournalEntry e("createPowerConfigId");
  e.num("deviceId", deviceId).num("coreId", coreId).u64("status", st & 0xFFFF);
  if (st == QNN_SUCCESS) e.num("powerConfigId", created);
  e.write();
  return st;
}

Qnn_ErrorHandle_t perfDestroyPowerConfigId(uint32_t id) {
  bool known;
  {
    std::lock_guard<std::mutex> lock(g_powerMu);
    known = g_powerIds.erase(id) > 0;
  }
  Qnn_ErrorHandle_t st = known ? Qnn_ErrorHandle_t(QNN_SUCCESS)
                               : fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT,
                                      formatString("destroyPowerConfigId: unknown power config id %u", id));
  JournalEntry("destroyPowerConfigId").num("powerConfigId", id).u64("status", st & 0xFFFF).write();
  return st;
}

Qnn_ErrorHandle_t perfSetPowerConfig(uint32_t id, const QnnHtpPerfInfrastructure_PowerConfig_t** config) {
  uint32_t minor = emulatedBackendMinor();
  std::string configs = "[";
  Qnn_ErrorHandle_t st = QNN_SUCCESS;
  uint32_t injected = 0;
  bool known;
  {
    std::lock_guard<std::mutex> lock(g_powerMu);
    known = id == 0 || g_powerIds.count(id) > 0;  // 0: the process-wide client (documented)
  }
  if (injectedFailure("setPowerConfig", &injected)) {
    st = fail(anyLogger(), injected, "setPowerConfig: failure injected by QNN_REFERENCE_FAIL");
  } else if (!known) {
    st = fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, formatString("setPowerConfig: unknown power config id %u", id));
  }
  // NULL: no configs (documented as allowed).
  for (size_t i = 0; config && config[i]; ++i) {
    if (i >= kMaxConfigs) {
      if (st == QNN_SUCCESS)
        st = fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "setPowerConfig: config array is not NULL-terminated");
      break;
    }
    configs += (i ? "," : "") + decode(config[i], minor);
    uint32_t code = 0;
    std::string why = check(config[i], minor, &code);
    if (!why.empty() && st == QNN_SUCCESS) st = fail(anyLogger(), code, formatString("setPowerConfig: config %zu: ", i) + why);
  }
  JournalEntry("setPowerConfig").num("powerConfigId", id).u64("status", st & 0xFFFF).raw("configs", configs + "]").write();
  if (st == QNN_SUCCESS) logf(anyLogger(), QNN_LOG_LEVEL_VERBOSE, "power vote on id %u accepted (no effect on the CPU)", id);
  return st;
}

Qnn_ErrorHandle_t perfSetMemoryConfig(uint32_t, uint32_t, const QnnHtpPerfInfrastructure_MemoryConfig_t** config) {
  if (!config) return QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT;
  return QNN_SUCCESS;
}

QnnHtpDevice_Infrastructure_t makeInfra(bool withPowerFns, uint32_t type) {
  QnnHtpDevice_Infrastructure_t infra;
  std::memset(&infra, 0, sizeof infra);
  infra.infraType = static_cast<QnnHtpDevice_InfrastructureType_t>(type);
  if (withPowerFns) {
    infra.perfInfra.createPowerConfigId = perfCreatePowerConfigId;
    infra.perfInfra.destroyPowerConfigId = perfDestroyPowerConfigId;
    infra.perfInfra.setPowerConfig = perfSetPowerConfig;
  }
  infra.perfInfra.setMemoryConfig = perfSetMemoryConfig;
  return infra;
}

QnnHtpDevice_Infrastructure_t g_infra = makeInfra(true, QNN_HTP_DEVICE_INFRASTRUCTURE_TYPE_PERF);
QnnHtpDevice_Infrastructure_t g_otherTypeInfra = makeInfra(true, 1);
QnnHtpDevice_Infrastructure_t g_noFnsInfra = makeInfra(false, QNN_HTP_DEVICE_INFRASTRUCTURE_TYPE_PERF);

}  // namespace

std::string perfInfraMode() {
  const char* env = knobsApply() ? std::getenv("QNN_REFERENCE_PERF_INFRA") : nullptr;
  return env ? env : "";
}

Qnn_ErrorHandle_t deviceGetInfrastructure(const QnnDevice_Infrastructure_t* infra) {
  QNNREF_INJECT("deviceGetInfrastructure", anyLogger());
  if (!infra) return QNN_DEVICE_ERROR_INVALID_ARGUMENT;
  std::string mode = perfInfraMode();
  QnnHtpDevice_Infrastructure_t* chosen = mode == "other-type" ? &g_otherTypeInfra : mode == "no-power-fns" ? &g_noFnsInfra : &g_infra;
  *const_cast<QnnDevice_Infrastructure_t*>(infra) = chosen;
  return QNN_SUCCESS;
}

}  // namespace qnnref
