#include "QnnCore.h"

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "qnn/qnn_abi_compat.h"
#include "qnn/qnn_status_names.h"

namespace qnn_node {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

constexpr uint32_t kMinCoreMinor = abi::kMinSupportedCoreMinor;  // 144-byte tensors, append-only table
constexpr uint32_t kMinSystemMinor = 1;
constexpr size_t kTensorStride = abi::kTensorStrideV2Era;
constexpr uint32_t kMaxTensors = 1u << 16;
constexpr uint32_t kMaxRank = 64;
constexpr uint32_t kMaxPlatformDevices = 64;
constexpr uint32_t kMaxPlatformCores = 256;
static_assert(sizeof(Qnn_Tensor_t) == kTensorStride, "Qnn_Tensor_t must be the 144-byte (core 2.14+) layout");
static_assert(sizeof(Qnn_QuantizeParams_t) == 40, "Qnn_QuantizeParams_t must be 40 bytes");
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

uint32_t DtypeBits(uint32_t dataType) {
  switch (dataType) {
    case QNN_DATATYPE_INT_8: case QNN_DATATYPE_UINT_8: case QNN_DATATYPE_SFIXED_POINT_8:
    case QNN_DATATYPE_UFIXED_POINT_8: case QNN_DATATYPE_BOOL_8:
      return 8;
    case QNN_DATATYPE_INT_16: case QNN_DATATYPE_UINT_16: case QNN_DATATYPE_FLOAT_16:
    case abi::kDataTypeBFloat16: case QNN_DATATYPE_SFIXED_POINT_16: case QNN_DATATYPE_UFIXED_POINT_16:
      return 16;
    case QNN_DATATYPE_INT_32: case QNN_DATATYPE_UINT_32: case QNN_DATATYPE_FLOAT_32:
    case QNN_DATATYPE_SFIXED_POINT_32: case QNN_DATATYPE_UFIXED_POINT_32:
      return 32;
    case QNN_DATATYPE_INT_64: case QNN_DATATYPE_UINT_64: case QNN_DATATYPE_FLOAT_64:
      return 64;
    case QNN_DATATYPE_SFIXED_POINT_4: case QNN_DATATYPE_UFIXED_POINT_4:
      return 4;
    default:
      return 0;
  }
}

}  // namespace

std::string Version::str() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

uint64_t TensorByteSize(uint32_t dataType, const std::vector<uint32_t>& dims) {
  uint32_t bits = DtypeBits(dataType);
  if (bits == 0) return 0;
  uint64_t n = 1;
  for (uint32_t d : dims) {
    if (d != 0 && n > (UINT64_MAX / 64) / d) return 0;  // absurd: treat as unknown
    n *= d;
  }
  return bits == 4 ? (n + 1) / 2 : n * (bits / 8);
}

// ---- RuntimeState ------------------------------------------------------------------------

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
  else if (f.rfind("system", 0) == 0) prefix = "QNN_SYSTEM_";
  const char* name = qnn_node_status_name_for(static_cast<uint64_t>(status), prefix);
  e.statusName = name ? name : "QNN_UNKNOWN_ERROR";
  if (fns.errorGetMessage) {
    const char* msg = nullptr;
    if (fns.errorGetMessage(status, &msg) == QNN_SUCCESS && msg && msg[0]) {
      e.backendMessage = msg;
      e.hasBackendMessage = true;
    }
  }
  std::ostringstream m;
  m << fn << " failed with " << e.statusName << " (" << (status & 0xFFFF) << ")";
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
    throw CoreError("SYMBOL_NOT_FOUND", backendPath + " does not export QnnInterface_getProviders (" + err +
                                            "); is it a QNN backend library?")
        .Detail("path", backendPath)
        .Detail("symbol", "QnnInterface_getProviders");
  }
  const QnnInterface_t** list = nullptr;
  uint32_t count = 0;
  Qnn_ErrorHandle_t st = getProviders(&list, &count);
  if (st != QNN_SUCCESS) ThrowStatus("QnnInterface_getProviders", st);
  if (!list || count == 0) {
    throw CoreError("NO_PROVIDER", backendPath + " reports no QNN interface providers").Detail("path", backendPath);
  }
  // Only the fixed head of QnnInterface_t (id, name, versions) is read before gating.
  const QnnInterface_t* chosen = nullptr;
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
    if (info.core.major != 2 || info.core.minor < kMinCoreMinor) continue;
    if (!chosen || info.core.minor > provider.core.minor) {
      chosen = p;
      provider = info;
    }
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
    throw CoreError("UNSUPPORTED_VERSION", m.str())
        .Detail("path", backendPath)
        .Detail("reportedCoreApi", reported)
        .Detail("minimumCoreApi", "2." + std::to_string(kMinCoreMinor) + ".0");
  }
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
  fns.graphExecute = QNN_NODE_CORE_SLOT(chosen, graphExecute, coreSlots);
  fns.errorGetMessage = QNN_NODE_CORE_SLOT(chosen, errorGetMessage, coreSlots);
  fns.deviceGetPlatformInfo = QNN_NODE_CORE_SLOT(chosen, deviceGetPlatformInfo, coreSlots);
  fns.deviceFreePlatformInfo = QNN_NODE_CORE_SLOT(chosen, deviceFreePlatformInfo, coreSlots);
  const char* required[] = {"backendCreate", "backendFree", "contextCreateFromBinary", "contextFree",
                            "graphRetrieve", "graphExecute"};
  const void* ptrs[] = {reinterpret_cast<const void*>(fns.backendCreate), reinterpret_cast<const void*>(fns.backendFree),
                        reinterpret_cast<const void*>(fns.contextCreateFromBinary),
                        reinterpret_cast<const void*>(fns.contextFree), reinterpret_cast<const void*>(fns.graphRetrieve),
                        reinterpret_cast<const void*>(fns.graphExecute)};
  for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); ++i) {
    if (!ptrs[i]) {
      throw CoreError("SYMBOL_NOT_FOUND", std::string("The QNN backend ") + FileName(backendPath) + " (core API " +
                                              provider.core.str() + ") has no " + required[i] +
                                              " in its function table")
          .Detail("path", backendPath)
          .Detail("symbol", required[i]);
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
    if (options.systemRequired) throw e;
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
  if (log_ && options.logLevel > 0 && fns.logCreate && fns.logFree) {
    Qnn_ErrorHandle_t st = fns.logCreate(log_->callback(),
                                         static_cast<QnnLog_Level_t>(options.logLevel), &logHandle);
    if (st != QNN_SUCCESS) {
      logHandle = nullptr;
      log_->Close();
      log_.reset();
    }
  }
  Qnn_ErrorHandle_t st = fns.backendCreate(logHandle, nullptr, &backendHandle);
  if (st != QNN_SUCCESS) {
    NativeError e = StatusError("backendCreate", st);
    backendHandle = nullptr;
    Teardown();
    throw CoreError(e);
  }
  ReadPlatformInfo();
  if (options.device != 0 && fns.deviceCreate && fns.deviceFree) {
    st = fns.deviceCreate(logHandle, nullptr, &deviceHandle);
    if (st == QNN_SUCCESS) {
      hasDevice = true;
    } else {
      deviceHandle = nullptr;
      NativeError e = StatusError("deviceCreate", st);
      if (options.device == 1) {
        Teardown();
        throw CoreError(e);
      }
      deviceError = e.message;
    }
  } else if (options.device == 1) {
    Teardown();
    throw CoreError("QNN_ERROR", "The QNN backend " + FileName(backendPath) + " has no deviceCreate");
  }
}

// Not fatal: a failure status or an unreadable part is recorded in platformError.
void RuntimeState::ReadPlatformInfo() {
  if (!fns.deviceGetPlatformInfo) return;
  const QnnDevice_PlatformInfo_t* info = nullptr;
  Qnn_ErrorHandle_t st = fns.deviceGetPlatformInfo(logHandle, &info);
  if (st != QNN_SUCCESS) {
    platformError = StatusError("deviceGetPlatformInfo", st).message;
    return;
  }
  if (!info) {
    platformError = "deviceGetPlatformInfo returned no platform info";
    return;
  }
  std::vector<std::string> notes;
  auto unknown = [&](const char* what, uint32_t v) { notes.push_back(std::string(what) + ": unknown version " + std::to_string(v)); };
  hasPlatform = true;
  platform.version = static_cast<uint32_t>(info->version);
  if (info->version != QNN_DEVICE_PLATFORM_INFO_VERSION_1) {
    unknown("QnnDevice_PlatformInfo_t", platform.version);
  } else if (info->v1.numHwDevices > 0 && !info->v1.hwDevices) {
    notes.push_back("QnnDevice_PlatformInfo_t reports " + std::to_string(info->v1.numHwDevices) + " hardware devices but no array");
  } else {
    uint32_t numDevices = info->v1.numHwDevices;
    if (numDevices > kMaxPlatformDevices) {
      notes.push_back("QnnDevice_PlatformInfo_t reports " + std::to_string(numDevices) + " hardware devices; read the first " +
                      std::to_string(kMaxPlatformDevices));
      numDevices = kMaxPlatformDevices;
    }
    for (uint32_t i = 0; i < numDevices; ++i) {
      const QnnDevice_HardwareDeviceInfo_t& hw = info->v1.hwDevices[i];
      if (hw.version != QNN_DEVICE_HARDWARE_DEVICE_INFO_VERSION_1) {
        unknown(("hardware device " + std::to_string(i)).c_str(), static_cast<uint32_t>(hw.version));
        continue;
      }
      PlatformDevice d;
      d.id = hw.v1.deviceId;
      d.type = hw.v1.deviceType;
      d.hasExtension = hw.v1.deviceInfoExtension != nullptr;
      uint32_t numCores = hw.v1.numCores;
      if (numCores > 0 && !hw.v1.cores) {
        notes.push_back("hardware device " + std::to_string(d.id) + " reports " + std::to_string(numCores) + " cores but no array");
        numCores = 0;
      } else if (numCores > kMaxPlatformCores) {
        notes.push_back("hardware device " + std::to_string(d.id) + " reports " + std::to_string(numCores) +
                        " cores; read the first " + std::to_string(kMaxPlatformCores));
        numCores = kMaxPlatformCores;
      }
      for (uint32_t c = 0; c < numCores; ++c) {
        const QnnDevice_CoreInfo_t& core = hw.v1.cores[c];
        if (core.version != QNN_DEVICE_CORE_INFO_VERSION_1) {
          unknown(("core " + std::to_string(c) + " of hardware device " + std::to_string(d.id)).c_str(),
                  static_cast<uint32_t>(core.version));
          continue;
        }
        d.cores.push_back({core.v1.coreId, core.v1.coreType});
      }
      platform.devices.push_back(std::move(d));
    }
  }
  if (fns.deviceFreePlatformInfo) fns.deviceFreePlatformInfo(logHandle, info);
  for (size_t i = 0; i < notes.size(); ++i) platformError += (i ? "; " : "") + notes[i];
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

// ---- ContextState ------------------------------------------------------------------------

namespace {

void CopyQuant(const Qnn_QuantizeParams_t& q, QuantMeta* out) {
  out->definition = static_cast<uint32_t>(q.encodingDefinition);
  out->encoding = static_cast<uint32_t>(q.quantizationEncoding);
  if (q.encodingDefinition != QNN_DEFINITION_DEFINED) {
    out->encoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
    return;
  }
  switch (q.quantizationEncoding) {
    case QNN_QUANTIZATION_ENCODING_SCALE_OFFSET:
      out->scale = q.scaleOffsetEncoding.scale;
      out->offset = q.scaleOffsetEncoding.offset;
      break;
    case QNN_QUANTIZATION_ENCODING_BW_SCALE_OFFSET:
      out->bitwidth = q.bwScaleOffsetEncoding.bitwidth;
      out->scale = q.bwScaleOffsetEncoding.scale;
      out->offset = q.bwScaleOffsetEncoding.offset;
      break;
    case QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET: {
      const auto& a = q.axisScaleOffsetEncoding;
      out->axis = a.axis;
      if (a.numScaleOffsets > (1u << 24) || (a.numScaleOffsets && !a.scaleOffset)) {
        throw CoreError("BINARY_INVALID", "the binary info has a malformed axis-scale-offset encoding");
      }
      for (uint32_t i = 0; i < a.numScaleOffsets; ++i) {
        out->scales.push_back(a.scaleOffset[i].scale);
        out->offsets.push_back(a.scaleOffset[i].offset);
      }
      break;
    }
    case QNN_QUANTIZATION_ENCODING_BW_AXIS_SCALE_OFFSET: {
      const auto& a = q.bwAxisScaleOffsetEncoding;
      out->bitwidth = a.bitwidth;
      out->axis = a.axis;
      if (a.numElements > (1u << 24) || (a.numElements && !a.scales)) {
        throw CoreError("BINARY_INVALID", "the binary info has a malformed bw-axis-scale-offset encoding");
      }
      for (uint32_t i = 0; i < a.numElements; ++i) {
        out->scales.push_back(a.scales[i]);
        out->offsets.push_back(a.offsets ? a.offsets[i] : 0);
      }
      break;
    }
    default:
      // Block / vector encodings: not exposed; execution passes the tensor without them.
      out->encoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
      out->definition = QNN_DEFINITION_UNDEFINED;
      break;
  }
}

void CopyTensors(const Qnn_Tensor_t* tensors, uint32_t count, const std::string& graph, const char* what,
                 std::vector<TensorMeta>* out) {
  if (count > kMaxTensors) throw CoreError("BINARY_INVALID", "graph " + graph + " declares " + std::to_string(count) + " " + what);
  if (count && !tensors) throw CoreError("BINARY_INVALID", "graph " + graph + " has no " + what + " array");
  const uint8_t* base = reinterpret_cast<const uint8_t*>(tensors);
  for (uint32_t i = 0; i < count; ++i) {
    const Qnn_Tensor_t* t = reinterpret_cast<const Qnn_Tensor_t*>(base + i * kTensorStride);
    if (t->version != QNN_TENSOR_VERSION_1 && t->version != QNN_TENSOR_VERSION_2) {
      throw CoreError("BINARY_INVALID", "graph " + graph + " " + what + "[" + std::to_string(i) +
                                            "] has unknown tensor version " + std::to_string(t->version));
    }
    const Qnn_TensorV1_t& v = t->v1;  // V2 starts with V1's fields at the same offsets
    TensorMeta m;
    m.version = static_cast<uint32_t>(t->version);
    m.id = v.id;
    m.name = v.name ? v.name : "";
    m.type = static_cast<uint32_t>(v.type);
    m.dataFormat = static_cast<uint32_t>(v.dataFormat);
    m.dataType = static_cast<uint32_t>(v.dataType);
    if (v.rank > kMaxRank || (v.rank && !v.dimensions)) {
      throw CoreError("BINARY_INVALID", "graph " + graph + " tensor " + m.name + " has a malformed shape");
    }
    m.dims.assign(v.dimensions, v.dimensions + v.rank);
    CopyQuant(v.quantizeParams, &m.quant);
    m.byteSize = TensorByteSize(m.dataType, m.dims);
    out->push_back(std::move(m));
  }
}

// Fills a Qnn_Tensor_t for graphExecute from the metadata (pointers into `meta`).
void FillTensor(TensorMeta& meta, const IoBuffer& buf, Qnn_Tensor_t* t) {
  std::memset(t, 0, sizeof *t);
  t->version = static_cast<Qnn_TensorVersion_t>(meta.version);
  Qnn_TensorV1_t& v = t->v1;
  v.id = meta.id;
  v.name = meta.name.c_str();
  v.type = static_cast<Qnn_TensorType_t>(meta.type);
  v.dataFormat = meta.dataFormat;
  v.dataType = static_cast<Qnn_DataType_t>(meta.dataType);
  v.rank = static_cast<uint32_t>(meta.dims.size());
  v.dimensions = meta.dims.empty() ? nullptr : meta.dims.data();
  v.memType = QNN_TENSORMEMTYPE_RAW;
  v.clientBuf.data = buf.data;
  v.clientBuf.dataSize = static_cast<uint32_t>(buf.size);
  Qnn_QuantizeParams_t& q = v.quantizeParams;
  q.encodingDefinition = static_cast<Qnn_Definition_t>(meta.quant.definition);
  q.quantizationEncoding = static_cast<Qnn_QuantizationEncoding_t>(meta.quant.encoding);
  switch (meta.quant.encoding) {
    case QNN_QUANTIZATION_ENCODING_SCALE_OFFSET:
      q.scaleOffsetEncoding.scale = meta.quant.scale;
      q.scaleOffsetEncoding.offset = meta.quant.offset;
      break;
    case QNN_QUANTIZATION_ENCODING_BW_SCALE_OFFSET:
      q.bwScaleOffsetEncoding.bitwidth = meta.quant.bitwidth;
      q.bwScaleOffsetEncoding.scale = meta.quant.scale;
      q.bwScaleOffsetEncoding.offset = meta.quant.offset;
      break;
    case QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET:
      if (meta.quant.scaleOffsets.size() != meta.quant.scales.size()) {
        meta.quant.scaleOffsets.resize(meta.quant.scales.size());
        for (size_t i = 0; i < meta.quant.scales.size(); ++i) {
          meta.quant.scaleOffsets[i].scale = meta.quant.scales[i];
          meta.quant.scaleOffsets[i].offset = meta.quant.offsets[i];
        }
      }
      q.axisScaleOffsetEncoding.axis = meta.quant.axis;
      q.axisScaleOffsetEncoding.numScaleOffsets = static_cast<uint32_t>(meta.quant.scaleOffsets.size());
      q.axisScaleOffsetEncoding.scaleOffset = meta.quant.scaleOffsets.data();
      break;
    case QNN_QUANTIZATION_ENCODING_BW_AXIS_SCALE_OFFSET:
      q.bwAxisScaleOffsetEncoding.bitwidth = meta.quant.bitwidth;
      q.bwAxisScaleOffsetEncoding.axis = meta.quant.axis;
      q.bwAxisScaleOffsetEncoding.numElements = static_cast<uint32_t>(meta.quant.scales.size());
      q.bwAxisScaleOffsetEncoding.scales = meta.quant.scales.data();
      q.bwAxisScaleOffsetEncoding.offsets = meta.quant.offsets.data();
      break;
    default:
      break;
  }
}

// QNN_CONTEXT_CONFIG_PERSISTENT_BINARY (option 7) is older than every core API this addon
// accepts: a QnnContext.h that still lacks QnnContext_validateBinary (core 2.13) and
// createFromBinaryWithSignal (2.15) already defines it with isPersistentBinary. The gate is
// kept (at that upper bound, 2.12) so that the default follows the reported version
// rather than an assumption, should the minimum ever move down.
constexpr uint32_t kPersistentBinarySinceCoreMinor = 12;

// A status with which a backend says it does not take a config (as opposed to a bad
// binary): QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE, _INVALID_CONFIG, _INVALID_ARGUMENT.
bool IsConfigRejection(Qnn_ErrorHandle_t status) {
  uint32_t code = static_cast<uint32_t>(status) & 0xFFFFu;
  return code == QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE || code == QNN_CONTEXT_ERROR_INVALID_CONFIG ||
         code == QNN_CONTEXT_ERROR_INVALID_ARGUMENT;
}

}  // namespace

void MapBinary(FileMapping& mapping, const std::string& path) {
  FileMapping::Failure failure = FileMapping::Failure::kNone;
  std::string err;
  if (!mapping.Open(path, &failure, &err)) {
    if (failure == FileMapping::Failure::kNotFound)
      throw CoreError("FILE_NOT_FOUND", "Context binary not found: " + path).Detail("path", path);
    if (failure == FileMapping::Failure::kEmpty)
      throw CoreError("BINARY_INVALID", "Context binary is empty: " + path).Detail("path", path);
    throw CoreError("FILE_NOT_FOUND", "Could not map the context binary " + path + ": " + err).Detail("path", path);
  }
}

std::vector<GraphMeta> ReadBinaryInfo(const RuntimeState& rt, const void* data, size_t size) {
  if (!rt.hasSystem) throw CoreError("NO_PROVIDER", "QnnSystem is not available (" + rt.systemError + ")");
  QnnSystemContext_Handle_t sysCtx = nullptr;
  Qnn_ErrorHandle_t st = rt.sys.contextCreate(&sysCtx);
  if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("systemContextCreate", st));
  struct Guard {
    const RuntimeState& rt;
    QnnSystemContext_Handle_t h;
    ~Guard() { rt.sys.contextFree(h); }
  } guard{rt, sysCtx};
  const QnnSystemContext_BinaryInfo_t* info = nullptr;
  Qnn_ContextBinarySize_t infoSize = 0;
  st = rt.sys.getBinaryInfo(sysCtx, const_cast<void*>(data), static_cast<uint64_t>(size), &info, &infoSize);
  if (st != QNN_SUCCESS || !info) {
    NativeError e = rt.StatusError("systemContextGetBinaryInfo", st);
    e.code = "BINARY_INVALID";
    e.message = "QnnSystem could not read the context binary: " + e.message;
    throw CoreError(e);
  }
  uint32_t numGraphs = 0;
  const QnnSystemContext_GraphInfo_t* graphs = nullptr;
  switch (static_cast<uint32_t>(info->version)) {
    case QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_1:
      numGraphs = info->contextBinaryInfoV1.numGraphs;
      graphs = info->contextBinaryInfoV1.graphs;
      break;
    case QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_2:
      numGraphs = info->contextBinaryInfoV2.numGraphs;
      graphs = info->contextBinaryInfoV2.graphs;
      break;
    case abi::kBinaryInfoVersion3: {
      // Read by offset: SDK headers before System 1.2 do not declare the V3 member.
      const auto* bytes = reinterpret_cast<const uint8_t*>(info) + abi::kBinaryInfoUnionOffset;
      std::memcpy(&numGraphs, bytes + abi::kBinaryInfoV3NumGraphs, sizeof numGraphs);
      std::memcpy(&graphs, bytes + abi::kBinaryInfoV3Graphs, sizeof graphs);
      break;
    }
    default:
      throw CoreError("BINARY_INVALID", "QnnSystem returned binary info version " + std::to_string(info->version) +
                                            ", which qnn-node does not know");
  }
  if (numGraphs == 0 || !graphs || numGraphs > 4096) {
    throw CoreError("BINARY_INVALID", "the context binary declares " + std::to_string(numGraphs) + " graphs");
  }
  size_t stride = rt.GraphInfoStride();
  if (stride == 0) {
    throw CoreError("UNSUPPORTED_VERSION", "Cannot tell the GraphInfo layout of System API " + rt.systemVersion.str() +
                                               " without the SDK version (the HTP backend API version, or sdkMinor "
                                               "when reading with QnnSystem only): System 1.1 spans SDK 2.x releases "
                                               "with 48- and 64-byte GraphInfo")
        .Detail("systemApi", rt.systemVersion.str());
  }
  const uint8_t* base = reinterpret_cast<const uint8_t*>(graphs);
  if (rt.systemVersion.minor < 2 && numGraphs > 1) {
    // System 1.1 spans two GraphInfo sizes; the backend minor decided it. Check it against
    // the second element's version tag and name, and take the other size if only it fits.
    auto plausible = [&](size_t s) {
      const auto* g1 = reinterpret_cast<const QnnSystemContext_GraphInfo_t*>(base + s);
      return (g1->version == QNN_SYSTEM_CONTEXT_GRAPH_INFO_VERSION_1 ||
              g1->version == QNN_SYSTEM_CONTEXT_GRAPH_INFO_VERSION_2) &&
             g1->graphInfoV1.graphName != nullptr;
    };
    size_t other = stride == abi::kGraphInfoStrideV1 ? abi::kGraphInfoStrideV2 : abi::kGraphInfoStrideV1;
    if (!plausible(stride) && plausible(other)) stride = other;
  }
  std::vector<GraphMeta> metas;
  for (uint32_t i = 0; i < numGraphs; ++i) {
    const auto* g = reinterpret_cast<const QnnSystemContext_GraphInfo_t*>(base + i * stride);
    if (g->version != QNN_SYSTEM_CONTEXT_GRAPH_INFO_VERSION_1 && g->version != QNN_SYSTEM_CONTEXT_GRAPH_INFO_VERSION_2 &&
        g->version != abi::kGraphInfoVersion3) {
      throw CoreError("BINARY_INVALID", "graph info " + std::to_string(i) + " has unknown version " +
                                            std::to_string(g->version) + " (GraphInfo stride " +
                                            std::to_string(stride) + ", System API " + rt.systemVersion.str() + ")");
    }
    // V2 and V3 begin with V1's fields.
    const QnnSystemContext_GraphInfoV1_t& v = g->graphInfoV1;
    GraphMeta m;
    if (!v.graphName) throw CoreError("BINARY_INVALID", "graph info " + std::to_string(i) + " has no name");
    m.name = v.graphName;
    CopyTensors(v.graphInputs, v.numGraphInputs, m.name, "inputs", &m.inputs);
    CopyTensors(v.graphOutputs, v.numGraphOutputs, m.name, "outputs", &m.outputs);
    metas.push_back(std::move(m));
  }
  return metas;
}

void ContextState::Load() {
  RuntimeState& rt = *runtime_;
  auto t0 = Clock::now();
  const void* data = memory_;
  size_t size = memorySize_;
  if (!path_.empty()) {
    MapBinary(mapping_, path_);
    data = mapping_.data();
    size = mapping_.size();
    wasMapped_ = true;
  }
  binarySize_ = size;
  timings_.mapMs = MsSince(t0);

  // Graph signatures: QnnSystem's binary info, else the caller's.
  auto t1 = Clock::now();
  std::string systemFailure;
  if (rt.hasSystem) {
    try {
      for (auto& m : ReadBinaryInfo(rt, data, size)) {
        auto gs = std::make_unique<GraphState>();
        gs->meta = std::move(m);
        graphs_.push_back(std::move(gs));
      }
      graphsFromSystem_ = true;
    } catch (const CoreError& e) {
      if (callerGraphs_.empty()) throw;
      graphs_.clear();
      systemNote_ = e.error().message;
    }
  } else {
    systemNote_ = rt.systemError;
  }
  if (!graphsFromSystem_) {
    if (callerGraphs_.empty()) {
      throw CoreError("NO_PROVIDER",
                      "Cannot read the graphs of this context binary: QnnSystem is not available (" + rt.systemError +
                          "). Load a QnnSystem library or pass the graph signatures in options.graphs.");
    }
    for (auto& m : callerGraphs_) {
      auto gs = std::make_unique<GraphState>();
      gs->meta = std::move(m);
      graphs_.push_back(std::move(gs));
    }
    callerGraphs_.clear();
  }
  double infoMs = MsSince(t1);

  auto t2 = Clock::now();
  persistent_ = persistence_ == Persistence::kOn ||
                (persistence_ == Persistence::kAuto && rt.provider.core.major == 2 &&
                 rt.provider.core.minor >= kPersistentBinarySinceCoreMinor);
  if (persistence_ == Persistence::kAuto && !persistent_) {
    persistentNote_ = "core API " + rt.provider.core.str() + " predates QNN_CONTEXT_CONFIG_PERSISTENT_BINARY";
  }
  QnnContext_Config_t persistentConfig;
  std::memset(&persistentConfig, 0, sizeof persistentConfig);
  persistentConfig.option = QNN_CONTEXT_CONFIG_PERSISTENT_BINARY;
  persistentConfig.isPersistentBinary = 1;
  const QnnContext_Config_t* configs[] = {&persistentConfig, nullptr};
  Qnn_ErrorHandle_t st =
      rt.fns.contextCreateFromBinary(rt.backendHandle, rt.deviceHandle, persistent_ ? configs : nullptr, data,
                                     static_cast<Qnn_ContextBinarySize_t>(size), &context_, nullptr);
  if (st != QNN_SUCCESS && persistent_ && persistence_ == Persistence::kAuto && IsConfigRejection(st)) {
    // The default asked for the config and the backend refused it as such: create once
    // more the plain way (the backend copies), as if persistentBinary: false.
    persistentNote_ = "the backend refused QNN_CONTEXT_CONFIG_PERSISTENT_BINARY (" + rt.StatusError("contextCreateFromBinary", st).message + ")";
    persistent_ = false;
    context_ = nullptr;
    st = rt.fns.contextCreateFromBinary(rt.backendHandle, rt.deviceHandle, nullptr, data,
                                        static_cast<Qnn_ContextBinarySize_t>(size), &context_, nullptr);
  }
  if (st != QNN_SUCCESS) {
    context_ = nullptr;
    throw CoreError(rt.StatusError("contextCreateFromBinary", st));
  }
  timings_.createMs = MsSince(t2);
  if (!persistent_) {
    // The backend has copied what it needs: give the pages back now.
    mapping_.Close();
    memory_ = nullptr;
    memorySize_ = 0;
  }

  auto t3 = Clock::now();
  for (auto& g : graphs_) {
    st = rt.fns.graphRetrieve(context_, g->meta.name.c_str(), &g->handle);
    if (st != QNN_SUCCESS) {
      g->handle = nullptr;
      throw CoreError(rt.StatusError("graphRetrieve", st, "for graph \"" + g->meta.name + "\""));
    }
    // Prebuilt graphExecute arguments (a run only sets the buffers).
    g->inTensors.resize(g->meta.inputs.size());
    g->outTensors.resize(g->meta.outputs.size());
    for (size_t i = 0; i < g->meta.inputs.size(); ++i) FillTensor(g->meta.inputs[i], IoBuffer{}, &g->inTensors[i]);
    for (size_t i = 0; i < g->meta.outputs.size(); ++i) FillTensor(g->meta.outputs[i], IoBuffer{}, &g->outTensors[i]);
  }
  timings_.retrieveMs = infoMs + MsSince(t3);
  timings_.totalMs = MsSince(t0);
}

void ContextState::Execute(size_t index, const IoBuffer* inputs, size_t numInputs, const IoBuffer* outputs,
                           size_t numOutputs) {
  if (freed_ || !context_) throw CoreError("DISPOSED", "the context has been disposed");
  if (index >= graphs_.size()) throw CoreError("UNKNOWN_GRAPH", "no graph at index " + std::to_string(index));
  GraphState& g = *graphs_[index];
  std::lock_guard<std::mutex> lock(g.executeMutex);
  if (numInputs != g.inTensors.size() || numOutputs != g.outTensors.size()) {
    throw CoreError("SIZE_MISMATCH", "graph " + g.meta.name + " takes " + std::to_string(g.meta.inputs.size()) +
                                         " inputs and " + std::to_string(g.meta.outputs.size()) + " outputs");
  }
  // V1 and V2 tensors share the V1 head, clientBuf included. Both fields are set on every
  // run: a backend may have written dataSize back into an output tensor.
  for (size_t i = 0; i < numInputs; ++i) {
    g.inTensors[i].v1.clientBuf.data = inputs[i].data;
    g.inTensors[i].v1.clientBuf.dataSize = static_cast<uint32_t>(inputs[i].size);
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    g.outTensors[i].v1.clientBuf.data = outputs[i].data;
    g.outTensors[i].v1.clientBuf.dataSize = static_cast<uint32_t>(outputs[i].size);
  }
  RuntimeState& rt = *runtime_;
  Qnn_ErrorHandle_t st = rt.fns.graphExecute(g.handle, g.inTensors.data(), static_cast<uint32_t>(numInputs),
                                             g.outTensors.data(), static_cast<uint32_t>(numOutputs), nullptr, nullptr);
  if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("graphExecute", st, "for graph \"" + g.meta.name + "\""));
}

ContextState::Busy::Busy(ContextState& s) : s_(s) {
  std::lock_guard<std::mutex> lock(s_.executingMutex);
  if (s_.closing || s_.freed_) throw CoreError("DISPOSED", "the QNN context has been disposed");
  s_.executing.fetch_add(1);
}

ContextState::Busy::~Busy() {
  {
    std::lock_guard<std::mutex> lock(s_.executingMutex);
    s_.executing.fetch_sub(1);
  }
  s_.executingDone.notify_all();
}

void ContextState::WaitIdle() {
  std::unique_lock<std::mutex> lock(executingMutex);
  executingDone.wait(lock, [this] { return executing.load() == 0; });
}

void ContextState::Free() {
  if (freed_) return;
  freed_ = true;
  for (auto& g : graphs_) g->handle = nullptr;  // graphs belong to the context
  if (context_ && runtime_->fns.contextFree) runtime_->fns.contextFree(context_, nullptr);
  context_ = nullptr;
  // A persistent binary must outlive the context; it is unmapped only now.
  mapping_.Close();
  memory_ = nullptr;
  memorySize_ = 0;
  // A freed context no longer needs the runtime: drop its share so Qnn#dispose() tears
  // the runtime down now rather than when this object is garbage-collected.
  runtime_.reset();
}

ContextState::~ContextState() { Free(); }

}  // namespace qnn_node
