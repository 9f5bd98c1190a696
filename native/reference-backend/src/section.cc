// Parser, checker and writer of "QNNRSEC1" binary sections. Every offset and count is
// checked before use; nothing is read outside [data, data + size).
#include "section.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace qnnref {
namespace {

uint32_t u32At(const uint8_t* p, uint64_t off) {
  uint32_t v;
  std::memcpy(&v, p + off, 4);
  return v;
}
uint64_t u64At(const uint8_t* p, uint64_t off) {
  uint64_t v;
  std::memcpy(&v, p + off, 8);
  return v;
}
void putU32(uint8_t* p, uint64_t off, uint32_t v) { std::memcpy(p + off, &v, 4); }
void putU64(uint8_t* p, uint64_t off, uint64_t v) { std::memcpy(p + off, &v, 8); }

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

uint32_t sectionCrc(const uint8_t* data, uint64_t size) {
  static const uint8_t zero[4] = {0, 0, 0, 0};
  uint32_t crc = crc32(data, 24);
  crc = crc32(zero, 4, crc);
  return crc32(data + 28, size - 28, crc);
}

// The strings blob: a leading NUL, then every name NUL-terminated.
uint64_t stringsSizeFor(const Model& model, const std::vector<uint32_t>& tensors, const std::string& graph) {
  uint64_t n = 1 + (graph.empty() ? 0 : graph.size() + 1);
  for (uint32_t idx : tensors) n += model.tensors[idx].name.size() + 1;
  return n;
}

bool graphUses(const Graph& g, uint32_t tensor) {
  for (const Node& n : g.nodes)
    for (uint32_t idx : n.inputs)
      if (idx == tensor) return true;
  return false;
}

}  // namespace

bool parseSection(const uint8_t* data, uint64_t size, Section* section, std::string* error) {
  Section& s = *section;
  s = Section();
  auto fail = [&](const std::string& msg) {
    *error = msg;
    return false;
  };
  if (!data) return fail("section buffer is NULL");
  if (size < kSectionHeaderSize) return fail("section is " + std::to_string(size) + " bytes, smaller than the 64-byte header");
  if (std::memcmp(data, kSectionMagic, 8) != 0) return fail("not a reference-backend binary section (magic is not \"QNNRSEC1\")");
  if (u32At(data, 8) != kSectionVersion) return fail("unsupported section version " + std::to_string(u32At(data, 8)) + " (this backend reads version 1)");
  if (u32At(data, 12) != kSectionHeaderSize) return fail("section headerSize is " + std::to_string(u32At(data, 12)) + ", expected 64");
  s.size = u64At(data, 16);
  if (s.size != size) return fail("section size mismatch: its header says " + std::to_string(s.size) + " bytes, the buffer has " + std::to_string(size) + " (truncated or padded)");
  uint32_t stored = u32At(data, 24), computed = sectionCrc(data, size);
  if (stored != computed) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "section checksum mismatch: stored 0x%08x, computed 0x%08x", stored, computed);
    return fail(buf);
  }
  s.binaryChecksum = u32At(data, 28);
  s.sectionType = u32At(data, 32);
  uint32_t count = u32At(data, 36), entriesOffset = u32At(data, 40);
  uint32_t stringsOffset = u32At(data, 44), stringsSize = u32At(data, 48), graphStr = u32At(data, 52);
  if (u64At(data, 56) != 0) return fail("section reserved header bytes must be 0");
  if (stringsSize == 0 || stringsOffset < kSectionHeaderSize || uint64_t(stringsOffset) + stringsSize > size)
    return fail("section string table (" + std::to_string(stringsSize) + " bytes at " + std::to_string(stringsOffset) + ") is outside the section");
  if (data[stringsOffset] != 0) return fail("section string table must start with a NUL byte");
  auto str = [&](uint32_t ref, std::string* out, const std::string& what) {
    if (ref >= stringsSize) return fail(what + ": string ref " + std::to_string(ref) + " outside the string table");
    const uint8_t* start = data + stringsOffset + ref;
    const void* nul = std::memchr(start, 0, stringsSize - ref);
    if (!nul) return fail(what + ": string is not NUL-terminated inside the string table");
    out->assign(reinterpret_cast<const char*>(start), static_cast<const uint8_t*>(nul) - start);
    return true;
  };
  if (graphStr != 0 && !str(graphStr, &s.graph, "section graph name")) return false;
  if (graphStr != 0 && s.graph.empty()) return fail("section graph name is empty");
  if (count == 0) return fail("section has no tensors");
  if (entriesOffset < kSectionHeaderSize || entriesOffset % 8 != 0 || uint64_t(entriesOffset) + uint64_t(count) * kSectionEntrySize > size)
    return fail("section entry table (" + std::to_string(count) + " entries at " + std::to_string(entriesOffset) + ") is outside the section or misaligned");
  std::unordered_set<std::string> names;
  s.entries.reserve(count);
  for (uint32_t k = 0; k < count; ++k) {
    uint64_t o = uint64_t(entriesOffset) + uint64_t(k) * kSectionEntrySize;
    SectionEntry e;
    std::string where = "section entry #" + std::to_string(k);
    if (!str(u32At(data, o), &e.name, where + " name")) return false;
    if (e.name.empty()) return fail(where + " has an empty tensor name");
    where = "section tensor '" + e.name + "'";
    e.dataType = u32At(data, o + 4);
    e.dataOffset = u64At(data, o + 8);
    e.dataSize = u64At(data, o + 16);
    if (u64At(data, o + 24) != 0) return fail(where + ": reserved bytes must be 0");
    if (e.dataOffset % kSectionDataAlignment != 0) return fail(where + ": data offset " + std::to_string(e.dataOffset) + " is not 64-aligned");
    if (e.dataOffset > size || e.dataSize > size - e.dataOffset) return fail(where + ": data (" + std::to_string(e.dataSize) + " bytes at " + std::to_string(e.dataOffset) + ") runs past the end of the section");
    if (!names.insert(e.name).second) return fail(where + " appears twice");
    s.entries.push_back(std::move(e));
  }
  return true;
}

std::vector<uint32_t> updatableTensors(const Model& model, int64_t graph) {
  std::vector<uint32_t> out;
  for (uint32_t idx : model.updatable)
    if (graph < 0 || graphUses(model.graphs[size_t(graph)], idx)) out.push_back(idx);
  return out;
}

bool checkSectionAgainst(const Section& s, const Model& model, int64_t graph, std::vector<uint32_t>* tensors, std::string* error) {
  auto fail = [&](const std::string& msg) {
    *error = msg;
    return false;
  };
  if (s.binaryChecksum != model.checksum) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "the section was made for another binary (binary checksum 0x%08x; this context's is 0x%08x)", s.binaryChecksum, model.checksum);
    return fail(buf);
  }
  if (s.graph.empty() && graph >= 0)
    return fail("the section covers the whole context but was applied to graph '" + model.graphs[size_t(graph)].name + "' (pass no graph handle)");
  if (!s.graph.empty()) {
    if (graph < 0) return fail("the section is for graph '" + s.graph + "' but no graph handle was given");
    if (model.graphs[size_t(graph)].name != s.graph)
      return fail("the section is for graph '" + s.graph + "' but was applied to graph '" + model.graphs[size_t(graph)].name + "'");
  }
  tensors->clear();
  std::unordered_map<std::string, uint32_t> byName;
  for (uint32_t i = 0; i < model.tensors.size(); ++i) byName.emplace(model.tensors[i].name, i);
  for (const SectionEntry& e : s.entries) {
    std::string where = "section tensor '" + e.name + "'";
    auto it = byName.find(e.name);
    if (it == byName.end()) return fail(where + ": no tensor of that name in the binary");
    uint32_t index = it->second;
    const TensorInfo* found = &model.tensors[index];
    if (found->type != kTypeStatic) return fail(where + ": not a STATIC tensor");
    if (!std::binary_search(model.updatable.begin(), model.updatable.end(), index)) return fail(where + ": the binary does not mark it updatable");
    if (graph >= 0 && !graphUses(model.graphs[size_t(graph)], index)) return fail(where + ": not used by graph '" + s.graph + "'");
    if (e.dataType != found->dataType)
      return fail(where + ": dataType " + dtypeName(e.dataType) + " (" + std::to_string(e.dataType) + "), the tensor is " + dtypeName(found->dataType) + " (" + std::to_string(found->dataType) + ")");
    if (e.dataSize != found->bytes) return fail(where + ": " + std::to_string(e.dataSize) + " bytes of data, the tensor has " + std::to_string(found->bytes));
    tensors->push_back(index);
  }
  return true;
}

uint64_t sectionSizeFor(const Model& model, const std::vector<uint32_t>& tensors, const std::string& graph) {
  uint64_t at = kSectionHeaderSize + uint64_t(tensors.size()) * kSectionEntrySize + stringsSizeFor(model, tensors, graph);
  for (uint32_t idx : tensors) at = alignUp(at, kSectionDataAlignment) + model.tensors[idx].bytes;
  return at;
}

void writeSectionMeta(const Model& model, const std::vector<uint32_t>& tensors, const std::string& graph, uint8_t* out,
                      std::vector<uint64_t>* dataOffsets) {
  uint64_t total = sectionSizeFor(model, tensors, graph);
  std::memset(out, 0, total);
  std::memcpy(out, kSectionMagic, 8);
  putU32(out, 8, kSectionVersion);
  putU32(out, 12, kSectionHeaderSize);
  putU64(out, 16, total);
  putU32(out, 28, model.checksum);
  putU32(out, 32, kSectionTypeUpdatable);
  putU32(out, 36, uint32_t(tensors.size()));
  uint64_t entries = kSectionHeaderSize, strings = entries + uint64_t(tensors.size()) * kSectionEntrySize;
  putU32(out, 40, uint32_t(entries));
  putU32(out, 44, uint32_t(strings));
  putU32(out, 48, uint32_t(stringsSizeFor(model, tensors, graph)));
  uint64_t s = 1;  // the leading NUL
  auto addString = [&](const std::string& v) {
    uint64_t ref = s;
    std::memcpy(out + strings + s, v.data(), v.size());
    s += v.size() + 1;
    return uint32_t(ref);
  };
  putU32(out, 52, graph.empty() ? 0 : addString(graph));
  uint64_t at = strings + stringsSizeFor(model, tensors, graph);
  dataOffsets->clear();
  for (size_t k = 0; k < tensors.size(); ++k) {
    const TensorInfo& t = model.tensors[tensors[k]];
    uint64_t e = entries + uint64_t(k) * kSectionEntrySize;
    at = alignUp(at, kSectionDataAlignment);
    putU32(out, e, addString(t.name));
    putU32(out, e + 4, t.dataType);
    putU64(out, e + 8, at);
    putU64(out, e + 16, t.bytes);
    dataOffsets->push_back(at);
    at += t.bytes;
  }
}

void finishSectionChecksum(uint8_t* out, uint64_t size) { putU32(out, 24, sectionCrc(out, size)); }

}  // namespace qnnref
