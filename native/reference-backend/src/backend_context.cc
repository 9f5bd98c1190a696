// libQnnReference: contexts created from binaries (copied or zero-copy), the binary
// written back, and retrieving a context's graphs.
#include <cstdlib>
#include <cstring>
#include <memory>

#include "backend_api.h"
#include "backend_configs.h"
#include "backend_journal.h"
#include "backend_mem.h"
#include "backend_registry.h"

namespace qnnref {
namespace {

Qnn_ErrorHandle_t loadContext(const char* fn, Qnn_BackendHandle_t backend, const QnnContext_Config_t** config, const void* buffer,
                              Qnn_ContextBinarySize_t size, Qnn_ContextHandle_t* context, Qnn_ProfileHandle_t profile, bool validateOnly) {
  auto t0 = std::chrono::steady_clock::now();
  BackendImpl* b = lookup<BackendImpl>(backend, Kind::Backend);
  if (!b) return fail(anyLogger(), QNN_BACKEND_ERROR_INVALID_HANDLE, std::string(fn) + ": invalid backend handle");
  Logger* log = b->logger.get();
  QNNREF_INJECT(fn, log);
  if (!buffer || size == 0) return fail(log, QNN_CONTEXT_ERROR_INVALID_ARGUMENT, std::string(fn) + ": binary buffer is NULL or empty");
  if (!validateOnly && !context) return fail(log, QNN_CONTEXT_ERROR_INVALID_ARGUMENT, std::string(fn) + ": context out-pointer is NULL");
  ContextConfigRequest request;
  Qnn_ErrorHandle_t configStatus = readContextConfigs(fn, log, b->emu, config, &request);
  if (configStatus != QNN_SUCCESS) return configStatus;
  if (!validateOnly && journalOn()) JournalEntry(fn).raw("configs", request.journal).str("backendApi", versionString(b->emu.backend)).write();
  bool zeroCopy = request.zeroCopy;
  std::unique_ptr<ContextImpl> ctx(new ContextImpl());
  const auto* bytes = static_cast<const uint8_t*>(buffer);
  std::string error;
  ParseStatus st = parseModel(bytes, size, &ctx->model, &error);
  if (st == ParseStatus::kBadVersion) return fail(log, QNN_CONTEXT_ERROR_BINARY_VERSION, std::string(fn) + ": " + error);
  if (st != ParseStatus::kOk) return fail(log, QNN_CONTEXT_ERROR_CREATE_FROM_BINARY, std::string(fn) + ": invalid binary: " + error);
  // Like a real backend, refuse a binary whose producer SDK is newer than the emulated one
  // (the backend API minor is the SDK minor, as for libQnnHtp).
  uint32_t producerMinor = producerSdkMinor(ctx->model.producer);
  if (producerMinor > b->emu.backend.minor) {
    return fail(log, QNN_CONTEXT_ERROR_CREATE_FROM_BINARY,
                std::string(fn) + ": the binary was made by " + ctx->model.producer + ", newer than this backend (SDK 2." +
                    std::to_string(b->emu.backend.minor) + ")");
  }
  if (validateOnly) return QNN_SUCCESS;
  Model& m = ctx->model;
  ctx->logger = b->logger;
  ctx->emu = b->emu;
  ctx->zeroCopy = zeroCopy;
  try {
    ctx->head.assign(bytes, bytes + m.dataOffset);
    ctx->tail.assign(bytes + m.dataOffset + m.dataSize, bytes + m.fileSize);
    if (zeroCopy || m.dataSize == 0) {
      ctx->data = bytes + m.dataOffset;
    } else {
      ctx->ownedData.reset(new uint8_t[m.dataSize]);
      std::memcpy(ctx->ownedData.get(), bytes + m.dataOffset, m.dataSize);
      ctx->data = ctx->ownedData.get();
    }
    for (uint32_t gi = 0; gi < m.graphs.size(); ++gi) {
      std::unique_ptr<GraphImpl> g(new GraphImpl());
      g->ctx = ctx.get();
      g->index = gi;
      const Graph& gr = m.graphs[gi];
      for (size_t k = 0; k < gr.inputs.size(); ++k) g->inputPos[m.tensors[gr.inputs[k]].id] = k;
      for (size_t k = 0; k < gr.outputs.size(); ++k) g->outputPos[m.tensors[gr.outputs[k]].id] = k;
      ctx->graphs.push_back(std::move(g));
    }
  } catch (const std::bad_alloc&) {
    return fail(log, QNN_CONTEXT_ERROR_MEM_ALLOC, std::string(fn) + ": out of memory");
  }
  uint64_t staticBytes = 0;
  for (const auto& t : m.tensors) if (t.type == kTypeStatic) staticBytes += t.bytes;
  logf(log, QNN_LOG_LEVEL_INFO, "context loaded: %zu graph(s), %zu tensor(s), %llu bytes of static data (%s)", m.graphs.size(), m.tensors.size(),
       (unsigned long long)staticBytes, zeroCopy ? "zero-copy: the client keeps the buffer alive" : "copied");
  for (const auto& g : m.graphs)
    logf(log, QNN_LOG_LEVEL_VERBOSE, "graph '%s': %zu input(s), %zu output(s), %zu node(s)", g.name.c_str(), g.inputs.size(), g.outputs.size(), g.nodes.size());
  if (request.group) {
    Qnn_ErrorHandle_t groupStatus = joinSpillFillGroup(fn, log, ctx.get(), request);
    if (groupStatus != QNN_SUCCESS) return groupStatus;
  }
  ContextImpl* raw = ctx.release();
  addHandle(raw, Kind::Context);
  for (auto& g : raw->graphs) addHandle(g.get(), Kind::Graph);
  *context = raw;
  QnnProfile_EventId_t event = recordEvent(profile, QNN_PROFILE_EVENTTYPE_INIT, microsSince(t0), "contextCreateFromBinary", t0);
  // Detailed: what the load consisted of, one sub-event each (parse+copy, then per graph).
  if (event && profileLevel(profile) == QNN_PROFILE_LEVEL_DETAILED) {
    recordSubEvent(event, QNN_PROFILE_EVENTTYPE_INIT, QNN_PROFILE_EVENTUNIT_BYTES, m.dataSize, zeroCopy ? "static data (zero-copy)" : "static data (copied)", t0);
    for (const auto& g : m.graphs)
      recordSubEvent(event, QNN_PROFILE_EVENTTYPE_INIT, QNN_PROFILE_EVENTUNIT_COUNT, g.nodes.size(), "graph '" + g.name + "' nodes", t0);
  }
  return QNN_SUCCESS;
}

}  // namespace

Qnn_ErrorHandle_t contextCreateFromBinary(Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t device, const QnnContext_Config_t** config, const void* buffer,
                                          Qnn_ContextBinarySize_t size, Qnn_ContextHandle_t* context, Qnn_ProfileHandle_t profile) {
  injectedDelay("contextCreateFromBinary");
  // What the real libQnnHtp answers when it was created without a device on a machine
  // whose DSP it cannot reach: the device family's "invalid config" and nothing more.
  if (noDspEmulated() && !device) return fail(anyLogger(), QNN_DEVICE_ERROR_INVALID_CONFIG, "Invalid config values");
  return loadContext("contextCreateFromBinary", backend, config, buffer, size, context, profile, false);
}

Qnn_ErrorHandle_t contextValidateBinary(Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t, const QnnContext_Config_t** config, const void* buffer,
                                        Qnn_ContextBinarySize_t size) {
  return loadContext("contextValidateBinary", backend, config, buffer, size, nullptr, nullptr, true);
}

namespace {

// QNN_REFERENCE_CONTEXT_BINARY=unsupported: contextGetBinarySize / contextGetBinary answer
// QNN_COMMON_ERROR_NOT_SUPPORTED (1000), as QnnCpu does: a backend that cannot serialize
// (read per call).
bool serializeUnsupported() {
  const char* env = knobsApply() ? std::getenv("QNN_REFERENCE_CONTEXT_BINARY") : nullptr;
  return env && std::strcmp(env, "unsupported") == 0;
}

std::string graphNamesJson(const ContextImpl* c) {
  std::string s = "[";
  for (size_t i = 0; i < c->model.graphs.size(); ++i) s += (i ? "," : "") + jsonString(c->model.graphs[i].name);
  return s + "]";
}

}  // namespace

Qnn_ErrorHandle_t contextGetBinarySize(Qnn_ContextHandle_t context, Qnn_ContextBinarySize_t* size) {
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, "contextGetBinarySize: invalid context handle");
  QNNREF_INJECT("contextGetBinarySize", c->logger.get());
  if (serializeUnsupported())
    return fail(c->logger.get(), QNN_COMMON_ERROR_NOT_SUPPORTED, "contextGetBinarySize: this backend cannot serialize contexts (QNN_REFERENCE_CONTEXT_BINARY=unsupported)");
  if (!size) return fail(c->logger.get(), QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "contextGetBinarySize: size out-pointer is NULL");
  if (c->composed) {
    std::vector<uint8_t> bytes;
    if (Qnn_ErrorHandle_t e = serializeComposed("contextGetBinarySize", c, &bytes)) return e;
    *size = bytes.size();
    return QNN_SUCCESS;
  }
  *size = c->model.fileSize;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t contextGetBinary(Qnn_ContextHandle_t context, void* buffer, Qnn_ContextBinarySize_t size, Qnn_ContextBinarySize_t* written) {
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, "contextGetBinary: invalid context handle");
  QNNREF_INJECT("contextGetBinary", c->logger.get());
  if (serializeUnsupported())
    return fail(c->logger.get(), QNN_COMMON_ERROR_NOT_SUPPORTED, "contextGetBinary: this backend cannot serialize contexts (QNN_REFERENCE_CONTEXT_BINARY=unsupported)");
  if (!buffer || !written) return fail(c->logger.get(), QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "contextGetBinary: NULL buffer or out-pointer");
  auto* out = static_cast<uint8_t*>(buffer);
  uint64_t need = c->model.fileSize;
  std::vector<uint8_t> composed;
  if (c->composed) {
    if (Qnn_ErrorHandle_t e = serializeComposed("contextGetBinary", c, &composed)) return e;
    need = composed.size();
  }
  if (size < need)
    return fail(c->logger.get(), QNN_CONTEXT_ERROR_GET_BINARY_FAILED,
                formatString("contextGetBinary: buffer has %llu bytes, the binary needs %llu", (unsigned long long)size, (unsigned long long)need));
  if (c->composed) {
    std::memcpy(out, composed.data(), composed.size());
  } else {
    std::memcpy(out, c->head.data(), c->head.size());
    if (c->model.dataSize) std::memcpy(out + c->model.dataOffset, c->data, c->model.dataSize);
    if (!c->tail.empty()) std::memcpy(out + c->model.dataOffset + c->model.dataSize, c->tail.data(), c->tail.size());
  }
  *written = need;
  if (journalOn()) JournalEntry("contextGetBinary").u64("bytes", need).boolean("composed", c->composed).raw("graphs", graphNamesJson(c)).write();
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t contextFree(Qnn_ContextHandle_t context, Qnn_ProfileHandle_t profile) {
  auto t0 = std::chrono::steady_clock::now();
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, "contextFree: invalid context handle");
  QNNREF_INJECT("contextFree", c->logger.get());
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (!isHandle(c, Kind::Context)) return QNN_CONTEXT_ERROR_INVALID_HANDLE;
    g_handles.erase(c);
    for (auto& g : c->graphs) g_handles.erase(g.get());
  }
  {
    // Executions already running on this context finish first (new ones cannot start:
    // its graph handles are gone), so a zero-copy client may free its buffer afterwards.
    std::unique_lock<std::mutex> lock(g_mu);
    g_idle.wait(lock, [c] { return c->inflight == 0; });
  }
  leaveSpillFillGroup(c);
  // Registrations a client did not deregister die with their context (their handles then
  // read as unregistered); a well-behaved client deregisters first.
  if (size_t left = releaseContextMem(c))
    logf(c->logger.get(), QNN_LOG_LEVEL_WARN, "contextFree: %zu memory handle(s) were still registered; released with the context", left);
  if (journalOn()) JournalEntry("contextFree").num("graphs", c->graphs.size()).write();
  logf(c->logger.get(), QNN_LOG_LEVEL_INFO, "context freed");
  delete c;
  recordEvent(profile, QNN_PROFILE_EVENTTYPE_DEINIT, microsSince(t0), "contextFree", t0);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t graphRetrieve(Qnn_ContextHandle_t context, const char* name, Qnn_GraphHandle_t* graph) {
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, "graphRetrieve: invalid context handle");
  Logger* log = c->logger.get();
  QNNREF_INJECT("graphRetrieve", log);
  if (!name || !graph) return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT, "graphRetrieve: NULL graph name or out-pointer");
  for (auto& g : c->graphs) {
    if (c->model.graphs[g->index].name == name) {
      *graph = g.get();
      return QNN_SUCCESS;
    }
  }
  std::string names;
  for (const auto& g : c->model.graphs) names += (names.empty() ? "'" : ", '") + g.name + "'";
  return fail(log, QNN_GRAPH_ERROR_INVALID_NAME, std::string("graphRetrieve: no graph named '") + name + "' (the context has " + names + ")");
}

}  // namespace qnnref
