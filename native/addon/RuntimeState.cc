#include "RuntimeState.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "qnn/qnn_abi_compat.h"
#include "qnn/qnn_status_names.h"

#include "PowerVotes.h"
#include "SafeRead.h"

namespace qnn_node {
namespace {

constexpr uint32_t kMinCoreMinor = abi::kMinSupportedCoreMinor;  // 144-byte tensors, append-only table
constexpr uint32_t kMinSystemMinor = 1;
static_assert(offsetof(QnnInterface_t, QNN_INTERFACE_VER_NAME) == 40, "the core table sits at offset 40");

using CoreTable = QNN_INTERFACE_VER_TYPE;
using SystemTable = QNN_SYSTEM_INTERFACE_VER_TYPE;
constexpr uint32_t kDeclaredCoreSlots = static_cast<uint32_t>(sizeof(CoreTable) / sizeof(void*));

// Copies the function pointer at `offset` of the table when that slot exists for the
// reported version; NULL otherwise (and NULL slots stay NULL: "not supported").
template <typename Fn>
Fn ReadSlot(const void* table, size_t offset, uint32_t availableSlots) {
  if (offset / sizeof(void*) >= availableSlots) return nullptr;
  Fn fn = nullptr;
  std::memcpy(&fn, static_cast<const char*>(table) + offset, sizeof fn);
  return fn;
}
#define QNN_NODE_CORE_SLOT(iface, member, slots)                                                      \
  ReadSlot<decltype(CoreTable::member)>(&(iface)->QNN_INTERFACE_VER_NAME, offsetof(CoreTable, member), \
                                        (slots))
#define QNN_NODE_SYSTEM_SLOT(iface, member, slots)                  \
  ReadSlot<decltype(SystemTable::member)>(&(iface)->QNN_SYSTEM_INTERFACE_VER_NAME, \
                                          offsetof(SystemTable, member), (slots))

std::string FileName(const std::string& path) {
  size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string Version::str() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

NativeError RuntimeState::StatusError(const char* fn, Qnn_ErrorHandle_t status, const std::string& what) const {
  NativeError e;
  e.code = "QNN_ERROR";
  e.hasStatus = true;
  e.status = static_cast<uint64_t>(status);
  e.apiFunction = fn;
  // Codes are shared between families: prefer the family of the failing function.
  std::string f(fn);
  const char* prefix = nullptr;
  if (f.rfind("graph", 0) == 0) prefix = "QNN_GRAPH_";
  else if (f.rfind("context", 0) == 0) prefix = "QNN_CONTEXT_";
  else if (f.rfind("backend", 0) == 0) prefix = "QNN_BACKEND_";
  else if (f.rfind("device", 0) == 0) prefix = "QNN_DEVICE_";
  else if (f.rfind("log", 0) == 0) prefix = "QNN_LOG_";
  else if (f.rfind("mem", 0) == 0) prefix = "QNN_MEM_";
  else if (f.rfind("system", 0) == 0) prefix = "QNN_SYSTEM_";
  const char* name = qnn_node_status_name_for(static_cast<uint64_t>(status), prefix);
  e.statusName = name ? name : "QNN_UNKNOWN_ERROR";
  const bool unknown = e.statusName == "QNN_UNKNOWN_ERROR";
  std::string rangeText;
  if (unknown) {
    const QnnNode_StatusRange_t* range = qnn_node_status_range(static_cast<uint64_t>(status));
    rangeText = range ? std::string("the QNN ") + range->component + " range " + std::to_string(range->min) + "-" +
                            std::to_string(range->max)
                      : std::string("no range the QNN headers reserve");
    e.details.emplace_back("statusRange", range ? std::string(range->component) + " " + std::to_string(range->min) +
                                                      "-" + std::to_string(range->max)
                                                : std::string("none"));
  }
  if (fns.errorGetMessage) {
    const char* msg = nullptr;
    if (fns.errorGetMessage(status, &msg) == QNN_SUCCESS && msg && msg[0]) {
      e.backendMessage = msg;
      e.hasBackendMessage = true;
    }
  }
  std::ostringstream m;
  if (unknown) {
    m << fn << " failed with unknown status " << (status & 0xFFFF) << " (in " << rangeText << ")";
  } else {
    m << fn << " failed with " << e.statusName << " (" << (status & 0xFFFF) << ")";
  }
  if (!what.empty()) m << " " << what;
  if (e.hasBackendMessage) m << ": " << e.backendMessage;
  e.message = m.str();
  return e;
}

void RuntimeState::ThrowStatus(const char* fn, Qnn_ErrorHandle_t status, const std::string& what) const {
  throw CoreError(StatusError(fn, status, what));
}

std::shared_ptr<RuntimeState> RuntimeState::Create(const RuntimeOptions& options, std::shared_ptr<LogChannel> log) {
  std::shared_ptr<RuntimeState> rt(new RuntimeState());
  rt->log_ = std::move(log);
  rt->LoadBackend(options);
  rt->LoadSystem(options);
  rt->CreateHandles(options);
  return rt;
}

std::shared_ptr<RuntimeState> RuntimeState::CreateSystemOnly(const RuntimeOptions& options) {
  std::shared_ptr<RuntimeState> rt(new RuntimeState());
  RuntimeOptions o = options;
  o.systemRequired = true;
  if (o.systemPath.empty()) {
    throw CoreError("LIBRARY_LOAD_FAILED", "No QnnSystem library was given").Detail("library", "system");
  }
  rt->sdkMinor = options.sdkMinor;
  rt->LoadSystem(o);
  return rt;
}

void RuntimeState::LoadBackend(const RuntimeOptions& options) {
  requestedBackendPath_ = options.backendPath;
  std::string err;
  if (!backendLib_.Open(options.backendPath, &err)) {
    throw CoreError("LIBRARY_LOAD_FAILED", "Could not load the QNN backend library " + options.backendPath + ": " + err)
        .Detail("path", options.backendPath)
        .Detail("loaderError", err)
        .Detail("library", "backend");
  }
  backendPath = backendLib_.ResolvedPath();
  using GetProvidersFn = Qnn_ErrorHandle_t (*)(const QnnInterface_t***, uint32_t*);
  auto getProviders = reinterpret_cast<GetProvidersFn>(backendLib_.Symbol("QnnInterface_getProviders", &err));
  if (!getProviders) {
    throw LoadError(CoreError("SYMBOL_NOT_FOUND", backendPath + " does not export QnnInterface_getProviders (" + err +
                                                      "); is it a QNN backend library?")
                        .Detail("path", backendPath)
                        .Detail("symbol", "QnnInterface_getProviders"),
                    "getProviders");
  }
  const QnnInterface_t** list = nullptr;
  uint32_t count = 0;
  Qnn_ErrorHandle_t st = getProviders(&list, &count);
  if (st != QNN_SUCCESS) throw LoadError(StatusError("QnnInterface_getProviders", st), "getProviders");
  if (!list || count == 0) {
    throw LoadError(CoreError("NO_PROVIDER", backendPath + " reports no QNN interface providers").Detail("path", backendPath),
                    "getProviders");
  }
  // Only the fixed head of QnnInterface_t (id, name, versions) is read before gating.
  const QnnInterface_t* chosen = nullptr;
  const QnnInterface_t* refused = nullptr;  // the newest refused provider with a 2.9+ table
  for (uint32_t i = 0; i < count && i < 64; ++i) {
    const QnnInterface_t* p = list[i];
    if (!p) continue;
    ProviderInfo info;
    info.name = p->providerName ? p->providerName : "";
    info.backendId = p->backendId;
    info.core = {p->apiVersion.coreApiVersion.major, p->apiVersion.coreApiVersion.minor,
                 p->apiVersion.coreApiVersion.patch};
    info.backend = {p->apiVersion.backendApiVersion.major, p->apiVersion.backendApiVersion.minor,
                    p->apiVersion.backendApiVersion.patch};
    providers.push_back(info);
    if (info.core.major != 2 || info.core.minor < kMinCoreMinor) {
      if (info.core.major == 2 && info.core.minor >= abi::kAppendOnlySinceMinor &&
          (!refused || info.core.minor > refused->apiVersion.coreApiVersion.minor)) {
        refused = p;
      }
      continue;
    }
    if (!chosen || info.core.minor > provider.core.minor) {
      chosen = p;
      provider = info;
    }
  }
  if (!chosen && refused) {
    // Only to report it: the build id slot sits at the same place in every 2.9+ table.
    auto getBuildId = QNN_NODE_CORE_SLOT(refused, backendGetBuildId,
                                         abi::coreSlotCount(refused->apiVersion.coreApiVersion.minor));
    const char* id = nullptr;
    if (getBuildId && getBuildId(&id) == QNN_SUCCESS && id) refusedBuildId_ = id;
  }
  if (!chosen) {
    std::ostringstream m;
    m << FileName(backendPath) << " reports ";
    std::string reported;
    for (size_t i = 0; i < providers.size(); ++i) {
      if (i) m << ", ";
      m << "core API " << providers[i].core.str() << " (backend API " << providers[i].backend.str() << ", provider \""
        << providers[i].name << "\")";
      reported += (i ? "," : "") + providers[i].core.str();
    }
    m << "; qnn-node needs core API 2.x with x >= " << kMinCoreMinor
      << " (QNN SDK 2.20 or newer): older backends use a different function table and tensor layout. "
         "Use libraries from a newer QNN / QAIRT SDK.";
    throw LoadError(CoreError("UNSUPPORTED_VERSION", m.str())
                        .Detail("path", backendPath)
                        .Detail("reportedCoreApi", reported)
                        .Detail("minimumCoreApi", "2." + std::to_string(kMinCoreMinor) + ".0"),
                    "version");
  }
  hasProvider_ = true;
  coreInterface = chosen;
  // Slots present in the reported core minor (append-only from 2.9), capped by what the
  // declarations here know.
  uint32_t slots = abi::coreSlotCount(provider.core.minor);
  coreSlots = slots < kDeclaredCoreSlots ? slots : kDeclaredCoreSlots;
  fns.backendCreate = QNN_NODE_CORE_SLOT(chosen, backendCreate, coreSlots);
  fns.backendFree = QNN_NODE_CORE_SLOT(chosen, backendFree, coreSlots);
  fns.backendGetBuildId = QNN_NODE_CORE_SLOT(chosen, backendGetBuildId, coreSlots);
  fns.logCreate = QNN_NODE_CORE_SLOT(chosen, logCreate, coreSlots);
  fns.logFree = QNN_NODE_CORE_SLOT(chosen, logFree, coreSlots);
  fns.deviceCreate = QNN_NODE_CORE_SLOT(chosen, deviceCreate, coreSlots);
  fns.deviceFree = QNN_NODE_CORE_SLOT(chosen, deviceFree, coreSlots);
  fns.contextCreateFromBinary = QNN_NODE_CORE_SLOT(chosen, contextCreateFromBinary, coreSlots);
  fns.contextFree = QNN_NODE_CORE_SLOT(chosen, contextFree, coreSlots);
  fns.graphRetrieve = QNN_NODE_CORE_SLOT(chosen, graphRetrieve, coreSlots);
  fns.graphSetConfig = QNN_NODE_CORE_SLOT(chosen, graphSetConfig, coreSlots);
  fns.graphExecute = QNN_NODE_CORE_SLOT(chosen, graphExecute, coreSlots);
  fns.profileCreate = QNN_NODE_CORE_SLOT(chosen, profileCreate, coreSlots);
  fns.profileSetConfig = QNN_NODE_CORE_SLOT(chosen, profileSetConfig, coreSlots);
  fns.profileGetEvents = QNN_NODE_CORE_SLOT(chosen, profileGetEvents, coreSlots);
  fns.profileGetSubEvents = QNN_NODE_CORE_SLOT(chosen, profileGetSubEvents, coreSlots);
  fns.profileGetEventData = QNN_NODE_CORE_SLOT(chosen, profileGetEventData, coreSlots);
  fns.profileGetExtendedEventData = QNN_NODE_CORE_SLOT(chosen, profileGetExtendedEventData, coreSlots);
  fns.profileFree = QNN_NODE_CORE_SLOT(chosen, profileFree, coreSlots);
  fns.errorGetMessage = QNN_NODE_CORE_SLOT(chosen, errorGetMessage, coreSlots);
  fns.deviceGetPlatformInfo = QNN_NODE_CORE_SLOT(chosen, deviceGetPlatformInfo, coreSlots);
  fns.memRegister = QNN_NODE_CORE_SLOT(chosen, memRegister, coreSlots);
  fns.memDeRegister = QNN_NODE_CORE_SLOT(chosen, memDeRegister, coreSlots);
  fns.deviceFreePlatformInfo = QNN_NODE_CORE_SLOT(chosen, deviceFreePlatformInfo, coreSlots);
  fns.deviceGetInfrastructure = QNN_NODE_CORE_SLOT(chosen, deviceGetInfrastructure, coreSlots);
  const char* required[] = {"backendCreate", "backendFree", "contextCreateFromBinary", "contextFree",
                            "graphRetrieve", "graphExecute"};
  const void* ptrs[] = {reinterpret_cast<const void*>(fns.backendCreate), reinterpret_cast<const void*>(fns.backendFree),
                        reinterpret_cast<const void*>(fns.contextCreateFromBinary),
                        reinterpret_cast<const void*>(fns.contextFree), reinterpret_cast<const void*>(fns.graphRetrieve),
                        reinterpret_cast<const void*>(fns.graphExecute)};
  for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); ++i) {
    if (!ptrs[i]) {
      throw LoadError(CoreError("SYMBOL_NOT_FOUND", std::string("The QNN backend ") + FileName(backendPath) +
                                                        " (core API " + provider.core.str() + ") has no " + required[i] +
                                                        " in its function table")
                          .Detail("path", backendPath)
                          .Detail("symbol", required[i]),
                      "functionTable");
    }
  }
  if (fns.backendGetBuildId) {
    const char* id = nullptr;
    if (fns.backendGetBuildId(&id) == QNN_SUCCESS && id) buildId = id;
  }
}

void RuntimeState::LoadSystem(const RuntimeOptions& options) {
  if (options.systemPath.empty()) {
    systemError = "no QnnSystem library was given";
    return;
  }
  auto fail = [&](const CoreError& e) {
    if (options.systemRequired) {
      if (!hasProvider_) throw e;  // system-only: there is no backend to describe
      NativeError withBackend = e.error();
      withBackend.details.emplace_back("backendPath", backendPath);
      withBackend.details.emplace_back("providerName", provider.name);
      withBackend.details.emplace_back("coreApiVersion", provider.core.str());
      withBackend.details.emplace_back("backendApiVersion", provider.backend.str());
      if (!buildId.empty()) withBackend.details.emplace_back("buildId", buildId);
      throw CoreError(std::move(withBackend));
    }
    systemError = e.error().message;
    systemLib_.Close();
    sys = SystemFns();
  };
  std::string err;
  if (!systemLib_.Open(options.systemPath, &err)) {
    fail(CoreError("LIBRARY_LOAD_FAILED",
                   "Could not load the QnnSystem library " + options.systemPath + ": " + err)
             .Detail("path", options.systemPath)
             .Detail("loaderError", err)
             .Detail("library", "system"));
    return;
  }
  systemPath = systemLib_.ResolvedPath();
  using GetProvidersFn = Qnn_ErrorHandle_t (*)(const QnnSystemInterface_t***, uint32_t*);
  auto getProviders = reinterpret_cast<GetProvidersFn>(systemLib_.Symbol("QnnSystemInterface_getProviders", &err));
  if (!getProviders) {
    fail(CoreError("SYMBOL_NOT_FOUND", systemPath + " does not export QnnSystemInterface_getProviders (" + err + ")")
             .Detail("path", systemPath)
             .Detail("symbol", "QnnSystemInterface_getProviders"));
    return;
  }
  const QnnSystemInterface_t** list = nullptr;
  uint32_t count = 0;
  Qnn_ErrorHandle_t st = getProviders(&list, &count);
  if (st != QNN_SUCCESS || !list || count == 0) {
    fail(CoreError("NO_PROVIDER", systemPath + " reports no QnnSystem interface providers")
             .Detail("path", systemPath));
    return;
  }
  const QnnSystemInterface_t* chosen = nullptr;
  std::string reported;
  for (uint32_t i = 0; i < count && i < 64; ++i) {
    const QnnSystemInterface_t* p = list[i];
    if (!p) continue;
    Version v{p->systemApiVersion.major, p->systemApiVersion.minor, p->systemApiVersion.patch};
    reported += (reported.empty() ? "" : ", ") + v.str();
    if (v.major != 1 || v.minor < kMinSystemMinor) continue;
    if (!chosen || v.minor > systemVersion.minor) {
      chosen = p;
      systemVersion = v;
      systemProviderName = p->providerName ? p->providerName : "";
    }
  }
  if (!chosen) {
    fail(CoreError("UNSUPPORTED_VERSION", FileName(systemPath) + " reports System API " + reported +
                                              "; qnn-node needs System API 1.x with x >= " +
                                              std::to_string(kMinSystemMinor))
             .Detail("path", systemPath)
             .Detail("reportedSystemApi", reported)
             .Detail("minimumSystemApi", "1.1.0"));
    return;
  }
  // System 1.1–1.2 tables start with create, getBinaryInfo, getMetaData, free; later
  // minors only append.
  uint32_t slots = abi::kSystemBaseSlotCount;
  sys.contextCreate = QNN_NODE_SYSTEM_SLOT(chosen, systemContextCreate, slots);
  sys.getBinaryInfo = QNN_NODE_SYSTEM_SLOT(chosen, systemContextGetBinaryInfo, slots);
  sys.contextFree = QNN_NODE_SYSTEM_SLOT(chosen, systemContextFree, slots);
  if (!sys.contextCreate || !sys.getBinaryInfo || !sys.contextFree) {
    fail(CoreError("SYMBOL_NOT_FOUND", FileName(systemPath) + " (System API " + systemVersion.str() +
                                           ") lacks systemContextCreate/GetBinaryInfo/Free")
             .Detail("path", systemPath));
    return;
  }
  hasSystem = true;
  systemError.clear();
}

void RuntimeState::CreateHandles(const RuntimeOptions& options) {
  // Gates the JS layer could not apply: it learns the reported version only now (before anything is created).
  CheckVersionGates(options.backendCustom, provider, "backend");
  if (options.device != 0) CheckVersionGates(options.deviceCustom, provider, "device");
  if (log_ && options.logLevel > 0 && fns.logCreate && fns.logFree) {
    Qnn_ErrorHandle_t st = fns.logCreate(log_->callback(),
                                         static_cast<QnnLog_Level_t>(options.logLevel), &logHandle);
    if (st != QNN_SUCCESS) {
      logHandle = nullptr;
      log_->Close();
      log_.reset();
    }
  }
  ConfigArray backendConfigs;
  AddCustomConfigs(backendConfigs, ConfigFamily::kBackend, options.backendCustom, provider.backend);
  Qnn_ErrorHandle_t st = fns.backendCreate(
      logHandle, backendConfigs.empty() ? nullptr : backendConfigs.Get<QnnBackend_Config_t>(), &backendHandle);
  if (st != QNN_SUCCESS) {
    CoreError e = LoadError(StatusError("backendCreate", st), "backendCreate");
    backendHandle = nullptr;
    Teardown();
    throw e;
  }
  ReadPlatformInfo();
  if (options.device != 0 && fns.deviceCreate && fns.deviceFree) {
    ConfigArray deviceConfigs;
    AddCustomConfigs(deviceConfigs, ConfigFamily::kDevice, options.deviceCustom, provider.backend);
    st = fns.deviceCreate(logHandle, deviceConfigs.empty() ? nullptr : deviceConfigs.Get<QnnDevice_Config_t>(), &deviceHandle);
    if (st == QNN_SUCCESS) {
      hasDevice = true;
    } else {
      deviceHandle = nullptr;
      NativeError e = StatusError("deviceCreate", st);
      if (options.device == 1) {
        CoreError full = LoadError(e, "deviceCreate");
        Teardown();
        throw full;
      }
      deviceError = e.message;
      deviceFailure = e;
      hasDeviceFailure = true;
    }
  } else if (options.device == 1) {
    CoreError full = LoadError(CoreError("QNN_ERROR", "The QNN backend " + FileName(backendPath) + " has no deviceCreate"),
                               "deviceCreate");
    Teardown();
    throw full;
  } else if (options.device == 0) {
    deviceSkipped = true;
  }
  power = PowerVotes::Probe(*this, &powerError);
}

size_t RuntimeState::GraphInfoStride() const {
  abi::Version v{systemVersion.major, systemVersion.minor, systemVersion.patch};
  // The SDK minor: from the build id every QNN backend reports ("v2.25.0.…"), else the
  // backend API minor (which tracks the SDK minor for libQnnHtp only).
  // System-only: the SDK minor the caller gave.
  if (sdkMinor != 0) return abi::graphInfoStride(v, sdkMinor);
  unsigned sdkMajor = 0, buildMinor = 0;
  if (std::sscanf(buildId.c_str(), "v%u.%u", &sdkMajor, &buildMinor) == 2 && sdkMajor == 2) return abi::graphInfoStride(v, buildMinor);
  return abi::graphInfoStride(v, provider.backend.minor);
}

void RuntimeState::Teardown() {
  if (power) power->Shutdown();  // the power config ids go before the device
  power.reset();
  if (deviceHandle && fns.deviceFree) fns.deviceFree(deviceHandle);
  deviceHandle = nullptr;
  if (backendHandle && fns.backendFree) fns.backendFree(backendHandle);
  backendHandle = nullptr;
  if (logHandle && fns.logFree) fns.logFree(logHandle);
  logHandle = nullptr;
  if (log_) log_->Close();  // after logFree: no callback can arrive any more
  log_.reset();
}

RuntimeState::~RuntimeState() {
  Teardown();
  sys = SystemFns();
  fns = CoreFns();
  // QNN libraries are not unloaded: backends start threads, register exit handlers and
  // keep process-wide state (the DSP session, provider tables) that outlive their handles,
  // and unloading them is not safe across releases. Loading the same library again later
  // reuses the loaded image (dlopen / LoadLibrary reference counting), so repeated
  // load/dispose cycles do not grow. QNN_NODE_UNLOAD_LIBRARIES=1 unloads them anyway.
  const char* unload = std::getenv("QNN_NODE_UNLOAD_LIBRARIES");
  if (unload && unload[0] == '1') {
    systemLib_.Close();
    backendLib_.Close();
  } else {
    systemLib_.Keep();
    backendLib_.Keep();
  }
}

}  // namespace qnn_node
