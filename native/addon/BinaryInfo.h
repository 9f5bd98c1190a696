// BinaryInfo: what QnnSystem says a context binary holds (graphs and their tensors),
// validated and deep-copied out of the library's memory.
//
// Nothing QnnSystem returns is trusted: every pointer is read through SafeReader, every
// enum, count, rank and string is checked against sane bounds, and a violation becomes
// BINARY_INVALID naming the graph, tensor and field (a malformed binary can make the
// vendor library return uninitialised entries).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "Mapping.h"
#include "RuntimeState.h"
#include "TensorMeta.h"

namespace qnn_node {

// Maps a context binary file (FILE_NOT_FOUND / BINARY_INVALID when it cannot).
void MapBinary(FileMapping& mapping, const std::string& path);

struct BinaryInfoResult {
  std::vector<GraphMeta> graphs;
  // Stride of the GraphInfo array as read (88 / 64 / 48); with one graph at System 1.1 the
  // stride is irrelevant and this is the runtime's estimate (0 if it has none).
  size_t graphInfoStride = 0;
  // How the stride was decided: "system-api" (System >= 1.2), "single-graph", "data" (the
  // only layout consistent with the answer), "sdk-version" (both consistent, the SDK
  // version chose) or "agree" (both consistent and identical).
  std::string strideSource;
  std::string buildId;  // the binary info's buildId ("" when absent or unreadable)
  // The spill-fill buffer the binary needs (HTP hardware blob of BinaryInfo V1/V2, the
  // largest of the graphs' blobs in V3); -1 when the info carries none.
  int64_t spillFillBytes = -1;
};

// QnnSystem's binary info for a context binary, validated and deep-copied (QnnSystem's
// memory is freed before returning). Needs rt.hasSystem.
BinaryInfoResult ReadBinaryInfoDetailed(const RuntimeState& rt, const void* data, size_t size);
std::vector<GraphMeta> ReadBinaryInfo(const RuntimeState& rt, const void* data, size_t size);

}  // namespace qnn_node
