// libQnnReference: graph construction through the QNN API — contextCreate, graphCreate,
// tensorCreateGraphTensor, graphAddNode, graphFinalize — what model libraries
// (QnnModel_composeGraphs) and QnnModelDlc call. A composed context holds the same Model a
// binary is parsed into: its nodes pass the parser's per-node checks (model_nodes.h),
// graphExecute runs them unchanged, and contextGetBinary writes them as "QNNREF01"
// (model_write.cc).
#include <chrono>
#include <cstring>
#include <memory>

#include "backend_api.h"
#include "backend_configs.h"
#include "backend_journal.h"
#include "backend_opconfig.h"
#include "backend_registry.h"
#include "model_nodes.h"

namespace qnnref {
namespace {

// Composition calls of one context exclude each other and any execution of its graphs:
// they grow the model (tensors, graphs) that executions read.
struct ComposeLock {
  std::unique_lock<std::mutex> context;
  std::vector<std::unique_lock<std::mutex>> graphs;
  explicit ComposeLock(ContextImpl* c) : context(c->composeMu) {
    for (auto& g : c->graphs) graphs.emplace_back(g->mu);
  }
};

const char* tensorTypeName(uint32_t t) {
  switch (t) {
    case kTypeAppWrite: return "APP_WRITE";
    case kTypeAppRead: return "APP_READ";
    case kTypeNative: return "NATIVE";
    case kTypeStatic: return "STATIC";
  }
  return "?";
}

std::string quantJson(const Quant& q) {
  if (q.encoding == kEncScaleOffset) return formatString("{\"encoding\":\"scale-offset\",\"scale\":%.9g,\"offset\":%d}", double(q.scale), q.offset);
  if (q.encoding == kEncAxisScaleOffset) {
    std::string s = formatString("{\"encoding\":\"axis-scale-offset\",\"axis\":%d,\"scales\":[", q.axis);
    for (size_t i = 0; i < q.scales.size(); ++i) s += (i ? "," : "") + formatString("%.9g", double(q.scales[i]));
    s += "],\"offsets\":[";
    for (size_t i = 0; i < q.offsets.size(); ++i) s += (i ? "," : "") + std::to_string(q.offsets[i]);
    return s + "]}";
  }
  return "null";
}

std::string dimsJson(const std::vector<uint32_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string namesJson(const Model& m, const std::vector<uint32_t>& idx) {
  std::string s = "[";
  for (size_t i = 0; i < idx.size(); ++i) s += (i ? "," : "") + jsonString(m.tensors[idx[i]].name);
  return s + "]";
}

// The live graph behind a handle, else the refusal with the caller's invalid-handle code.
Qnn_ErrorHandle_t lookupGraph(const char* fn, Qnn_GraphHandle_t graph, uint32_t invalidHandleCode, GraphImpl** out) {
  GraphImpl* g = lookup<GraphImpl>(graph, Kind::Graph);
  if (!g) return fail(anyLogger(), invalidHandleCode, std::string(fn) + ": invalid graph handle");
  *out = g;
  return QNN_SUCCESS;
}

}  // namespace

Qnn_ErrorHandle_t contextCreate(Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t device, const QnnContext_Config_t** config, Qnn_ContextHandle_t* context) {
  BackendImpl* b = lookup<BackendImpl>(backend, Kind::Backend);
  if (!b) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, "contextCreate: invalid backend handle");
  Logger* log = b->logger.get();
  QNNREF_INJECT("contextCreate", log);
  if (noDspEmulated() && !device) return fail(log, QNN_DEVICE_ERROR_INVALID_CONFIG, "Invalid config values");
  if (!context) return fail(log, QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "contextCreate: context out-pointer is NULL");
  ContextConfigRequest request;
  if (Qnn_ErrorHandle_t e = readContextConfigs("contextCreate", log, b->emu, config, &request)) return e;
  if (journalOn()) JournalEntry("contextCreate").raw("configs", request.journal).str("backendApi", versionString(b->emu.backend)).write();
  std::unique_ptr<ContextImpl> ctx(new ContextImpl());
  ctx->logger = b->logger;
  ctx->emu = b->emu;
  ctx->composed = true;
  ctx->model.description = "composed on the qnn-node reference backend";
  if (request.group) {
    if (Qnn_ErrorHandle_t e = joinSpillFillGroup("contextCreate", log, ctx.get(), request)) return e;
  }
  ContextImpl* raw = ctx.release();
  addHandle(raw, Kind::Context);
  *context = raw;
  logf(log, QNN_LOG_LEVEL_INFO, "context created for composition");
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t graphCreate(Qnn_ContextHandle_t context, const char* name, const QnnGraph_Config_t** config, Qnn_GraphHandle_t* graph) {
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_GRAPH_ERROR_INVALID_HANDLE, "graphCreate: invalid context handle");
  Logger* log = c->logger.get();
  QNNREF_INJECT("graphCreate", log);
  if (!graph) return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT, "graphCreate: graph out-pointer is NULL");
  if (!name || !*name) return fail(log, QNN_GRAPH_ERROR_INVALID_NAME, "graphCreate: the graph name is NULL or empty");
  if (!c->composed)
    return fail(log, QNN_COMMON_ERROR_OPERATION_NOT_PERMITTED,
                std::string("graphCreate: the context was created from a binary; graph '") + name + "' cannot be added to it");
  std::string journal;
  if (Qnn_ErrorHandle_t e = readGraphConfigs("graphCreate", log, c->emu, config, false, &journal)) return e;
  ComposeLock lock(c);
  Model& m = c->model;
  for (const Graph& g : m.graphs)
    if (g.name == name) return fail(log, QNN_GRAPH_ERROR_INVALID_NAME, std::string("graphCreate: the context already has a graph named '") + name + "'");
  std::unique_ptr<GraphImpl> g(new GraphImpl());
  g->ctx = c;
  g->index = uint32_t(m.graphs.size());
  g->finalized = false;
  g->compose.reset(new GraphCompose());
  Graph gr;
  gr.name = name;
  m.graphs.push_back(std::move(gr));
  GraphImpl* raw = g.get();
  c->graphs.push_back(std::move(g));
  addHandle(raw, Kind::Graph);
  *graph = raw;
  if (journalOn()) JournalEntry("graphCreate").str("graph", name).raw("configs", journal).str("backendApi", versionString(c->emu.backend)).write();
  logf(log, QNN_LOG_LEVEL_VERBOSE, "graph '%s' created", name);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t tensorCreateGraphTensor(Qnn_GraphHandle_t graph, Qnn_Tensor_t* tensor) {
  GraphImpl* g = nullptr;
  if (Qnn_ErrorHandle_t e = lookupGraph("tensorCreateGraphTensor", graph, QNN_TENSOR_ERROR_INVALID_HANDLE, &g)) return e;
  ContextImpl* c = g->ctx;
  Logger* log = c->logger.get();
  QNNREF_INJECT("tensorCreateGraphTensor", log);
  if (!tensor) return fail(log, QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "tensorCreateGraphTensor: tensor is NULL");
  ComposeLock lock(c);
  Model& m = c->model;
  const std::string gname = "graph '" + m.graphs[g->index].name + "'";
  if (g->finalized) return fail(log, QNN_GRAPH_ERROR_GRAPH_FINALIZED, "tensorCreateGraphTensor: " + gname + " is finalized");
  uint32_t version;
  std::memcpy(&version, tensor, 4);
  const bool v2Era = qnn_node::abi::atLeast(c->emu.core, 2, 14);
  if (version != QNN_TENSOR_VERSION_1 && !(v2Era && version == QNN_TENSOR_VERSION_2))
    return fail(log, QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM,
                formatString("tensorCreateGraphTensor: tensor version tag %u (this backend, core API %s, accepts %s)", version,
                             versionString(c->emu.core).c_str(), v2Era ? "1 or 2" : "1"));
  Qnn_TensorV1_t t = readClientTensor(tensor);
  if (!t.name || !*t.name) return fail(log, QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "tensorCreateGraphTensor: the tensor has no name");
  const std::string tn = std::string("tensor '") + t.name + "' of " + gname;
  auto refuse = [&](uint32_t code, const std::string& why) { return fail(log, code, "tensorCreateGraphTensor: " + tn + ": " + why); };
  uint32_t type = uint32_t(t.type);
  if (type == QNN_TENSOR_TYPE_APP_READWRITE) return refuse(QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "graph tensors cannot be APP_READWRITE");
  if (type != kTypeAppWrite && type != kTypeAppRead && type != kTypeNative && type != kTypeStatic)
    return refuse(QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM, formatString("tensor type %u (the reference takes APP_WRITE 0, APP_READ 1, NATIVE 3, STATIC 4)", type));
  if (g->compose->tensorNames.count(t.name)) return refuse(QNN_TENSOR_ERROR_ALREADY_EXISTS, "the graph already has a tensor of that name");
  TensorInfo info;
  uint32_t code = 0;
  std::string why;
  if (!tensorInfoFromClient(t, &info, &code, &why)) return refuse(code, why);
  if (type != kTypeStatic && info.bytes > 0xFFFFFFFFull) return refuse(QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM, "non-static tensors must be smaller than 4 GiB");
  std::unique_ptr<uint8_t[]> data;
  if (type == kTypeStatic) {
    if (t.memType != QNN_TENSORMEMTYPE_RAW) return refuse(QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM, formatString("a STATIC tensor with memType %u (RAW 0 only)", unsigned(t.memType)));
    if (!t.clientBuf.data || t.clientBuf.dataSize != info.bytes)
      return refuse(QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM,
                    formatString("a STATIC tensor needs its data: %llu bytes, got %u%s", (unsigned long long)info.bytes, t.clientBuf.dataSize,
                                 t.clientBuf.data ? "" : " (NULL data)"));
    try {
      data.reset(new uint8_t[info.bytes]);
    } catch (const std::bad_alloc&) {
      return refuse(QNN_COMMON_ERROR_MEM_ALLOC, "out of memory for its data");
    }
    std::memcpy(data.get(), t.clientBuf.data, info.bytes);  // the client may free its buffer now
  } else if (t.memType == QNN_TENSORMEMTYPE_RAW && t.clientBuf.data) {
    return refuse(QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, std::string(tensorTypeName(type)) + " tensors are created without data (clientBuf.data must be NULL)");
  }
  info.id = c->nextTensorId++;
  info.name = t.name;
  info.type = type;
  uint32_t idx = uint32_t(m.tensors.size());
  m.tensors.push_back(info);
  m.indexById[info.id] = idx;
  c->composedStatic.push_back(std::move(data));
  g->compose->tensorById[info.id] = idx;
  g->compose->tensorNames.insert(info.name);
  Graph& gr = m.graphs[g->index];
  if (type == kTypeAppWrite) gr.inputs.push_back(idx);
  if (type == kTypeAppRead) gr.outputs.push_back(idx);
  // QNN writes the assigned id back into the client's tensor (V1 and V2 alike: at +8).
  std::memcpy(reinterpret_cast<uint8_t*>(tensor) + qnn_node::abi::kTensorUnionOffset, &info.id, 4);
  if (journalOn()) {
    JournalEntry("tensorCreateGraphTensor")
        .str("graph", gr.name)
        .str("name", info.name)
        .num("id", info.id)
        .str("type", tensorTypeName(type))
        .str("dtype", dtypeName(info.dataType))
        .raw("dims", dimsJson(info.dims))
        .raw("quant", quantJson(info.quant))
        .u64("staticBytes", type == kTypeStatic ? info.bytes : 0)
        .write();
  }
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t graphAddNode(Qnn_GraphHandle_t graph, Qnn_OpConfig_t opConfig) {
  GraphImpl* g = nullptr;
  if (Qnn_ErrorHandle_t e = lookupGraph("graphAddNode", graph, QNN_GRAPH_ERROR_INVALID_HANDLE, &g)) return e;
  ContextImpl* c = g->ctx;
  Logger* log = c->logger.get();
  QNNREF_INJECT("graphAddNode", log);
  ComposeLock lock(c);
  Model& m = c->model;
  Graph& gr = m.graphs[g->index];
  const std::string gname = "graph '" + gr.name + "'";
  if (g->finalized) return fail(log, QNN_GRAPH_ERROR_GRAPH_FINALIZED, "graphAddNode: " + gname + " is finalized");
  OpRequest req;
  std::string why;
  OpProblem problem = readOpConfig(opConfig, c->emu.core, &req, &why);
  const std::string where = gname + " node '" + req.name + "'" + (req.typeName.empty() ? "" : " (" + req.typeName + ")");
  if (problem != OpProblem::kNone) return fail(log, QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "graphAddNode: " + where + ": " + why);
  if (g->compose->nodeNames.count(req.name)) return fail(log, QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "graphAddNode: " + where + ": the graph already has a node of that name");
  Node n;
  n.op = req.op;
  n.opName = req.typeName;
  n.name = req.name;
  n.params = req.params;
  // The tensors are named by their ids only (QNN: the other fields are ignored).
  auto resolve = [&](const Qnn_TensorV1_t& t, const char* role, uint32_t k, uint32_t* idx) -> Qnn_ErrorHandle_t {
    auto it = g->compose->tensorById.find(t.id);
    if (it != g->compose->tensorById.end()) {
      *idx = it->second;
      return QNN_SUCCESS;
    }
    bool elsewhere = m.indexById.count(t.id) != 0;
    return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR,
                formatString("graphAddNode: %s: %s #%u has id %u, %s", where.c_str(), role, k, t.id,
                             elsewhere ? "a tensor of another graph" : "which no tensorCreateGraphTensor of this graph returned"));
  };
  std::vector<uint32_t> newlyProduced;
  for (uint32_t k = 0; k < req.inputs.size(); ++k) {
    uint32_t idx = 0;
    if (Qnn_ErrorHandle_t e = resolve(req.inputs[k], "input", k, &idx)) return e;
    const TensorInfo& t = m.tensors[idx];
    bool available = t.type == kTypeStatic || t.type == kTypeAppWrite || g->compose->produced.count(idx);
    if (!available)
      return fail(log, QNN_GRAPH_ERROR_UNCONNECTED_NODE,
                  "graphAddNode: " + where + ": input '" + t.name + "' (" + tensorTypeName(t.type) + ") is not produced by an earlier node (nodes must be added in dependency order)");
    n.inputs.push_back(idx);
  }
  for (uint32_t k = 0; k < req.outputs.size(); ++k) {
    uint32_t idx = 0;
    if (Qnn_ErrorHandle_t e = resolve(req.outputs[k], "output", k, &idx)) return e;
    const TensorInfo& t = m.tensors[idx];
    if (t.type != kTypeNative && t.type != kTypeAppRead)
      return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, "graphAddNode: " + where + ": output '" + t.name + "' is " + tensorTypeName(t.type) + " (outputs are NATIVE or APP_READ)");
    bool twice = g->compose->produced.count(idx) != 0;
    for (uint32_t p : newlyProduced) twice = twice || p == idx;
    if (twice) return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, "graphAddNode: " + where + ": output '" + t.name + "' is produced twice");
    newlyProduced.push_back(idx);
    n.outputs.push_back(idx);
  }
  std::string error;
  if (!checkParamNames(n, where, &error) || !validateNode(m, n, where, &error)) return fail(log, QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "graphAddNode: " + error);
  for (uint32_t idx : newlyProduced) {
    g->compose->produced.insert(idx);
    if (m.tensors[idx].type == kTypeNative) gr.natives.push_back(idx);
  }
  g->compose->nodeNames.insert(n.name);
  if (journalOn()) {
    JournalEntry("graphAddNode")
        .str("graph", gr.name)
        .str("name", n.name)
        .str("package", req.packageName)
        .str("type", n.opName)
        .raw("inputs", namesJson(m, n.inputs))
        .raw("outputs", namesJson(m, n.outputs))
        .raw("params", req.journalParams)
        .write();
  }
  gr.nodes.push_back(std::move(n));
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t graphFinalize(Qnn_GraphHandle_t graph, Qnn_ProfileHandle_t profile, Qnn_SignalHandle_t) {
  auto t0 = std::chrono::steady_clock::now();
  GraphImpl* g = nullptr;
  if (Qnn_ErrorHandle_t e = lookupGraph("graphFinalize", graph, QNN_GRAPH_ERROR_INVALID_HANDLE, &g)) return e;
  ContextImpl* c = g->ctx;
  Logger* log = c->logger.get();
  QNNREF_INJECT("graphFinalize", log);
  ComposeLock lock(c);
  Model& m = c->model;
  Graph& gr = m.graphs[g->index];
  const std::string gname = "graph '" + gr.name + "'";
  if (g->finalized) {
    // A graph of a binary, or one finalized before: nothing left to prepare.
    if (journalOn()) JournalEntry("graphFinalize").str("graph", gr.name).boolean("alreadyFinalized", true).write();
    return QNN_SUCCESS;
  }
  auto refuse = [&](const std::string& why) { return fail(log, QNN_GRAPH_ERROR_FINALIZE_FAILED, "graphFinalize: " + gname + " " + why); };
  if (gr.nodes.empty()) return refuse("has no nodes");
  if (gr.outputs.empty()) return refuse("has no APP_READ (output) tensor");
  for (uint32_t idx : gr.outputs)
    if (!g->compose->produced.count(idx)) return refuse("output '" + m.tensors[idx].name + "' is never produced by a node");
  for (size_t k = 0; k < gr.inputs.size(); ++k) g->inputPos[m.tensors[gr.inputs[k]].id] = k;
  for (size_t k = 0; k < gr.outputs.size(); ++k) g->outputPos[m.tensors[gr.outputs[k]].id] = k;
  // The executor's budget counts the binary's bytes: for a composed context, its static data.
  uint64_t staticBytes = 0;
  for (const TensorInfo& t : m.tensors)
    if (t.type == kTypeStatic) staticBytes += t.bytes;
  m.fileSize = staticBytes;
  g->finalized = true;
  if (journalOn()) {
    JournalEntry("graphFinalize")
        .str("graph", gr.name)
        .raw("inputs", namesJson(m, gr.inputs))
        .raw("outputs", namesJson(m, gr.outputs))
        .num("nodes", double(gr.nodes.size()))
        .num("natives", double(gr.natives.size()))
        .write();
  }
  logf(log, QNN_LOG_LEVEL_VERBOSE, "graph '%s' finalized: %zu input(s), %zu output(s), %zu node(s)", gr.name.c_str(), gr.inputs.size(), gr.outputs.size(),
       gr.nodes.size());
  QnnProfile_EventId_t event = recordEvent(profile, QNN_PROFILE_EVENTTYPE_FINALIZE, microsSince(t0), "graphFinalize", t0);
  if (event && profileLevel(profile) == QNN_PROFILE_LEVEL_DETAILED)
    recordSubEvent(event, QNN_PROFILE_EVENTTYPE_FINALIZE, QNN_PROFILE_EVENTUNIT_COUNT, gr.nodes.size(), "graph '" + gr.name + "' nodes", t0);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t serializeComposed(const char* fn, ContextImpl* c, std::vector<uint8_t>* out) {
  Logger* log = c->logger.get();
  std::lock_guard<std::mutex> lock(c->composeMu);
  for (auto& g : c->graphs)
    if (!g->finalized)
      return fail(log, QNN_CONTEXT_ERROR_NOT_FINALIZED, std::string(fn) + ": graph '" + c->model.graphs[g->index].name + "' is not finalized");
  const uint32_t failed = std::strcmp(fn, "contextGetBinarySize") == 0 ? QNN_CONTEXT_ERROR_GET_BINARY_SIZE_FAILED : QNN_CONTEXT_ERROR_GET_BINARY_FAILED;
  if (c->graphs.empty()) return fail(log, failed, std::string(fn) + ": the context has no graphs to serialize");
  std::vector<const uint8_t*> data(c->composedStatic.size());
  for (size_t i = 0; i < data.size(); ++i) data[i] = c->staticData(uint32_t(i));
  std::string error;
  try {
    if (!serializeModel(c->model, data, out, &error)) return fail(log, failed, std::string(fn) + ": " + error);
  } catch (const std::bad_alloc&) {
    return fail(log, QNN_CONTEXT_ERROR_MEM_ALLOC, std::string(fn) + ": out of memory");
  }
  return QNN_SUCCESS;
}

}  // namespace qnnref
