// libQnnReference: device handles, platform info and the HTP performance infrastructure
// (power votes are accepted and have no effect).
#include <cstring>
#include <set>

#include "backend_api.h"
#include "backend_configs.h"
#include "backend_registry.h"

namespace qnnref {
namespace {

std::mutex g_powerMu;
std::set<uint32_t> g_powerIds;
uint32_t g_nextPowerId = 1;

Qnn_ErrorHandle_t perfCreatePowerConfigId(uint32_t, uint32_t, uint32_t* id) {
  if (!id) return QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_HANDLE_PTR;
  std::lock_guard<std::mutex> lock(g_powerMu);
  *id = g_nextPowerId++;
  g_powerIds.insert(*id);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t perfDestroyPowerConfigId(uint32_t id) {
  std::lock_guard<std::mutex> lock(g_powerMu);
  return g_powerIds.erase(id) ? QNN_SUCCESS : Qnn_ErrorHandle_t(QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT);
}

Qnn_ErrorHandle_t perfSetPowerConfig(uint32_t id, const QnnHtpPerfInfrastructure_PowerConfig_t** config) {
  {
    std::lock_guard<std::mutex> lock(g_powerMu);
    if (!g_powerIds.count(id)) return fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, formatString("setPowerConfig: unknown power config id %u", id));
  }
  if (!config) return fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "setPowerConfig: config is NULL");
  for (size_t i = 0; config[i]; ++i) {
    if (i >= 64) return fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "setPowerConfig: config array is not NULL-terminated");
    uint32_t opt = config[i]->option;
    if (opt < QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_DCVS_V3 || opt > QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_HMX_TIMEOUT_INTERVAL_US)
      return fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_UNSUPPORTED_CONFIG, formatString("setPowerConfig: unsupported option %u", opt));
    if (opt == QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_DCVS_V3)
      logf(anyLogger(), QNN_LOG_LEVEL_VERBOSE, "power vote: DCVS v3 powerMode 0x%x core target 0x%x (no effect)",
           unsigned(config[i]->dcvsV3Config.powerMode), unsigned(config[i]->dcvsV3Config.coreVoltageCornerTarget));
  }
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t perfSetMemoryConfig(uint32_t, uint32_t, const QnnHtpPerfInfrastructure_MemoryConfig_t** config) {
  if (!config) return QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT;
  return QNN_SUCCESS;
}

QnnHtpDevice_Infrastructure_t g_infra = [] {
  QnnHtpDevice_Infrastructure_t infra;
  std::memset(&infra, 0, sizeof infra);
  infra.infraType = QNN_HTP_DEVICE_INFRASTRUCTURE_TYPE_PERF;
  infra.perfInfra.createPowerConfigId = perfCreatePowerConfigId;
  infra.perfInfra.destroyPowerConfigId = perfDestroyPowerConfigId;
  infra.perfInfra.setPowerConfig = perfSetPowerConfig;
  infra.perfInfra.setMemoryConfig = perfSetMemoryConfig;
  return infra;
}();

QnnDevice_CoreInfo_t g_core = [] {
  QnnDevice_CoreInfo_t c;
  std::memset(&c, 0, sizeof c);
  c.version = QNN_DEVICE_CORE_INFO_VERSION_1;
  return c;
}();
QnnDevice_HardwareDeviceInfo_t g_hw = [] {
  QnnDevice_HardwareDeviceInfo_t h;
  std::memset(&h, 0, sizeof h);
  h.version = QNN_DEVICE_HARDWARE_DEVICE_INFO_VERSION_1;
  h.v1.numCores = 1;
  h.v1.cores = &g_core;
  return h;
}();
QnnDevice_PlatformInfo_t g_platform = [] {
  QnnDevice_PlatformInfo_t p;
  std::memset(&p, 0, sizeof p);
  p.version = QNN_DEVICE_PLATFORM_INFO_VERSION_1;
  p.v1.numHwDevices = 1;
  p.v1.hwDevices = &g_hw;
  return p;
}();

}  // namespace

Qnn_ErrorHandle_t deviceGetInfrastructure(const QnnDevice_Infrastructure_t* infra) {
  if (!infra) return QNN_DEVICE_ERROR_INVALID_ARGUMENT;
  *const_cast<QnnDevice_Infrastructure_t*>(infra) = &g_infra;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t deviceGetPlatformInfo(Qnn_LogHandle_t logger, const QnnDevice_PlatformInfo_t** info) {
  std::shared_ptr<Logger> log;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto it = g_loggers.find(logger);
    if (it != g_loggers.end()) log = it->second;
  }
  QNNREF_INJECT("deviceGetPlatformInfo", log.get());
  if (!info) return QNN_DEVICE_ERROR_INVALID_ARGUMENT;
  *info = &g_platform;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t deviceFreePlatformInfo(Qnn_LogHandle_t, const QnnDevice_PlatformInfo_t* info) {
  return info == &g_platform ? Qnn_ErrorHandle_t(QNN_SUCCESS) : Qnn_ErrorHandle_t(QNN_DEVICE_ERROR_INVALID_ARGUMENT);
}

Qnn_ErrorHandle_t deviceCreate(Qnn_LogHandle_t logger, const QnnDevice_Config_t** config, Qnn_DeviceHandle_t* device) {
  std::shared_ptr<Logger> log;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto it = g_loggers.find(logger);
    if (it != g_loggers.end()) log = it->second;
  }
  injectedDelay("deviceCreate");
  QNNREF_INJECT("deviceCreate", log.get());
  if (noDspEmulated())
    return fail(log.get(), QNN_DEVICE_ERROR_INVALID_CONFIG, "deviceCreate: no DSP reachable (emulated by QNN_REFERENCE_NO_DSP)");
  if (!device) return fail(log.get(), QNN_DEVICE_ERROR_INVALID_ARGUMENT, "deviceCreate: device out-pointer is NULL");
  Emulation emu;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    emu = g_emu;
  }
  Qnn_ErrorHandle_t configStatus = takeDeviceConfigs(log.get(), emu, config);
  if (configStatus != QNN_SUCCESS) return configStatus;
  auto* d = new DeviceImpl();
  d->logger = log;
  addHandle(d, Kind::Device);
  *device = d;
  logf(log.get(), QNN_LOG_LEVEL_VERBOSE, "device created");
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t deviceFree(Qnn_DeviceHandle_t device) {
  DeviceImpl* d = lookup<DeviceImpl>(device, Kind::Device);
  if (!d || !removeHandle(d, Kind::Device)) return fail(anyLogger(), QNN_DEVICE_ERROR_INVALID_HANDLE, "deviceFree: invalid device handle");
  delete d;
  return QNN_SUCCESS;
}

}  // namespace qnnref
