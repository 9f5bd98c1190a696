// libQnnReference's handle registry (backend_registry.h).
#include "backend_registry.h"

namespace qnnref {

std::mutex g_mu;
std::condition_variable g_idle;
std::unordered_map<void*, Kind> g_handles;
std::unordered_map<void*, std::shared_ptr<Logger>> g_loggers;
std::map<QnnProfile_EventId_t, RefEvent> g_events;
QnnProfile_EventId_t g_nextEvent = 1;
Emulation g_emu;
std::shared_ptr<Logger> g_lastLogger;

bool isHandle(void* h, Kind k) {
  auto it = g_handles.find(h);
  return it != g_handles.end() && it->second == k;
}

void addHandle(void* h, Kind k) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_handles[h] = k;
}

bool removeHandle(void* h, Kind k) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!isHandle(h, k)) return false;
  g_handles.erase(h);
  return true;
}

Logger* anyLogger() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_lastLogger.get();
}

Qnn_ErrorHandle_t fail(const Logger* logger, uint32_t code, const std::string& msg) {
  return makeError(logger, code, msg);
}

namespace {

// Caller holds g_mu.
QnnProfile_EventId_t addEvent(ProfileImpl* owner, QnnProfile_EventType_t type, QnnProfile_EventUnit_t unit, uint64_t value, const std::string& what,
                              std::chrono::steady_clock::time_point start) {
  if (owner->maxEvents && owner->recorded >= owner->maxEvents) return 0;
  ++owner->recorded;
  QnnProfile_EventId_t id = g_nextEvent++;
  RefEvent& e = g_events[id];
  e.identifier = what;
  e.data.type = type;
  e.data.unit = unit;
  e.data.value = value;
  e.data.identifier = e.identifier.c_str();  // std::map nodes do not move
  e.timestamp = steadyMicros(start);
  e.owner = owner;
  return id;
}

}  // namespace

QnnProfile_Level_t profileLevel(Qnn_ProfileHandle_t profile) {
  if (!profile) return 0;
  std::lock_guard<std::mutex> lock(g_mu);
  return isHandle(profile, Kind::Profile) ? static_cast<ProfileImpl*>(profile)->level : 0;
}

QnnProfile_EventId_t recordEvent(Qnn_ProfileHandle_t profile, QnnProfile_EventType_t type, uint64_t micros, const char* what,
                                 std::chrono::steady_clock::time_point start) {
  if (!profile) return 0;
  std::lock_guard<std::mutex> lock(g_mu);
  if (!isHandle(profile, Kind::Profile)) return 0;
  auto* p = static_cast<ProfileImpl*>(profile);
  QnnProfile_EventId_t id = addEvent(p, type, QNN_PROFILE_EVENTUNIT_MICROSEC, micros, what, start);
  if (!id) return 0;
  p->events.resize(p->events.size() + 1);  // (push_back of a local trips a GCC 12 false positive)
  p->events.back() = id;
  return id;
}

QnnProfile_EventId_t recordSubEvent(QnnProfile_EventId_t parent, QnnProfile_EventType_t type, QnnProfile_EventUnit_t unit, uint64_t value,
                                    const std::string& what, std::chrono::steady_clock::time_point start) {
  if (!parent) return 0;
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_events.find(parent);
  if (it == g_events.end()) return 0;
  QnnProfile_EventId_t id = addEvent(it->second.owner, type, unit, value, what, start);
  if (id) g_events[parent].children.push_back(id);
  return id;
}

uint64_t steadyMicros(std::chrono::steady_clock::time_point t) {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

uint64_t microsSince(std::chrono::steady_clock::time_point t0) {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace qnnref
