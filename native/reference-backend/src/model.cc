// Parser and validator of the "QNNREF01" format. Every offset and count is checked before
// use; nothing is read outside [data, data + size).
#include "model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

namespace qnnref {

const char* const kOpNames[] = {
    "ElementWiseAdd", "ElementWiseSubtract", "ElementWiseMultiply", "ElementWiseDivide",
    "MatMul",         "Gather",              "Softmax",             "Relu",
    "Gelu",           "Concat",              "Reshape",             "Transpose",
    "Cast",           "Quantize",            "Dequantize",          "Sigmoid",
    "Tanh",           "StridedSlice",
};
const size_t kOpCount = sizeof(kOpNames) / sizeof(kOpNames[0]);

bool opFromName(const std::string& name, Op* op) {
  for (size_t i = 0; i < kOpCount; ++i) {
    if (name == kOpNames[i]) {
      *op = static_cast<Op>(i);
      return true;
    }
  }
  return false;
}

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
  static uint32_t table[256];
  static bool init = [] {
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
    return true;
  }();
  (void)init;
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint32_t dtypeBits(uint32_t t) {
  switch (t) {
    case 0x0008: case 0x0108: case 0x0308: case 0x0408: case 0x0508: return 8;
    case 0x0016: case 0x0116: case 0x0216: case 0x0316: case 0x0416: return 16;
    case 0x0032: case 0x0132: case 0x0232: case 0x0332: case 0x0432: return 32;
    case 0x0064: case 0x0164: case 0x0264: return 64;
    case 0x0304: case 0x0404: return 4;
    default: return 0;
  }
}
bool dtypeIsFloat(uint32_t t) { return (t >> 8) == 0x02; }
bool dtypeIsQuantized(uint32_t t) { return (t >> 8) == 0x03 || (t >> 8) == 0x04; }
bool dtypeIsSigned(uint32_t t) { return (t >> 8) == 0x00 || (t >> 8) == 0x02 || (t >> 8) == 0x03; }

const char* dtypeName(uint32_t t) {
  switch (t) {
    case 0x0008: return "int8";
    case 0x0016: return "int16";
    case 0x0032: return "int32";
    case 0x0064: return "int64";
    case 0x0108: return "uint8";
    case 0x0116: return "uint16";
    case 0x0132: return "uint32";
    case 0x0164: return "uint64";
    case 0x0216: return "float16";
    case 0x0232: return "float32";
    case 0x0264: return "float64";
    case 0x0304: return "sfixed4";
    case 0x0308: return "sfixed8";
    case 0x0316: return "sfixed16";
    case 0x0332: return "sfixed32";
    case 0x0404: return "ufixed4";
    case 0x0408: return "ufixed8";
    case 0x0416: return "ufixed16";
    case 0x0432: return "ufixed32";
    case 0x0508: return "bool";
    default: return "unknown";
  }
}

uint64_t byteSizeOf(uint32_t dataType, uint64_t elements) {
  uint32_t bits = dtypeBits(dataType);
  return bits == 4 ? (elements + 1) / 2 : elements * (bits / 8);
}

std::string dimsToString(const std::vector<uint32_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

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

const Param* findParam(const Node& n, const char* name) {
  for (const Param& p : n.params) if (p.name == name) return &p;
  return nullptr;
}

bool paramInt(const Param* p, int64_t* v) {
  if (!p) return false;
  if ((p->kind == kParamInt32 || p->kind == kParamBool) && p->ints.size() == 1) { *v = p->ints[0]; return true; }
  if (p->kind == kParamFloat32 && p->floats.size() == 1 && std::floor(p->floats[0]) == p->floats[0] && std::fabs(p->floats[0]) < 2147483648.f) { *v = static_cast<int64_t>(p->floats[0]); return true; }
  return false;
}

bool paramFloat(const Param* p, float* v) {
  if (!p) return false;
  if (p->kind == kParamFloat32 && p->floats.size() == 1) { *v = p->floats[0]; return true; }
  if ((p->kind == kParamInt32 || p->kind == kParamBool) && p->ints.size() == 1) { *v = static_cast<float>(p->ints[0]); return true; }
  return false;
}

bool isIndexType(uint32_t t) {
  return t == 0x0032 || t == 0x0064 || t == 0x0132 || t == 0x0008 || t == 0x0016 || t == 0x0108 || t == 0x0116 || t == 0x0164;
}

// Load-time checks of one node's arity, params, dtypes and shapes; resolves attributes.
bool validateNode(Ctx& c, const Model& m, Node& n, const std::string& where) {
  auto T = [&](uint32_t idx) -> const TensorInfo& { return m.tensors[idx]; };
  auto arity = [&](size_t minIn, size_t maxIn, size_t outs) {
    if (n.inputs.size() < minIn || n.inputs.size() > maxIn || n.outputs.size() != outs)
      return c.fail(where + ": " + n.opName + " takes " + std::to_string(minIn) + (maxIn != minIn ? ".." + (maxIn > 1000 ? std::string("n") : std::to_string(maxIn)) : std::string()) + " inputs and " + std::to_string(outs) + " output(s), got " + std::to_string(n.inputs.size()) + " and " + std::to_string(n.outputs.size()));
    return true;
  };
  auto sameDims = [&](uint32_t a, uint32_t b) {
    if (T(a).dims != T(b).dims) return c.fail(where + ": " + n.opName + " needs '" + T(b).name + "' " + dimsToString(T(b).dims) + " to have the dims of '" + T(a).name + "' " + dimsToString(T(a).dims));
    return true;
  };
  auto axisParam = [&](const char* name, int64_t def, uint32_t rank, int* out) {
    int64_t v = def;
    const Param* p = findParam(n, name);
    if (p && !paramInt(p, &v)) return c.fail(where + ": param '" + name + "' must be an integer");
    if (v < 0) v += rank;
    if (v < 0 || v >= int64_t(rank)) return c.fail(where + ": param '" + name + "' = " + std::to_string(v) + " out of range for rank " + std::to_string(rank));
    *out = static_cast<int>(v);
    return true;
  };
  const TensorInfo* out0 = n.outputs.empty() ? nullptr : &T(n.outputs[0]);

  switch (n.op) {
    case Op::Add: case Op::Subtract: case Op::Multiply: case Op::Divide: {
      if (!arity(2, 2, 1)) return false;
      const auto& a = T(n.inputs[0]).dims;
      const auto& b = T(n.inputs[1]).dims;
      size_t rank = std::max(a.size(), b.size());
      std::vector<uint32_t> dims(rank);
      for (size_t i = 0; i < rank; ++i) {
        uint32_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        uint32_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da != db && da != 1 && db != 1) return c.fail(where + ": cannot broadcast " + dimsToString(a) + " with " + dimsToString(b));
        dims[i] = std::max(da, db);
      }
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      return true;
    }
    case Op::MatMul: {
      if (!arity(2, 3, 1)) return false;
      int64_t t0 = 0, t1 = 0;
      const Param* p0 = findParam(n, "transpose_in0");
      const Param* p1 = findParam(n, "transpose_in1");
      if (p0 && !paramInt(p0, &t0)) return c.fail(where + ": param 'transpose_in0' must be a bool");
      if (p1 && !paramInt(p1, &t1)) return c.fail(where + ": param 'transpose_in1' must be a bool");
      n.transpose0 = t0 != 0;
      n.transpose1 = t1 != 0;
      const auto& a = T(n.inputs[0]).dims;
      const auto& b = T(n.inputs[1]).dims;
      if (a.size() < 2 || b.size() < 2) return c.fail(where + ": MatMul inputs need rank >= 2");
      uint32_t M = a[a.size() - 2], K = a[a.size() - 1];
      if (n.transpose0) std::swap(M, K);
      uint32_t K2 = b[b.size() - 2], N = b[b.size() - 1];
      if (n.transpose1) std::swap(K2, N);
      if (K != K2) return c.fail(where + ": MatMul inner dims differ: " + dimsToString(a) + " x " + dimsToString(b));
      std::vector<uint32_t> batchA(a.begin(), a.end() - 2), batchB(b.begin(), b.end() - 2);
      if (!batchB.empty() && batchB != batchA) return c.fail(where + ": MatMul batch dims differ: " + dimsToString(a) + " x " + dimsToString(b));
      std::vector<uint32_t> dims = batchA;
      dims.push_back(M);
      dims.push_back(N);
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      if (n.inputs.size() == 3) {
        const auto& bias = T(n.inputs[2]).dims;
        if (bias.size() != 1 || bias[0] != N) return c.fail(where + ": MatMul bias must have dims [" + std::to_string(N) + "]");
      }
      return true;
    }
    case Op::Gather: {
      if (!arity(2, 2, 1)) return false;
      const TensorInfo& table = T(n.inputs[0]);
      const TensorInfo& idx = T(n.inputs[1]);
      if (table.dims.empty()) return c.fail(where + ": Gather table must have rank >= 1");
      if (!axisParam("axis", 0, uint32_t(table.dims.size()), &n.axis)) return false;
      if (!isIndexType(idx.dataType)) return c.fail(where + ": Gather indices '" + idx.name + "' must be an integer tensor, not " + dtypeName(idx.dataType));
      if (out0->dataType != table.dataType) return c.fail(where + ": Gather output '" + out0->name + "' must have the table's dtype " + dtypeName(table.dataType));
      std::vector<uint32_t> dims(table.dims.begin(), table.dims.begin() + n.axis);
      dims.insert(dims.end(), idx.dims.begin(), idx.dims.end());
      dims.insert(dims.end(), table.dims.begin() + n.axis + 1, table.dims.end());
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      return true;
    }
    case Op::Softmax: {
      if (!arity(1, 1, 1) || !sameDims(n.inputs[0], n.outputs[0])) return false;
      uint32_t rank = uint32_t(T(n.inputs[0]).dims.size());
      if (rank == 0) return c.fail(where + ": Softmax needs rank >= 1");
      if (!axisParam("axis", int64_t(rank) - 1, rank, &n.axis)) return false;
      const Param* pb = findParam(n, "beta");
      if (pb && !paramFloat(pb, &n.beta)) return c.fail(where + ": param 'beta' must be a number");
      return true;
    }
    case Op::Relu: case Op::Gelu: case Op::Cast: case Op::Sigmoid: case Op::Tanh:
      return arity(1, 1, 1) && sameDims(n.inputs[0], n.outputs[0]);
    case Op::StridedSlice: {
      if (!arity(1, 1, 1)) return false;
      const TensorInfo& in = T(n.inputs[0]);
      size_t rank = in.dims.size();
      const Param* p = findParam(n, "ranges");
      if (!p || p->kind != kParamInt32Array || p->ints.size() != rank * 3)
        return c.fail(where + ": StridedSlice needs an int array param 'ranges' of " + std::to_string(rank * 3) + " values (begin, end, stride per dim)");
      std::vector<uint32_t> dims;
      for (size_t d = 0; d < rank; ++d) {
        int64_t len = in.dims[d], b = p->ints[3 * d], e = p->ints[3 * d + 1], st = p->ints[3 * d + 2];
        if (st <= 0) return c.fail(where + ": StridedSlice strides must be positive");
        if (b < 0) b += len;
        if (e < 0) e += len;
        b = std::min(std::max<int64_t>(b, 0), len);
        e = std::min(std::max<int64_t>(e, 0), len);
        int64_t count = e > b ? (e - b + st - 1) / st : 0;
        if (count == 0) return c.fail(where + ": StridedSlice selects nothing along dim " + std::to_string(d));
        n.sliceBegin.push_back(b);
        n.sliceStride.push_back(st);
        dims.push_back(uint32_t(count));
      }
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      if (in.dataType != out0->dataType) return c.fail(where + ": StridedSlice cannot change the dtype");
      return true;
    }
    case Op::Quantize:
      if (!arity(1, 1, 1) || !sameDims(n.inputs[0], n.outputs[0])) return false;
      if (!dtypeIsQuantized(out0->dataType)) return c.fail(where + ": Quantize output '" + out0->name + "' must be quantized");
      return true;
    case Op::Dequantize:
      if (!arity(1, 1, 1) || !sameDims(n.inputs[0], n.outputs[0])) return false;
      if (!dtypeIsQuantized(T(n.inputs[0]).dataType)) return c.fail(where + ": Dequantize input must be quantized");
      if (!dtypeIsFloat(out0->dataType)) return c.fail(where + ": Dequantize output must be a float type");
      return true;
    case Op::Concat: {
      if (!arity(1, 1u << 20, 1)) return false;
      uint32_t rank = uint32_t(out0->dims.size());
      if (rank == 0) return c.fail(where + ": Concat needs rank >= 1");
      if (!axisParam("axis", int64_t(rank) - 1, rank, &n.axis)) return false;
      uint64_t sum = 0;
      for (uint32_t in : n.inputs) {
        const auto& d = T(in).dims;
        if (d.size() != rank) return c.fail(where + ": Concat input '" + T(in).name + "' has rank " + std::to_string(d.size()) + ", expected " + std::to_string(rank));
        for (uint32_t i = 0; i < rank; ++i)
          if (int(i) != n.axis && d[i] != out0->dims[i]) return c.fail(where + ": Concat input '" + T(in).name + "' " + dimsToString(d) + " does not match output " + dimsToString(out0->dims));
        sum += d[n.axis];
      }
      if (sum != out0->dims[n.axis]) return c.fail(where + ": Concat inputs sum to " + std::to_string(sum) + " along axis " + std::to_string(n.axis) + ", output has " + std::to_string(out0->dims[n.axis]));
      return true;
    }
    case Op::Reshape: {
      if (!arity(1, 1, 1)) return false;
      const TensorInfo& in = T(n.inputs[0]);
      if (in.elements != out0->elements) return c.fail(where + ": Reshape from " + dimsToString(in.dims) + " to " + dimsToString(out0->dims) + " changes the element count");
      if (in.dataType != out0->dataType) return c.fail(where + ": Reshape cannot change the dtype");
      return true;
    }
    case Op::Transpose: {
      if (!arity(1, 1, 1)) return false;
      const TensorInfo& in = T(n.inputs[0]);
      const Param* p = findParam(n, "perm");
      if (!p || p->kind != kParamInt32Array || p->ints.size() != in.dims.size()) return c.fail(where + ": Transpose needs an int array param 'perm' of length " + std::to_string(in.dims.size()));
      std::vector<bool> seen(in.dims.size(), false);
      std::vector<uint32_t> dims;
      for (int32_t v : p->ints) {
        if (v < 0 || size_t(v) >= in.dims.size() || seen[v]) return c.fail(where + ": Transpose 'perm' is not a permutation");
        seen[v] = true;
        n.perm.push_back(uint32_t(v));
        dims.push_back(in.dims[v]);
      }
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      if (in.dataType != out0->dataType) return c.fail(where + ": Transpose cannot change the dtype");
      return true;
    }
  }
  return c.fail(where + ": unknown op");
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
      if (!validateNode(c, m, n, nw)) return ParseStatus::kMalformed;
    }
    for (uint32_t idx : g.outputs)
      if (state[idx] != 1) return malformed(where + ": output '" + m.tensors[idx].name + "' is never produced");
  }
  return ParseStatus::kOk;
}

uint32_t producerSdkMinor(const std::string& producer) {
  unsigned major = 0, minor = 0;
  if (std::sscanf(producer.c_str(), "v%u.%u.", &major, &minor) != 2 || major != 2) return 0;
  return minor;
}

}  // namespace qnnref
