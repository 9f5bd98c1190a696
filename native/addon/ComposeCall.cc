#include "ComposeCall.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "qnn/qnn_abi_compat.h"

#include "ModelLibrary.h"

namespace qnn_node {
namespace {

// A by-value table of N pointers: classified like QNN_INTERFACE_VER_TYPE of N function
// pointers by every ABI (a struct of pointers larger than 16 bytes: memory on SysV x86_64,
// by hidden reference on Windows x64 and AArch64), so the compiler passes it the way the
// library's compiler expects the SDK's struct of that size.
template <uint32_t N>
struct Table {
  const void* slots[N];
};

template <uint32_t N>
ModelError_t CallWith(const ModelLibrary& lib, const void* const* slots, const ComposeArgs& a, GraphInfo_t*** graphs,
                      uint32_t* numGraphs) {
  Table<N> t;
  std::memcpy(t.slots, slots, sizeof t.slots);
  const bool debug = false;
  if (a.dlcPath) {
    using Fn = ModelError_t (*)(Qnn_BackendHandle_t, Table<N>, Qnn_ContextHandle_t, const GraphConfigInfo_t**, const char*,
                                const uint32_t, GraphInfo_t***, uint32_t*, bool, QnnLog_Callback_t, QnnLog_Level_t);
    return reinterpret_cast<Fn>(reinterpret_cast<void (*)()>(lib.composeFromDlc))(a.backend, t, a.context, a.configs, a.dlcPath, a.numConfigs, graphs,
                                                    numGraphs, debug, a.logCallback, a.maxLogLevel);
  }
  using Fn = ModelError_t (*)(Qnn_BackendHandle_t, Table<N>, Qnn_ContextHandle_t, const GraphConfigInfo_t**, const uint32_t,
                              GraphInfo_t***, uint32_t*, bool, QnnLog_Callback_t, QnnLog_Level_t);
  return reinterpret_cast<Fn>(reinterpret_cast<void (*)()>(lib.compose))(a.backend, t, a.context, a.configs, a.numConfigs, graphs, numGraphs, debug,
                                           a.logCallback, a.maxLogLevel);
}

// The table sizes of core 2.14 .. 2.32 (abi::kCoreSlotSinceMinor): the dispatcher's cases.
constexpr uint32_t kSlotCounts[] = {55, 56, 59, 62, 64, 66, 67, 68, 69, 71};

constexpr bool Listed(uint32_t n) {
  for (uint32_t c : kSlotCounts)
    if (c == n) return true;
  return false;
}
constexpr bool EveryMinorListed() {
  for (uint32_t minor = abi::kMinSupportedCoreMinor; minor <= abi::kNewestKnownCoreMinor + 8; ++minor)
    if (!Listed(abi::coreSlotCount(minor))) return false;
  return true;
}
static_assert(EveryMinorListed(), "a core minor the runtime accepts has a table size the dispatcher lacks");

// The session whose compose call runs on this thread (generated code calls back on it):
// preferred over a search, so that two compositions on one backend keep their own records.
thread_local ComposeSession* tCurrent = nullptr;

std::mutex& SessionsMutex() {
  static auto* m = new std::mutex();
  return *m;
}
std::vector<ComposeSession*>& Sessions() {
  static auto* v = new std::vector<ComposeSession*>();
  return *v;
}

// The forwarding functions: find the session by handle, call the backend, record failures.
// A handle of no live session (cannot happen for calls made through the table given) is
// refused as an invalid handle of that family.
Qnn_ErrorHandle_t ForwardValidateOpConfig(Qnn_BackendHandle_t backend, Qnn_OpConfig_t op) {
  ComposeSession* s = ComposeSession::ForBackend(backend);
  if (!s) return QNN_BACKEND_ERROR_INVALID_HANDLE;
  Qnn_ErrorHandle_t st = s->Real<QnnBackend_ValidateOpConfigFn_t>(abi::kBackendValidateOpConfig)(backend, op);
  if (st != QNN_SUCCESS) s->Record("backendValidateOpConfig", st);
  return st;
}

Qnn_ErrorHandle_t ForwardGraphCreate(Qnn_ContextHandle_t context, const char* name, const QnnGraph_Config_t** config,
                                     Qnn_GraphHandle_t* graph) {
  ComposeSession* s = ComposeSession::ForContext(context);
  if (!s) return QNN_CONTEXT_ERROR_INVALID_HANDLE;
  Qnn_ErrorHandle_t st = s->Real<QnnGraph_CreateFn_t>(abi::kGraphCreate)(context, name, config, graph);
  if (st != QNN_SUCCESS) s->Record("graphCreate", st);
  else if (graph) s->AddGraph(*graph);
  return st;
}

Qnn_ErrorHandle_t ForwardAddNode(Qnn_GraphHandle_t graph, Qnn_OpConfig_t op) {
  ComposeSession* s = ComposeSession::ForGraph(graph);
  if (!s) return QNN_GRAPH_ERROR_INVALID_HANDLE;
  Qnn_ErrorHandle_t st = s->Real<QnnGraph_AddNodeFn_t>(abi::kGraphAddNode)(graph, op);
  if (st != QNN_SUCCESS) s->Record("graphAddNode", st);
  return st;
}

Qnn_ErrorHandle_t ForwardCreateGraphTensor(Qnn_GraphHandle_t graph, Qnn_Tensor_t* tensor) {
  ComposeSession* s = ComposeSession::ForGraph(graph);
  if (!s) return QNN_TENSOR_ERROR_INVALID_HANDLE;
  Qnn_ErrorHandle_t st = s->Real<QnnTensor_CreateGraphTensorFn_t>(abi::kTensorCreateGraphTensor)(graph, tensor);
  if (st != QNN_SUCCESS) s->Record("tensorCreateGraphTensor", st);
  return st;
}

}  // namespace

ComposeSession::ComposeSession(const void* table, uint32_t slotCount, Qnn_BackendHandle_t backend, Qnn_ContextHandle_t context)
    : slots_(slotCount), real_(slotCount), backend_(backend), context_(context) {
  std::memcpy(real_.data(), table, slotCount * sizeof(void*));
  slots_ = real_;
  // Only slots the backend fills are interposed: NULL stays NULL ("not supported").
  auto interpose = [&](uint32_t slot, const void* fn) {
    if (slot < slotCount && real_[slot]) slots_[slot] = fn;
  };
  interpose(abi::kBackendValidateOpConfig, reinterpret_cast<const void*>(&ForwardValidateOpConfig));
  interpose(abi::kGraphCreate, reinterpret_cast<const void*>(&ForwardGraphCreate));
  interpose(abi::kGraphAddNode, reinterpret_cast<const void*>(&ForwardAddNode));
  interpose(abi::kTensorCreateGraphTensor, reinterpret_cast<const void*>(&ForwardCreateGraphTensor));
  std::lock_guard<std::mutex> lock(SessionsMutex());
  Sessions().push_back(this);
}

ComposeSession::~ComposeSession() {
  std::lock_guard<std::mutex> lock(SessionsMutex());
  auto& v = Sessions();
  v.erase(std::remove(v.begin(), v.end(), this), v.end());
}

ComposeSession* ComposeSession::ForBackend(Qnn_BackendHandle_t backend) {
  if (tCurrent && tCurrent->backend_ == backend) return tCurrent;
  std::lock_guard<std::mutex> lock(SessionsMutex());
  for (ComposeSession* s : Sessions())
    if (s->backend_ == backend) return s;
  return nullptr;
}

ComposeSession* ComposeSession::ForContext(Qnn_ContextHandle_t context) {
  std::lock_guard<std::mutex> lock(SessionsMutex());
  for (ComposeSession* s : Sessions())
    if (s->context_ == context) return s;
  return nullptr;
}

ComposeSession* ComposeSession::ForGraph(Qnn_GraphHandle_t graph) {
  std::lock_guard<std::mutex> lock(SessionsMutex());
  for (ComposeSession* s : Sessions())
    for (Qnn_GraphHandle_t g : s->graphs_)
      if (g == graph) return s;
  return nullptr;
}

void ComposeSession::Record(const char* function, Qnn_ErrorHandle_t status) {
  std::lock_guard<std::mutex> lock(SessionsMutex());
  lastFailure_ = static_cast<uint64_t>(status);
  lastFunction_ = function;
}

void ComposeSession::AddGraph(Qnn_GraphHandle_t graph) {
  std::lock_guard<std::mutex> lock(SessionsMutex());
  graphs_.push_back(graph);
}

ModelError_t ComposeSession::Call(const ModelLibrary& lib, const ComposeArgs& a, GraphInfo_t*** graphs, uint32_t* numGraphs) {
  struct Current {
    ComposeSession* previous = tCurrent;
    explicit Current(ComposeSession* s) { tCurrent = s; }
    ~Current() { tCurrent = previous; }
  } current(this);
  const void* const* t = slots_.data();
  switch (slots_.size()) {
    case 55: return CallWith<55>(lib, t, a, graphs, numGraphs);
    case 56: return CallWith<56>(lib, t, a, graphs, numGraphs);
    case 59: return CallWith<59>(lib, t, a, graphs, numGraphs);
    case 62: return CallWith<62>(lib, t, a, graphs, numGraphs);
    case 64: return CallWith<64>(lib, t, a, graphs, numGraphs);
    case 66: return CallWith<66>(lib, t, a, graphs, numGraphs);
    case 67: return CallWith<67>(lib, t, a, graphs, numGraphs);
    case 68: return CallWith<68>(lib, t, a, graphs, numGraphs);
    case 69: return CallWith<69>(lib, t, a, graphs, numGraphs);
    case 71: return CallWith<71>(lib, t, a, graphs, numGraphs);
    default: return MODEL_INVALID_ARGUMENT_ERROR;  // ComposeSlotCountSupported said no first
  }
}

bool ComposeSlotCountSupported(uint32_t slotCount) { return Listed(slotCount); }

std::string ModelErrorName(ModelError_t e) {
  switch (static_cast<uint32_t>(e)) {
    case MODEL_NO_ERROR: return "MODEL_NO_ERROR";
    case MODEL_TENSOR_ERROR: return "MODEL_TENSOR_ERROR";
    case MODEL_PARAMS_ERROR: return "MODEL_PARAMS_ERROR";
    case MODEL_NODES_ERROR: return "MODEL_NODES_ERROR";
    case MODEL_GRAPH_ERROR: return "MODEL_GRAPH_ERROR";
    case MODEL_CONTEXT_ERROR: return "MODEL_CONTEXT_ERROR";
    case MODEL_GENERATION_ERROR: return "MODEL_GENERATION_ERROR";
    case MODEL_SETUP_ERROR: return "MODEL_SETUP_ERROR";
    case MODEL_INVALID_ARGUMENT_ERROR: return "MODEL_INVALID_ARGUMENT_ERROR";
    case MODEL_FILE_ERROR: return "MODEL_FILE_ERROR";
    case MODEL_MEMORY_ALLOCATE_ERROR: return "MODEL_MEMORY_ALLOCATE_ERROR";
    case 11: return "MODEL_GRAPH_OP_VALIDATION_ERROR";  // newer SampleApps: backendValidateOpConfig refused a node
    case MODEL_UNKNOWN_ERROR: return "MODEL_UNKNOWN_ERROR";
  }
  return "ModelError_t " + std::to_string(static_cast<uint32_t>(e));
}

}  // namespace qnn_node
