// Kernels of the math ops the LLM graphs need (kernels_io.h): unary elementwise functions,
// ReduceMean and RmsNorm. Inputs are read as fp32 like every other kernel; the reductions
// accumulate in double so that a long row does not lose the small terms.
#include <cmath>

#include "kernels_io.h"

namespace qnnref {

bool runUnaryMath(const Model& m, const Node& n, const std::vector<uint8_t*>& bufs) {
  const TensorInfo& out = m.tensors[n.outputs[0]];
  std::vector<float> x = loadF32(m.tensors[n.inputs[0]], bufs[n.inputs[0]]);
  for (float& v : x) {
    switch (n.op) {
      case Op::Rsqrt: v = 1.f / std::sqrt(v); break;  // IEEE: NaN below 0, +inf at +0, -inf at -0
      case Op::SquareRoot: v = std::sqrt(v); break;   // NaN below 0
      case Op::Exp: v = std::exp(v); break;
      case Op::Neg: v = -v; break;
      case Op::Sin: v = std::sin(v); break;
      default: v = std::cos(v); break;
    }
  }
  storeF32(out, x.data(), bufs[n.outputs[0]]);
  return true;
}

bool runReduceMean(const Model& m, const Node& n, const std::vector<uint8_t*>& bufs) {
  const TensorInfo& tx = m.tensors[n.inputs[0]];
  const TensorInfo& out = m.tensors[n.outputs[0]];
  std::vector<float> x = loadF32(tx, bufs[n.inputs[0]]);
  size_t R = tx.dims.size();
  // Where each input dim moves in the output: 0 for a reduced dim, else its stride among
  // the kept dims (the output holds exactly the kept dims' elements, keep_dims or not).
  std::vector<uint64_t> stride(R, 0);
  std::vector<bool> reduced(R, false);
  for (uint32_t a : n.axes) reduced[a] = true;
  uint64_t keptCount = 1, count = 1;
  for (size_t d = R; d-- > 0;) {
    if (reduced[d]) {
      count *= tx.dims[d];
    } else {
      stride[d] = keptCount;
      keptCount *= tx.dims[d];
    }
  }
  std::vector<double> acc(keptCount, 0.0);
  std::vector<uint32_t> idx(R, 0);
  uint64_t o = 0;
  for (uint64_t i = 0; i < tx.elements; ++i) {
    acc[o] += x[i];
    for (size_t d = R; d-- > 0;) {  // advance the multi-index
      ++idx[d];
      o += stride[d];
      if (idx[d] < tx.dims[d]) break;
      o -= stride[d] * idx[d];
      idx[d] = 0;
    }
  }
  std::vector<float> r(out.elements);
  for (uint64_t k = 0; k < out.elements; ++k) r[k] = toFloat(acc[k] / double(count));
  storeF32(out, r.data(), bufs[n.outputs[0]]);
  return true;
}

bool runRmsNorm(const Model& m, const Node& n, const std::vector<uint8_t*>& bufs) {
  const TensorInfo& tx = m.tensors[n.inputs[0]];
  const TensorInfo& out = m.tensors[n.outputs[0]];
  std::vector<float> x = loadF32(tx, bufs[n.inputs[0]]);
  std::vector<float> gamma = loadF32(m.tensors[n.inputs[1]], bufs[n.inputs[1]]);
  std::vector<float> beta;
  if (n.inputs.size() == 3) beta = loadF32(m.tensors[n.inputs[2]], bufs[n.inputs[2]]);
  uint64_t inner = gamma.size();  // the normalized (trailing) dims
  uint64_t outer = tx.elements / inner;
  std::vector<float> r(out.elements);
  for (uint64_t o = 0; o < outer; ++o) {
    const float* row = x.data() + o * inner;
    double sumSq = 0;
    for (uint64_t k = 0; k < inner; ++k) sumSq += double(row[k]) * double(row[k]);
    double inv = 1.0 / std::sqrt(sumSq / double(inner) + double(n.epsilon));
    for (uint64_t k = 0; k < inner; ++k) {
      double v = double(row[k]) * inv * double(gamma[k]);
      if (!beta.empty()) v += double(beta[k]);
      r[o * inner + k] = toFloat(v);
    }
  }
  storeF32(out, r.data(), bufs[n.outputs[0]]);
  return true;
}

}  // namespace qnnref
