#include "BinaryInfo.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>

#include "SafeRead.h"
#include "qnn/qnn_abi_compat.h"

namespace qnn_node {
namespace {

constexpr size_t kTensorStride = abi::kTensorStrideV2Era;
constexpr uint32_t kMaxTensors = 1u << 16;
constexpr uint32_t kMaxRank = 64;
constexpr uint32_t kMaxGraphs = 4096;
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
// buildId sits right after backendId in every BinaryInfo version (V1, V2, V3).
constexpr size_t kBinaryInfoBuildId = 8;
static_assert(offsetof(QnnSystemContext_BinaryInfoV1_t, buildId) == kBinaryInfoBuildId, "BinaryInfo buildId offset");
static_assert(sizeof(Qnn_Tensor_t) == kTensorStride, "Qnn_Tensor_t must be the 144-byte (core 2.14+) layout");
static_assert(sizeof(Qnn_QuantizeParams_t) == 40, "Qnn_QuantizeParams_t must be 40 bytes");

// A field of QnnSystem's answer outside sane bounds.
struct Invalid {
  std::string graph;   // "graph \"simple\"" / "graph info 1"; "" for the binary info itself
  std::string tensor;  // "inputs[0] \"x\"" or ""
  std::string field;
  std::string problem;

  std::string Where() const {
    std::string w = graph;
    if (!tensor.empty()) w += (w.empty() ? "" : " ") + tensor;
    return w.empty() ? field : w + ": " + field;
  }
  std::string Text() const { return Where() + " " + problem; }
};

std::string Value(uint32_t v) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%X", v);
  return std::to_string(v) + " (" + hex + ")";
}

// Deep-copies and checks graphs out of QnnSystem's memory, never dereferencing it directly.
class Decoder {
 public:
  explicit Decoder(SafeReader& mem) : mem_(mem) {}

  // Graph `index` of the GraphInfo array at `base` read with `stride`; GraphInfo versions
  // 1..maxVersion are valid in that layout.
  GraphMeta Graph(const uint8_t* base, uint32_t index, size_t stride, uint32_t maxVersion) {
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
  std::vector<GraphMeta> Graphs(const uint8_t* base, uint32_t count, size_t stride, uint32_t maxVersion) {
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

 private:
  // A string QnnSystem returned: readable, NUL-terminated within kMaxName, no control characters.
  std::string Name(const char* p, Invalid at, bool required) {
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

  void Tensors(const Qnn_Tensor_t* array, uint32_t count, const std::string& graph, const std::string& list,
               std::vector<TensorMeta>* out) {
    std::string countField = list == "inputs" ? "numGraphInputs" : "numGraphOutputs";
    if (count > kMaxTensors) throw Invalid{graph, "", countField, Value(count) + " exceeds " + std::to_string(kMaxTensors)};
    if (count == 0) return;
    if (!array) throw Invalid{graph, "", list, "is NULL while " + countField + " is " + std::to_string(count)};
    std::vector<uint8_t> raw(static_cast<size_t>(count) * kTensorStride);
    if (!mem_.Copy(raw.data(), array, raw.size())) {
      throw Invalid{graph, "", list, "points to unreadable memory (" + std::to_string(count) + " tensors)"};
    }
    for (uint32_t i = 0; i < count; ++i) {
      Qnn_Tensor_t t;
      std::memcpy(&t, raw.data() + static_cast<size_t>(i) * kTensorStride, sizeof t);
      out->push_back(Tensor(t, graph, list + "[" + std::to_string(i) + "]"));
    }
  }

  TensorMeta Tensor(const Qnn_Tensor_t& t, const std::string& graph, const std::string& slot) {
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

  void Quant(const Qnn_QuantizeParams_t& q, const std::string& graph, const std::string& tensor, TensorMeta* m) {
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

  SafeReader& mem_;
};

CoreError InvalidAnswer(const Invalid& v, const std::string& context = "") {
  CoreError e("BINARY_INVALID", "QnnSystem returned malformed information for this context binary: " + v.Text() + context);
  if (!v.graph.empty()) e.Detail("graph", v.graph);
  if (!v.tensor.empty()) e.Detail("tensor", v.tensor);
  e.Detail("field", v.field);
  return e;
}

bool SameTensors(const std::vector<TensorMeta>& a, const std::vector<TensorMeta>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].name != b[i].name || a[i].dataType != b[i].dataType || a[i].dims != b[i].dims) return false;
  }
  return true;
}

bool SameGraphs(const std::vector<GraphMeta>& a, const std::vector<GraphMeta>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || !SameTensors(a[i].inputs, b[i].inputs) || !SameTensors(a[i].outputs, b[i].outputs)) return false;
  }
  return true;
}

// System 1.1 with several graphs: the array is 48 bytes a GraphInfo (SDK <= 2.23) or 64
// (2.24 - 2.27), which the System version cannot tell. Both layouts are decoded and
// checked; the data decides, the SDK version (`hint`, 0 if unknown) only breaks a tie.
void ChooseSystem11Layout(Decoder& dec, const uint8_t* base, uint32_t numGraphs, size_t hint, const Version& system,
                          BinaryInfoResult* result) {
  struct Candidate {
    size_t stride;
    uint32_t maxVersion;
    bool ok = false;
    std::vector<GraphMeta> graphs;
    Invalid why;
  };
  Candidate candidates[2] = {{abi::kGraphInfoStrideV1, 1}, {abi::kGraphInfoStrideV2, 2}};
  for (Candidate& c : candidates) {
    try {
      c.graphs = dec.Graphs(base, numGraphs, c.stride, c.maxVersion);
      c.ok = true;
    } catch (const Invalid& v) {
      c.why = v;
    }
  }
  Candidate& v1 = candidates[0];
  Candidate& v2 = candidates[1];
  Candidate* chosen = nullptr;
  if (v1.ok && v2.ok) {
    if (SameGraphs(v1.graphs, v2.graphs)) {
      chosen = hint == v1.stride ? &v1 : &v2;
      result->strideSource = "agree";
    } else if (hint == v1.stride || hint == v2.stride) {
      chosen = hint == v1.stride ? &v1 : &v2;
      result->strideSource = "sdk-version";
    } else {
      throw CoreError("UNSUPPORTED_VERSION",
                      "Both GraphInfo layouts of System API " + system.str() +
                          " (48 and 64 bytes) fit QnnSystem's answer for this binary, and they disagree; give the "
                          "SDK version the QnnSystem library comes from (sdkMinor, or --sdk-version 2.<minor> on the CLI)")
          .Detail("systemApi", system.str());
    }
  } else if (v1.ok || v2.ok) {
    chosen = v1.ok ? &v1 : &v2;
    result->strideSource = "data";
  } else {
    // Report the layout the SDK version points at (or the newer one) and what broke the other.
    const Candidate& main = hint == v1.stride ? v1 : v2;
    const Candidate& other = &main == &v1 ? v2 : v1;
    throw InvalidAnswer(main.why, " (read as " + std::to_string(main.stride) + "-byte GraphInfo; as " +
                                      std::to_string(other.stride) + " bytes: " + other.why.Text() + ")");
  }
  result->graphInfoStride = chosen->stride;
  result->graphs = std::move(chosen->graphs);
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

namespace {

// Offsets of hwInfoBlobSize / hwInfoBlob in BinaryInfo V1/V2, and of graphBlobInfoSize /
// graphBlobInfo in a GraphInfo V3 entry (after its 8-byte tag).
constexpr size_t kHwInfoBlobSize = 72, kHwInfoBlob = 80;
constexpr size_t kGraphBlobInfoSize = 8 + 56, kGraphBlobInfo = 8 + 64;

int64_t SpillFillFromBlob(SafeReader& mem, const void* blob, uint32_t blobSize, size_t minSize, size_t at) {
  if (!blob || blobSize < minSize) return -1;
  uint8_t head[24] = {};
  if (!mem.Copy(head, blob, minSize)) return -1;
  uint32_t blobVersion = 0;
  std::memcpy(&blobVersion, head, 4);
  if (blobVersion != 1) return -1;
  uint64_t bytes = 0;
  std::memcpy(&bytes, head + at, 8);
  return bytes > uint64_t(INT64_MAX) ? -1 : int64_t(bytes);
}

// What ORT's QNN EP reads for enable_htp_spill_fill_buffer. Best effort: -1 when absent.
int64_t ReadSpillFill(SafeReader& mem, uint32_t version, const uint8_t* body, const uint8_t* graphs, uint32_t numGraphs,
                      size_t graphStride) {
  if (version != abi::kBinaryInfoVersion3) {
    uint32_t size = 0;
    const void* blob = nullptr;
    std::memcpy(&size, body + kHwInfoBlobSize, 4);
    std::memcpy(&blob, body + kHwInfoBlob, sizeof blob);
    return SpillFillFromBlob(mem, blob, size, QnnNode_HtpHwBlobMinSize, QnnNode_HtpHwBlobSpillFillOffset);
  }
  if (graphStride != abi::kGraphInfoStrideV3) return -1;
  int64_t best = -1;
  for (uint32_t i = 0; i < numGraphs; ++i) {
    uint8_t entry[abi::kGraphInfoStrideV3];
    if (!mem.Copy(entry, graphs + size_t(i) * graphStride, sizeof entry)) return -1;
    uint32_t size = 0;
    const void* blob = nullptr;
    std::memcpy(&size, entry + kGraphBlobInfoSize, 4);
    std::memcpy(&blob, entry + kGraphBlobInfo, sizeof blob);
    int64_t b = SpillFillFromBlob(mem, blob, size, QnnNode_HtpGraphBlobMinSize, QnnNode_HtpGraphBlobSpillFillOffset);
    if (b < 0) return -1;
    if (b > best) best = b;
  }
  return best;
}

}  // namespace

BinaryInfoResult ReadBinaryInfoDetailed(const RuntimeState& rt, const void* data, size_t size) {
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
    e.details.emplace_back("systemPath", rt.systemPath);
    e.details.emplace_back("systemApi", rt.systemVersion.str());
    throw CoreError(e);
  }

  SafeReader mem;
  Decoder dec(mem);
  uint8_t raw[abi::kBinaryInfoSize];
  if (!mem.Copy(raw, info, sizeof raw)) throw InvalidAnswer(Invalid{"", "", "binary info", "is unreadable memory"});
  uint32_t version = 0;
  std::memcpy(&version, raw, sizeof version);
  const uint8_t* body = raw + abi::kBinaryInfoUnionOffset;
  uint32_t numGraphs = 0;
  const uint8_t* graphs = nullptr;
  switch (version) {
    case QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_1:
    case QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_2:
      std::memcpy(&numGraphs, body + abi::kBinaryInfoV1V2NumGraphs, sizeof numGraphs);
      std::memcpy(&graphs, body + abi::kBinaryInfoV1V2Graphs, sizeof graphs);
      break;
    case abi::kBinaryInfoVersion3:  // by offset: SDK headers before System 1.2 lack the V3 member
      std::memcpy(&numGraphs, body + abi::kBinaryInfoV3NumGraphs, sizeof numGraphs);
      std::memcpy(&graphs, body + abi::kBinaryInfoV3Graphs, sizeof graphs);
      break;
    default:
      throw InvalidAnswer(Invalid{"", "", "binary info version", Value(version) + " is not one qnn-node knows (1, 2, 3)"});
  }
  BinaryInfoResult result;
  const char* buildId = nullptr;
  std::memcpy(&buildId, body + kBinaryInfoBuildId, sizeof buildId);
  if (mem.CopyString(buildId, 256, &result.buildId) != SafeReader::StringStatus::kOk) result.buildId.clear();
  if (numGraphs == 0 || numGraphs > kMaxGraphs) {
    throw InvalidAnswer(Invalid{"", "", "numGraphs", Value(numGraphs) + " is not from 1 to " + std::to_string(kMaxGraphs)});
  }
  if (!graphs) throw InvalidAnswer(Invalid{"", "", "graphs", "is NULL for " + std::to_string(numGraphs) + " graphs"});

  const Version& sys = rt.systemVersion;
  if (sys.major != abi::kSystemMajor) {
    throw CoreError("UNSUPPORTED_VERSION", "System API " + sys.str() + " is not supported (qnn-node reads System API 1.x)")
        .Detail("systemApi", sys.str());
  }
  size_t hint = rt.GraphInfoStride();  // from the SDK version when known, else 0
  if (sys.minor >= 2) {
    result.graphInfoStride = abi::kGraphInfoStrideV3;
    result.strideSource = "system-api";
    try {
      result.graphs = dec.Graphs(graphs, numGraphs, abi::kGraphInfoStrideV3, abi::kGraphInfoVersion3);
    } catch (const Invalid& v) {
      throw InvalidAnswer(v);
    }
  } else if (numGraphs == 1) {
    // One graph: the stride never comes into play, and V1 and V2 share the fields read
    // (only V1's 48 bytes are copied: the entry may be that small).
    result.graphInfoStride = hint;
    result.strideSource = "single-graph";
    try {
      result.graphs.push_back(dec.Graph(graphs, 0, abi::kGraphInfoStrideV1, 2));
    } catch (const Invalid& v) {
      throw InvalidAnswer(v);
    }
  } else {
    ChooseSystem11Layout(dec, graphs, numGraphs, hint, sys, &result);
  }
  result.spillFillBytes = ReadSpillFill(mem, version, body, graphs, numGraphs, result.graphInfoStride);
  return result;
}

std::vector<GraphMeta> ReadBinaryInfo(const RuntimeState& rt, const void* data, size_t size) {
  return ReadBinaryInfoDetailed(rt, data, size).graphs;
}

}  // namespace qnn_node
