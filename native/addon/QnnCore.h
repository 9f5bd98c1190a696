// QnnCore: the QNN side of the addon, free of Node-API. RuntimeState owns the loaded
// libraries, the chosen providers and the log/backend/device handles; ContextState owns
// one context (and the memory its binary lives in) and its graphs. Both throw CoreError.
//
// Lifetime: a ContextState holds a shared_ptr to its RuntimeState, so a runtime is torn
// down (device → backend → log → libraries) only after its last context is freed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "qnn/qnn_api.h"

#include "Errors.h"
#include "Loader.h"
#include "LogBridge.h"
#include "Mapping.h"

namespace qnn_node {

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
  QnnGraph_ExecuteFn_t graphExecute = nullptr;
  QnnError_GetMessageFn_t errorGetMessage = nullptr;
  QnnDevice_GetPlatformInfoFn_t deviceGetPlatformInfo = nullptr;
  QnnDevice_FreePlatformInfoFn_t deviceFreePlatformInfo = nullptr;
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

  // What was loaded.
  std::string backendPath, systemPath, buildId;
  std::vector<ProviderInfo> providers;  // everything the backend reported
  ProviderInfo provider;                // the one in use
  bool hasSystem = false;
  Version systemVersion;
  std::string systemProviderName;
  std::string systemError;  // why QnnSystem is not in use (when it is not)
  bool hasDevice = false;
  std::string deviceError;
  uint32_t coreSlots = 0;  // slots of the core table this addon may read
  bool hasPlatform = false;   // deviceGetPlatformInfo answered (platform holds the copy)
  PlatformInfo platform;
  std::string platformError;  // a failure status or what could not be read ("" if none)
  uint32_t sdkMinor = 0;      // system-only: the caller's SDK minor (0: unknown)

  CoreFns fns;
  SystemFns sys;
  Qnn_LogHandle_t logHandle = nullptr;
  Qnn_BackendHandle_t backendHandle = nullptr;
  Qnn_DeviceHandle_t deviceHandle = nullptr;

  // GraphInfo stride for QnnSystem's binary info (88 / 64 / 48 bytes).
  size_t GraphInfoStride() const;

 private:
  RuntimeState() = default;
  void LoadBackend(const RuntimeOptions& options);
  void LoadSystem(const RuntimeOptions& options);
  void CreateHandles(const RuntimeOptions& options);
  void ReadPlatformInfo();
  void Teardown();

  Library backendLib_, systemLib_;
  std::shared_ptr<LogChannel> log_;
};

struct QuantMeta {
  uint32_t definition = QNN_DEFINITION_UNDEFINED;
  uint32_t encoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
  float scale = 0;
  int32_t offset = 0;
  uint32_t bitwidth = 0;
  int32_t axis = 0;
  std::vector<float> scales;
  std::vector<int32_t> offsets;
  std::vector<Qnn_ScaleOffset_t> scaleOffsets;  // storage for axis-scale-offset tensors
};

struct TensorMeta {
  uint32_t version = QNN_TENSOR_VERSION_1;
  uint32_t id = 0;
  std::string name;
  uint32_t type = QNN_TENSOR_TYPE_APP_WRITE;
  uint32_t dataFormat = 0;
  uint32_t dataType = QNN_DATATYPE_UNDEFINED;
  std::vector<uint32_t> dims;
  QuantMeta quant;
  uint64_t byteSize = 0;  // 0 when the dtype is unknown
};

struct GraphMeta {
  std::string name;
  std::vector<TensorMeta> inputs, outputs;
};

struct GraphState {
  GraphMeta meta;
  Qnn_GraphHandle_t handle = nullptr;
  std::mutex executeMutex;  // one execution per graph at a time
  // The Qnn_Tensor_t arrays for graphExecute, filled once from `meta` after the graph is
  // retrieved (pointers into `meta`); a run only sets each tensor's clientBuf, under
  // executeMutex.
  std::vector<Qnn_Tensor_t> inTensors, outTensors;
};

struct LoadTimings {
  double mapMs = 0, createMs = 0, retrieveMs = 0, totalMs = 0;
};

// One buffer for graphExecute, converted on the main thread (pointer + size).
struct IoBuffer {
  void* data = nullptr;
  size_t size = 0;
};

class ContextState {
 public:
  explicit ContextState(std::shared_ptr<RuntimeState> runtime) : runtime_(std::move(runtime)) {}
  ~ContextState();

  // The binary: a file to map, or memory the caller keeps alive until Free().
  void SetSourcePath(std::string path) { path_ = std::move(path); }
  void SetSourceMemory(const void* data, size_t size) {
    memory_ = data;
    memorySize_ = size;
  }
  void SetCallerGraphs(std::vector<GraphMeta> graphs) { callerGraphs_ = std::move(graphs); }
  // QNN_CONTEXT_CONFIG_PERSISTENT_BINARY: the backend may keep pointers into the binary,
  // which then stays mapped/pinned until Free(). Otherwise the backend copies what it
  // needs, and the mapping is closed as soon as contextCreateFromBinary returns.
  // kAuto: persistent when the provider's core API has the option (see
  // abi::kPersistentBinarySinceCoreMinor); if the backend refuses the config as
  // unsupported / invalid, create once more without it (copy path).
  enum class Persistence { kOff, kOn, kAuto };
  void SetPersistence(Persistence p) { persistence_ = p; }
  bool persistent() const { return persistent_; }
  // Why the persistent config was not used in kAuto mode ("" when it was, or not asked).
  const std::string& persistentNote() const { return persistentNote_; }
  // Maps, creates the context, reads the graphs and retrieves them. Worker thread.
  void Load();
  // Executes graph `index`; buffers are in the order of the graph's inputs/outputs. No
  // allocation on success: the graph's prebuilt tensors get the buffers' pointers.
  void Execute(size_t index, const IoBuffer* inputs, size_t numInputs, const IoBuffer* outputs, size_t numOutputs);
  // contextFree, then unmap. Idempotent. The caller makes sure nothing executes.
  void Free();

  bool freed() const { return freed_; }
  size_t mappedBytes() const { return mapping_.size(); }  // 0 once unmapped
  bool wasMapped() const { return wasMapped_; }
  uint64_t binarySize() const { return binarySize_; }
  const LoadTimings& timings() const { return timings_; }
  bool graphsFromSystem() const { return graphsFromSystem_; }
  std::string systemNote() const { return systemNote_; }
  std::vector<std::unique_ptr<GraphState>>& graphs() { return graphs_; }
  RuntimeState& runtime() { return *runtime_; }

  // Execution bookkeeping (for dispose and the exit hook).
  // `executing` counts threads inside Load/Execute; `closing` (exit hook) refuses new ones.
  std::atomic<int> executing{0};
  bool closing = false;
  std::mutex executingMutex;
  std::condition_variable executingDone;
  void WaitIdle();

  class Busy {
   public:
    explicit Busy(ContextState& s);  // throws DISPOSED when closing or freed
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    ContextState& s_;
  };

 private:
  std::shared_ptr<RuntimeState> runtime_;
  std::string path_;
  const void* memory_ = nullptr;
  size_t memorySize_ = 0;
  FileMapping mapping_;
  std::vector<GraphMeta> callerGraphs_;
  std::vector<std::unique_ptr<GraphState>> graphs_;
  Qnn_ContextHandle_t context_ = nullptr;
  LoadTimings timings_;
  bool graphsFromSystem_ = false;
  std::string systemNote_;
  bool freed_ = false;
  Persistence persistence_ = Persistence::kOff;
  bool persistent_ = false;
  std::string persistentNote_;
  bool wasMapped_ = false;
  uint64_t binarySize_ = 0;
};

// Maps a context binary file (FILE_NOT_FOUND / BINARY_INVALID when it cannot).
void MapBinary(FileMapping& mapping, const std::string& path);
// QnnSystem's binary info for a context binary, deep-copied (QnnSystem's memory is freed
// before returning). Needs rt.hasSystem.
std::vector<GraphMeta> ReadBinaryInfo(const RuntimeState& rt, const void* data, size_t size);

// Bytes of one element array: dtype bits × elements (4-bit packed: rounded up), 0 if unknown.
uint64_t TensorByteSize(uint32_t dataType, const std::vector<uint32_t>& dims);

}  // namespace qnn_node
