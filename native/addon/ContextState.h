// ContextState: one QNN context (and the memory its binary lives in) and its graphs,
// free of Node-API. It throws CoreError.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ComposeCall.h"
#include "ContextConfigs.h"
#include "Mapping.h"
#include "ModelLibrary.h"
#include "RunOptions.h"
#include "RuntimeState.h"
#include "SharedBlocks.h"
#include "TensorMeta.h"

namespace qnn_node {

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

// What to compose instead of loading a binary (ContextCompose.cc).
struct ComposeRequest {
  std::string modelPath;  // a model library, or the DLC file
  bool dlc = false;
  std::vector<LibraryCandidate> dlcLibraries;  // where to look for libQnnModelDlc, in order
};

struct ComposeTimings {
  double composeMs = 0, finalizeMs = 0, totalMs = 0;
};

// One step of a composition, reported from the worker thread.
struct ComposeProgress {
  bool finalize = false;  // false: the compose call
  std::string graph;      // finalize: the graph
  uint32_t index = 0, count = 1;
  double elapsedMs = 0;
};
using ComposeProgressFn = std::function<void(const ComposeProgress&)>;

// One buffer for graphExecute, converted on the main thread (pointer + size).
// `block`: the live shared block (SharedBlocks.h) holding the buffer, kept alive by the
// caller for the run; the tensor then goes to the backend as a memhandle.
struct IoBuffer {
  void* data = nullptr;
  size_t size = 0;
  SharedBlock* block = nullptr;
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
  // Profile contextCreateFromBinary at this level (Profiling.h); the events: loadProfile().
  void SetLoadProfile(ProfileLevel level) { loadProfileLevel_ = level; }
  const ProfileResult& loadProfile() const { return loadProfile_; }
  void SetPersistence(Persistence p) { persistence_ = p; }
  // Context/graph configs (priorities, HTP custom configs, spill-fill group): sent at
  // contextCreateFromBinary and, per graph, through graphSetConfig after graphRetrieve.
  void SetConfigs(ContextConfigSpec configs) { configs_ = std::move(configs); }
  // The QNN context handle (null before Load and after Free); a spill-fill group's first
  // context hands it to the next ones.
  Qnn_ContextHandle_t handle() const { return context_; }
  bool persistent() const { return persistent_; }
  // Why the persistent config was not used in kAuto mode ("" when it was, or not asked).
  const std::string& persistentNote() const { return persistentNote_; }
  // Maps, creates the context, reads the graphs and retrieves them. Worker thread.
  void Load();
  // Model composition (ContextCompose.cc), instead of Load(): loads the model library (or
  // libQnnModelDlc), contextCreate with the configs, the compose call with the backend's
  // table by value, graphFinalize per graph (profiled at the load profile level), then the
  // graphs' metadata from the library's GraphInfo_t. Worker thread.
  void SetCompose(ComposeRequest request) { compose_.reset(new ComposeRequest(std::move(request))); }
  void Compose(const ComposeProgressFn& progress);
  bool composed() const { return compose_ != nullptr; }
  const ComposeTimings& composeTimings() const { return composeTimings_; }
  const std::string& modelLibraryPath() const { return modelLibraryPath_; }
  // contextGetBinarySize + contextGetBinary (ContextBinary.cc): the context serialized.
  // BINARY_SERIALIZE_UNSUPPORTED when the backend lacks the slots or answers 1000.
  std::vector<uint8_t> Serialize(double* serializeMs);
  // Executes graph `index`; buffers are in the order of the graph's inputs/outputs. No
  // allocation on success: the graph's prebuilt tensors get the buffers' pointers.
  void Execute(size_t index, const IoBuffer* inputs, size_t numInputs, const IoBuffer* outputs, size_t numOutputs,
               const RunOptions& options, RunResult* result);
  // contextFree, then unmap. Idempotent. The caller makes sure nothing executes.
  void Free();
  // Binary sections (BinarySections.cc): the mappings of sections
  // applied to a persistent context (the backend may keep pointers into them until
  // contextFree); one mapping per path.
  FileMapping* RetainedSection(const std::string& path);
  void RetainSection(const std::string& path, std::unique_ptr<FileMapping> mapping);

  bool freed() const { return freed_; }
  size_t mappedBytes() const { return mapping_.size(); }  // 0 once unmapped
  bool wasMapped() const { return wasMapped_; }
  uint64_t binarySize() const { return binarySize_; }
  const LoadTimings& timings() const { return timings_; }
  bool graphsFromSystem() const { return graphsFromSystem_; }
  std::string systemNote() const { return systemNote_; }
  std::vector<std::unique_ptr<GraphState>>& graphs() { return graphs_; }
  RuntimeState& runtime() { return *runtime_; }

  // The context's performance profile (loadContext perfProfile): voted while its graphs
  // run, unless a run names its own (PowerVotes.h).
  std::atomic<PerfProfile> perfProfile{PerfProfile::kUnset};

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
  void ExecuteProfiled(GraphState& g, ProfileLevel level, RunResult* result);
  // Points `t` at `buf`: a registered memhandle for a shared block, else a raw clientBuf.
  void BindBuffer(Qnn_Tensor_t& t, const IoBuffer& buf, const TensorMeta& meta);
  // The graph's prebuilt graphExecute tensors, from its metadata (after retrieve/finalize).
  void PrebuildTensors(GraphState& g);

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
  ContextConfigSpec configs_;
  ProfileLevel loadProfileLevel_ = ProfileLevel::kOff;
  ProfileResult loadProfile_;
  std::vector<std::pair<std::string, std::unique_ptr<FileMapping>>> sectionMappings_;
  SharedRegistrations shared_;  // memRegister handles of this context (deregistered in Free)
  // Composition: the request, then the library and its interposed table, which outlive
  // the context (generated code may keep static data and the table it was given).
  std::unique_ptr<ComposeRequest> compose_;
  std::unique_ptr<ModelLibrary> modelLibrary_;
  std::unique_ptr<ComposeSession> composeSession_;
  std::string modelLibraryPath_;
  ComposeTimings composeTimings_;
};

}  // namespace qnn_node
