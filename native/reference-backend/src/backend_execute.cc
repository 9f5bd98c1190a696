// libQnnReference: graphExecute - checks the client's tensors against the graph, prices
// the graph against its budget, then runs its nodes on the CPU. RAW tensors go through
// staging copies as on the HTP (inputs in before, outputs out after); memhandle tensors
// (backend_mem.h) are read and written in place. The journal gets the bytes copied.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "backend_api.h"
#include "backend_journal.h"
#include "backend_mem.h"
#include "backend_registry.h"
#include "budget.h"
#include "kernels.h"
#include "qnn/qnn_abi_checks.h"

namespace qnnref {
namespace {

// HTP's event codes for the accelerator's execute time and cycles (QnnHtpProfile.h values).
constexpr QnnProfile_EventType_t kHtpAccelExecuteCycles = 3003;
constexpr QnnProfile_EventType_t kHtpAccelExecuteTime = 3004;
// The emulated clock: 1 GHz, so one cycle per measured nanosecond.
constexpr uint64_t kCyclesPerNs = 1;

// QNN_REFERENCE_PROFILE_UNIT=cycles: node events in processor cycles (as HTP reports them at
// the detailed level) instead of microseconds.
bool nodeCyclesEmulated() {
  const char* env = knobsApply() ? std::getenv("QNN_REFERENCE_PROFILE_UNIT") : nullptr;
  return env && std::strcmp(env, "cycles") == 0;
}

}  // namespace

namespace {

namespace abi = qnn_node::abi;

struct ClientTensor {
  uint32_t version;
  Qnn_TensorV1_t v1;
};

}  // namespace

Qnn_ErrorHandle_t graphExecute(Qnn_GraphHandle_t graph, const Qnn_Tensor_t* inputs, uint32_t numInputs, Qnn_Tensor_t* outputs, uint32_t numOutputs,
                               Qnn_ProfileHandle_t profile, Qnn_SignalHandle_t) {
  auto t0 = std::chrono::steady_clock::now();
  GraphImpl* g = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (isHandle(graph, Kind::Graph)) {
      g = static_cast<GraphImpl*>(graph);
      ++g->ctx->inflight;
    }
  }
  if (!g) return fail(anyLogger(), QNN_GRAPH_ERROR_INVALID_HANDLE, "graphExecute: invalid graph handle");
  ContextImpl* c = g->ctx;
  struct InflightGuard {
    ContextImpl* c;
    ~InflightGuard() {
      std::lock_guard<std::mutex> lock(g_mu);
      if (--c->inflight == 0) g_idle.notify_all();
    }
  } inflightGuard{c};
  Logger* log = c->logger.get();
  QNNREF_INJECT("graphExecute", log);
  if (const char* delay = std::getenv("QNN_REFERENCE_EXECUTE_DELAY_MS")) {
    long ms = std::strtol(delay, nullptr, 10);
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  std::lock_guard<std::mutex> lock(g->mu);
  const Model& m = c->model;
  const Graph& gr = m.graphs[g->index];
  const std::string gname = "graph '" + gr.name + "'";
  if (!g->finalized) return fail(log, QNN_GRAPH_ERROR_GRAPH_NOT_FINALIZED, "graphExecute: " + gname + " is not finalized (call graphFinalize first)");
  if (numInputs != gr.inputs.size() || numOutputs != gr.outputs.size())
    return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT,
                formatString("graphExecute: %s takes %zu input(s) and %zu output(s), got %u and %u", gname.c_str(), gr.inputs.size(), gr.outputs.size(), numInputs, numOutputs));
  if ((numInputs && !inputs) || !outputs) return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT, "graphExecute: inputs or outputs array is NULL");

  const bool v2Era = abi::atLeast(c->emu.core, 2, 14);
  const size_t stride = abi::tensorStride(c->emu.core);
  std::vector<uint8_t*> bufs(m.tensors.size(), nullptr);
  std::vector<bool> given(m.tensors.size(), false);
  std::vector<uint8_t*> clientIn(gr.inputs.size(), nullptr);    // RAW: the client's buffer
  std::vector<uint8_t*> clientOut(gr.outputs.size(), nullptr);  // RAW: the client's buffer
  std::vector<uint8_t*> sharedOut(gr.outputs.size(), nullptr);  // memhandle: written in place
  std::vector<std::pair<const uint8_t*, uint64_t>> sharedIn;     // memhandle input ranges
  std::vector<std::shared_ptr<SharedMapping>> pinned;            // kept mapped while running
  uint32_t memHandleTensors = 0;

  auto check = [&](const uint8_t* base, uint32_t i, bool isInput, ClientTensor* ct) -> Qnn_ErrorHandle_t {
    const char* role = isInput ? "input" : "output";
    const uint8_t* elem = base + size_t(i) * stride;
    std::memcpy(&ct->version, elem, 4);
    std::memcpy(&ct->v1, elem + abi::kTensorUnionOffset, sizeof(Qnn_TensorV1_t));
    if (ct->version != QNN_TENSOR_VERSION_1 && !(v2Era && ct->version == QNN_TENSOR_VERSION_2))
      return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR,
                  formatString("graphExecute: %s #%u has tensor version tag %u (this backend, core API %s, accepts %s)", role, i, ct->version,
                               versionString(c->emu.core).c_str(), v2Era ? "1 or 2" : "1"));
    const Qnn_TensorV1_t& t = ct->v1;
    const auto& pos = isInput ? g->inputPos : g->outputPos;
    auto it = pos.find(t.id);
    if (it == pos.end())
      return fail(log, QNN_TENSOR_ERROR_DOES_NOT_EXIST, formatString("graphExecute: %s #%u has id %u, which is not an %s of %s", role, i, t.id, role, gname.c_str()));
    uint32_t tidx = isInput ? gr.inputs[it->second] : gr.outputs[it->second];
    const TensorInfo& info = m.tensors[tidx];
    std::string tn = formatString("%s tensor '%s' (id %u)", role, info.name.c_str(), info.id);
    if (given[tidx]) return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT, "graphExecute: " + tn + " is given twice");
    given[tidx] = true;
    if (t.memType != QNN_TENSORMEMTYPE_RAW && t.memType != QNN_TENSORMEMTYPE_MEMHANDLE)
      return fail(log, QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM,
                  formatString("graphExecute: %s has memType %u; the reference backend takes RAW (0) and MEMHANDLE (1)", tn.c_str(), unsigned(t.memType)));
    if (uint32_t(t.dataType) != info.dataType)
      return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR,
                  formatString("graphExecute: %s has dataType 0x%04x (%s), expected 0x%04x (%s)", tn.c_str(), unsigned(t.dataType), dtypeName(t.dataType), info.dataType, dtypeName(info.dataType)));
    if (t.rank != info.dims.size())
      return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, formatString("graphExecute: %s has rank %u, expected %zu", tn.c_str(), t.rank, info.dims.size()));
    if (t.rank && !t.dimensions) return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, "graphExecute: " + tn + " has NULL dimensions");
    for (uint32_t d = 0; d < t.rank; ++d) {
      if (t.dimensions[d] != info.dims[d]) {
        std::vector<uint32_t> got(t.dimensions, t.dimensions + t.rank);
        return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, "graphExecute: " + tn + " has dims " + dimsToString(got) + ", expected " + dimsToString(info.dims));
      }
    }
    if (t.memType == QNN_TENSORMEMTYPE_MEMHANDLE) {
      ResolvedMem r;
      std::string why;
      if (!resolveMemHandle(c, t.memHandle, info.bytes, &r, &why)) return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, "graphExecute: " + tn + " " + why);
      ++memHandleTensors;
      pinned.push_back(std::move(r.map));
      if (isInput) {
        bufs[tidx] = r.data;
        sharedIn.emplace_back(r.data, info.bytes);
      } else {
        sharedOut[it->second] = r.data;
      }
      return QNN_SUCCESS;
    }
    if (!t.clientBuf.data) return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, "graphExecute: " + tn + " has a NULL data pointer");
    if (t.clientBuf.dataSize != info.bytes)
      return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, formatString("graphExecute: %s has %u bytes, expected %llu", tn.c_str(), t.clientBuf.dataSize, (unsigned long long)info.bytes));
    (isInput ? clientIn : clientOut)[it->second] = static_cast<uint8_t*>(t.clientBuf.data);
    return QNN_SUCCESS;
  };

  ClientTensor ct;
  for (uint32_t i = 0; i < numInputs; ++i)
    if (Qnn_ErrorHandle_t e = check(reinterpret_cast<const uint8_t*>(inputs), i, true, &ct)) return e;
  for (uint32_t i = 0; i < numOutputs; ++i)
    if (Qnn_ErrorHandle_t e = check(reinterpret_cast<const uint8_t*>(outputs), i, false, &ct)) return e;

  // A binary may declare far more than it could ever be worth computing: refuse before
  // allocating anything (budget.h).
  {
    bool memory = false;
    std::string over = checkBudget(gr, graphCost(m, gr), graphBudget(m, gr), &memory);
    if (!over.empty())
      return fail(log, memory ? Qnn_ErrorHandle_t(QNN_GRAPH_ERROR_MEM_ALLOC) : Qnn_ErrorHandle_t(QNN_COMMON_ERROR_RESOURCE_UNAVAILABLE), "graphExecute: " + over);
  }

  // Intermediates and RAW outputs are computed into scratch memory, RAW inputs are staged
  // (both as the HTP's internal I/O buffers); the copies are counted for the journal.
  const size_t nOut = gr.outputs.size();
  try {
    if (g->scratch.empty()) {
      g->scratch.resize(gr.natives.size() + nOut + gr.inputs.size());
      for (size_t k = 0; k < gr.natives.size(); ++k) g->scratch[k].resize(m.tensors[gr.natives[k]].bytes);
      for (size_t k = 0; k < nOut; ++k) g->scratch[gr.natives.size() + k].resize(m.tensors[gr.outputs[k]].bytes);
    }
    for (size_t k = 0; k < gr.inputs.size(); ++k)
      if (clientIn[k]) g->scratch[gr.natives.size() + nOut + k].resize(m.tensors[gr.inputs[k]].bytes);
  } catch (const std::bad_alloc&) {
    g->scratch.clear();
    return fail(log, QNN_GRAPH_ERROR_MEM_ALLOC, "graphExecute: out of memory for intermediate tensors");
  }
  uint64_t rawBytesIn = 0, rawBytesOut = 0;
  for (size_t k = 0; k < gr.inputs.size(); ++k) {
    if (!clientIn[k]) continue;
    auto& staged = g->scratch[gr.natives.size() + nOut + k];
    std::memcpy(staged.data(), clientIn[k], staged.size());
    rawBytesIn += staged.size();
    bufs[gr.inputs[k]] = staged.data();
  }
  for (size_t k = 0; k < gr.natives.size(); ++k) bufs[gr.natives[k]] = g->scratch[k].data();
  // A memhandle output is written in place unless it overlaps a memhandle input (a kernel
  // could then overwrite an input it still reads): that one goes through scratch too.
  std::vector<bool> viaScratch(nOut, true);
  for (size_t k = 0; k < nOut; ++k) {
    bool overlaps = false;
    if (uint8_t* out = sharedOut[k]) {
      uint64_t len = m.tensors[gr.outputs[k]].bytes;
      for (const auto& [in, inLen] : sharedIn) overlaps = overlaps || (out < in + inLen && in < out + len);
      viaScratch[k] = overlaps;
    }
    bufs[gr.outputs[k]] = viaScratch[k] ? g->scratch[gr.natives.size() + k].data() : sharedOut[k];
  }
  for (const Node& n : gr.nodes)
    for (uint32_t idx : n.inputs)
      if (m.tensors[idx].type == kTypeStatic) bufs[idx] = const_cast<uint8_t*>(c->staticData(idx));

  // Detailed profiles time every node (basic ones only the whole call): one clock read per
  // node, and only when asked.
  const bool perNode = profileLevel(profile) == QNN_PROFILE_LEVEL_DETAILED;
  struct NodeTime {
    std::chrono::steady_clock::time_point start;
    uint64_t ns;
  };
  std::vector<NodeTime> nodeTimes(perNode ? gr.nodes.size() : 0);
  for (size_t k = 0; k < gr.nodes.size(); ++k) {
    const Node& n = gr.nodes[k];
    std::string error;
    bool ok;
    auto tn = perNode ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    try {
      ok = runNode(m, n, bufs, &error);
    } catch (const std::bad_alloc&) {
      return fail(log, QNN_GRAPH_ERROR_MEM_ALLOC, "graphExecute: out of memory in node '" + n.name + "'");
    }
    if (!ok) return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT, "graphExecute: " + gname + ": " + error);
    if (perNode) {
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - tn).count();
      nodeTimes[k] = NodeTime{tn, uint64_t(ns)};
    }
  }
  for (size_t k = 0; k < nOut; ++k) {
    if (!viaScratch[k]) continue;
    const auto& s = g->scratch[gr.natives.size() + k];
    if (clientOut[k]) {
      std::memcpy(clientOut[k], s.data(), s.size());
      rawBytesOut += s.size();
    } else {
      std::memcpy(sharedOut[k], s.data(), s.size());  // in-device copy, not a host transfer
    }
  }
  if (journalOn())
    JournalEntry("graphExecute").str("graph", gr.name).u64("rawBytesIn", rawBytesIn).u64("rawBytesOut", rawBytesOut).num("memHandleTensors", memHandleTensors).write();
  uint64_t us = microsSince(t0);
  logf(log, QNN_LOG_LEVEL_DEBUG, "graphExecute %s: %llu us", gname.c_str(), (unsigned long long)us);
  QnnProfile_EventId_t event = recordEvent(profile, QNN_PROFILE_EVENTTYPE_EXECUTE, us, "graphExecute", t0);
  // Per node: a NODE event named after the node, with one sub-event naming its op type.
  // In cycles mode the nodes hang below an accel_execute_cycles event, as HTP reports them.
  const bool cycles = perNode && nodeCyclesEmulated();
  QnnProfile_EventId_t nodeParent = event;
  if (cycles) {
    uint64_t total = 0;
    for (const NodeTime& t : nodeTimes) total += t.ns * kCyclesPerNs;
    recordSubEvent(event, kHtpAccelExecuteTime, QNN_PROFILE_EVENTUNIT_MICROSEC, us, "accel_execute_time", t0);
    nodeParent = recordSubEvent(event, kHtpAccelExecuteCycles, QNN_PROFILE_EVENTUNIT_CYCLES, total, "accel_execute_cycles", t0);
  }
  for (size_t k = 0; k < nodeTimes.size(); ++k) {
    const Node& n = gr.nodes[k];
    QnnProfile_EventId_t node = cycles
        ? recordSubEvent(nodeParent, QNN_PROFILE_EVENTTYPE_NODE, QNN_PROFILE_EVENTUNIT_CYCLES, nodeTimes[k].ns * kCyclesPerNs, n.name, nodeTimes[k].start)
        : recordSubEvent(nodeParent, QNN_PROFILE_EVENTTYPE_NODE, QNN_PROFILE_EVENTUNIT_MICROSEC, nodeTimes[k].ns / 1000, n.name, nodeTimes[k].start);
    recordSubEvent(node, QNN_PROFILE_EVENTTYPE_NODE, QNN_PROFILE_EVENTUNIT_NONE, 0, n.opName, nodeTimes[k].start);
  }
  return QNN_SUCCESS;
}

}  // namespace qnnref
