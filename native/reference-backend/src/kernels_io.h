// What the kernel files share (kernels.cc, kernels_math.cc): fp32 views of tensors of any
// dtype, and the kernels that live outside kernels.cc.
#pragma once

#include <cstdint>
#include <vector>

#include "model.h"

namespace qnnref {

// double -> float without the undefined behaviour of out-of-range conversions (±inf).
float toFloat(double v);

// The real values of a tensor of any dtype (dequantized, fp16 widened, ints converted).
std::vector<float> loadF32(const TensorInfo& t, const uint8_t* p);
// Stores real values into a tensor of any dtype (quantized with round-half-even and
// saturation, fp16 rounded to nearest even, ints truncated and saturated).
void storeF32(const TensorInfo& t, const float* v, uint8_t* p);

// kernels_math.cc. Shapes and params were validated at load (model_nodes.cc).
bool runUnaryMath(const Model& m, const Node& n, const std::vector<uint8_t*>& bufs);
bool runReduceMean(const Model& m, const Node& n, const std::vector<uint8_t*>& bufs);
bool runRmsNorm(const Model& m, const Node& n, const std::vector<uint8_t*>& bufs);

}  // namespace qnnref
