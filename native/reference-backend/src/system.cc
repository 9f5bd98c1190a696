// libQnnReferenceSystem: the QNN System interface for reference binaries
// (docs/reference-backend.md). A TEST DOUBLE, not Qualcomm's libQnnSystem.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.h"
#include "model.h"
#include "qnn/qnn_abi_checks.h"

namespace qnnref {
namespace {

namespace abi = qnn_node::abi;

// Everything one getBinaryInfo call returns; freed with the system context.
struct InfoArena {
  std::vector<std::unique_ptr<uint8_t[]>> blocks;
  std::vector<GuardedBlock> guarded;
  ~InfoArena() {
    for (auto& g : guarded) guardedFree(g);
  }
  uint8_t* alloc(size_t n) {
    blocks.emplace_back(new uint8_t[n ? n : 1]());
    return blocks.back().get();
  }
  uint8_t* allocGuarded(size_t n) {
    GuardedBlock g = guardedAlloc(n);
    if (!g.ptr) throw std::bad_alloc();
    guarded.push_back(g);
    return static_cast<uint8_t*>(g.ptr);
  }
  const char* str(const std::string& s) {
    char* p = reinterpret_cast<char*>(alloc(s.size() + 1));
    std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
  }
};

struct SystemContext {
  Emulation emu;
  std::vector<std::unique_ptr<InfoArena>> arenas;
};

std::mutex g_mu;
std::set<void*> g_contexts;
Emulation g_emu;

Qnn_ErrorHandle_t systemContextCreate(QnnSystemContext_Handle_t* handle) {
  uint32_t injected = 0;
  if (injectedFailure("systemContextCreate", &injected)) return injected;
  if (!handle) return QNN_SYSTEM_CONTEXT_ERROR_INVALID_ARGUMENT;
  auto* c = new SystemContext();
  std::lock_guard<std::mutex> lock(g_mu);
  c->emu = g_emu;
  g_contexts.insert(c);
  *handle = c;
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t systemContextFree(QnnSystemContext_Handle_t handle) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_contexts.erase(handle)) return QNN_SYSTEM_CONTEXT_ERROR_INVALID_HANDLE;
  delete static_cast<SystemContext*>(handle);
  return QNN_SUCCESS;
}

// ---- QNN_REFERENCE_SYSTEM_FAULT ------------------------------------------------------------
// A test knob (this library is a test double): QNN_REFERENCE_SYSTEM_FAULT=<mode>:<graph>
// makes getBinaryInfo misbehave, on binaries holding a graph named <graph> only, the way
// a vendor library fed a malformed binary does. Process faults: crash (SIGSEGV), abort,
// hang (spins), hog (allocates and touches memory until allocation fails, then spins).
// Answer faults corrupt what is returned for that graph (its first input tensor for the
// tensor modes): see kAnswerFaults.
enum class Fault {
  kNone, kCrash, kAbort, kHang, kHog,
  kTensorVersion, kTensorType, kDataFormat, kDataType, kUndefinedType, kRank, kWildName, kLongName, kWildDims,
  kQuantDefinition, kQuantEncoding, kAxisCount, kNumInputs, kWildInputs, kGraphVersion, kWildGraphName, kNumGraphs,
};

struct FaultName {
  const char* name;
  Fault fault;
};
constexpr FaultName kFaults[] = {
    {"crash", Fault::kCrash}, {"abort", Fault::kAbort}, {"hang", Fault::kHang}, {"hog", Fault::kHog},
    // answer faults
    {"tensor-version", Fault::kTensorVersion},     // the whole tensor entry is 0xBE (uninitialised)
    {"tensor-type", Fault::kTensorType},           // type 0xBEBEBEBE
    {"data-format", Fault::kDataFormat},           // dataFormat 0xBEBEBEBE
    {"data-type", Fault::kDataType},               // dataType 0xBEBEBEBE
    {"undefined-type", Fault::kUndefinedType},     // dataType QNN_DATATYPE_UNDEFINED
    {"rank", Fault::kRank},                        // rank 0xBEBEBEBE
    {"wild-name", Fault::kWildName},               // name points into an inaccessible page
    {"long-name", Fault::kLongName},               // a 100000-byte name
    {"wild-dims", Fault::kWildDims},               // dimensions point into an inaccessible page
    {"quant-definition", Fault::kQuantDefinition}, // encodingDefinition 0xBEBEBEBE
    {"quant-encoding", Fault::kQuantEncoding},     // DEFINED with encoding 0xBEBEBEBE
    {"axis-count", Fault::kAxisCount},             // axis-scale-offset: 1000 values at an inaccessible page
    {"num-inputs", Fault::kNumInputs},             // numGraphInputs 0xBEBEBEBE
    {"wild-inputs", Fault::kWildInputs},           // graphInputs points into an inaccessible page
    {"graph-version", Fault::kGraphVersion},       // GraphInfo version 0xBEBEBEBE
    {"wild-graph-name", Fault::kWildGraphName},    // graphName points into an inaccessible page
    {"num-graphs", Fault::kNumGraphs},             // BinaryInfo numGraphs 0xBEBEBEBE
};

// The fault for a binary whose graphs are `m.graphs` (index of the marked graph in *graph).
Fault faultFor(const Model& m, size_t* graph) {
  const char* env = std::getenv("QNN_REFERENCE_SYSTEM_FAULT");
  if (!env || !*env) return Fault::kNone;
  std::string s = env;
  size_t colon = s.find(':');
  if (colon == std::string::npos) return Fault::kNone;
  std::string mode = s.substr(0, colon), name = s.substr(colon + 1);
  for (size_t gi = 0; gi < m.graphs.size(); ++gi) {
    if (m.graphs[gi].name != name) continue;
    for (const FaultName& f : kFaults) {
      if (mode == f.name) {
        *graph = gi;
        return f.fault;
      }
    }
  }
  return Fault::kNone;
}

[[noreturn]] void misbehave(Fault f) {
  if (f == Fault::kCrash) {
    volatile std::uintptr_t address = 16;  // opaque to the compiler
    *reinterpret_cast<volatile int*>(address) = 1;  // a real invalid write, like a strlen/memcpy on a bad pointer
  }
  if (f == Fault::kHog) {
    // Grows until the allocator gives up, then never returns (as observed: 4 GB RSS after
    // 15 s). The pages are written so that they count against RSS.
    std::vector<void*> held;
    while (void* p = std::malloc(64u << 20)) {
      std::memset(p, 0xAB, 64u << 20);
      held.push_back(p);
    }
  }
  if (f == Fault::kAbort) std::abort();
  volatile bool forever = true;
  while (forever) {
  }
  std::abort();
}

void put32(uint8_t* at, uint32_t v) { std::memcpy(at, &v, 4); }
void putPtr(uint8_t* at, const void* p) { std::memcpy(at, &p, sizeof p); }

// Corrupts the answer for graph `gi` (GraphInfo entry at `entry`; first input tensor at `t`).
void corrupt(Fault f, InfoArena& a, uint8_t* entry, uint8_t* tensor, size_t tensorStride, QnnSystemContext_BinaryInfo_t* bi) {
  const uint8_t* wild = a.allocGuarded(16) + 16;  // the first byte of an inaccessible page
  uint8_t* g = entry + 8;                           // GraphInfo V1 fields
  uint8_t* v = tensor ? tensor + abi::kTensorUnionOffset : nullptr;  // Qnn_TensorV1_t fields
  auto tensorField = [&](size_t offset) {
    if (!v) throw std::runtime_error("QNN_REFERENCE_SYSTEM_FAULT: the marked graph has no input tensor");
    return v + offset;
  };
  constexpr uint32_t kBad = 0xBEBEBEBE;
  switch (f) {
    case Fault::kTensorVersion:
      std::memset(tensorField(0) - abi::kTensorUnionOffset, 0xBE, tensorStride);
      break;
    case Fault::kTensorType: put32(tensorField(offsetof(Qnn_TensorV1_t, type)), kBad); break;
    case Fault::kDataFormat: put32(tensorField(offsetof(Qnn_TensorV1_t, dataFormat)), kBad); break;
    case Fault::kDataType: put32(tensorField(offsetof(Qnn_TensorV1_t, dataType)), kBad); break;
    case Fault::kUndefinedType: put32(tensorField(offsetof(Qnn_TensorV1_t, dataType)), QNN_DATATYPE_UNDEFINED); break;
    case Fault::kRank: put32(tensorField(offsetof(Qnn_TensorV1_t, rank)), kBad); break;
    case Fault::kWildName: putPtr(tensorField(offsetof(Qnn_TensorV1_t, name)), wild); break;
    case Fault::kLongName: putPtr(tensorField(offsetof(Qnn_TensorV1_t, name)), a.str(std::string(100000, 'n'))); break;
    case Fault::kWildDims: putPtr(tensorField(offsetof(Qnn_TensorV1_t, dimensions)), wild); break;
    case Fault::kQuantDefinition:
      put32(tensorField(offsetof(Qnn_TensorV1_t, quantizeParams)), kBad);
      break;
    case Fault::kQuantEncoding:
      put32(tensorField(offsetof(Qnn_TensorV1_t, quantizeParams)), QNN_DEFINITION_DEFINED);
      put32(tensorField(offsetof(Qnn_TensorV1_t, quantizeParams) + 4), kBad);
      break;
    case Fault::kAxisCount: {
      uint8_t* q = tensorField(offsetof(Qnn_TensorV1_t, quantizeParams));
      put32(q, QNN_DEFINITION_DEFINED);
      put32(q + 4, QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET);
      put32(q + 8 + offsetof(Qnn_AxisScaleOffset_t, axis), 0);
      put32(q + 8 + offsetof(Qnn_AxisScaleOffset_t, numScaleOffsets), 1000);
      putPtr(q + 8 + offsetof(Qnn_AxisScaleOffset_t, scaleOffset), wild);
      break;
    }
    case Fault::kNumInputs: put32(g + offsetof(QnnSystemContext_GraphInfoV1_t, numGraphInputs), kBad); break;
    case Fault::kWildInputs: putPtr(g + offsetof(QnnSystemContext_GraphInfoV1_t, graphInputs), wild); break;
    case Fault::kGraphVersion: put32(entry, kBad); break;
    case Fault::kWildGraphName: putPtr(g + offsetof(QnnSystemContext_GraphInfoV1_t, graphName), wild); break;
    case Fault::kNumGraphs:
      if (bi->version == QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_3) bi->contextBinaryInfoV3.numGraphs = kBad;
      else bi->contextBinaryInfoV2.numGraphs = kBad;
      break;
    default:
      break;
  }
}

// Writes one Qnn_Tensor_t (stride 120 -> V1, 144 -> V2) describing `t`.
void writeTensor(InfoArena& a, uint8_t* at, const TensorInfo& t, size_t stride) {
  uint32_t version = stride == abi::kTensorStrideV1Era ? QNN_TENSOR_VERSION_1 : QNN_TENSOR_VERSION_2;
  std::memcpy(at, &version, 4);
  Qnn_TensorV1_t v1;
  std::memset(&v1, 0, sizeof v1);
  v1.id = t.id;
  v1.name = a.str(t.name);
  v1.type = static_cast<Qnn_TensorType_t>(t.type);
  v1.dataFormat = QNN_TENSOR_DATA_FORMAT_DENSE;
  v1.dataType = static_cast<Qnn_DataType_t>(t.dataType);
  if (t.quant.encoding == kEncScaleOffset) {
    v1.quantizeParams.encodingDefinition = QNN_DEFINITION_DEFINED;
    v1.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_SCALE_OFFSET;
    v1.quantizeParams.scaleOffsetEncoding.scale = t.quant.scale;
    v1.quantizeParams.scaleOffsetEncoding.offset = t.quant.offset;
  } else if (t.quant.encoding == kEncAxisScaleOffset) {
    v1.quantizeParams.encodingDefinition = QNN_DEFINITION_DEFINED;
    v1.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET;
    auto* so = reinterpret_cast<Qnn_ScaleOffset_t*>(a.alloc(t.quant.scales.size() * sizeof(Qnn_ScaleOffset_t)));
    for (size_t k = 0; k < t.quant.scales.size(); ++k) so[k] = Qnn_ScaleOffset_t{t.quant.scales[k], t.quant.offsets[k]};
    v1.quantizeParams.axisScaleOffsetEncoding.axis = t.quant.axis;
    v1.quantizeParams.axisScaleOffsetEncoding.numScaleOffsets = uint32_t(t.quant.scales.size());
    v1.quantizeParams.axisScaleOffsetEncoding.scaleOffset = so;
  } else {
    v1.quantizeParams.encodingDefinition = QNN_DEFINITION_UNDEFINED;
    v1.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
  }
  v1.rank = uint32_t(t.dims.size());
  auto* dims = reinterpret_cast<uint32_t*>(a.alloc(t.dims.size() * 4));
  for (size_t k = 0; k < t.dims.size(); ++k) dims[k] = t.dims[k];
  v1.dimensions = dims;
  v1.memType = QNN_TENSORMEMTYPE_RAW;
  std::memcpy(at + abi::kTensorUnionOffset, &v1, sizeof v1);
  if (version == QNN_TENSOR_VERSION_2) {
    Qnn_TensorV2_t v2;
    std::memcpy(&v2, at + abi::kTensorUnionOffset, sizeof(Qnn_TensorV1_t));
    v2.isDynamicDimensions = nullptr;
    v2.sparseParams.type = QNN_SPARSE_LAYOUT_UNDEFINED;
    v2.sparseParams.hybridCoo = Qnn_SparseLayoutHybridCoo_t{0, 0};
    v2.isProduced = 0;
    std::memcpy(at + abi::kTensorUnionOffset, &v2, sizeof v2);
  }
}

Qnn_Tensor_t* writeTensors(InfoArena& a, const Model& m, const std::vector<uint32_t>& idx, size_t stride) {
  if (idx.empty()) return nullptr;
  uint8_t* base = a.allocGuarded(idx.size() * stride);
  for (size_t k = 0; k < idx.size(); ++k) writeTensor(a, base + k * stride, m.tensors[idx[k]], stride);
  return reinterpret_cast<Qnn_Tensor_t*>(base);
}

Qnn_ErrorHandle_t getInfo(const char* fn, QnnSystemContext_Handle_t handle, const void* buffer, uint64_t size,
                          const QnnSystemContext_BinaryInfo_t** info, Qnn_ContextBinarySize_t* infoSize) {
  uint32_t injected = 0;
  if (injectedFailure(fn, &injected)) return injected;
  SystemContext* c;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (!g_contexts.count(handle)) return QNN_SYSTEM_CONTEXT_ERROR_INVALID_HANDLE;
    c = static_cast<SystemContext*>(handle);
  }
  if (!buffer || size == 0 || !info) return QNN_SYSTEM_CONTEXT_ERROR_INVALID_ARGUMENT;
  Model m;
  std::string error;
  if (parseModel(static_cast<const uint8_t*>(buffer), size, &m, &error) != ParseStatus::kOk) return QNN_SYSTEM_CONTEXT_ERROR_MALFORMED_BINARY;

  const Emulation& e = c->emu;
  // Like a real QnnSystem, refuse a binary made by a newer SDK than the emulated one (the
  // backend API minor is the SDK minor): SDK 2.25's libQnnSystem answers 30010 for 2.33's.
  if (producerSdkMinor(m.producer) > e.backend.minor) return QNN_SYSTEM_CONTEXT_ERROR_MALFORMED_BINARY;
  size_t faultGraph = 0;
  Fault fault = faultFor(m, &faultGraph);
  if (fault == Fault::kCrash || fault == Fault::kAbort || fault == Fault::kHang || fault == Fault::kHog) misbehave(fault);
  const size_t tensorStride = abi::tensorStride(e.core);
  size_t graphStride = abi::graphInfoStride(e.system, e.backend.minor);
  if (graphStride == 0) graphStride = abi::kGraphInfoStrideV2;
  uint32_t graphVersion = graphStride == abi::kGraphInfoStrideV1 ? 1 : graphStride == abi::kGraphInfoStrideV2 ? 2 : 3;
  int infoVersion = e.binaryInfoVersion ? e.binaryInfoVersion : (e.system.minor == 0 ? 1 : e.system.minor == 1 ? 2 : 3);

  std::unique_ptr<InfoArena> arena(new InfoArena());
  InfoArena& a = *arena;
  try {
    uint8_t* graphs = a.allocGuarded(m.graphs.size() * graphStride);
    for (size_t gi = 0; gi < m.graphs.size(); ++gi) {
      const Graph& g = m.graphs[gi];
      uint8_t* at = graphs + gi * graphStride;
      std::memcpy(at, &graphVersion, 4);
      QnnSystemContext_GraphInfoV3_t gv;  // V1 and V2 are prefixes of V3
      std::memset(&gv, 0, sizeof gv);
      gv.graphName = a.str(g.name);
      gv.numGraphInputs = uint32_t(g.inputs.size());
      gv.graphInputs = writeTensors(a, m, g.inputs, tensorStride);
      gv.numGraphOutputs = uint32_t(g.outputs.size());
      gv.graphOutputs = writeTensors(a, m, g.outputs, tensorStride);
      if (graphVersion == 3) {
        // The HTP graph blob: version 1, then the spill-fill buffer the graph needs.
        uint8_t* blob = static_cast<uint8_t*>(a.alloc(40));
        uint32_t blobVersion = 1;
        std::memcpy(blob, &blobVersion, 4);
        std::memcpy(blob + QnnNode_HtpGraphBlobSpillFillOffset, &m.spillFillBytes, 8);
        gv.graphBlobInfoSize = 40;
        gv.graphBlobInfo = blob;
      }
      size_t n = graphVersion == 1 ? sizeof(QnnSystemContext_GraphInfoV1_t)
                 : graphVersion == 2 ? sizeof(QnnSystemContext_GraphInfoV2_t)
                                     : sizeof(QnnSystemContext_GraphInfoV3_t);
      std::memcpy(at + 8, &gv, n);
    }
    auto* bi = reinterpret_cast<QnnSystemContext_BinaryInfo_t*>(a.alloc(sizeof(QnnSystemContext_BinaryInfo_t)));
    Qnn_Version_t core{e.core.major, e.core.minor, e.core.patch};
    Qnn_Version_t backend{e.backend.major, e.backend.minor, e.backend.patch};
    // A real binary's info names the SDK build that made it; a reference binary may carry one.
    const char* buildId = a.str(!m.producer.empty() ? m.producer
                                                    : std::string("qnn-node reference ") + kReferenceVersion +
                                                          (m.description.empty() ? "" : ": " + m.description));
    auto* graphInfo = reinterpret_cast<QnnSystemContext_GraphInfo_t*>(graphs);
    // V3 has other offsets but the same field names: one filler for both layouts.
    auto fill = [&](auto& v) {
      v.backendId = kBackendId;
      v.buildId = buildId;
      v.coreApiVersion = core;
      v.backendApiVersion = backend;
      v.socVersion = a.str("reference");
      v.contextBlobVersion = Qnn_Version_t{kFormatVersion, 0, 0};
      v.contextBlobSize = m.fileSize;
      v.numGraphs = uint32_t(m.graphs.size());
      v.graphs = graphInfo;
    };
    if (infoVersion == 3) {
      bi->version = QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_3;
      fill(bi->contextBinaryInfoV3);
    } else {
      bi->version = infoVersion == 1 ? QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_1 : QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_2;
      fill(bi->contextBinaryInfoV2);  // V1 is a prefix of V2
      // The HTP hardware blob: version 1, graphListIndex, the spill-fill buffer size.
      uint8_t* blob = static_cast<uint8_t*>(a.alloc(QnnNode_HtpHwBlobMinSize));
      uint32_t blobVersion = 1;
      std::memcpy(blob, &blobVersion, 4);
      std::memcpy(blob + QnnNode_HtpHwBlobSpillFillOffset, &m.spillFillBytes, 8);
      bi->contextBinaryInfoV2.hwInfoBlobSize = QnnNode_HtpHwBlobMinSize;
      bi->contextBinaryInfoV2.hwInfoBlob = blob;
    }
    if (fault != Fault::kNone) {
      uint8_t* entry = graphs + faultGraph * graphStride;
      const Graph& g = m.graphs[faultGraph];
      uint8_t* firstInput = nullptr;
      if (!g.inputs.empty()) {
        QnnSystemContext_GraphInfoV1_t v1;
        std::memcpy(&v1, entry + 8, sizeof v1);
        firstInput = reinterpret_cast<uint8_t*>(v1.graphInputs);
      }
      corrupt(fault, a, entry, firstInput, tensorStride, bi);
    }
    *info = bi;
    if (infoSize) *infoSize = sizeof(QnnSystemContext_BinaryInfo_t);
  } catch (const std::bad_alloc&) {
    return QNN_COMMON_ERROR_MEM_ALLOC;
  } catch (const std::runtime_error& err) {
    std::fprintf(stderr, "libQnnReferenceSystem: %s\n", err.what());
    return QNN_SYSTEM_CONTEXT_ERROR_INVALID_ARGUMENT;
  }
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_contexts.count(handle)) return QNN_SYSTEM_CONTEXT_ERROR_INVALID_HANDLE;
  c->arenas.push_back(std::move(arena));
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t systemContextGetBinaryInfo(QnnSystemContext_Handle_t handle, void* buffer, uint64_t size,
                                             const QnnSystemContext_BinaryInfo_t** info, Qnn_ContextBinarySize_t* infoSize) {
  return getInfo("systemContextGetBinaryInfo", handle, buffer, size, info, infoSize);
}

Qnn_ErrorHandle_t systemContextGetMetaData(QnnSystemContext_Handle_t handle, const void* buffer, uint64_t size,
                                           const QnnSystemContext_BinaryInfo_t** info) {
  return getInfo("systemContextGetMetaData", handle, buffer, size, info, nullptr);
}

using Slot = void (*)();

struct Provider {
  GuardedBlock block;
  const QnnSystemInterface_t* list[1];
};
std::mutex g_providersMu;
// Never freed (not even at exit): provider structs stay valid while the library is loaded.
auto* const g_providers = new std::map<std::string, Provider*>();

const Provider* providerFor(const Emulation& e) {
  std::string key = versionString(e.system);
  std::lock_guard<std::mutex> lock(g_providersMu);
  auto it = g_providers->find(key);
  if (it != g_providers->end()) return it->second;
  uint32_t count = e.system.minor <= 2 ? abi::kSystemBaseSlotCount : 16;
  std::vector<Slot> slots(count, nullptr);
  slots[0] = reinterpret_cast<Slot>(systemContextCreate);
  slots[1] = reinterpret_cast<Slot>(systemContextGetBinaryInfo);
  slots[2] = reinterpret_cast<Slot>(systemContextGetMetaData);
  slots[3] = reinterpret_cast<Slot>(systemContextFree);
  size_t size = abi::kSystemInterfaceTableOffset + count * sizeof(Slot);
  GuardedBlock block = guardedAlloc(size);
  if (!block.ptr) return nullptr;
  auto* mem = static_cast<uint8_t*>(block.ptr);
  uint32_t backendId = kBackendId;
  const char* name = "QNN_NODE_REFERENCE_SYSTEM";
  Qnn_Version_t v{e.system.major, e.system.minor, e.system.patch};
  std::memcpy(mem + offsetof(QnnSystemInterface_t, backendId), &backendId, 4);
  std::memcpy(mem + offsetof(QnnSystemInterface_t, providerName), &name, sizeof name);
  std::memcpy(mem + offsetof(QnnSystemInterface_t, systemApiVersion), &v, sizeof v);
  std::memcpy(mem + abi::kSystemInterfaceTableOffset, slots.data(), count * sizeof(Slot));
  auto* p = new Provider();
  p->block = block;
  p->list[0] = reinterpret_cast<const QnnSystemInterface_t*>(mem);
  (*g_providers)[key] = p;
  return p;
}

}  // namespace
}  // namespace qnnref

QNNREF_EXPORT Qnn_ErrorHandle_t QnnSystemInterface_getProviders(const QnnSystemInterface_t*** providerList, uint32_t* numProviders) {
  using namespace qnnref;
  if (!providerList || !numProviders) return QNN_SYSTEM_INTERFACE_ERROR_INVALID_PARAMETER;
  Emulation e;
  std::string error;
  if (!readEmulation(&e, &error)) {
    std::fprintf(stderr, "libQnnReferenceSystem: %s\n", error.c_str());
    return QNN_SYSTEM_INTERFACE_ERROR_NOT_SUPPORTED;
  }
  const Provider* p = providerFor(e);
  if (!p) return QNN_COMMON_ERROR_MEM_ALLOC;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_emu = e;
  }
  *providerList = const_cast<const QnnSystemInterface_t**>(p->list);
  *numProviders = 1;
  return QNN_SUCCESS;
}
