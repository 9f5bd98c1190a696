// libQnnReference: binary sections (core 2.18+ slots 59-61) — applying new data to a
// context's updatable STATIC tensors (LoRA adapters) and reading the current data back,
// in the "QNNRSEC1" format (section.h, docs/reference-backend.md).
#include <cstring>
#include <memory>

#include "backend_api.h"
#include "backend_journal.h"
#include "backend_registry.h"
#include "section.h"

namespace qnnref {
namespace {

// Holds every graph's execution lock of a context (index order; graphExecute takes only
// its own), so section data never changes under a running graph.
class AllGraphsLocked {
 public:
  explicit AllGraphsLocked(ContextImpl* c) {
    for (auto& g : c->graphs) locks_.emplace_back(g->mu);
  }

 private:
  std::vector<std::unique_lock<std::mutex>> locks_;
};

// Resolves the optional graph handle: -1 for NULL, its index, or -2 when it is not a graph
// of `c`.
int64_t graphIndex(ContextImpl* c, Qnn_GraphHandle_t graph) {
  if (!graph) return -1;
  GraphImpl* g = lookup<GraphImpl>(graph, Kind::Graph);
  if (!g || g->ctx != c) return -2;
  return g->index;
}

std::string tensorNamesJson(const Model& m, const std::vector<uint32_t>& tensors) {
  std::string out = "[";
  for (size_t k = 0; k < tensors.size(); ++k) out += (k ? "," : "") + jsonString(m.tensors[tensors[k]].name);
  return out + "]";
}

}  // namespace

Qnn_ErrorHandle_t contextApplyBinarySection(Qnn_ContextHandle_t context, Qnn_GraphHandle_t graph, QnnContext_SectionType_t section,
                                            const QnnContext_Buffer_t* buffer, Qnn_ProfileHandle_t profile, Qnn_SignalHandle_t) {
  const char* fn = "contextApplyBinarySection";
  auto t0 = std::chrono::steady_clock::now();
  injectedDelay(fn);
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, std::string(fn) + ": invalid context handle");
  Logger* log = c->logger.get();
  QNNREF_INJECT(fn, log);
  const Model& m = c->model;
  int64_t gi = graphIndex(c, graph);
  JournalEntry journal(fn);
  journal.str("graph", gi >= 0 ? m.graphs[size_t(gi)].name : "").num("sectionType", double(section));
  auto refuse = [&](uint32_t code, const std::string& why) {
    journal.u64("sectionBytes", buffer && buffer->version == QNN_CONTEXT_BUFFER_VERSION_1 ? buffer->v1.binaryBuf.dataSize : 0)
        .raw("tensors", "[]")
        .boolean("ok", false)
        .str("error", why)
        .write();
    return fail(log, code, std::string(fn) + ": " + why);
  };
  if (gi == -2) return refuse(QNN_CONTEXT_ERROR_INVALID_HANDLE, "the graph handle is not a graph of this context");
  if (section != QNN_CONTEXT_SECTION_UPDATABLE)
    return refuse(QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE, "section type " + std::to_string(uint32_t(section)) + " is not supported (only QNN_CONTEXT_SECTION_UPDATABLE, 1)");
  if (!buffer) return refuse(QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "the section buffer is NULL");
  if (buffer->version != QNN_CONTEXT_BUFFER_VERSION_1)
    return refuse(QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "section buffer version " + std::to_string(uint32_t(buffer->version)) + " is not 1");
  if (buffer->v1.memType != QNN_CONTEXTMEMTYPE_RAW)
    return refuse(QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE, "section memType " + std::to_string(uint32_t(buffer->v1.memType)) + " is not supported (only RAW, 0)");
  const auto* bytes = static_cast<const uint8_t*>(buffer->v1.binaryBuf.data);
  uint64_t size = buffer->v1.binaryBuf.dataSize;
  if (!bytes || size == 0) return refuse(QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "the section buffer is NULL or empty");
  Section parsed;
  std::string error;
  std::vector<uint32_t> tensors;
  if (!parseSection(bytes, size, &parsed, &error)) return refuse(QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "invalid section: " + error);
  if (parsed.sectionType != kSectionTypeUpdatable)
    return refuse(QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "the section holds type " + std::to_string(parsed.sectionType) + ", not QNN_CONTEXT_SECTION_UPDATABLE");
  if (!checkSectionAgainst(parsed, m, gi, &tensors, &error)) return refuse(QNN_CONTEXT_ERROR_INVALID_ARGUMENT, error);
  // Copies first (a failure leaves the context as it was), then swap under the locks.
  std::vector<std::unique_ptr<uint8_t[]>> copies(tensors.size());
  try {
    if (!c->zeroCopy) {
      for (size_t k = 0; k < tensors.size(); ++k) {
        copies[k].reset(new uint8_t[parsed.entries[k].dataSize ? parsed.entries[k].dataSize : 1]);
        std::memcpy(copies[k].get(), bytes + parsed.entries[k].dataOffset, parsed.entries[k].dataSize);
      }
    }
    AllGraphsLocked locked(c);
    c->sectionData.resize(m.tensors.size(), nullptr);
    c->sectionCopies.resize(m.tensors.size());
    for (size_t k = 0; k < tensors.size(); ++k) {
      uint32_t idx = tensors[k];
      if (c->zeroCopy) {
        c->sectionData[idx] = bytes + parsed.entries[k].dataOffset;
        c->sectionCopies[idx].reset();
      } else {
        c->sectionData[idx] = copies[k].get();
        c->sectionCopies[idx] = std::move(copies[k]);
      }
    }
  } catch (const std::bad_alloc&) {
    return refuse(QNN_CONTEXT_ERROR_MEM_ALLOC, "out of memory for the section's data");
  }
  journal.u64("sectionBytes", size).raw("tensors", tensorNamesJson(m, tensors)).boolean("zeroCopy", c->zeroCopy).boolean("ok", true).write();
  logf(log, QNN_LOG_LEVEL_INFO, "binary section applied%s%s: %zu tensor(s), %llu bytes (%s)", gi >= 0 ? " to graph " : "",
       gi >= 0 ? m.graphs[size_t(gi)].name.c_str() : "", tensors.size(), (unsigned long long)size,
       c->zeroCopy ? "zero-copy: the client keeps the section alive" : "copied");
  recordEvent(profile, QNN_PROFILE_EVENTTYPE_EXECUTE, microsSince(t0), fn, t0);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t contextGetBinarySectionSize(Qnn_ContextHandle_t context, Qnn_GraphHandle_t graph, QnnContext_SectionType_t section,
                                              Qnn_ContextBinarySize_t* size) {
  const char* fn = "contextGetBinarySectionSize";
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, std::string(fn) + ": invalid context handle");
  Logger* log = c->logger.get();
  QNNREF_INJECT(fn, log);
  int64_t gi = graphIndex(c, graph);
  if (gi == -2) return fail(log, QNN_CONTEXT_ERROR_INVALID_HANDLE, std::string(fn) + ": the graph handle is not a graph of this context");
  if (section != QNN_CONTEXT_SECTION_UPDATABLE) return fail(log, QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE, std::string(fn) + ": only QNN_CONTEXT_SECTION_UPDATABLE (1) is supported");
  if (!size) return fail(log, QNN_CONTEXT_ERROR_INVALID_ARGUMENT, std::string(fn) + ": size out-pointer is NULL");
  std::vector<uint32_t> tensors = updatableTensors(c->model, gi);
  if (tensors.empty()) return fail(log, QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE, std::string(fn) + ": the binary has no updatable tensors here");
  *size = sectionSizeFor(c->model, tensors, gi >= 0 ? c->model.graphs[size_t(gi)].name : "");
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t contextGetBinarySection(Qnn_ContextHandle_t context, Qnn_GraphHandle_t graph, QnnContext_SectionType_t section,
                                          const QnnContext_Buffer_t* buffer, Qnn_ContextBinarySize_t* written, Qnn_ProfileHandle_t,
                                          Qnn_SignalHandle_t) {
  const char* fn = "contextGetBinarySection";
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, std::string(fn) + ": invalid context handle");
  Logger* log = c->logger.get();
  QNNREF_INJECT(fn, log);
  int64_t gi = graphIndex(c, graph);
  if (gi == -2) return fail(log, QNN_CONTEXT_ERROR_INVALID_HANDLE, std::string(fn) + ": the graph handle is not a graph of this context");
  if (section != QNN_CONTEXT_SECTION_UPDATABLE) return fail(log, QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE, std::string(fn) + ": only QNN_CONTEXT_SECTION_UPDATABLE (1) is supported");
  if (!buffer || !written || buffer->version != QNN_CONTEXT_BUFFER_VERSION_1 || buffer->v1.memType != QNN_CONTEXTMEMTYPE_RAW ||
      !buffer->v1.binaryBuf.data)
    return fail(log, QNN_CONTEXT_ERROR_INVALID_ARGUMENT, std::string(fn) + ": NULL out-pointer or not a version-1 RAW buffer");
  const Model& m = c->model;
  std::vector<uint32_t> tensors = updatableTensors(m, gi);
  if (tensors.empty()) return fail(log, QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE, std::string(fn) + ": the binary has no updatable tensors here");
  std::string gname = gi >= 0 ? m.graphs[size_t(gi)].name : "";
  uint64_t need = sectionSizeFor(m, tensors, gname);
  if (buffer->v1.binaryBuf.dataSize < need)
    return fail(log, QNN_CONTEXT_ERROR_GET_BINARY_FAILED,
                formatString("%s: buffer has %llu bytes, the section needs %llu", fn, (unsigned long long)buffer->v1.binaryBuf.dataSize, (unsigned long long)need));
  {
    AllGraphsLocked locked(c);
    writeSection(m, tensors, gname, [c](uint32_t idx) { return c->staticData(idx); }, static_cast<uint8_t*>(buffer->v1.binaryBuf.data));
  }
  *written = need;
  JournalEntry(fn).str("graph", gname).u64("sectionBytes", need).raw("tensors", tensorNamesJson(m, tensors)).write();
  return QNN_SUCCESS;
}

}  // namespace qnnref
