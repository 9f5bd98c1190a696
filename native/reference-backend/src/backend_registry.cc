// libQnnReference's handle registry (backend_registry.h).
#include "backend_registry.h"

namespace qnnref {

std::mutex g_mu;
std::condition_variable g_idle;
std::unordered_map<void*, Kind> g_handles;
std::unordered_map<void*, std::shared_ptr<Logger>> g_loggers;
std::map<QnnProfile_EventId_t, QnnProfile_EventData_t> g_events;
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

void recordEvent(Qnn_ProfileHandle_t profile, QnnProfile_EventType_t type, uint64_t micros, const char* what) {
  if (!profile) return;
  std::lock_guard<std::mutex> lock(g_mu);
  if (!isHandle(profile, Kind::Profile)) return;
  QnnProfile_EventId_t id = g_nextEvent++;
  QnnProfile_EventData_t d;
  d.type = type;
  d.unit = QNN_PROFILE_EVENTUNIT_MICROSEC;
  d.value = micros;
  d.identifier = what;
  g_events[id] = d;
  auto& events = static_cast<ProfileImpl*>(profile)->events;
  events.resize(events.size() + 1);  // (push_back of a local trips a GCC 12 false positive)
  events.back() = id;
}

uint64_t microsSince(std::chrono::steady_clock::time_point t0) {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace qnnref
