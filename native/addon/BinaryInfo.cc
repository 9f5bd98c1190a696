#include "BinaryInfo.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>

#include "AnswerDecoder.h"
#include "SafeRead.h"
#include "qnn/qnn_abi_compat.h"

namespace qnn_node {
namespace {

// buildId sits right after backendId in every BinaryInfo version (V1, V2, V3).
constexpr size_t kBinaryInfoBuildId = 8;
static_assert(offsetof(QnnSystemContext_BinaryInfoV1_t, buildId) == kBinaryInfoBuildId, "BinaryInfo buildId offset");

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
