// What a failed load or context creation says about the runtime: the load-stage facts
// every backend error carries (path, provider, API versions, build id) and, for a context
// that failed without a device, the device failure and what the HTP needs.
#include <sstream>

#include "RuntimeState.h"

namespace qnn_node {

CoreError RuntimeState::LoadError(NativeError e, const char* stage) const {
  auto add = [&e](const char* key, const std::string& value) {
    if (value.empty()) return;
    for (const auto& kv : e.details) {
      if (kv.first == key) return;
    }
    e.details.emplace_back(key, value);
  };
  add("library", "backend");
  add("stage", stage);
  add("path", backendPath.empty() ? requestedBackendPath_ : backendPath);
  if (hasProvider_) {
    add("providerName", provider.name);
    add("backendId", std::to_string(provider.backendId));
    add("coreApiVersion", provider.core.str());
    add("backendApiVersion", provider.backend.str());
  }
  add("buildId", buildId.empty() ? refusedBuildId_ : buildId);
  std::string reported;
  for (size_t i = 0; i < providers.size(); ++i) {
    reported += (i ? "; " : "") + providers[i].name + " (backend id " + std::to_string(providers[i].backendId) +
                ", core API " + providers[i].core.str() + ", backend API " + providers[i].backend.str() + ")";
  }
  add("providers", reported);
  return CoreError(std::move(e));
}

NativeError RuntimeState::WithDeviceContext(NativeError e) const {
  if (hasDevice) return e;
  const bool deviceRange = (e.status & 0xFFFFu) >= 14000 && (e.status & 0xFFFFu) <= 14999;
  if (!hasDeviceFailure && !(deviceSkipped && deviceRange)) return e;
  std::ostringstream m;
  m << e.message << ". The backend runs without a QNN device: ";
  if (hasDeviceFailure) {
    m << "deviceCreate had failed at Qnn.load (" << deviceFailure.message << ")";
    e.details.emplace_back("deviceError", deviceFailure.message);
    e.details.emplace_back("deviceStatus", std::to_string(deviceFailure.status & 0xFFFFu));
    e.details.emplace_back("deviceStatusName", deviceFailure.statusName);
  } else {
    m << "it was loaded with device: false (--no-device)";
  }
  m << ". The HTP backend needs a reachable DSP: on Linux and Android the FastRPC device nodes (/dev/fastrpc-*) "
       "must be readable and writable by this process and ADSP_LIBRARY_PATH (Qnn.load({ adspLibraryPath })) must "
       "name the folder of the libQnnHtpV??Skel.so files; on Windows the Qualcomm NPU driver must be installed. "
       "Fix: run where the DSP is reachable (Termux and other app sandboxes usually get no /dev/fastrpc-*), "
       "pass device: true to Qnn.load to fail at load instead, or use a CPU backend (--backend reference).";
  e.message = m.str();
  e.details.emplace_back("cause", "no-device");
  return e;
}

}  // namespace qnn_node
