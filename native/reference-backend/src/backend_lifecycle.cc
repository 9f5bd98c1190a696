// libQnnReference: capability queries, backend and log handles.
#include <set>
#include <string>
#include <vector>

#include "backend_api.h"
#include "backend_configs.h"
#include "backend_journal.h"
#include "backend_opconfig.h"
#include "backend_registry.h"
#include "model_nodes.h"

namespace qnnref {
namespace {

std::set<std::string> g_buildIds;  // stable storage for returned strings (guarded by g_mu)

const char* buildIdFor(const Emulation& e) {
  std::string s = std::string("qnn-node reference ") + kReferenceVersion + " (core " + versionString(e.core) + ", backend " +
                  versionString(e.backend) + ")";
  std::lock_guard<std::mutex> lock(g_mu);
  return g_buildIds.insert(s).first->c_str();
}

}  // namespace

Qnn_ErrorHandle_t propertyHasCapability(QnnProperty_Key_t) { return QNN_PROPERTY_NOT_SUPPORTED; }

Qnn_ErrorHandle_t backendCreate(Qnn_LogHandle_t logger, const QnnBackend_Config_t** config, Qnn_BackendHandle_t* backend) {
  std::shared_ptr<Logger> log;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (logger) {
      auto it = g_loggers.find(logger);
      if (it == g_loggers.end()) return makeError(nullptr, QNN_BACKEND_ERROR_INVALID_ARGUMENT, "backendCreate: unknown log handle");
      log = it->second;
    }
  }
  injectedDelay("backendCreate");
  QNNREF_INJECT("backendCreate", log.get());
  if (!backend) return fail(log.get(), QNN_BACKEND_ERROR_INVALID_ARGUMENT, "backendCreate: backend out-pointer is NULL");
  Emulation emu;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    emu = g_emu;
  }
  Qnn_ErrorHandle_t configStatus = takeBackendConfigs(log.get(), emu, config);
  if (configStatus != QNN_SUCCESS) return configStatus;
  auto* b = new BackendImpl();
  b->logger = log;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    b->emu = g_emu;
    if (log) g_lastLogger = log;
  }
  addHandle(b, Kind::Backend);
  *backend = b;
  logf(log.get(), QNN_LOG_LEVEL_INFO, "backend created (reference %s, core API %s, backend API %s) - a CPU test double, not HTP",
       kReferenceVersion, versionString(b->emu.core).c_str(), versionString(b->emu.backend).c_str());
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t backendSetConfig(Qnn_BackendHandle_t backend, const QnnBackend_Config_t**) {
  if (!lookup<BackendImpl>(backend, Kind::Backend)) return fail(anyLogger(), QNN_BACKEND_ERROR_INVALID_HANDLE, "backendSetConfig: invalid backend handle");
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t backendFree(Qnn_BackendHandle_t backend) {
  BackendImpl* b = lookup<BackendImpl>(backend, Kind::Backend);
  if (!b || !removeHandle(b, Kind::Backend)) return fail(anyLogger(), QNN_BACKEND_ERROR_INVALID_HANDLE, "backendFree: invalid backend handle");
  logf(b->logger.get(), QNN_LOG_LEVEL_INFO, "backend freed");
  delete b;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t backendGetApiVersion(Qnn_ApiVersion_t* v) {
  if (!v) return QNN_BACKEND_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_mu);
  v->coreApiVersion = Qnn_Version_t{g_emu.core.major, g_emu.core.minor, g_emu.core.patch};
  v->backendApiVersion = Qnn_Version_t{g_emu.backend.major, g_emu.backend.minor, g_emu.backend.patch};
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t backendGetBuildId(const char** id) {
  if (!id) return QNN_BACKEND_ERROR_INVALID_ARGUMENT;
  Emulation e;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    e = g_emu;
  }
  *id = buildIdFor(e);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t backendGetSupportedOperations(Qnn_BackendHandle_t backend, uint32_t* num, const QnnBackend_OperationName_t** ops) {
  if (!lookup<BackendImpl>(backend, Kind::Backend)) return fail(anyLogger(), QNN_BACKEND_ERROR_INVALID_HANDLE, "backendGetSupportedOperations: invalid backend handle");
  if (!num || !ops) return fail(anyLogger(), QNN_BACKEND_ERROR_INVALID_ARGUMENT, "backendGetSupportedOperations: NULL out-pointer");
  static const std::vector<QnnBackend_OperationName_t> kOps = [] {
    std::vector<QnnBackend_OperationName_t> v;
    for (size_t i = 0; i < kOpCount; ++i) v.push_back({"qnn_node.reference", kOpNames[i], nullptr});
    return v;
  }();
  *num = uint32_t(kOps.size());
  *ops = kOps.data();
  return QNN_SUCCESS;
}

constexpr uint32_t kOpPackageValidationFailure = QNN_OP_PACKAGE_ERROR_VALIDATION_FAILURE;

// Validates an op config the way graphAddNode checks a node (the same per-node checks as the
// binary parser), on the tensors the config itself describes ("fully qualified"; ids and
// names are ignored, as the header says). Refusals are logged and kept for errorGetMessage
// in HTP's words: "Failed to validate op <name> with error <code>".
Qnn_ErrorHandle_t backendValidateOpConfig(Qnn_BackendHandle_t backend, Qnn_OpConfig_t op) {
  BackendImpl* b = lookup<BackendImpl>(backend, Kind::Backend);
  if (!b) return fail(anyLogger(), QNN_BACKEND_ERROR_INVALID_HANDLE, "backendValidateOpConfig: invalid backend handle");
  Logger* log = b->logger.get();
  QNNREF_INJECT("backendValidateOpConfig", log);
  OpRequest req;
  std::string why;
  OpProblem problem = readOpConfig(op, b->emu.core, &req, &why);
  const std::string opName = req.name.empty() ? std::string("(unnamed)") : req.name;
  auto refuse = [&](uint32_t code, const std::string& reason) {
    if (journalOn())
      JournalEntry("backendValidateOpConfig").str("name", opName).str("type", req.typeName).boolean("ok", false).num("code", code).str("error", reason).write();
    return fail(log, code, formatString("backendValidateOpConfig: Failed to validate op %s with error 0x%x (%u): ", opName.c_str(), code, code) + reason);
  };
  if (problem == OpProblem::kUnknownOp) return refuse(QNN_BACKEND_ERROR_OP_PACKAGE_NOT_FOUND, why);
  if (problem != OpProblem::kNone) return refuse(kOpPackageValidationFailure, why);
  Model m;
  Node n;
  n.op = req.op;
  n.opName = req.typeName;
  n.name = opName;
  n.params = req.params;
  auto addTensors = [&](const std::vector<Qnn_TensorV1_t>& ts, const char* role, std::vector<uint32_t>* out) {
    for (size_t k = 0; k < ts.size(); ++k) {
      TensorInfo info;
      uint32_t code = 0;
      std::string bad;
      if (!tensorInfoFromClient(ts[k], &info, &code, &bad)) {
        why = formatString("%s #%zu: ", role, k) + bad;
        return false;
      }
      info.name = ts[k].name && *ts[k].name ? ts[k].name : formatString("%s%zu", role, k);
      info.type = kTypeNative;
      out->push_back(uint32_t(m.tensors.size()));
      m.tensors.push_back(info);
    }
    return true;
  };
  if (!addTensors(req.inputs, "input", &n.inputs) || !addTensors(req.outputs, "output", &n.outputs)) return refuse(kOpPackageValidationFailure, why);
  const std::string where = "node '" + opName + "' (" + req.typeName + ")";
  if (!checkParamNames(n, where, &why) || !validateNode(m, n, where, &why)) return refuse(kOpPackageValidationFailure, why);
  if (journalOn()) {
    JournalEntry("backendValidateOpConfig").str("name", opName).str("type", req.typeName).raw("params", req.journalParams).boolean("ok", true).write();
  }
  return QNN_SUCCESS;
}

// ---- log ----------------------------------------------------------------------------------

Qnn_ErrorHandle_t logCreate(QnnLog_Callback_t callback, QnnLog_Level_t level, Qnn_LogHandle_t* logger) {
  if (!logger) return QNN_LOG_ERROR_INVALID_ARGUMENT;
  auto log = std::make_shared<Logger>();
  log->callback = callback;
  log->level = level;
  std::lock_guard<std::mutex> lock(g_mu);
  g_loggers[log.get()] = log;
  g_handles[log.get()] = Kind::Logger;
  g_lastLogger = log;
  *logger = log.get();
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t logSetLogLevel(Qnn_LogHandle_t logger, QnnLog_Level_t level) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_loggers.find(logger);
  if (it == g_loggers.end()) return QNN_LOG_ERROR_INVALID_HANDLE;
  it->second->level = level;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t logFree(Qnn_LogHandle_t logger) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_loggers.find(logger);
  if (it == g_loggers.end()) return QNN_LOG_ERROR_INVALID_HANDLE;
  // Objects created with this logger keep it alive, but it goes quiet.
  it->second->callback = nullptr;
  if (g_lastLogger == it->second) g_lastLogger.reset();
  g_handles.erase(logger);
  g_loggers.erase(it);
  return QNN_SUCCESS;
}

}  // namespace qnnref
