// RuntimeState::ReadPlatformInfo: a plain copy of what deviceGetPlatformInfo reports
// (hardware devices and their cores), bounded and version-checked, not fatal.
#include "RuntimeState.h"

#include "SafeRead.h"

namespace qnn_node {
namespace {

constexpr uint32_t kMaxPlatformDevices = 64;
constexpr uint32_t kMaxPlatformCores = 256;

}  // namespace

// Not fatal: a failure status or an unreadable part is recorded in platformError.
void RuntimeState::ReadPlatformInfo() {
  if (!fns.deviceGetPlatformInfo) return;
  const QnnDevice_PlatformInfo_t* info = nullptr;
  Qnn_ErrorHandle_t st = fns.deviceGetPlatformInfo(logHandle, &info);
  if (st != QNN_SUCCESS) {
    platformError = StatusError("deviceGetPlatformInfo", st).message;
    return;
  }
  if (!info) {
    platformError = "deviceGetPlatformInfo returned no platform info";
    return;
  }
  std::vector<std::string> notes;
  auto unknown = [&](const char* what, uint32_t v) { notes.push_back(std::string(what) + ": unknown version " + std::to_string(v)); };
  hasPlatform = true;
  platform.version = RawEnum(info->version);
  if (platform.version != QNN_DEVICE_PLATFORM_INFO_VERSION_1) {
    unknown("QnnDevice_PlatformInfo_t", platform.version);
  } else if (info->v1.numHwDevices > 0 && !info->v1.hwDevices) {
    notes.push_back("QnnDevice_PlatformInfo_t reports " + std::to_string(info->v1.numHwDevices) + " hardware devices but no array");
  } else {
    uint32_t numDevices = info->v1.numHwDevices;
    if (numDevices > kMaxPlatformDevices) {
      notes.push_back("QnnDevice_PlatformInfo_t reports " + std::to_string(numDevices) + " hardware devices; read the first " +
                      std::to_string(kMaxPlatformDevices));
      numDevices = kMaxPlatformDevices;
    }
    for (uint32_t i = 0; i < numDevices; ++i) {
      const QnnDevice_HardwareDeviceInfo_t& hw = info->v1.hwDevices[i];
      if (RawEnum(hw.version) != QNN_DEVICE_HARDWARE_DEVICE_INFO_VERSION_1) {
        unknown(("hardware device " + std::to_string(i)).c_str(), RawEnum(hw.version));
        continue;
      }
      PlatformDevice d;
      d.id = hw.v1.deviceId;
      d.type = hw.v1.deviceType;
      d.hasExtension = hw.v1.deviceInfoExtension != nullptr;
      uint32_t numCores = hw.v1.numCores;
      if (numCores > 0 && !hw.v1.cores) {
        notes.push_back("hardware device " + std::to_string(d.id) + " reports " + std::to_string(numCores) + " cores but no array");
        numCores = 0;
      } else if (numCores > kMaxPlatformCores) {
        notes.push_back("hardware device " + std::to_string(d.id) + " reports " + std::to_string(numCores) +
                        " cores; read the first " + std::to_string(kMaxPlatformCores));
        numCores = kMaxPlatformCores;
      }
      for (uint32_t c = 0; c < numCores; ++c) {
        const QnnDevice_CoreInfo_t& core = hw.v1.cores[c];
        if (RawEnum(core.version) != QNN_DEVICE_CORE_INFO_VERSION_1) {
          unknown(("core " + std::to_string(c) + " of hardware device " + std::to_string(d.id)).c_str(),
                  RawEnum(core.version));
          continue;
        }
        d.cores.push_back({core.v1.coreId, core.v1.coreType});
      }
      platform.devices.push_back(std::move(d));
    }
  }
  if (fns.deviceFreePlatformInfo) fns.deviceFreePlatformInfo(logHandle, info);
  for (size_t i = 0; i < notes.size(); ++i) platformError += (i ? "; " : "") + notes[i];
}

}  // namespace qnn_node
