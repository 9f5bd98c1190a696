// libQnnReference: profile handles and the events recorded into them.
#include "backend_api.h"
#include "backend_registry.h"

namespace qnnref {

Qnn_ErrorHandle_t profileCreate(Qnn_BackendHandle_t backend, QnnProfile_Level_t, Qnn_ProfileHandle_t* profile) {
  if (!lookup<BackendImpl>(backend, Kind::Backend)) return fail(anyLogger(), QNN_PROFILE_ERROR_INVALID_HANDLE, "profileCreate: invalid backend handle");
  if (!profile) return QNN_PROFILE_ERROR_INVALID_ARGUMENT;
  auto* p = new ProfileImpl();
  addHandle(p, Kind::Profile);
  *profile = p;
  return QNN_SUCCESS;
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
  if (!g_events.count(id)) return QNN_PROFILE_ERROR_INVALID_HANDLE;
  *ids = nullptr;
  *num = 0;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t profileGetEventData(QnnProfile_EventId_t id, QnnProfile_EventData_t* data) {
  if (!data) return QNN_PROFILE_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_events.find(id);
  if (it == g_events.end()) return QNN_PROFILE_ERROR_INVALID_HANDLE;
  *data = it->second;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t profileFree(Qnn_ProfileHandle_t profile) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!isHandle(profile, Kind::Profile)) return QNN_PROFILE_ERROR_INVALID_HANDLE;
  auto* p = static_cast<ProfileImpl*>(profile);
  for (auto id : p->events) g_events.erase(id);
  g_handles.erase(profile);
  delete p;
  return QNN_SUCCESS;
}

}  // namespace qnnref
