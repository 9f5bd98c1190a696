// libQnnReference: the messages behind error handles (common.h records them).
#include <cstring>
#include <mutex>
#include <set>
#include <string>

#include "backend_api.h"
#include "backend_registry.h"

namespace qnnref {
namespace {

thread_local std::string t_message;
std::mutex g_verboseMu;
std::set<const char*> g_verbose;

}  // namespace

Qnn_ErrorHandle_t errorGetMessage(Qnn_ErrorHandle_t handle, const char** message) {
  if (!message) return QNN_ERROR_INVALID_ARGUMENT;
  std::string msg;
  if (!findErrorMessage(handle, &msg)) return QNN_ERROR_INVALID_ERROR_HANDLE;
  t_message = msg;  // valid until the next errorGetMessage on this thread
  *message = t_message.c_str();
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t errorGetVerboseMessage(Qnn_ErrorHandle_t handle, const char** message) {
  if (!message) return QNN_ERROR_INVALID_ARGUMENT;
  std::string msg;
  if (!findErrorMessage(handle, &msg)) return QNN_ERROR_INVALID_ERROR_HANDLE;
  msg += formatString(" [code %llu, handle 0x%016llx, qnn-node reference backend %s]", (unsigned long long)(handle & 0xFFFF), (unsigned long long)handle, kReferenceVersion);
  char* copy = new char[msg.size() + 1];
  std::memcpy(copy, msg.c_str(), msg.size() + 1);
  std::lock_guard<std::mutex> lock(g_verboseMu);
  g_verbose.insert(copy);
  *message = copy;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t errorFreeVerboseMessage(const char* message) {
  std::lock_guard<std::mutex> lock(g_verboseMu);
  if (!g_verbose.erase(message)) return QNN_ERROR_INVALID_ARGUMENT;
  delete[] message;
  return QNN_SUCCESS;
}

}  // namespace qnnref
