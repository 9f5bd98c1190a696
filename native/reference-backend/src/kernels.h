// CPU kernels of the reference backend. fp32 compute; conversions from/to every dtype
// the format supports. Shapes were validated at load time (model.cc); kernels only check
// data-dependent conditions (Gather indices).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model.h"

namespace qnnref {

// Runs one node. `bufs[i]` is the storage of tensor i (inputs may be read-only memory; the
// kernel only writes to outputs). Returns false with a message on a data error.
bool runNode(const Model& model, const Node& node, const std::vector<uint8_t*>& bufs, std::string* error);

// Conversions (exposed for tests).
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);

}  // namespace qnnref
