// BinaryInfo: what QnnSystem says a context binary holds (graphs and their tensors),
// deep-copied out of the library's memory.
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
// QnnSystem's binary info for a context binary, deep-copied (QnnSystem's memory is freed
// before returning). Needs rt.hasSystem.
std::vector<GraphMeta> ReadBinaryInfo(const RuntimeState& rt, const void* data, size_t size);

// Bytes of one element array: dtype bits × elements (4-bit packed: rounded up), 0 if unknown.
uint64_t TensorByteSize(uint32_t dataType, const std::vector<uint32_t>& dims);

}  // namespace qnn_node
