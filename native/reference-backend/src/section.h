// The reference backend's binary-section format ("QNNRSEC1", docs/reference-backend.md):
// what contextApplyBinarySection takes and contextGetBinarySection returns — new data for
// named updatable STATIC tensors of one binary (LoRA adapter weights, for instance).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "model.h"

namespace qnnref {

constexpr char kSectionMagic[8] = {'Q', 'N', 'N', 'R', 'S', 'E', 'C', '1'};
constexpr uint32_t kSectionVersion = 1;
constexpr uint32_t kSectionHeaderSize = 64;
constexpr uint32_t kSectionEntrySize = 32;
constexpr uint64_t kSectionDataAlignment = 64;
constexpr uint32_t kSectionTypeUpdatable = 1;  // QNN_CONTEXT_SECTION_UPDATABLE

struct SectionEntry {
  std::string name;
  uint32_t dataType = 0;
  uint64_t dataOffset = 0;  // from the start of the section
  uint64_t dataSize = 0;
};

struct Section {
  uint64_t size = 0;
  uint32_t binaryChecksum = 0;  // the checksum of the binary it was made for
  uint32_t sectionType = 0;
  std::string graph;            // "" = the whole context
  std::vector<SectionEntry> entries;
};

// Parses and checks the format of `size` bytes (never reads outside them): bounds,
// alignment, checksum, duplicate names. On failure `error` says what is wrong.
bool parseSection(const uint8_t* data, uint64_t size, Section* section, std::string* error);

// Checks a parsed section against the binary it is applied to: the same binary, the graph
// (`graph`: the graph handle's index, or -1 for none), and for every entry an updatable
// STATIC tensor of that name, dtype and byte size (used by that graph when one is given).
// Fills `tensors` with the tensor index of each entry.
bool checkSectionAgainst(const Section& section, const Model& model, int64_t graph, std::vector<uint32_t>* tensors, std::string* error);

// The updatable tensors of the whole context (graph = -1) or of one graph, in index order.
std::vector<uint32_t> updatableTensors(const Model& model, int64_t graph);

// The byte size of a section holding `tensors` (for contextGetBinarySectionSize).
uint64_t sectionSizeFor(const Model& model, const std::vector<uint32_t>& tensors, const std::string& graph);

// Writes a section of `tensors` with their current data (`dataOf(index)`) into `out`
// (exactly sectionSizeFor bytes).
template <typename DataOf>
void writeSection(const Model& model, const std::vector<uint32_t>& tensors, const std::string& graph, DataOf dataOf, uint8_t* out);

// Implementation detail of writeSection: header + entries + strings, data left to the caller.
void writeSectionMeta(const Model& model, const std::vector<uint32_t>& tensors, const std::string& graph, uint8_t* out,
                      std::vector<uint64_t>* dataOffsets);
void finishSectionChecksum(uint8_t* out, uint64_t size);

template <typename DataOf>
void writeSection(const Model& model, const std::vector<uint32_t>& tensors, const std::string& graph, DataOf dataOf, uint8_t* out) {
  std::vector<uint64_t> offsets;
  writeSectionMeta(model, tensors, graph, out, &offsets);
  for (size_t k = 0; k < tensors.size(); ++k) {
    const TensorInfo& t = model.tensors[tensors[k]];
    const uint8_t* src = dataOf(tensors[k]);
    if (t.bytes) std::memcpy(out + offsets[k], src, t.bytes);
  }
  finishSectionChecksum(out, sectionSizeFor(model, tensors, graph));
}

}  // namespace qnnref
