#include "kernels.h"

#include "kernels_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace qnnref {

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F;
  uint32_t man = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      int e = -1;
      do {
        ++e;
        man <<= 1;
      } while ((man & 0x400) == 0);
      bits = sign | (uint32_t(127 - 15 - e) << 23) | ((man & 0x3FF) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t floatToHalf(float f) {  // round to nearest even
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t absx = x & 0x7FFFFFFF;
  if (absx > 0x7F800000) return uint16_t(sign | 0x7E00);  // NaN
  if (absx >= 0x477FF000) return uint16_t(sign | 0x7C00);  // overflow -> inf (65520 and up)
  if (absx < 0x38800000) {                                 // subnormal or zero in half
    if (absx < 0x33000000) return uint16_t(sign);         // < 2^-25 rounds to 0
    uint32_t exp = absx >> 23;
    uint32_t man = (absx & 0x7FFFFF) | 0x800000;
    uint32_t shift = 126 - exp;  // 14..24 -> result = man >> (shift)
    uint32_t res = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (res & 1))) ++res;
    return uint16_t(sign | res);
  }
  uint32_t res = ((absx >> 13) - (112u << 10));
  uint32_t rem = absx & 0x1FFF;
  if (rem > 0x1000 || (rem == 0x1000 && (res & 1))) ++res;
  return uint16_t(sign | res);
}

float toFloat(double v) {
  if (v > double(std::numeric_limits<float>::max())) return std::numeric_limits<float>::infinity();
  if (v < -double(std::numeric_limits<float>::max())) return -std::numeric_limits<float>::infinity();
  return float(v);
}

namespace {

// Raw stored value of element i (the integer q for quantized types).
double readRaw(uint32_t t, const uint8_t* p, uint64_t i) {
  switch (t) {
    case 0x0008: case 0x0308: { int8_t v; std::memcpy(&v, p + i, 1); return v; }
    case 0x0108: case 0x0408: return p[i];
    case 0x0508: return p[i] != 0 ? 1 : 0;  // QnnTypes.h: 0 = false, any non-zero value = true
    case 0x0016: case 0x0316: { int16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
    case 0x0116: case 0x0416: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
    case 0x0216: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); return halfToFloat(v); }
    case 0x0032: case 0x0332: { int32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
    case 0x0132: case 0x0432: { uint32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
    case 0x0232: { float v; std::memcpy(&v, p + 4 * i, 4); return v; }
    case 0x0064: { int64_t v; std::memcpy(&v, p + 8 * i, 8); return double(v); }
    case 0x0164: { uint64_t v; std::memcpy(&v, p + 8 * i, 8); return double(v); }
    case 0x0264: { double v; std::memcpy(&v, p + 8 * i, 8); return v; }
    case 0x0304: { int v = (p[i / 2] >> ((i & 1) * 4)) & 0xF; return v >= 8 ? v - 16 : v; }
    case 0x0404: return (p[i / 2] >> ((i & 1) * 4)) & 0xF;
    default: return 0;
  }
}

void intRangeOf(uint32_t t, double* lo, double* hi) {
  uint32_t bits = dtypeBits(t);
  if (t == 0x0508) { *lo = 0; *hi = 1; return; }
  if (dtypeIsSigned(t)) {
    *lo = -std::ldexp(1.0, int(bits) - 1);
    *hi = std::ldexp(1.0, int(bits) - 1) - 1;
  } else {
    *lo = 0;
    *hi = std::ldexp(1.0, int(bits)) - 1;
  }
}

// Stores an already integral (or float-typed) value v into element i.
void writeRaw(uint32_t t, uint8_t* p, uint64_t i, double v) {
  switch (t) {
    case 0x0008: case 0x0308: { int8_t x = int8_t(v); std::memcpy(p + i, &x, 1); return; }
    case 0x0108: case 0x0408: case 0x0508: p[i] = uint8_t(v); return;
    case 0x0016: case 0x0316: { int16_t x = int16_t(v); std::memcpy(p + 2 * i, &x, 2); return; }
    case 0x0116: case 0x0416: { uint16_t x = uint16_t(v); std::memcpy(p + 2 * i, &x, 2); return; }
    case 0x0216: { uint16_t x = floatToHalf(toFloat(v)); std::memcpy(p + 2 * i, &x, 2); return; }
    case 0x0032: case 0x0332: { int32_t x = int32_t(v); std::memcpy(p + 4 * i, &x, 4); return; }
    case 0x0132: case 0x0432: { uint32_t x = uint32_t(v); std::memcpy(p + 4 * i, &x, 4); return; }
    case 0x0232: { float x = toFloat(v); std::memcpy(p + 4 * i, &x, 4); return; }
    case 0x0064: {
      int64_t x = v >= 9223372036854775807.0 ? std::numeric_limits<int64_t>::max() : int64_t(v);
      std::memcpy(p + 8 * i, &x, 8);
      return;
    }
    case 0x0164: {
      uint64_t x = v >= 18446744073709551615.0 ? std::numeric_limits<uint64_t>::max() : uint64_t(v);
      std::memcpy(p + 8 * i, &x, 8);
      return;
    }
    case 0x0264: std::memcpy(p + 8 * i, &v, 8); return;
    case 0x0304: case 0x0404: {
      uint8_t nib = uint8_t(int(v)) & 0xF;
      uint8_t& b = p[i / 2];
      b = (i & 1) ? uint8_t((b & 0x0F) | (nib << 4)) : uint8_t((b & 0xF0) | nib);
      return;
    }
    default: return;
  }
}

struct Scale {
  float scale;
  int32_t offset;
};

Scale quantAt(const TensorInfo& t, uint64_t i) {
  if (t.quant.encoding == kEncAxisScaleOffset) {
    uint64_t inner = 1;
    for (size_t d = size_t(t.quant.axis) + 1; d < t.dims.size(); ++d) inner *= t.dims[d];
    uint64_t ch = (i / inner) % t.dims[t.quant.axis];
    return {t.quant.scales[ch], t.quant.offsets[ch]};
  }
  return {t.quant.scale, t.quant.offset};
}

// The real value of element i.
double readValue(const TensorInfo& t, const uint8_t* p, uint64_t i) {
  double raw = readRaw(t.dataType, p, i);
  if (!dtypeIsQuantized(t.dataType)) return raw;
  Scale s = quantAt(t, i);
  return double(s.scale) * (raw + s.offset);
}

// Stores real value v into element i (quantizing / converting / saturating).
void writeValue(const TensorInfo& t, uint8_t* p, uint64_t i, double v) {
  uint32_t dt = t.dataType;
  if (dtypeIsFloat(dt)) {
    writeRaw(dt, p, i, v);
    return;
  }
  double lo, hi;
  intRangeOf(dt, &lo, &hi);
  double q;
  if (dt == 0x0508) {
    q = v != 0 ? 1 : 0;  // NaN is true (C's and NumPy's bool(), and qnn-node's Tensor#to)
  } else if (dtypeIsQuantized(dt)) {
    Scale s = quantAt(t, i);
    q = std::isnan(v) ? -double(s.offset) : std::nearbyint(v / s.scale) - s.offset;
  } else {
    q = std::isnan(v) ? 0 : std::trunc(v);
  }
  q = std::min(hi, std::max(lo, q));
  writeRaw(dt, p, i, q);
}

}  // namespace

std::vector<float> loadF32(const TensorInfo& t, const uint8_t* p) {
  std::vector<float> out(t.elements);
  if (t.dataType == 0x0232) {
    std::memcpy(out.data(), p, t.elements * 4);
  } else {
    for (uint64_t i = 0; i < t.elements; ++i) out[i] = toFloat(readValue(t, p, i));
  }
  return out;
}

void storeF32(const TensorInfo& t, const float* v, uint8_t* p) {
  if (t.dataType == 0x0232) {
    std::memcpy(p, v, t.elements * 4);
    return;
  }
  if (dtypeBits(t.dataType) == 4) std::memset(p, 0, t.bytes);
  for (uint64_t i = 0; i < t.elements; ++i) writeValue(t, p, i, v[i]);
}

namespace {

void copyElems(uint32_t dt, const uint8_t* src, uint64_t si, uint8_t* dst, uint64_t di, uint64_t n) {
  uint32_t bits = dtypeBits(dt);
  if (bits % 8 == 0) {
    std::memcpy(dst + di * (bits / 8), src + si * (bits / 8), n * (bits / 8));
    return;
  }
  for (uint64_t k = 0; k < n; ++k) writeRaw(dt, dst, di + k, readRaw(dt, src, si + k));
}

bool quantEqual(const TensorInfo& a, const TensorInfo& b) {
  const Quant& x = a.quant;
  const Quant& y = b.quant;
  return x.encoding == y.encoding && x.scale == y.scale && x.offset == y.offset && x.axis == y.axis &&
         x.scales == y.scales && x.offsets == y.offsets;
}

uint64_t prod(const std::vector<uint32_t>& d, size_t from, size_t to) {
  uint64_t n = 1;
  for (size_t i = from; i < to && i < d.size(); ++i) n *= d[i];
  return n;
}

// The stored integer of an index element, printed exactly (a uint64 index may not fit int64
// or a double, so it is never converted through either).
std::string storedIndex(uint32_t t, const uint8_t* p, uint64_t i) {
  if (t == 0x0064) { int64_t v; std::memcpy(&v, p + 8 * i, 8); return std::to_string(v); }
  if (t == 0x0164) { uint64_t v; std::memcpy(&v, p + 8 * i, 8); return std::to_string(v); }
  return std::to_string(int64_t(readRaw(t, p, i)));  // at most 32 bits: exact in a double
}

float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)); }

}  // namespace

bool runNode(const Model& m, const Node& n, const std::vector<uint8_t*>& bufs, std::string* error) {
  auto T = [&](uint32_t idx) -> const TensorInfo& { return m.tensors[idx]; };
  const TensorInfo& out = T(n.outputs[0]);
  uint8_t* outBuf = bufs[n.outputs[0]];
  auto in = [&](size_t k) -> const uint8_t* { return bufs[n.inputs[k]]; };

  switch (n.op) {
    case Op::Add: case Op::Subtract: case Op::Multiply: case Op::Divide: {
      const TensorInfo& ta = T(n.inputs[0]);
      const TensorInfo& tb = T(n.inputs[1]);
      std::vector<float> a = loadF32(ta, in(0)), b = loadF32(tb, in(1));
      size_t R = out.dims.size();
      std::vector<uint64_t> sa(R, 0), sb(R, 0);
      {
        uint64_t s = 1;
        for (size_t k = 0; k < ta.dims.size(); ++k) {
          size_t d = ta.dims.size() - 1 - k;
          sa[R - 1 - k] = ta.dims[d] == 1 ? 0 : s;
          s *= ta.dims[d];
        }
        s = 1;
        for (size_t k = 0; k < tb.dims.size(); ++k) {
          size_t d = tb.dims.size() - 1 - k;
          sb[R - 1 - k] = tb.dims[d] == 1 ? 0 : s;
          s *= tb.dims[d];
        }
      }
      std::vector<float> r(out.elements);
      std::vector<uint32_t> idx(R, 0);
      uint64_t ia = 0, ib = 0;
      for (uint64_t i = 0; i < out.elements; ++i) {
        float x = a[ia], y = b[ib];
        switch (n.op) {
          case Op::Add: r[i] = x + y; break;
          case Op::Subtract: r[i] = x - y; break;
          case Op::Multiply: r[i] = x * y; break;
          default: r[i] = x / y; break;
        }
        for (size_t d = R; d-- > 0;) {  // advance the multi-index
          ++idx[d];
          ia += sa[d];
          ib += sb[d];
          if (idx[d] < out.dims[d]) break;
          ia -= sa[d] * idx[d];
          ib -= sb[d] * idx[d];
          idx[d] = 0;
        }
      }
      storeF32(out, r.data(), outBuf);
      return true;
    }
    case Op::MatMul: {
      const TensorInfo& ta = T(n.inputs[0]);
      const TensorInfo& tb = T(n.inputs[1]);
      std::vector<float> a = loadF32(ta, in(0)), b = loadF32(tb, in(1));
      std::vector<float> bias;
      if (n.inputs.size() == 3) bias = loadF32(T(n.inputs[2]), in(2));
      size_t ra = ta.dims.size(), rb = tb.dims.size();
      uint64_t M = ta.dims[ra - 2], K = ta.dims[ra - 1];
      if (n.transpose0) std::swap(M, K);
      uint64_t N = n.transpose1 ? tb.dims[rb - 2] : tb.dims[rb - 1];
      uint64_t batch = prod(ta.dims, 0, ra - 2);
      bool bBatched = rb > 2;
      std::vector<float> r(out.elements, 0.f);
      for (uint64_t bi = 0; bi < batch; ++bi) {
        const float* A = a.data() + bi * M * K;
        const float* B = b.data() + (bBatched ? bi * K * N : 0);
        float* C = r.data() + bi * M * N;
        for (uint64_t i = 0; i < M; ++i) {
          for (uint64_t k = 0; k < K; ++k) {
            float av = n.transpose0 ? A[k * M + i] : A[i * K + k];
            if (av == 0.f) continue;
            if (!n.transpose1) {
              const float* brow = B + k * N;
              for (uint64_t j = 0; j < N; ++j) C[i * N + j] += av * brow[j];
            } else {
              for (uint64_t j = 0; j < N; ++j) C[i * N + j] += av * B[j * K + k];
            }
          }
          if (!bias.empty())
            for (uint64_t j = 0; j < N; ++j) C[i * N + j] += bias[j];
        }
      }
      storeF32(out, r.data(), outBuf);
      return true;
    }
    case Op::Gather: {
      const TensorInfo& table = T(n.inputs[0]);
      const TensorInfo& ti = T(n.inputs[1]);
      uint64_t outer = prod(table.dims, 0, size_t(n.axis));
      uint64_t axisLen = table.dims[n.axis];
      uint64_t inner = prod(table.dims, size_t(n.axis) + 1, table.dims.size());
      uint64_t count = ti.elements;
      const uint8_t* ip = in(1);
      std::vector<uint64_t> idx(count);
      for (uint64_t j = 0; j < count; ++j) {
        double v = readRaw(ti.dataType, ip, j);
        if (v < 0) v += double(axisLen);
        if (!(v >= 0 && v < double(axisLen))) {
          *error = "Gather '" + n.name + "': index " + storedIndex(ti.dataType, ip, j) + " (element " +
                   std::to_string(j) + " of '" + ti.name + "') out of range [0, " + std::to_string(axisLen) + ")";
          return false;
        }
        idx[j] = uint64_t(v);
      }
      if (dtypeBits(out.dataType) == 4) std::memset(outBuf, 0, out.bytes);
      for (uint64_t o = 0; o < outer; ++o)
        for (uint64_t j = 0; j < count; ++j)
          copyElems(table.dataType, in(0), (o * axisLen + idx[j]) * inner, outBuf, (o * count + j) * inner, inner);
      return true;
    }
    case Op::Softmax: {
      const TensorInfo& tx = T(n.inputs[0]);
      std::vector<float> x = loadF32(tx, in(0));
      uint64_t outer = prod(tx.dims, 0, size_t(n.axis));
      uint64_t len = tx.dims[n.axis];
      uint64_t inner = prod(tx.dims, size_t(n.axis) + 1, tx.dims.size());
      std::vector<float> r(out.elements);
      for (uint64_t o = 0; o < outer; ++o) {
        for (uint64_t k = 0; k < inner; ++k) {
          uint64_t base = o * len * inner + k;
          float mx = -std::numeric_limits<float>::infinity();
          for (uint64_t j = 0; j < len; ++j) mx = std::max(mx, n.beta * x[base + j * inner]);
          double sum = 0;
          for (uint64_t j = 0; j < len; ++j) {
            float e = std::exp(n.beta * x[base + j * inner] - mx);
            r[base + j * inner] = e;
            sum += e;
          }
          for (uint64_t j = 0; j < len; ++j) r[base + j * inner] = float(r[base + j * inner] / sum);
        }
      }
      storeF32(out, r.data(), outBuf);
      return true;
    }
    case Op::Relu: case Op::Gelu: case Op::Sigmoid: case Op::Tanh: {
      std::vector<float> x = loadF32(T(n.inputs[0]), in(0));
      for (float& v : x) {
        switch (n.op) {
          case Op::Relu: v = v > 0.f ? v : 0.f; break;
          case Op::Gelu: v = gelu(v); break;
          case Op::Sigmoid: v = 1.f / (1.f + std::exp(-v)); break;
          default: v = std::tanh(v); break;
        }
      }
      storeF32(out, x.data(), outBuf);
      return true;
    }
    case Op::Concat: {
      uint64_t outer = prod(out.dims, 0, size_t(n.axis));
      uint64_t inner = prod(out.dims, size_t(n.axis) + 1, out.dims.size());
      bool raw = true;
      for (uint32_t i : n.inputs) raw = raw && T(i).dataType == out.dataType && quantEqual(T(i), out);
      if (raw) {
        if (dtypeBits(out.dataType) == 4) std::memset(outBuf, 0, out.bytes);
        uint64_t at = 0;
        for (uint64_t o = 0; o < outer; ++o) {
          for (size_t k = 0; k < n.inputs.size(); ++k) {
            uint64_t chunk = uint64_t(T(n.inputs[k]).dims[n.axis]) * inner;
            copyElems(out.dataType, in(k), o * chunk, outBuf, at, chunk);
            at += chunk;
          }
        }
      } else {
        std::vector<float> r(out.elements);
        std::vector<std::vector<float>> xs;
        for (size_t k = 0; k < n.inputs.size(); ++k) xs.push_back(loadF32(T(n.inputs[k]), in(k)));
        uint64_t at = 0;
        for (uint64_t o = 0; o < outer; ++o) {
          for (size_t k = 0; k < n.inputs.size(); ++k) {
            uint64_t chunk = uint64_t(T(n.inputs[k]).dims[n.axis]) * inner;
            std::memcpy(r.data() + at, xs[k].data() + o * chunk, chunk * sizeof(float));
            at += chunk;
          }
        }
        storeF32(out, r.data(), outBuf);
      }
      return true;
    }
    case Op::Reshape:
      std::memcpy(outBuf, in(0), out.bytes);
      return true;
    case Op::Transpose: {
      const TensorInfo& tx = T(n.inputs[0]);
      size_t R = tx.dims.size();
      std::vector<uint64_t> inStride(R, 1);
      for (size_t d = R; d-- > 1;) inStride[d - 1] = inStride[d] * tx.dims[d];
      if (dtypeBits(out.dataType) == 4) std::memset(outBuf, 0, out.bytes);
      std::vector<uint32_t> idx(R, 0);
      uint64_t src = 0;
      for (uint64_t i = 0; i < out.elements; ++i) {
        copyElems(out.dataType, in(0), src, outBuf, i, 1);
        for (size_t d = R; d-- > 0;) {
          ++idx[d];
          src += inStride[n.perm[d]];
          if (idx[d] < out.dims[d]) break;
          src -= inStride[n.perm[d]] * idx[d];
          idx[d] = 0;
        }
      }
      return true;
    }
    case Op::StridedSlice: {
      const TensorInfo& tx = T(n.inputs[0]);
      size_t R = tx.dims.size();
      std::vector<uint64_t> inStride(R, 1);
      for (size_t d = R; d-- > 1;) inStride[d - 1] = inStride[d] * tx.dims[d];
      if (dtypeBits(out.dataType) == 4) std::memset(outBuf, 0, out.bytes);
      std::vector<uint32_t> idx(R, 0);
      uint64_t src = 0;
      for (size_t d = 0; d < R; ++d) src += uint64_t(n.sliceBegin[d]) * inStride[d];
      for (uint64_t i = 0; i < out.elements; ++i) {
        copyElems(out.dataType, in(0), src, outBuf, i, 1);
        for (size_t d = R; d-- > 0;) {
          uint64_t step = uint64_t(n.sliceStride[d]) * inStride[d];
          ++idx[d];
          src += step;
          if (idx[d] < out.dims[d]) break;
          src -= step * idx[d];
          idx[d] = 0;
        }
      }
      return true;
    }
    case Op::Rsqrt: case Op::SquareRoot: case Op::Exp: case Op::Neg: case Op::Sin: case Op::Cos:
      return runUnaryMath(m, n, bufs);
    case Op::ReduceMean:
      return runReduceMean(m, n, bufs);
    case Op::RmsNorm:
      return runRmsNorm(m, n, bufs);
    case Op::Cast: case Op::Quantize: case Op::Dequantize: {
      const TensorInfo& tx = T(n.inputs[0]);
      if (dtypeBits(out.dataType) == 4) std::memset(outBuf, 0, out.bytes);
      for (uint64_t i = 0; i < out.elements; ++i) writeValue(out, outBuf, i, readValue(tx, in(0), i));
      return true;
    }
  }
  *error = "unknown op";
  return false;
}

}  // namespace qnnref
