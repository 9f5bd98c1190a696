// RuntimeState: the loaded QNN libraries, the chosen providers and the log/backend/device
// handles, free of Node-API. It throws CoreError.
//
// Lifetime: a ContextState holds a shared_ptr to its RuntimeState, so a runtime is torn
// down (device → backend → log → libraries) only after its last context is freed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "qnn/qnn_api.h"

#include "ContextConfigs.h"
#include "Errors.h"
#include "Loader.h"
#include "LogBridge.h"

namespace qnn_node {

class PowerVotes;

struct Version {
  uint32_t major = 0, minor = 0, patch = 0;
  std::string str() const;
};

// The slots of the core table this addon calls, read only when the provider's core
// minor has them (NULL = unsupported).
struct CoreFns {
  QnnBackend_CreateFn_t backendCreate = nullptr;
  QnnBackend_FreeFn_t backendFree = nullptr;
  QnnBackend_GetBuildIdFn_t backendGetBuildId = nullptr;
  QnnLog_CreateFn_t logCreate = nullptr;
  QnnLog_FreeFn_t logFree = nullptr;
  QnnDevice_CreateFn_t deviceCreate = nullptr;
  QnnDevice_FreeFn_t deviceFree = nullptr;
  QnnContext_CreateFromBinaryFn_t contextCreateFromBinary = nullptr;
  QnnContext_FreeFn_t contextFree = nullptr;
  QnnGraph_RetrieveFn_t graphRetrieve = nullptr;
  QnnGraph_SetConfigFn_t graphSetConfig = nullptr;
  QnnGraph_ExecuteFn_t graphExecute = nullptr;
  // Profiling.h (profileSetConfig / GetExtendedEventData may be NULL on any version).
  QnnProfile_CreateFn_t profileCreate = nullptr;
  QnnProfile_SetConfigFn_t profileSetConfig = nullptr;
  QnnProfile_GetEventsFn_t profileGetEvents = nullptr;
  QnnProfile_GetSubEventsFn_t profileGetSubEvents = nullptr;
  QnnProfile_GetEventDataFn_t profileGetEventData = nullptr;
  QnnProfile_GetExtendedEventDataFn_t profileGetExtendedEventData = nullptr;
  QnnProfile_FreeFn_t profileFree = nullptr;
  QnnError_GetMessageFn_t errorGetMessage = nullptr;
  QnnDevice_GetPlatformInfoFn_t deviceGetPlatformInfo = nullptr;
  QnnDevice_FreePlatformInfoFn_t deviceFreePlatformInfo = nullptr;
  QnnDevice_GetInfrastructureFn_t deviceGetInfrastructure = nullptr;
  // SharedBlocks.h (shared tensors): NULL = plain tensors only.
  QnnMem_RegisterFn_t memRegister = nullptr;
  QnnMem_DeRegisterFn_t memDeRegister = nullptr;
};

struct SystemFns {
  QnnSystemContext_CreateFn_t contextCreate = nullptr;
  QnnSystemContext_GetBinaryInfoFn_t getBinaryInfo = nullptr;
  QnnSystemContext_FreeFn_t contextFree = nullptr;
};

struct RuntimeOptions {
  std::string backendPath;
  std::string systemPath;  // empty: no QnnSystem
  bool systemRequired = false;
  int logLevel = 0;        // 0: no log handle
  int device = -1;         // -1 auto, 0 never, 1 required
  std::string adspLibraryPath;  // applied by the caller (main thread) before Create
  uint32_t sdkMinor = 0;  // system-only: the SDK minor for the System 1.1 GraphInfo stride (0: unknown)
  // HTP custom configs for backendCreate / deviceCreate (laid out for the reported version).
  std::vector<HtpCustomConfig> backendCustom, deviceCustom;
};

struct ProviderInfo {
  std::string name;
  uint32_t backendId = 0;
  Version core, backend;
};

// A plain copy of what deviceGetPlatformInfo reported (the backend's memory is freed
// right after). The HTP-specific deviceInfoExtension is not read (its layout varies
// across SDKs): only whether one is present.
struct PlatformCore {
  uint32_t id = 0, type = 0;
};
struct PlatformDevice {
  uint32_t id = 0, type = 0;
  std::vector<PlatformCore> cores;
  bool hasExtension = false;
};
struct PlatformInfo {
  uint32_t version = 0;
  std::vector<PlatformDevice> devices;
};

class RuntimeState {
 public:
  // Loads the libraries and creates log → backend → device. Runs on a worker thread.
  static std::shared_ptr<RuntimeState> Create(const RuntimeOptions& options, std::shared_ptr<LogChannel> log);
  // QnnSystem only (no backend, no handles): enough to read context binary info. The
  // system library must load. Runs on a worker thread.
  static std::shared_ptr<RuntimeState> CreateSystemOnly(const RuntimeOptions& options);
  ~RuntimeState();

  // Throws a QNN_ERROR CoreError for `status` returned by `fn`.
  [[noreturn]] void ThrowStatus(const char* fn, Qnn_ErrorHandle_t status, const std::string& what = "") const;
  NativeError StatusError(const char* fn, Qnn_ErrorHandle_t status, const std::string& what = "") const;
  // A load-stage error with everything known so far about the backend library: path,
  // provider, API versions, build id, the providers it reported (error.details).
  CoreError LoadError(NativeError e, const char* stage) const;
  CoreError LoadError(const CoreError& e, const char* stage) const { return LoadError(e.error(), stage); }
  // A context-create failure of a runtime that has no device (deviceCreate failed at load,
  // or device: false): says so, with the device failure and what the HTP needs (a DSP).
  NativeError WithDeviceContext(NativeError e) const;

  // What was loaded.
  std::string backendPath, systemPath, buildId;
  std::vector<ProviderInfo> providers;  // everything the backend reported
  ProviderInfo provider;                // the one in use
  bool hasSystem = false;
  Version systemVersion;
  std::string systemProviderName;
  std::string systemError;  // why QnnSystem is not in use (when it is not)
  bool hasDevice = false;
  bool deviceSkipped = false;  // device: false
  std::string deviceError;
  bool hasDeviceFailure = false;  // deviceCreate failed and loading went on without a device
  NativeError deviceFailure;
  uint32_t coreSlots = 0;  // slots of the core table this addon may read
  bool hasPlatform = false;   // deviceGetPlatformInfo answered (platform holds the copy)
  PlatformInfo platform;
  std::string platformError;  // a failure status or what could not be read ("" if none)
  uint32_t sdkMinor = 0;      // system-only: the caller's SDK minor (0: unknown)
  // HTP power votes (PowerVotes.h); null with powerError saying why when unavailable.
  std::unique_ptr<PowerVotes> power;
  std::string powerError;

  CoreFns fns;
  SystemFns sys;
  // The provider in use (valid while the backend library stays loaded): for slots read on
  // demand by a feature of its own (BinarySections.cc).
  const QnnInterface_t* coreInterface = nullptr;
  Qnn_LogHandle_t logHandle = nullptr;
  Qnn_BackendHandle_t backendHandle = nullptr;
  Qnn_DeviceHandle_t deviceHandle = nullptr;

  // The log channel behind logHandle (null without one): model composition captures it.
  LogChannel* log() const { return logHandle ? log_.get() : nullptr; }

  // GraphInfo stride for QnnSystem's binary info (88 / 64 / 48 bytes).
  size_t GraphInfoStride() const;

 private:
  RuntimeState() = default;
  void LoadBackend(const RuntimeOptions& options);
  void LoadSystem(const RuntimeOptions& options);
  void CreateHandles(const RuntimeOptions& options);
  void ReadPlatformInfo();
  void Teardown();

  std::string requestedBackendPath_;
  bool hasProvider_ = false;          // `provider` was chosen
  std::string refusedBuildId_;        // the build id of a library whose providers were all refused
  Library backendLib_, systemLib_;
  std::shared_ptr<LogChannel> log_;
};

}  // namespace qnn_node
