// Writes a Model back as a "QNNREF01" binary (model.h: serializeModel): what
// contextGetBinary returns for a context composed through the QNN API. The layout follows
// lib/reference/writer.ts (header, tensors, graphs, nodes, params, words, strings, padding,
// data), so parseModel, the reference QnnSystem and lib/reference/reader.ts read it back.
#include <cstring>
#include <map>

#include "model.h"

namespace qnnref {
namespace {

void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }
void put64(std::vector<uint8_t>& b, size_t off, uint64_t v) { std::memcpy(b.data() + off, &v, 8); }
void putF32(std::vector<uint8_t>& b, size_t off, float v) { std::memcpy(b.data() + off, &v, 4); }
uint64_t alignUp(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

// The string blob: byte 0 is the empty string; equal strings share one entry.
struct Strings {
  std::vector<uint8_t> blob{0};
  std::map<std::string, uint32_t> index;
  uint32_t ref(const std::string& s) {
    if (s.empty()) return 0;
    auto it = index.find(s);
    if (it != index.end()) return it->second;
    uint32_t at = uint32_t(blob.size());
    blob.insert(blob.end(), s.begin(), s.end());
    blob.push_back(0);
    index.emplace(s, at);
    return at;
  }
};

struct Words {
  std::vector<uint32_t> pool;
  uint32_t add(const std::vector<uint32_t>& values) {
    uint32_t at = uint32_t(pool.size());
    pool.insert(pool.end(), values.begin(), values.end());
    return at;
  }
};

}  // namespace

bool serializeModel(const Model& m, const std::vector<const uint8_t*>& staticData, std::vector<uint8_t>* out, std::string* error) {
  if (m.graphs.empty()) {
    *error = "the context has no graphs";
    return false;
  }
  // Only tensors some graph uses go into the binary (QNN: "unconsumed tensors are not
  // included"); they keep their ids and relative order.
  std::vector<bool> used(m.tensors.size(), false);
  for (const Graph& g : m.graphs) {
    for (uint32_t i : g.inputs) used[i] = true;
    for (uint32_t i : g.outputs) used[i] = true;
    for (const Node& n : g.nodes) {
      for (uint32_t i : n.inputs) used[i] = true;
      for (uint32_t i : n.outputs) used[i] = true;
    }
  }
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < m.tensors.size(); ++i)
    if (used[i]) order.push_back(i);

  Strings strings;
  Words words;
  const uint32_t descriptionRef = strings.ref(m.description);
  const uint32_t producerRef = strings.ref(m.producer);

  // Static data: 64-aligned inside the data section, in tensor order.
  std::vector<uint64_t> dataOffsets(m.tensors.size(), 0);
  uint64_t dataSize = 0;
  for (uint32_t i : order) {
    const TensorInfo& t = m.tensors[i];
    if (t.type != kTypeStatic) continue;
    if (i >= staticData.size() || (!staticData[i] && t.bytes)) {
      *error = "static tensor '" + t.name + "' has no data";
      return false;
    }
    dataOffsets[i] = alignUp(dataSize, kDataAlignment);
    dataSize = dataOffsets[i] + t.bytes;
  }

  std::vector<uint8_t> tensorRecs(order.size() * kTensorRecordSize, 0);
  for (size_t k = 0; k < order.size(); ++k) {
    const TensorInfo& t = m.tensors[order[k]];
    size_t o = k * kTensorRecordSize;
    put32(tensorRecs, o, t.id);
    put32(tensorRecs, o + 4, strings.ref(t.name));
    put32(tensorRecs, o + 8, t.type);
    put32(tensorRecs, o + 12, t.dataType);
    put32(tensorRecs, o + 16, uint32_t(t.dims.size()));
    put32(tensorRecs, o + 20, words.add(t.dims));
    put32(tensorRecs, o + 24, t.quant.encoding);
    if (t.quant.encoding == kEncScaleOffset) {
      putF32(tensorRecs, o + 28, t.quant.scale);
      put32(tensorRecs, o + 32, uint32_t(t.quant.offset));
    } else if (t.quant.encoding == kEncAxisScaleOffset) {
      std::vector<uint32_t> pairs;
      for (size_t q = 0; q < t.quant.scales.size(); ++q) {
        uint32_t bits;
        std::memcpy(&bits, &t.quant.scales[q], 4);
        pairs.push_back(bits);
        pairs.push_back(uint32_t(t.quant.offsets[q]));
      }
      put32(tensorRecs, o + 36, uint32_t(t.quant.axis));
      put32(tensorRecs, o + 40, uint32_t(t.quant.scales.size()));
      put32(tensorRecs, o + 44, words.add(pairs));
    }
    if (t.type == kTypeStatic) {
      put64(tensorRecs, o + 48, dataOffsets[order[k]]);
      put64(tensorRecs, o + 56, t.bytes);
    }
  }

  auto ids = [&](const std::vector<uint32_t>& idx) {
    std::vector<uint32_t> v;
    for (uint32_t i : idx) v.push_back(m.tensors[i].id);
    return v;
  };
  std::vector<uint8_t> graphRecs(m.graphs.size() * kGraphRecordSize, 0);
  std::vector<uint8_t> nodeRecs, paramRecs;
  uint32_t nodeCount = 0, paramCount = 0;
  for (size_t gi = 0; gi < m.graphs.size(); ++gi) {
    const Graph& g = m.graphs[gi];
    size_t o = gi * kGraphRecordSize;
    put32(graphRecs, o, strings.ref(g.name));
    put32(graphRecs, o + 4, uint32_t(g.inputs.size()));
    put32(graphRecs, o + 8, words.add(ids(g.inputs)));
    put32(graphRecs, o + 12, uint32_t(g.outputs.size()));
    put32(graphRecs, o + 16, words.add(ids(g.outputs)));
    put32(graphRecs, o + 20, nodeCount);
    put32(graphRecs, o + 24, uint32_t(g.nodes.size()));
    for (const Node& n : g.nodes) {
      size_t no = nodeRecs.size();
      nodeRecs.resize(no + kNodeRecordSize, 0);
      put32(nodeRecs, no, strings.ref(n.opName));
      put32(nodeRecs, no + 4, strings.ref(n.name));
      put32(nodeRecs, no + 8, uint32_t(n.inputs.size()));
      put32(nodeRecs, no + 12, words.add(ids(n.inputs)));
      put32(nodeRecs, no + 16, uint32_t(n.outputs.size()));
      put32(nodeRecs, no + 20, words.add(ids(n.outputs)));
      put32(nodeRecs, no + 24, paramCount);
      put32(nodeRecs, no + 28, uint32_t(n.params.size()));
      for (const Param& p : n.params) {
        size_t po = paramRecs.size();
        paramRecs.resize(po + kParamRecordSize, 0);
        put32(paramRecs, po, strings.ref(p.name));
        put32(paramRecs, po + 4, p.kind);
        uint32_t count = 1, value = 0;
        switch (p.kind) {
          case kParamInt32: case kParamBool: value = uint32_t(p.ints.at(0)); break;
          case kParamFloat32: std::memcpy(&value, &p.floats.at(0), 4); break;
          case kParamInt32Array: {
            std::vector<uint32_t> v(p.ints.begin(), p.ints.end());
            count = uint32_t(v.size());
            value = words.add(v);
            break;
          }
          case kParamFloat32Array: {
            std::vector<uint32_t> v(p.floats.size());
            if (!v.empty()) std::memcpy(v.data(), p.floats.data(), v.size() * 4);
            count = uint32_t(v.size());
            value = words.add(v);
            break;
          }
          default:
            *error = "param '" + p.name + "' has unknown kind " + std::to_string(p.kind);
            return false;
        }
        put32(paramRecs, po + 8, count);
        put32(paramRecs, po + 12, value);
        ++paramCount;
      }
      ++nodeCount;
    }
  }

  // Regions in the writer's order; each table offset aligned as the format requires.
  uint64_t at = kHeaderSize;
  const uint64_t tensorsOffset = alignUp(at, 8);
  at = tensorsOffset + tensorRecs.size();
  const uint64_t graphsOffset = alignUp(at, 4);
  at = graphsOffset + graphRecs.size();
  const uint64_t nodesOffset = alignUp(at, 4);
  at = nodesOffset + nodeRecs.size();
  const uint64_t paramsOffset = alignUp(at, 4);
  at = paramsOffset + paramRecs.size();
  const uint64_t wordsOffset = alignUp(at, 4);
  at = wordsOffset + words.pool.size() * 4;
  const uint64_t stringsOffset = at;
  const uint64_t metaSize = stringsOffset + strings.blob.size();
  const uint64_t dataOffset = alignUp(metaSize, kDataAlignment);
  const uint64_t fileSize = dataOffset + dataSize;
  if (metaSize > 0xFFFFFFFFull) {
    *error = "the metadata exceeds 4 GiB";
    return false;
  }

  std::vector<uint8_t>& b = *out;
  b.assign(fileSize, 0);
  std::memcpy(b.data(), kMagic, 8);
  put32(b, 8, kFormatVersion);
  put32(b, 12, kHeaderSize);
  put64(b, 16, fileSize);
  put32(b, 32, uint32_t(metaSize));
  put32(b, 36, uint32_t(stringsOffset));
  put32(b, 40, uint32_t(strings.blob.size()));
  put32(b, 44, uint32_t(tensorsOffset));
  put32(b, 48, uint32_t(order.size()));
  put32(b, 52, uint32_t(graphsOffset));
  put32(b, 56, uint32_t(m.graphs.size()));
  put32(b, 60, uint32_t(nodesOffset));
  put32(b, 64, nodeCount);
  put32(b, 68, uint32_t(paramsOffset));
  put32(b, 72, paramCount);
  put32(b, 76, uint32_t(wordsOffset));
  put32(b, 80, uint32_t(words.pool.size()));
  put64(b, 88, dataOffset);
  put64(b, 96, dataSize);
  put32(b, 104, descriptionRef);
  put32(b, 108, producerRef);
  put64(b, 120, m.spillFillBytes);
  auto copy = [&](uint64_t off, const std::vector<uint8_t>& src) {
    if (!src.empty()) std::memcpy(b.data() + off, src.data(), src.size());
  };
  copy(tensorsOffset, tensorRecs);
  copy(graphsOffset, graphRecs);
  copy(nodesOffset, nodeRecs);
  copy(paramsOffset, paramRecs);
  if (!words.pool.empty()) std::memcpy(b.data() + wordsOffset, words.pool.data(), words.pool.size() * 4);
  copy(stringsOffset, strings.blob);
  for (uint32_t i : order) {
    const TensorInfo& t = m.tensors[i];
    if (t.type == kTypeStatic && t.bytes) std::memcpy(b.data() + dataOffset + dataOffsets[i], staticData[i], t.bytes);
  }
  put32(b, 24, crc32(b.data(), metaSize));  // the checksum field is still 0 here
  return true;
}

}  // namespace qnnref
