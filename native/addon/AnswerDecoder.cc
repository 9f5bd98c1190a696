#include "AnswerDecoder.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

namespace qnn_node {
namespace {

constexpr uint32_t kMaxTensors = 1u << 16;
constexpr uint32_t kMaxRank = 64;
constexpr uint32_t kMaxScaleOffsets = 1u << 24;
constexpr uint32_t kMaxBitwidth = 64;
constexpr size_t kMaxName = 16 * 1024;
constexpr uint32_t kUndefined = 0x7FFFFFFF;  // every QNN enum's *_UNDEFINED
// Enums that backends or later SDKs extend are bounded, not matched against a list: a
// valid binary from a newer release must still read (0xBEBEBEBE must not).
constexpr uint32_t kMaxTensorType = 0xFF;
constexpr uint32_t kMaxDataFormat = 0xFFFF;
constexpr uint32_t kMaxDataType = 0xFFFF;
constexpr uint32_t kMaxEncoding = 0xFF;
static_assert(sizeof(Qnn_Tensor_t) == abi::kTensorStrideV2Era, "Qnn_Tensor_t must be the 144-byte (core 2.14+) layout");
static_assert(sizeof(Qnn_QuantizeParams_t) == 40, "Qnn_QuantizeParams_t must be 40 bytes");


}  // namespace

std::string Value(uint32_t v) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%X", v);
  return std::to_string(v) + " (" + hex + ")";
}

// Graph `index` of the GraphInfo array at `base` read with `stride`; GraphInfo versions
// 1..maxVersion are valid in that layout.
GraphMeta Decoder::Graph(const uint8_t* base, uint32_t index, size_t stride, uint32_t maxVersion) {
  std::string where = "graph info " + std::to_string(index);
  QnnSystemContext_GraphInfo_t g;
  std::memset(&g, 0, sizeof g);
  size_t n = stride < sizeof g ? stride : sizeof g;  // the fields past V1 are not read
  if (!mem_.Copy(&g, base + static_cast<size_t>(index) * stride, n)) {
    throw Invalid{where, "", "entry", "is unreadable memory (GraphInfo stride " + std::to_string(stride) + ")"};
  }
  uint32_t version = RawEnum(g.version);
  if (version < 1 || version > maxVersion) {
    throw Invalid{where, "", "version", Value(version) + " is not a GraphInfo version (1 to " + std::to_string(maxVersion) + ")"};
  }
  const QnnSystemContext_GraphInfoV1_t& v = g.graphInfoV1;  // V2 and V3 begin with V1's fields
  GraphMeta m;
  m.name = Name(v.graphName, Invalid{where, "", "graphName", ""}, true);
  std::string graph = "graph \"" + m.name + "\"";
  Tensors(v.graphInputs, v.numGraphInputs, graph, "inputs", &m.inputs);
  Tensors(v.graphOutputs, v.numGraphOutputs, graph, "outputs", &m.outputs);
  return m;
}

// Every graph of the array; graph names must be unique.
std::vector<GraphMeta> Decoder::Graphs(const uint8_t* base, uint32_t count, size_t stride, uint32_t maxVersion) {
  std::vector<GraphMeta> out;
  std::set<std::string> names;
  for (uint32_t i = 0; i < count; ++i) {
    out.push_back(Graph(base, i, stride, maxVersion));
    if (!names.insert(out.back().name).second) {
      throw Invalid{"graph info " + std::to_string(i), "", "graphName", "\"" + out.back().name + "\" names two graphs"};
    }
  }
  return out;
}

// A string QnnSystem returned: readable, NUL-terminated within kMaxName, no control characters.
std::string Decoder::Name(const char* p, Invalid at, bool required) {
  std::string s;
  switch (mem_.CopyString(p, kMaxName, &s)) {
    case SafeReader::StringStatus::kOk:
      break;
    case SafeReader::StringStatus::kNull:
      if (!required) return s;
      at.problem = "is NULL";
      throw at;
    case SafeReader::StringStatus::kUnreadable:
      at.problem = "points to unreadable memory";
      throw at;
    case SafeReader::StringStatus::kTooLong:
      at.problem = "is not a string of at most " + std::to_string(kMaxName) + " bytes";
      throw at;
  }
  if (required && s.empty()) {
    at.problem = "is empty";
    throw at;
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) {
      at.problem = "contains control character " + Value(c);
      throw at;
    }
  }
  return s;
}

void Decoder::Tensors(const Qnn_Tensor_t* array, uint32_t count, const std::string& graph, const std::string& list,
             std::vector<TensorMeta>* out) {
  std::string countField = list == "inputs" ? "numGraphInputs" : "numGraphOutputs";
  if (count > kMaxTensors) throw Invalid{graph, "", countField, Value(count) + " exceeds " + std::to_string(kMaxTensors)};
  if (count == 0) return;
  if (!array) throw Invalid{graph, "", list, "is NULL while " + countField + " is " + std::to_string(count)};
  std::vector<uint8_t> raw(static_cast<size_t>(count) * tensorStride_);
  if (!mem_.Copy(raw.data(), array, raw.size())) {
    throw Invalid{graph, "", list, "points to unreadable memory (" + std::to_string(count) + " tensors)"};
  }
  for (uint32_t i = 0; i < count; ++i) {
    // A 120-byte (pre-2.14) entry is a V1 tensor: the rest of the struct stays zero.
    Qnn_Tensor_t t;
    std::memset(&t, 0, sizeof t);
    std::memcpy(&t, raw.data() + static_cast<size_t>(i) * tensorStride_, tensorStride_ < sizeof t ? tensorStride_ : sizeof t);
    out->push_back(Tensor(t, graph, list + "[" + std::to_string(i) + "]"));
  }
}

TensorMeta Decoder::Tensor(const Qnn_Tensor_t& t, const std::string& graph, const std::string& slot) {
  uint32_t version = RawEnum(t.version);
  if (version != QNN_TENSOR_VERSION_1 && version != QNN_TENSOR_VERSION_2) {
    throw Invalid{graph, slot, "version", Value(version) + " is not a tensor version (1 or 2)"};
  }
  const Qnn_TensorV1_t& v = t.v1;  // V2 starts with V1's fields at the same offsets
  TensorMeta m;
  m.version = version;
  m.id = v.id;
  m.name = Name(v.name, Invalid{graph, slot, "name", ""}, false);
  std::string tensor = m.name.empty() ? slot : slot + " \"" + m.name + "\"";
  auto bounded = [&](uint32_t value, uint32_t max, const char* field, const char* what) {
    if (value > max && value != kUndefined) throw Invalid{graph, tensor, field, Value(value) + " is not " + what};
    return value;
  };
  m.type = bounded(RawEnum(v.type), kMaxTensorType, "type", "a tensor type");
  m.dataFormat = bounded(RawEnum(v.dataFormat), kMaxDataFormat, "dataFormat", "a tensor data format");
  m.dataType = bounded(RawEnum(v.dataType), kMaxDataType, "dataType", "a QNN data type");
  // Every tensor read here is a graph input or output: it is fed or read, so it has a type.
  if (m.dataType == kUndefined) throw Invalid{graph, tensor, "dataType", "is QNN_DATATYPE_UNDEFINED (graph inputs and outputs have a data type)"};
  if (v.rank > kMaxRank) throw Invalid{graph, tensor, "rank", Value(v.rank) + " exceeds " + std::to_string(kMaxRank)};
  if (v.rank > 0) {
    if (!v.dimensions) throw Invalid{graph, tensor, "dimensions", "is NULL for rank " + std::to_string(v.rank)};
    m.dims.resize(v.rank);
    if (!mem_.Copy(m.dims.data(), v.dimensions, v.rank * sizeof(uint32_t))) {
      throw Invalid{graph, tensor, "dimensions", "points to unreadable memory"};
    }
  }
  Quant(v.quantizeParams, graph, tensor, &m);
  m.byteSize = TensorByteSize(m.dataType, m.dims);
  return m;
}

void Decoder::Quant(const Qnn_QuantizeParams_t& q, const std::string& graph, const std::string& tensor, TensorMeta* m) {
  QuantMeta* out = &m->quant;
  uint32_t definition = RawEnum(q.encodingDefinition);
  if (definition != QNN_DEFINITION_IMPL_GENERATED && definition != QNN_DEFINITION_DEFINED && definition != kUndefined) {
    throw Invalid{graph, tensor, "quantizeParams.encodingDefinition", Value(definition) + " is not a QNN definition"};
  }
  out->definition = definition;
  out->encoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
  if (definition != QNN_DEFINITION_DEFINED) return;  // the encoding and its union are meaningless
  uint32_t encoding = RawEnum(q.quantizationEncoding);
  if (encoding > kMaxEncoding && encoding != kUndefined) {
    throw Invalid{graph, tensor, "quantizeParams.quantizationEncoding", Value(encoding) + " is not a quantization encoding"};
  }
  out->encoding = encoding;
  auto finite = [&](float f, const char* field) {
    if (!std::isfinite(f)) throw Invalid{graph, tensor, field, "is not a finite number"};
    return f;
  };
  auto checkBitwidth = [&](uint32_t bw) {
    if (bw > kMaxBitwidth) throw Invalid{graph, tensor, "quantizeParams.bitwidth", Value(bw) + " exceeds " + std::to_string(kMaxBitwidth)};
    return bw;
  };
  auto checkAxis = [&](int32_t axis) {
    if (axis < 0 || static_cast<size_t>(axis) >= m->dims.size()) {
      throw Invalid{graph, tensor, "quantizeParams.axis", std::to_string(axis) + " is not an axis of a rank-" +
                                                              std::to_string(m->dims.size()) + " tensor"};
    }
    return axis;
  };
  auto checkCount = [&](uint32_t count, const void* ptr, const char* field) {
    if (count > kMaxScaleOffsets) throw Invalid{graph, tensor, field, Value(count) + " exceeds " + std::to_string(kMaxScaleOffsets)};
    if (count > 0 && !ptr) throw Invalid{graph, tensor, field, std::to_string(count) + " values at a NULL pointer"};
  };
  switch (encoding) {
    case QNN_QUANTIZATION_ENCODING_SCALE_OFFSET:
      out->scale = finite(q.scaleOffsetEncoding.scale, "quantizeParams.scale");
      out->offset = q.scaleOffsetEncoding.offset;
      break;
    case QNN_QUANTIZATION_ENCODING_BW_SCALE_OFFSET:
      out->bitwidth = checkBitwidth(q.bwScaleOffsetEncoding.bitwidth);
      out->scale = finite(q.bwScaleOffsetEncoding.scale, "quantizeParams.scale");
      out->offset = q.bwScaleOffsetEncoding.offset;
      break;
    case QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET: {
      const auto& a = q.axisScaleOffsetEncoding;
      out->axis = checkAxis(a.axis);
      checkCount(a.numScaleOffsets, a.scaleOffset, "quantizeParams.numScaleOffsets");
      std::vector<Qnn_ScaleOffset_t> so(a.numScaleOffsets);
      if (!mem_.Copy(so.data(), a.scaleOffset, so.size() * sizeof(Qnn_ScaleOffset_t))) {
        throw Invalid{graph, tensor, "quantizeParams.scaleOffset", "points to unreadable memory"};
      }
      for (const auto& s : so) {
        out->scales.push_back(finite(s.scale, "quantizeParams.scaleOffset[].scale"));
        out->offsets.push_back(s.offset);
      }
      break;
    }
    case QNN_QUANTIZATION_ENCODING_BW_AXIS_SCALE_OFFSET: {
      const auto& a = q.bwAxisScaleOffsetEncoding;
      out->bitwidth = checkBitwidth(a.bitwidth);
      out->axis = checkAxis(a.axis);
      checkCount(a.numElements, a.scales, "quantizeParams.numElements");
      out->scales.resize(a.numElements);
      out->offsets.assign(a.numElements, 0);
      if (!mem_.Copy(out->scales.data(), a.scales, a.numElements * sizeof(float))) {
        throw Invalid{graph, tensor, "quantizeParams.scales", "points to unreadable memory"};
      }
      if (a.offsets && !mem_.Copy(out->offsets.data(), a.offsets, a.numElements * sizeof(int32_t))) {
        throw Invalid{graph, tensor, "quantizeParams.offsets", "points to unreadable memory"};
      }
      for (float s : out->scales) finite(s, "quantizeParams.scales[]");
      break;
    }
    default:
      // Block / vector encodings: not exposed; execution passes the tensor without them.
      out->encoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
      out->definition = QNN_DEFINITION_UNDEFINED;
      break;
  }
}

GraphMeta Decoder::GraphFromFields(const char* name, const Qnn_Tensor_t* inputs, uint32_t numInputs, const Qnn_Tensor_t* outputs,
                                   uint32_t numOutputs, const std::string& where) {
  GraphMeta m;
  m.name = Name(name, Invalid{where, "", "graphName", ""}, true);
  std::string graph = "graph \"" + m.name + "\"";
  Tensors(inputs, numInputs, graph, "inputs", &m.inputs);
  Tensors(outputs, numOutputs, graph, "outputs", &m.outputs);
  return m;
}

}  // namespace qnn_node
