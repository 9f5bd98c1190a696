// Parser and validator of the "QNNREF01" format. Every offset and count is checked before
// use; nothing is read outside [data, data + size).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "model.h"
#include "model_nodes.h"

namespace qnnref {

namespace {

struct Reader {
  const uint8_t* p;
  uint64_t size;
  uint32_t u32(uint64_t off) const {  // caller guarantees off + 4 <= size
    uint32_t v;
    std::memcpy(&v, p + off, 4);
    return v;
  }
  int32_t i32(uint64_t off) const {
    int32_t v;
    std::memcpy(&v, p + off, 4);
    return v;
  }
  float f32(uint64_t off) const {
    float v;
    std::memcpy(&v, p + off, 4);
    return v;
  }
  uint64_t u64(uint64_t off) const {
    uint64_t v;
    std::memcpy(&v, p + off, 8);
    return v;
  }
};

struct Ctx {
  Reader r;
  std::string* err;
  uint64_t stringsOffset = 0, stringsSize = 0;
  uint64_t wordsOffset = 0, wordCount = 0;

  bool fail(const std::string& msg) {
    *err = msg;
    return false;
  }
  bool str(uint32_t ref, std::string* out, const std::string& what) {
    if (ref >= stringsSize) return fail(what + ": string ref " + std::to_string(ref) + " outside the string table (" + std::to_string(stringsSize) + " bytes)");
    const uint8_t* start = r.p + stringsOffset + ref;
    const void* nul = std::memchr(start, 0, stringsSize - ref);
    if (!nul) return fail(what + ": string at " + std::to_string(ref) + " is not NUL-terminated inside the string table");
    out->assign(reinterpret_cast<const char*>(start), static_cast<const uint8_t*>(nul) - start);
    return true;
  }
  bool words(uint32_t w, uint64_t n, const std::string& what) {
    if (uint64_t(w) + n > wordCount) return fail(what + ": words [" + std::to_string(w) + ", +" + std::to_string(n) + ") outside the word pool (" + std::to_string(wordCount) + " words)");
    return true;
  }
  uint32_t word(uint64_t i) const { return r.u32(wordsOffset + 4 * i); }
};

bool checkTable(Ctx& c, const char* name, uint32_t off, uint32_t count, uint32_t recSize, uint32_t align, uint32_t metaSize) {
  if (count == 0) return true;
  if (off < kHeaderSize || off % align != 0) return c.fail(std::string(name) + " table offset " + std::to_string(off) + " is invalid (must be >= 128 and " + std::to_string(align) + "-aligned)");
  if (uint64_t(off) + uint64_t(count) * recSize > metaSize) return c.fail(std::string(name) + " table (" + std::to_string(count) + " records at " + std::to_string(off) + ") runs past the metadata end " + std::to_string(metaSize));
  return true;
}

}  // namespace

ParseStatus parseModel(const uint8_t* data, uint64_t size, Model* model, std::string* error) {
  Model& m = *model;
  m = Model();
  Ctx c{Reader{data, size}, error};
  auto malformed = [&](const std::string& msg) {
    *error = msg;
    return ParseStatus::kMalformed;
  };
  if (!data) return malformed("binary buffer is NULL");
  if (size < kHeaderSize) return malformed("binary is " + std::to_string(size) + " bytes, smaller than the 128-byte header");
  if (std::memcmp(data, kMagic, 8) != 0) return malformed("not a reference-backend binary (magic is not \"QNNREF01\")");
  const Reader& r = c.r;
  uint32_t version = r.u32(8);
  if (version != kFormatVersion) {
    *error = "unsupported format version " + std::to_string(version) + " (this backend reads version 1)";
    return ParseStatus::kBadVersion;
  }
  if (r.u32(12) != kHeaderSize) return malformed("headerSize is " + std::to_string(r.u32(12)) + ", expected 128");
  m.fileSize = r.u64(16);
  if (m.fileSize > size) return malformed("binary is truncated: header says " + std::to_string(m.fileSize) + " bytes, buffer has " + std::to_string(size));
  if (m.fileSize < kHeaderSize) return malformed("fileSize " + std::to_string(m.fileSize) + " is smaller than the header");
  m.metaSize = r.u32(32);
  if (m.metaSize < kHeaderSize || m.metaSize > m.fileSize) return malformed("metaSize " + std::to_string(m.metaSize) + " is outside [128, fileSize]");
  {
    uint32_t stored = r.u32(24);
    static const uint8_t zero[4] = {0, 0, 0, 0};
    uint32_t crc = crc32(data, 24);
    crc = crc32(zero, 4, crc);
    crc = crc32(data + 28, m.metaSize - 28, crc);
    m.checksum = stored;
    if (crc != stored) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "checksum mismatch: stored 0x%08x, computed 0x%08x", stored, crc);
      return malformed(buf);
    }
  }
  if (r.u32(28) != 0) return malformed("flags must be 0");
  uint32_t stringsOffset = r.u32(36), stringsSize = r.u32(40);
  uint32_t tensorsOffset = r.u32(44), tensorCount = r.u32(48);
  uint32_t graphsOffset = r.u32(52), graphCount = r.u32(56);
  uint32_t nodesOffset = r.u32(60), nodeCount = r.u32(64);
  uint32_t paramsOffset = r.u32(68), paramCount = r.u32(72);
  uint32_t wordsOffset = r.u32(76), wordCount = r.u32(80);
  m.dataOffset = r.u64(88);
  m.spillFillBytes = r.u64(120);
  m.dataSize = r.u64(96);
  if (stringsSize == 0) return malformed("string table is empty");
  if (!checkTable(c, "string", stringsOffset, stringsSize, 1, 1, m.metaSize)) return ParseStatus::kMalformed;
  if (data[stringsOffset] != 0) return malformed("string table must start with a NUL byte");
  if (!checkTable(c, "tensor", tensorsOffset, tensorCount, kTensorRecordSize, 8, m.metaSize) ||
      !checkTable(c, "graph", graphsOffset, graphCount, kGraphRecordSize, 4, m.metaSize) ||
      !checkTable(c, "node", nodesOffset, nodeCount, kNodeRecordSize, 4, m.metaSize) ||
      !checkTable(c, "param", paramsOffset, paramCount, kParamRecordSize, 4, m.metaSize) ||
      !checkTable(c, "word", wordsOffset, wordCount, 4, 4, m.metaSize))
    return ParseStatus::kMalformed;
  if (graphCount == 0) return malformed("binary has no graphs");
  if (m.dataOffset % kDataAlignment != 0 || m.dataOffset < m.metaSize || m.dataOffset > m.fileSize)
    return malformed("dataOffset " + std::to_string(m.dataOffset) + " is invalid (64-aligned, >= metaSize, <= fileSize)");
  if (m.dataSize > m.fileSize - m.dataOffset) return malformed("data section (" + std::to_string(m.dataSize) + " bytes at " + std::to_string(m.dataOffset) + ") runs past the end of the binary");
  c.stringsOffset = stringsOffset;
  c.stringsSize = stringsSize;
  c.wordsOffset = wordsOffset;
  c.wordCount = wordCount;
  if (!c.str(r.u32(104), &m.description, "description")) return ParseStatus::kMalformed;
  if (!c.str(r.u32(108), &m.producer, "producer")) return ParseStatus::kMalformed;

  // ---- tensors
  m.tensors.resize(tensorCount);
  for (uint32_t i = 0; i < tensorCount; ++i) {
    uint64_t o = uint64_t(tensorsOffset) + uint64_t(i) * kTensorRecordSize;
    TensorInfo& t = m.tensors[i];
    std::string where = "tensor #" + std::to_string(i);
    t.id = r.u32(o);
    if (!c.str(r.u32(o + 4), &t.name, where + " name")) return ParseStatus::kMalformed;
    where = "tensor '" + t.name + "' (id " + std::to_string(t.id) + ")";
    if (!m.indexById.emplace(t.id, i).second) return malformed(where + ": duplicate tensor id");
    t.type = r.u32(o + 8);
    if (t.type != kTypeAppWrite && t.type != kTypeAppRead && t.type != kTypeNative && t.type != kTypeStatic)
      return malformed(where + ": unsupported tensor type " + std::to_string(t.type));
    t.dataType = r.u32(o + 12);
    if (dtypeBits(t.dataType) == 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%04x", t.dataType);
      return malformed(where + ": unsupported data type " + buf);
    }
    uint32_t rank = r.u32(o + 16);
    if (rank > kMaxRank) return malformed(where + ": rank " + std::to_string(rank) + " exceeds " + std::to_string(kMaxRank));
    uint32_t dimsWord = r.u32(o + 20);
    if (!c.words(dimsWord, rank, where + " dims")) return ParseStatus::kMalformed;
    t.elements = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      uint32_t v = c.word(uint64_t(dimsWord) + d);
      if (v == 0) return malformed(where + ": dimension " + std::to_string(d) + " is 0");
      if (t.elements > (uint64_t(1) << 40) / v) return malformed(where + ": too many elements");
      t.elements *= v;
      t.dims.push_back(v);
    }
    t.bytes = byteSizeOf(t.dataType, t.elements);
    if (t.type != kTypeStatic && t.bytes > 0xFFFFFFFFull) return malformed(where + ": non-static tensors must be smaller than 4 GiB");
    t.quant.encoding = r.u32(o + 24);
    bool q = dtypeIsQuantized(t.dataType);
    if (t.quant.encoding == kEncScaleOffset) {
      t.quant.scale = r.f32(o + 28);
      t.quant.offset = r.i32(o + 32);
      if (!std::isfinite(t.quant.scale) || t.quant.scale <= 0) return malformed(where + ": quant scale must be finite and > 0");
    } else if (t.quant.encoding == kEncAxisScaleOffset) {
      t.quant.axis = r.i32(o + 36);
      uint32_t num = r.u32(o + 40), w = r.u32(o + 44);
      if (t.quant.axis < 0 || uint32_t(t.quant.axis) >= rank) return malformed(where + ": quant axis out of range");
      if (num != t.dims[t.quant.axis]) return malformed(where + ": " + std::to_string(num) + " scale/offsets, expected dims[axis] = " + std::to_string(t.dims[t.quant.axis]));
      if (!c.words(w, uint64_t(num) * 2, where + " scale/offsets")) return ParseStatus::kMalformed;
      for (uint32_t k = 0; k < num; ++k) {
        uint32_t sb = c.word(uint64_t(w) + 2 * k), ob = c.word(uint64_t(w) + 2 * k + 1);
        float s;
        int32_t off;
        std::memcpy(&s, &sb, 4);
        std::memcpy(&off, &ob, 4);
        if (!std::isfinite(s) || s <= 0) return malformed(where + ": quant scale must be finite and > 0");
        t.quant.scales.push_back(s);
        t.quant.offsets.push_back(off);
      }
    } else if (t.quant.encoding != kEncNone) {
      return malformed(where + ": unsupported quantization encoding " + std::to_string(t.quant.encoding));
    }
    if (q && t.quant.encoding == kEncNone) return malformed(where + ": quantized dtype " + dtypeName(t.dataType) + " without quant params");
    if (!q && t.quant.encoding != kEncNone) return malformed(where + ": quant params on non-quantized dtype " + dtypeName(t.dataType));
    t.dataOffset = r.u64(o + 48);
    t.dataSize = r.u64(o + 56);
    if (t.type == kTypeStatic) {
      if (t.dataSize != t.bytes) return malformed(where + ": static data is " + std::to_string(t.dataSize) + " bytes, expected " + std::to_string(t.bytes));
      if (t.dataOffset % kDataAlignment != 0) return malformed(where + ": static data offset is not 64-aligned");
      if (t.dataOffset > m.dataSize || t.dataSize > m.dataSize - t.dataOffset) return malformed(where + ": static data runs past the data section");
    } else if (t.dataOffset != 0 || t.dataSize != 0) {
      return malformed(where + ": only static tensors have data");
    }
  }

  // ---- updatable statics (header 112: word ref, 116: count; 0/0 in binaries without any)
  {
    uint32_t w = r.u32(112), n = r.u32(116);
    if (n > tensorCount) return malformed("updatable list has " + std::to_string(n) + " entries, more than the " + std::to_string(tensorCount) + " tensors");
    if (!c.words(w, n, "updatable list")) return ParseStatus::kMalformed;
    for (uint32_t k = 0; k < n; ++k) {
      uint32_t id = c.word(uint64_t(w) + k);
      auto it = m.indexById.find(id);
      if (it == m.indexById.end()) return malformed("updatable list: unknown tensor id " + std::to_string(id));
      if (m.tensors[it->second].type != kTypeStatic) return malformed("updatable list: tensor '" + m.tensors[it->second].name + "' is not STATIC");
      m.updatable.push_back(it->second);
    }
    std::sort(m.updatable.begin(), m.updatable.end());
    if (std::adjacent_find(m.updatable.begin(), m.updatable.end()) != m.updatable.end()) return malformed("updatable list names a tensor twice");
  }

  // ---- graphs and nodes
  std::vector<int64_t> owner(tensorCount, -1);  // graph owning each non-static tensor
  std::unordered_set<std::string> graphNames;
  m.graphs.resize(graphCount);
  for (uint32_t gi = 0; gi < graphCount; ++gi) {
    uint64_t o = uint64_t(graphsOffset) + uint64_t(gi) * kGraphRecordSize;
    Graph& g = m.graphs[gi];
    if (!c.str(r.u32(o), &g.name, "graph #" + std::to_string(gi) + " name")) return ParseStatus::kMalformed;
    std::string where = "graph '" + g.name + "'";
    if (g.name.empty()) return malformed("graph #" + std::to_string(gi) + " has an empty name");
    if (!graphNames.insert(g.name).second) return malformed(where + ": duplicate graph name");
    auto claim = [&](uint32_t idx, const std::string& w) {
      if (m.tensors[idx].type == kTypeStatic) return true;
      if (owner[idx] != -1 && owner[idx] != int64_t(gi)) return c.fail(w + ": tensor '" + m.tensors[idx].name + "' belongs to another graph");
      owner[idx] = gi;
      return true;
    };
    auto idList = [&](uint32_t w, uint32_t n, const std::string& what, std::vector<uint32_t>* out) {
      if (!c.words(w, n, what)) return false;
      for (uint32_t k = 0; k < n; ++k) {
        uint32_t id = c.word(uint64_t(w) + k);
        auto it = m.indexById.find(id);
        if (it == m.indexById.end()) return c.fail(what + ": unknown tensor id " + std::to_string(id));
        if (!claim(it->second, what)) return false;
        out->push_back(it->second);
      }
      return true;
    };
    uint32_t numIn = r.u32(o + 4), inW = r.u32(o + 8), numOut = r.u32(o + 12), outW = r.u32(o + 16);
    uint32_t firstNode = r.u32(o + 20), numNodes = r.u32(o + 24);
    if (!idList(inW, numIn, where + " inputs", &g.inputs) || !idList(outW, numOut, where + " outputs", &g.outputs)) return ParseStatus::kMalformed;
    if (g.outputs.empty()) return malformed(where + ": has no outputs");
    std::vector<uint8_t> state(tensorCount, 0);  // 1 = available, 2 = graph output (APP_READ) declared
    for (uint32_t idx : g.inputs) {
      if (m.tensors[idx].type != kTypeAppWrite) return malformed(where + ": input '" + m.tensors[idx].name + "' is not an APP_WRITE tensor");
      if (state[idx]) return malformed(where + ": input '" + m.tensors[idx].name + "' listed twice");
      state[idx] = 1;
    }
    for (uint32_t idx : g.outputs) {
      if (m.tensors[idx].type != kTypeAppRead) return malformed(where + ": output '" + m.tensors[idx].name + "' is not an APP_READ tensor");
      if (state[idx]) return malformed(where + ": output '" + m.tensors[idx].name + "' listed twice");
      state[idx] = 2;
    }
    if (numNodes == 0) return malformed(where + ": has no nodes");
    if (uint64_t(firstNode) + numNodes > nodeCount) return malformed(where + ": nodes [" + std::to_string(firstNode) + ", +" + std::to_string(numNodes) + ") outside the node table");
    g.nodes.resize(numNodes);
    for (uint32_t ni = 0; ni < numNodes; ++ni) {
      uint64_t no = uint64_t(nodesOffset) + uint64_t(firstNode + ni) * kNodeRecordSize;
      Node& n = g.nodes[ni];
      std::string nw = where + " node #" + std::to_string(ni);
      if (!c.str(r.u32(no), &n.opName, nw + " op") || !c.str(r.u32(no + 4), &n.name, nw + " name")) return ParseStatus::kMalformed;
      nw = where + " node '" + n.name + "'";
      if (!opFromName(n.opName, &n.op)) return malformed(nw + ": unsupported op '" + n.opName + "'");
      if (!idList(r.u32(no + 12), r.u32(no + 8), nw + " inputs", &n.inputs) ||
          !idList(r.u32(no + 20), r.u32(no + 16), nw + " outputs", &n.outputs))
        return ParseStatus::kMalformed;
      uint32_t firstParam = r.u32(no + 24), numParams = r.u32(no + 28);
      if (uint64_t(firstParam) + numParams > paramCount) return malformed(nw + ": params outside the param table");
      for (uint32_t pi = 0; pi < numParams; ++pi) {
        uint64_t po = uint64_t(paramsOffset) + uint64_t(firstParam + pi) * kParamRecordSize;
        Param p;
        if (!c.str(r.u32(po), &p.name, nw + " param name")) return ParseStatus::kMalformed;
        p.kind = r.u32(po + 4);
        uint32_t count = r.u32(po + 8), value = r.u32(po + 12);
        std::string pw = nw + " param '" + p.name + "'";
        switch (p.kind) {
          case kParamInt32: case kParamBool:
            if (count != 1) return malformed(pw + ": scalar with count " + std::to_string(count));
            p.ints.push_back(int32_t(value));
            break;
          case kParamFloat32: {
            if (count != 1) return malformed(pw + ": scalar with count " + std::to_string(count));
            float f;
            std::memcpy(&f, &value, 4);
            p.floats.push_back(f);
            break;
          }
          case kParamInt32Array: case kParamFloat32Array:
            if (count > 4096) return malformed(pw + ": array too long");
            if (!c.words(value, count, pw)) return ParseStatus::kMalformed;
            for (uint32_t k = 0; k < count; ++k) {
              uint32_t wv = c.word(uint64_t(value) + k);
              if (p.kind == kParamInt32Array) {
                p.ints.push_back(int32_t(wv));
              } else {
                float f;
                std::memcpy(&f, &wv, 4);
                p.floats.push_back(f);
              }
            }
            break;
          default:
            return malformed(pw + ": unknown kind " + std::to_string(p.kind));
        }
        n.params.push_back(std::move(p));
      }
      for (uint32_t idx : n.inputs)
        if (m.tensors[idx].type != kTypeStatic && state[idx] != 1) return malformed(nw + ": input '" + m.tensors[idx].name + "' is not a graph input, a static or produced by an earlier node");
      for (uint32_t idx : n.outputs) {
        const TensorInfo& t = m.tensors[idx];
        if (t.type == kTypeNative) {
          if (state[idx]) return malformed(nw + ": output '" + t.name + "' is produced twice");
          state[idx] = 1;
          g.natives.push_back(idx);
        } else if (t.type == kTypeAppRead && state[idx] == 2) {
          state[idx] = 1;
        } else {
          return malformed(nw + ": output '" + t.name + "' must be a NATIVE tensor or a not yet produced output of this graph");
        }
      }
      if (!validateNode(m, n, nw, error)) return ParseStatus::kMalformed;
    }
    for (uint32_t idx : g.outputs)
      if (state[idx] != 1) return malformed(where + ": output '" + m.tensors[idx].name + "' is never produced");
  }
  return ParseStatus::kOk;
}

}  // namespace qnnref
