// libQnnReference: the core QNN interface on the CPU (docs/reference-backend.md).
// A TEST DOUBLE, not a Qualcomm backend.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "budget.h"
#include "common.h"
#include "kernels.h"
#include "model.h"
#include "qnn/qnn_abi_checks.h"

namespace qnnref {
namespace {

namespace abi = qnn_node::abi;

// ---- objects and handle registry ----------------------------------------------------------

struct BackendImpl {
  std::shared_ptr<Logger> logger;
  Emulation emu;
};

struct DeviceImpl {
  std::shared_ptr<Logger> logger;
};

struct ProfileImpl {
  std::vector<QnnProfile_EventId_t> events;
};

struct ContextImpl;

struct GraphImpl {
  ContextImpl* ctx = nullptr;
  uint32_t index = 0;
  std::mutex mu;
  std::unordered_map<uint32_t, size_t> inputPos, outputPos;  // tensor id -> position
  std::vector<std::vector<uint8_t>> scratch;                 // per natives + outputs
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
};

enum class Kind { Logger, Backend, Device, Context, Graph, Profile };

std::mutex g_mu;  // guards the registry maps below and ContextImpl::inflight
std::condition_variable g_idle;  // signalled when a context's inflight count drops
std::unordered_map<void*, Kind> g_handles;
std::unordered_map<void*, std::shared_ptr<Logger>> g_loggers;
std::map<QnnProfile_EventId_t, QnnProfile_EventData_t> g_events;
QnnProfile_EventId_t g_nextEvent = 1;
Emulation g_emu;           // the emulation of the latest getProviders call
std::shared_ptr<Logger> g_lastLogger;  // for errors without a handle to tell the logger

bool isHandle(void* h, Kind k) {
  auto it = g_handles.find(h);
  return it != g_handles.end() && it->second == k;
}

template <typename T>
T* lookup(void* h, Kind k) {
  std::lock_guard<std::mutex> lock(g_mu);
  return isHandle(h, k) ? static_cast<T*>(h) : nullptr;
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

#define QNNREF_INJECT(fn, logger)                                                        \
  do {                                                                                    \
    uint32_t injected_ = 0;                                                               \
    if (injectedFailure(fn, &injected_))                                                  \
      return fail(logger, injected_, std::string(fn) + ": failure injected by QNN_REFERENCE_FAIL"); \
  } while (0)

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

// ---- property / backend -------------------------------------------------------------------

Qnn_ErrorHandle_t propertyHasCapability(QnnProperty_Key_t) { return QNN_PROPERTY_NOT_SUPPORTED; }

Qnn_ErrorHandle_t backendCreate(Qnn_LogHandle_t logger, const QnnBackend_Config_t**, Qnn_BackendHandle_t* backend) {
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

std::set<std::string> g_buildIds;  // stable storage for returned strings (guarded by g_mu)

const char* buildIdFor(const Emulation& e) {
  std::string s = std::string("qnn-node reference ") + kReferenceVersion + " (core " + versionString(e.core) + ", backend " +
                  versionString(e.backend) + ")";
  std::lock_guard<std::mutex> lock(g_mu);
  return g_buildIds.insert(s).first->c_str();
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

Qnn_ErrorHandle_t backendValidateOpConfig(Qnn_BackendHandle_t backend, Qnn_OpConfig_t op) {
  BackendImpl* b = lookup<BackendImpl>(backend, Kind::Backend);
  if (!b) return fail(anyLogger(), QNN_BACKEND_ERROR_INVALID_HANDLE, "backendValidateOpConfig: invalid backend handle");
  Op kind;
  if (op.version != QNN_OPCONFIG_VERSION_1 || !op.v1.typeName || !opFromName(op.v1.typeName, &kind))
    return fail(b->logger.get(), QNN_BACKEND_ERROR_NOT_SUPPORTED,
                std::string("backendValidateOpConfig: op type '") + (op.v1.typeName ? op.v1.typeName : "(null)") + "' is not supported by the reference backend");
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

// ---- device -------------------------------------------------------------------------------

std::mutex g_powerMu;
std::set<uint32_t> g_powerIds;
uint32_t g_nextPowerId = 1;

Qnn_ErrorHandle_t perfCreatePowerConfigId(uint32_t, uint32_t, uint32_t* id) {
  if (!id) return QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_HANDLE_PTR;
  std::lock_guard<std::mutex> lock(g_powerMu);
  *id = g_nextPowerId++;
  g_powerIds.insert(*id);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t perfDestroyPowerConfigId(uint32_t id) {
  std::lock_guard<std::mutex> lock(g_powerMu);
  return g_powerIds.erase(id) ? QNN_SUCCESS : Qnn_ErrorHandle_t(QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT);
}

Qnn_ErrorHandle_t perfSetPowerConfig(uint32_t id, const QnnHtpPerfInfrastructure_PowerConfig_t** config) {
  {
    std::lock_guard<std::mutex> lock(g_powerMu);
    if (!g_powerIds.count(id)) return fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, formatString("setPowerConfig: unknown power config id %u", id));
  }
  if (!config) return fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "setPowerConfig: config is NULL");
  for (size_t i = 0; config[i]; ++i) {
    if (i >= 64) return fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "setPowerConfig: config array is not NULL-terminated");
    uint32_t opt = config[i]->option;
    if (opt < QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_DCVS_V3 || opt > QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_HMX_TIMEOUT_INTERVAL_US)
      return fail(anyLogger(), QNN_HTP_PERF_INFRASTRUCTURE_ERROR_UNSUPPORTED_CONFIG, formatString("setPowerConfig: unsupported option %u", opt));
    if (opt == QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_DCVS_V3)
      logf(anyLogger(), QNN_LOG_LEVEL_VERBOSE, "power vote: DCVS v3 powerMode 0x%x core target 0x%x (no effect)",
           unsigned(config[i]->dcvsV3Config.powerMode), unsigned(config[i]->dcvsV3Config.coreVoltageCornerTarget));
  }
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t perfSetMemoryConfig(uint32_t, uint32_t, const QnnHtpPerfInfrastructure_MemoryConfig_t** config) {
  if (!config) return QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT;
  return QNN_SUCCESS;
}

QnnHtpDevice_Infrastructure_t g_infra = [] {
  QnnHtpDevice_Infrastructure_t infra;
  std::memset(&infra, 0, sizeof infra);
  infra.infraType = QNN_HTP_DEVICE_INFRASTRUCTURE_TYPE_PERF;
  infra.perfInfra.createPowerConfigId = perfCreatePowerConfigId;
  infra.perfInfra.destroyPowerConfigId = perfDestroyPowerConfigId;
  infra.perfInfra.setPowerConfig = perfSetPowerConfig;
  infra.perfInfra.setMemoryConfig = perfSetMemoryConfig;
  return infra;
}();

Qnn_ErrorHandle_t deviceGetInfrastructure(const QnnDevice_Infrastructure_t* infra) {
  if (!infra) return QNN_DEVICE_ERROR_INVALID_ARGUMENT;
  *const_cast<QnnDevice_Infrastructure_t*>(infra) = &g_infra;
  return QNN_SUCCESS;
}

QnnDevice_CoreInfo_t g_core = [] {
  QnnDevice_CoreInfo_t c;
  std::memset(&c, 0, sizeof c);
  c.version = QNN_DEVICE_CORE_INFO_VERSION_1;
  return c;
}();
QnnDevice_HardwareDeviceInfo_t g_hw = [] {
  QnnDevice_HardwareDeviceInfo_t h;
  std::memset(&h, 0, sizeof h);
  h.version = QNN_DEVICE_HARDWARE_DEVICE_INFO_VERSION_1;
  h.v1.numCores = 1;
  h.v1.cores = &g_core;
  return h;
}();
QnnDevice_PlatformInfo_t g_platform = [] {
  QnnDevice_PlatformInfo_t p;
  std::memset(&p, 0, sizeof p);
  p.version = QNN_DEVICE_PLATFORM_INFO_VERSION_1;
  p.v1.numHwDevices = 1;
  p.v1.hwDevices = &g_hw;
  return p;
}();

Qnn_ErrorHandle_t deviceGetPlatformInfo(Qnn_LogHandle_t logger, const QnnDevice_PlatformInfo_t** info) {
  std::shared_ptr<Logger> log;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto it = g_loggers.find(logger);
    if (it != g_loggers.end()) log = it->second;
  }
  QNNREF_INJECT("deviceGetPlatformInfo", log.get());
  if (!info) return QNN_DEVICE_ERROR_INVALID_ARGUMENT;
  *info = &g_platform;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t deviceFreePlatformInfo(Qnn_LogHandle_t, const QnnDevice_PlatformInfo_t* info) {
  return info == &g_platform ? Qnn_ErrorHandle_t(QNN_SUCCESS) : Qnn_ErrorHandle_t(QNN_DEVICE_ERROR_INVALID_ARGUMENT);
}

Qnn_ErrorHandle_t deviceCreate(Qnn_LogHandle_t logger, const QnnDevice_Config_t**, Qnn_DeviceHandle_t* device) {
  std::shared_ptr<Logger> log;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto it = g_loggers.find(logger);
    if (it != g_loggers.end()) log = it->second;
  }
  injectedDelay("deviceCreate");
  QNNREF_INJECT("deviceCreate", log.get());
  if (noDspEmulated())
    return fail(log.get(), QNN_DEVICE_ERROR_INVALID_CONFIG, "deviceCreate: no DSP reachable (emulated by QNN_REFERENCE_NO_DSP)");
  if (!device) return fail(log.get(), QNN_DEVICE_ERROR_INVALID_ARGUMENT, "deviceCreate: device out-pointer is NULL");
  auto* d = new DeviceImpl();
  d->logger = log;
  addHandle(d, Kind::Device);
  *device = d;
  logf(log.get(), QNN_LOG_LEVEL_VERBOSE, "device created");
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t deviceFree(Qnn_DeviceHandle_t device) {
  DeviceImpl* d = lookup<DeviceImpl>(device, Kind::Device);
  if (!d || !removeHandle(d, Kind::Device)) return fail(anyLogger(), QNN_DEVICE_ERROR_INVALID_HANDLE, "deviceFree: invalid device handle");
  delete d;
  return QNN_SUCCESS;
}

// ---- profile ------------------------------------------------------------------------------

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

// ---- context ------------------------------------------------------------------------------

Qnn_ErrorHandle_t loadContext(const char* fn, Qnn_BackendHandle_t backend, const QnnContext_Config_t** config, const void* buffer,
                              Qnn_ContextBinarySize_t size, Qnn_ContextHandle_t* context, Qnn_ProfileHandle_t profile, bool validateOnly) {
  auto t0 = std::chrono::steady_clock::now();
  BackendImpl* b = lookup<BackendImpl>(backend, Kind::Backend);
  if (!b) return fail(anyLogger(), QNN_BACKEND_ERROR_INVALID_HANDLE, std::string(fn) + ": invalid backend handle");
  Logger* log = b->logger.get();
  QNNREF_INJECT(fn, log);
  if (!buffer || size == 0) return fail(log, QNN_CONTEXT_ERROR_INVALID_ARGUMENT, std::string(fn) + ": binary buffer is NULL or empty");
  if (!validateOnly && !context) return fail(log, QNN_CONTEXT_ERROR_INVALID_ARGUMENT, std::string(fn) + ": context out-pointer is NULL");
  bool zeroCopy = false;
  if (config) {
    for (size_t i = 0; config[i]; ++i) {
      if (i >= 256) return fail(log, QNN_CONTEXT_ERROR_INVALID_CONFIG, std::string(fn) + ": config array is not NULL-terminated");
      if (config[i]->option == QNN_CONTEXT_CONFIG_PERSISTENT_BINARY && config[i]->isPersistentBinary) zeroCopy = true;
    }
  }
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
  ContextImpl* raw = ctx.release();
  addHandle(raw, Kind::Context);
  for (auto& g : raw->graphs) addHandle(g.get(), Kind::Graph);
  *context = raw;
  recordEvent(profile, QNN_PROFILE_EVENTTYPE_INIT, microsSince(t0), "contextCreateFromBinary");
  return QNN_SUCCESS;
}

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

Qnn_ErrorHandle_t contextGetBinarySize(Qnn_ContextHandle_t context, Qnn_ContextBinarySize_t* size) {
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, "contextGetBinarySize: invalid context handle");
  if (!size) return fail(c->logger.get(), QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "contextGetBinarySize: size out-pointer is NULL");
  *size = c->model.fileSize;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t contextGetBinary(Qnn_ContextHandle_t context, void* buffer, Qnn_ContextBinarySize_t size, Qnn_ContextBinarySize_t* written) {
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  if (!c) return fail(anyLogger(), QNN_CONTEXT_ERROR_INVALID_HANDLE, "contextGetBinary: invalid context handle");
  if (!buffer || !written) return fail(c->logger.get(), QNN_CONTEXT_ERROR_INVALID_ARGUMENT, "contextGetBinary: NULL buffer or out-pointer");
  if (size < c->model.fileSize)
    return fail(c->logger.get(), QNN_CONTEXT_ERROR_GET_BINARY_FAILED,
                formatString("contextGetBinary: buffer has %llu bytes, the binary needs %llu", (unsigned long long)size, (unsigned long long)c->model.fileSize));
  auto* out = static_cast<uint8_t*>(buffer);
  std::memcpy(out, c->head.data(), c->head.size());
  if (c->model.dataSize) std::memcpy(out + c->model.dataOffset, c->data, c->model.dataSize);
  if (!c->tail.empty()) std::memcpy(out + c->model.dataOffset + c->model.dataSize, c->tail.data(), c->tail.size());
  *written = c->model.fileSize;
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
  logf(c->logger.get(), QNN_LOG_LEVEL_INFO, "context freed");
  delete c;
  recordEvent(profile, QNN_PROFILE_EVENTTYPE_DEINIT, microsSince(t0), "contextFree");
  return QNN_SUCCESS;
}

// ---- graph --------------------------------------------------------------------------------

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

struct ClientTensor {
  uint32_t version;
  Qnn_TensorV1_t v1;
};

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
  if (numInputs != gr.inputs.size() || numOutputs != gr.outputs.size())
    return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT,
                formatString("graphExecute: %s takes %zu input(s) and %zu output(s), got %u and %u", gname.c_str(), gr.inputs.size(), gr.outputs.size(), numInputs, numOutputs));
  if ((numInputs && !inputs) || !outputs) return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT, "graphExecute: inputs or outputs array is NULL");

  const bool v2Era = abi::atLeast(c->emu.core, 2, 14);
  const size_t stride = abi::tensorStride(c->emu.core);
  std::vector<uint8_t*> bufs(m.tensors.size(), nullptr);
  std::vector<uint8_t*> clientOut(gr.outputs.size(), nullptr);

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
    if (bufs[tidx]) return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT, "graphExecute: " + tn + " is given twice");
    if (t.memType != QNN_TENSORMEMTYPE_RAW)
      return fail(log, QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM, formatString("graphExecute: %s has memType %u; the reference backend only takes RAW (0)", tn.c_str(), unsigned(t.memType)));
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
    if (!t.clientBuf.data) return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, "graphExecute: " + tn + " has a NULL data pointer");
    if (t.clientBuf.dataSize != info.bytes)
      return fail(log, QNN_GRAPH_ERROR_INVALID_TENSOR, formatString("graphExecute: %s has %u bytes, expected %llu", tn.c_str(), t.clientBuf.dataSize, (unsigned long long)info.bytes));
    bufs[tidx] = static_cast<uint8_t*>(t.clientBuf.data);
    if (!isInput) clientOut[it->second] = bufs[tidx];
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

  // Outputs and intermediates are computed into scratch memory (the client's output
  // buffers may alias its inputs), then copied out.
  try {
    if (g->scratch.empty()) {
      g->scratch.resize(gr.natives.size() + gr.outputs.size());
      for (size_t k = 0; k < gr.natives.size(); ++k) g->scratch[k].resize(m.tensors[gr.natives[k]].bytes);
      for (size_t k = 0; k < gr.outputs.size(); ++k) g->scratch[gr.natives.size() + k].resize(m.tensors[gr.outputs[k]].bytes);
    }
  } catch (const std::bad_alloc&) {
    g->scratch.clear();
    return fail(log, QNN_GRAPH_ERROR_MEM_ALLOC, "graphExecute: out of memory for intermediate tensors");
  }
  for (size_t k = 0; k < gr.natives.size(); ++k) bufs[gr.natives[k]] = g->scratch[k].data();
  for (size_t k = 0; k < gr.outputs.size(); ++k) bufs[gr.outputs[k]] = g->scratch[gr.natives.size() + k].data();
  for (const Node& n : gr.nodes)
    for (uint32_t idx : n.inputs)
      if (m.tensors[idx].type == kTypeStatic) bufs[idx] = const_cast<uint8_t*>(c->data + m.tensors[idx].dataOffset);

  for (const Node& n : gr.nodes) {
    std::string error;
    bool ok;
    try {
      ok = runNode(m, n, bufs, &error);
    } catch (const std::bad_alloc&) {
      return fail(log, QNN_GRAPH_ERROR_MEM_ALLOC, "graphExecute: out of memory in node '" + n.name + "'");
    }
    if (!ok) return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT, "graphExecute: " + gname + ": " + error);
  }
  for (size_t k = 0; k < gr.outputs.size(); ++k) {
    const auto& s = g->scratch[gr.natives.size() + k];
    std::memcpy(clientOut[k], s.data(), s.size());
  }
  uint64_t us = microsSince(t0);
  logf(log, QNN_LOG_LEVEL_DEBUG, "graphExecute %s: %llu us", gname.c_str(), (unsigned long long)us);
  recordEvent(profile, QNN_PROFILE_EVENTTYPE_EXECUTE, us, "graphExecute");
  return QNN_SUCCESS;
}

// ---- error messages -----------------------------------------------------------------------

thread_local std::string t_message;
std::mutex g_verboseMu;
std::set<const char*> g_verbose;

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

// Fills slots that must not be NULL in emulated pre-2.9 tables (a client calling through
// the wrong slot then gets an error code, as with a real old library, not a NULL call).
Qnn_ErrorHandle_t notSupportedStub() { return QNN_COMMON_ERROR_NOT_SUPPORTED; }

// ---- providers ----------------------------------------------------------------------------

using Slot = void (*)();
template <typename F>
Slot slot(F f) {
  return reinterpret_cast<Slot>(f);
}

void fillTable(Slot* s) {  // 2.9+ order, kCoreSlotCount entries
  s[abi::kPropertyHasCapability] = slot(propertyHasCapability);
  s[abi::kBackendCreate] = slot(backendCreate);
  s[abi::kBackendSetConfig] = slot(backendSetConfig);
  s[abi::kBackendGetApiVersion] = slot(backendGetApiVersion);
  s[abi::kBackendGetBuildId] = slot(backendGetBuildId);
  s[abi::kBackendGetSupportedOperations] = slot(backendGetSupportedOperations);
  s[abi::kBackendValidateOpConfig] = slot(backendValidateOpConfig);
  s[abi::kBackendFree] = slot(backendFree);
  s[abi::kContextGetBinarySize] = slot(contextGetBinarySize);
  s[abi::kContextGetBinary] = slot(contextGetBinary);
  s[abi::kContextCreateFromBinary] = slot(contextCreateFromBinary);
  s[abi::kContextFree] = slot(contextFree);
  s[abi::kGraphRetrieve] = slot(graphRetrieve);
  s[abi::kGraphExecute] = slot(graphExecute);
  s[abi::kLogCreate] = slot(logCreate);
  s[abi::kLogSetLogLevel] = slot(logSetLogLevel);
  s[abi::kLogFree] = slot(logFree);
  s[abi::kProfileCreate] = slot(profileCreate);
  s[abi::kProfileGetEvents] = slot(profileGetEvents);
  s[abi::kProfileGetSubEvents] = slot(profileGetSubEvents);
  s[abi::kProfileGetEventData] = slot(profileGetEventData);
  s[abi::kProfileFree] = slot(profileFree);
  s[abi::kDeviceGetPlatformInfo] = slot(deviceGetPlatformInfo);
  s[abi::kDeviceFreePlatformInfo] = slot(deviceFreePlatformInfo);
  s[abi::kDeviceGetInfrastructure] = slot(deviceGetInfrastructure);
  s[abi::kDeviceCreate] = slot(deviceCreate);
  s[abi::kDeviceFree] = slot(deviceFree);
  s[abi::kErrorGetMessage] = slot(errorGetMessage);
  s[abi::kErrorGetVerboseMessage] = slot(errorGetVerboseMessage);
  s[abi::kErrorFreeVerboseMessage] = slot(errorFreeVerboseMessage);
  s[abi::kContextValidateBinary] = slot(contextValidateBinary);
}

struct Provider {
  GuardedBlock block;
  const QnnInterface_t* list[1];
};
std::mutex g_providersMu;
// Never freed (not even at exit): provider structs stay valid while the library is loaded.
auto* const g_providers = new std::map<std::string, Provider*>();

const char* const kProviderName = "QNN_NODE_REFERENCE";

const Provider* providerFor(const Emulation& e) {
  std::string key = versionString(e.core) + "/" + versionString(e.backend);
  std::lock_guard<std::mutex> lock(g_providersMu);
  auto it = g_providers->find(key);
  if (it != g_providers->end()) return it->second;

  Slot table[abi::kCoreSlotCount] = {};
  fillTable(table);
  uint32_t count = abi::coreSlotCount(e.core.minor);
  std::vector<Slot> slots(count, nullptr);
  if (e.core.minor < abi::kAppendOnlySinceMinor) {
    for (uint32_t k = 0; k < 48; ++k) {
      int old = abi::oldLayoutIndex(k);
      if (old >= 0) slots[size_t(old)] = table[k] ? table[k] : slot(notSupportedStub);
    }
  } else {
    for (uint32_t k = 0; k < count; ++k) slots[k] = table[k];
  }
  size_t size = abi::kInterfaceTableOffset + count * abi::kSlotSize;
  GuardedBlock block = guardedAlloc(size);
  if (!block.ptr) return nullptr;
  auto* mem = static_cast<uint8_t*>(block.ptr);
  uint32_t backendId = kBackendId;
  const char* name = kProviderName;
  Qnn_ApiVersion_t api;
  api.coreApiVersion = Qnn_Version_t{e.core.major, e.core.minor, e.core.patch};
  api.backendApiVersion = Qnn_Version_t{e.backend.major, e.backend.minor, e.backend.patch};
  std::memcpy(mem + offsetof(QnnInterface_t, backendId), &backendId, 4);
  std::memcpy(mem + offsetof(QnnInterface_t, providerName), &name, sizeof name);
  std::memcpy(mem + offsetof(QnnInterface_t, apiVersion), &api, sizeof api);
  std::memcpy(mem + abi::kInterfaceTableOffset, slots.data(), count * abi::kSlotSize);
  auto* p = new Provider();
  p->block = block;
  p->list[0] = reinterpret_cast<const QnnInterface_t*>(mem);
  (*g_providers)[key] = p;
  return p;
}

}  // namespace
}  // namespace qnnref

QNNREF_EXPORT Qnn_ErrorHandle_t QnnInterface_getProviders(const QnnInterface_t*** providerList, uint32_t* numProviders) {
  using namespace qnnref;
  if (!providerList || !numProviders) return QNN_INTERFACE_ERROR_INVALID_PARAMETER;
  Emulation e;
  std::string error;
  if (!readEmulation(&e, &error)) {
    std::fprintf(stderr, "libQnnReference: %s\n", error.c_str());
    return QNN_INTERFACE_ERROR_NOT_SUPPORTED;
  }
  const Provider* p = providerFor(e);
  if (!p) return QNN_COMMON_ERROR_MEM_ALLOC;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_emu = e;
  }
  *providerList = const_cast<const QnnInterface_t**>(p->list);
  *numProviders = 1;
  return QNN_SUCCESS;
}
