// libQnnReference: device handles and platform info (the HTP performance infrastructure
// is backend_perf.cc).
#include <cstring>

#include "backend_api.h"
#include "backend_configs.h"
#include "backend_journal.h"
#include "backend_registry.h"

namespace qnnref {
namespace {

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
  JournalEntry("deviceFree").write();  // ordering: power config ids must be destroyed before
  return QNN_SUCCESS;
}

}  // namespace qnnref
