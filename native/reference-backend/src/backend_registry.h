// libQnnReference's handle objects and the registry that tells a live handle of each kind
// from a stale or foreign pointer; shared by the files of the core API (backend_*.cc).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common.h"
#include "qnn/qnn_abi_compat.h"
#include "model.h"

namespace qnnref {

// ---- objects ------------------------------------------------------------------------------

struct BackendImpl {
  std::shared_ptr<Logger> logger;
  Emulation emu;
};

struct DeviceImpl {
  std::shared_ptr<Logger> logger;
};

struct ProfileImpl {
  QnnProfile_Level_t level = QNN_PROFILE_LEVEL_BASIC;
  qnn_node::abi::Version core{2, 32, 0};  // the emulated core of the backend that made it
  bool optrace = false;
  uint64_t maxEvents = 0;  // 0: unbounded (QNN_PROFILE_CONFIG_OPTION_MAX_EVENTS)
  uint64_t recorded = 0;
  std::vector<QnnProfile_EventId_t> events;
};

// One recorded event: QNN's plain data, the string its identifier points to, the start
// time (extended event data's timestamp, µs of the steady clock) and its sub-events.
struct RefEvent {
  QnnProfile_EventData_t data;
  std::string identifier;
  uint64_t timestamp = 0;
  ProfileImpl* owner = nullptr;
  std::vector<QnnProfile_EventId_t> children;
};

struct ContextImpl;

// What a graph built through the QNN API (graphCreate, backend_compose.cc) keeps while it
// is composed: its tensors by id and name, its node names, the tensors produced so far.
struct GraphCompose {
  std::unordered_map<uint32_t, uint32_t> tensorById;  // id -> tensor index (this graph's)
  std::unordered_set<std::string> tensorNames, nodeNames;
  std::unordered_set<uint32_t> produced;              // tensor indices a node outputs
};

struct GraphImpl {
  ContextImpl* ctx = nullptr;
  uint32_t index = 0;
  std::mutex mu;
  std::unordered_map<uint32_t, size_t> inputPos, outputPos;  // tensor id -> position
  std::vector<std::vector<uint8_t>> scratch;                 // per natives + outputs
  bool finalized = true;                  // graphs of a binary are; composed ones at graphFinalize
  std::unique_ptr<GraphCompose> compose;  // composed graphs only
};

struct ContextImpl {
  std::shared_ptr<Logger> logger;
  Emulation emu;
  Model model;
  std::vector<uint8_t> head;   // bytes [0, dataOffset)
  std::vector<uint8_t> tail;   // bytes [dataOffset + dataSize, fileSize)
  std::unique_ptr<uint8_t[]> ownedData;
  const uint8_t* data = nullptr;
  bool zeroCopy = false;
  std::vector<std::unique_ptr<GraphImpl>> graphs;
  int inflight = 0;  // graphExecute calls running (guarded by g_mu)
  uint32_t spillFillGroup = 0;  // the REGISTER_MULTI_CONTEXTS group it joined (0: none)
  // Applied binary sections (backend_sections.cc), per tensor index: the data replacing the
  // binary's (nullptr: the binary's own). A zero-copy context points into the client's
  // section buffer (kept alive until contextFree, as for the binary); others own a copy.
  // Written only while every graph's `mu` is held.
  std::vector<const uint8_t*> sectionData;
  std::vector<std::unique_ptr<uint8_t[]>> sectionCopies;
  // A context made by contextCreate (backend_compose.cc): its graphs are built through the
  // API; STATIC data lives in `composedStatic` (per tensor index, copied at
  // tensorCreateGraphTensor) and contextGetBinary serializes the model. Composition calls
  // hold `composeMu` and then every graph's `mu` (an execution of another graph reads the
  // model the composition grows).
  bool composed = false;
  std::mutex composeMu;
  uint32_t nextTensorId = 1;
  std::vector<std::unique_ptr<uint8_t[]>> composedStatic;
  const uint8_t* staticData(uint32_t idx) const {
    if (idx < sectionData.size() && sectionData[idx]) return sectionData[idx];
    if (composed) return composedStatic[idx].get();
    return data + model.tensors[idx].dataOffset;
  }
};

// ---- handle registry ----------------------------------------------------------------------

enum class Kind { Logger, Backend, Device, Context, Graph, Profile, Mem };

extern std::mutex g_mu;  // guards the registry maps below and ContextImpl::inflight
extern std::condition_variable g_idle;  // signalled when a context's inflight count drops
extern std::unordered_map<void*, Kind> g_handles;
extern std::unordered_map<void*, std::shared_ptr<Logger>> g_loggers;
extern std::map<QnnProfile_EventId_t, RefEvent> g_events;
extern QnnProfile_EventId_t g_nextEvent;
extern Emulation g_emu;           // the emulation of the latest getProviders call
extern std::shared_ptr<Logger> g_lastLogger;  // for errors without a handle to tell the logger

// Caller holds g_mu.
bool isHandle(void* h, Kind k);

template <typename T>
T* lookup(void* h, Kind k) {
  std::lock_guard<std::mutex> lock(g_mu);
  return isHandle(h, k) ? static_cast<T*>(h) : nullptr;
}

void addHandle(void* h, Kind k);
bool removeHandle(void* h, Kind k);
Logger* anyLogger();

Qnn_ErrorHandle_t fail(const Logger* logger, uint32_t code, const std::string& msg);

#define QNNREF_INJECT(fn, logger)                                                        \
  do {                                                                                    \
    uint32_t injected_ = 0;                                                               \
    if (injectedFailure(fn, &injected_))                                                  \
      return fail(logger, injected_, std::string(fn) + ": failure injected by QNN_REFERENCE_FAIL"); \
  } while (0)

// backend_compose.cc: a composed context as a "QNNREF01" binary (contextGetBinary[Size]).
// Refuses (QNN_CONTEXT_ERROR_NOT_FINALIZED) while a graph is not finalized.
Qnn_ErrorHandle_t serializeComposed(const char* fn, ContextImpl* c, std::vector<uint8_t>* out);

// ---- profiling ----------------------------------------------------------------------------

// The level of a live profile handle, 0 for NULL or anything else (no events then).
QnnProfile_Level_t profileLevel(Qnn_ProfileHandle_t profile);
// A top-level event of `profile` (unit µs) that started at `start`; 0 when nothing was
// recorded (no profile, or its MAX_EVENTS reached).
QnnProfile_EventId_t recordEvent(Qnn_ProfileHandle_t profile, QnnProfile_EventType_t type, uint64_t micros, const char* what,
                                 std::chrono::steady_clock::time_point start);
// A sub-event of `parent` (0: ignored).
QnnProfile_EventId_t recordSubEvent(QnnProfile_EventId_t parent, QnnProfile_EventType_t type, QnnProfile_EventUnit_t unit, uint64_t value,
                                    const std::string& what, std::chrono::steady_clock::time_point start);
uint64_t microsSince(std::chrono::steady_clock::time_point t0);
uint64_t steadyMicros(std::chrono::steady_clock::time_point t);

}  // namespace qnnref
