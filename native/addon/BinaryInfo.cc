#include "BinaryInfo.h"

#include <cstring>

#include "qnn/qnn_abi_compat.h"

namespace qnn_node {
namespace {

constexpr size_t kTensorStride = abi::kTensorStrideV2Era;
constexpr uint32_t kMaxTensors = 1u << 16;
constexpr uint32_t kMaxRank = 64;
static_assert(sizeof(Qnn_Tensor_t) == kTensorStride, "Qnn_Tensor_t must be the 144-byte (core 2.14+) layout");
static_assert(sizeof(Qnn_QuantizeParams_t) == 40, "Qnn_QuantizeParams_t must be 40 bytes");

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

}  // namespace qnn_node
