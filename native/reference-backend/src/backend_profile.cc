// libQnnReference: profile handles and the events recorded into them (docs/reference-backend.md).
#include <cstdlib>
#include <cstring>

#include "backend_api.h"
#include "backend_journal.h"
#include "backend_registry.h"
#include "qnn/qnn_abi_compat.h"

namespace qnnref {
namespace {

namespace abi = qnn_node::abi;

// ENABLE_OPTRACE as the emulated core knows it: the SDK 2.25 headers (core 2.18) are the
// oldest this project has read that declare it (the runtime gates on the same version).
constexpr uint32_t kOptraceSinceCoreMinor = 18;

const char* levelName(QnnProfile_Level_t level) {
  switch (level) {
    case QNN_PROFILE_LEVEL_BASIC: return "basic";
    case QNN_PROFILE_LEVEL_DETAILED: return "detailed";
    default: return "unknown";
  }
}

// Caller holds g_mu. Removes an event and everything below it.
void eraseEvent(QnnProfile_EventId_t id) {
  auto it = g_events.find(id);
  if (it == g_events.end()) return;
  std::vector<QnnProfile_EventId_t> children = std::move(it->second.children);
  g_events.erase(it);
  for (auto c : children) eraseEvent(c);
}

}  // namespace

Qnn_ErrorHandle_t profileCreate(Qnn_BackendHandle_t backend, QnnProfile_Level_t level, Qnn_ProfileHandle_t* profile) {
  BackendImpl* b = lookup<BackendImpl>(backend, Kind::Backend);
  JournalEntry entry("profileCreate");
  entry.num("level", level).str("levelName", levelName(level));
  if (!b) {
    entry.str("result", "invalid backend").write();
    return fail(anyLogger(), QNN_PROFILE_ERROR_INVALID_HANDLE, "profileCreate: invalid backend handle");
  }
  // Like QNN: the core levels only (BACKEND-specific levels are not emulated).
  if (level != QNN_PROFILE_LEVEL_BASIC && level != QNN_PROFILE_LEVEL_DETAILED) {
    entry.str("result", "invalid level").write();
    return fail(b->logger.get(), QNN_PROFILE_ERROR_INVALID_ARGUMENT, formatString("profileCreate: unsupported profiling level %u", level));
  }
  if (!profile) {
    entry.str("result", "null out-pointer").write();
    return QNN_PROFILE_ERROR_INVALID_ARGUMENT;
  }
  auto* p = new ProfileImpl();
  p->level = level;
  p->core = b->emu.core;
  addHandle(p, Kind::Profile);
  *profile = p;
  entry.str("result", "ok").write();
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t profileSetConfig(Qnn_ProfileHandle_t profile, const QnnProfile_Config_t** config) {
  std::lock_guard<std::mutex> lock(g_mu);
  JournalEntry entry("profileSetConfig");
  if (!isHandle(profile, Kind::Profile)) {
    entry.str("result", "invalid handle").write();
    return QNN_PROFILE_ERROR_INVALID_HANDLE;
  }
  if (!config) {
    entry.str("result", "null config").write();
    return QNN_PROFILE_ERROR_INVALID_ARGUMENT;
  }
  auto* p = static_cast<ProfileImpl*>(profile);
  std::string list = "[";
  Qnn_ErrorHandle_t result = QNN_SUCCESS;
  for (size_t i = 0; config[i]; ++i) {
    if (i >= 64) {
      result = QNN_PROFILE_ERROR_INVALID_ARGUMENT;
      break;
    }
    const QnnProfile_Config_t& c = *config[i];
    JournalEntry item("config");
    item.num("option", c.option);
    if (c.option == QNN_PROFILE_CONFIG_OPTION_ENABLE_OPTRACE) {
      item.num("enableOptrace", c.enableOptrace);
      if (!abi::atLeast(p->core, 2, kOptraceSinceCoreMinor)) result = QNN_PROFILE_ERROR_UNSUPPORTED;
      else p->optrace = c.enableOptrace != 0;
    } else if (c.option == QNN_PROFILE_CONFIG_OPTION_MAX_EVENTS) {
      item.u64("numMaxEvents", c.numMaxEvents);
      p->maxEvents = c.numMaxEvents;
    } else {
      result = QNN_PROFILE_ERROR_UNSUPPORTED;  // CUSTOM and unknown options
    }
    list += (i ? "," : "") + item.json();
  }
  entry.raw("configs", list + "]").str("result", result == QNN_SUCCESS ? "ok" : "refused").write();
  return result;
}

Qnn_ErrorHandle_t profileGetEvents(Qnn_ProfileHandle_t profile, const QnnProfile_EventId_t** ids, uint32_t* num) {
  if (!ids || !num) return QNN_PROFILE_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_mu);
  if (!isHandle(profile, Kind::Profile)) return QNN_PROFILE_ERROR_INVALID_HANDLE;
  auto* p = static_cast<ProfileImpl*>(profile);
  *ids = p->events.data();
  *num = uint32_t(p->events.size());
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t profileGetSubEvents(QnnProfile_EventId_t id, const QnnProfile_EventId_t** ids, uint32_t* num) {
  if (!ids || !num) return QNN_PROFILE_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_events.find(id);
  if (it == g_events.end()) return QNN_PROFILE_ERROR_INVALID_HANDLE;
  *ids = it->second.children.empty() ? nullptr : it->second.children.data();
  *num = uint32_t(it->second.children.size());
  // QNN_REFERENCE_PROFILE_SUBEVENT_COUNT=<n>: a backend that reports more sub-events than
  // its array holds (a client must bound what it copies before reading).
  if (*ids && knobsApply()) {
    if (const char* env = std::getenv("QNN_REFERENCE_PROFILE_SUBEVENT_COUNT")) {
      if (*env) *num = uint32_t(std::strtoul(env, nullptr, 0));
    }
  }
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t profileGetEventData(QnnProfile_EventId_t id, QnnProfile_EventData_t* data) {
  if (!data) return QNN_PROFILE_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_events.find(id);
  if (it == g_events.end()) return QNN_PROFILE_ERROR_INVALID_HANDLE;
  *data = it->second.data;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t profileGetExtendedEventData(QnnProfile_EventId_t id, QnnProfile_ExtendedEventData_t* data) {
  if (!data) return QNN_PROFILE_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_events.find(id);
  if (it == g_events.end()) return QNN_PROFILE_ERROR_INVALID_HANDLE;
  const RefEvent& e = it->second;
  std::memset(data, 0, sizeof *data);
  data->version = QNN_PROFILE_DATA_VERSION_1;
  data->v1.type = e.data.type;
  data->v1.unit = e.data.unit;
  data->v1.value.dataType = QNN_DATATYPE_UINT_64;
  data->v1.value.uint64Value = e.data.value;
  data->v1.timestamp = e.timestamp;
  data->v1.identifier = e.data.identifier;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t profileFree(Qnn_ProfileHandle_t profile) {
  std::lock_guard<std::mutex> lock(g_mu);
  JournalEntry entry("profileFree");
  if (!isHandle(profile, Kind::Profile)) {
    entry.str("result", "invalid handle").write();
    return QNN_PROFILE_ERROR_INVALID_HANDLE;
  }
  auto* p = static_cast<ProfileImpl*>(profile);
  entry.num("events", double(p->events.size())).num("recorded", double(p->recorded)).str("result", "ok").write();
  for (auto id : p->events) eraseEvent(id);
  g_handles.erase(profile);
  delete p;
  return QNN_SUCCESS;
}

}  // namespace qnnref
