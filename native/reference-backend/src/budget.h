// What executing a graph of a reference binary may cost. A binary is a few hundred bytes
// of metadata that can declare gigabytes of intermediate tensors and trillions of MACs;
// the backend ships in the package, so it refuses graphs whose declared cost is out of
// proportion to what the client supplies (the binary and the graph's I/O buffers).
#pragma once

#include <cstdint>
#include <string>

#include "model.h"

namespace qnnref {

struct GraphCost {
  // Scratch for NATIVE and output tensors plus the largest temporary any one node needs.
  uint64_t memoryBytes = 0;
  // Elements read or written plus multiply-accumulates, summed over the nodes.
  uint64_t work = 0;
};

// Saturating: a sum or product that would overflow is UINT64_MAX.
GraphCost graphCost(const Model& m, const Graph& g);

struct GraphBudget {
  uint64_t memoryBytes = 0;
  uint64_t work = 0;
  bool memoryFromEnv = false, workFromEnv = false;
};

// The default budget grows with the binary's size and the graph's input + output bytes,
// with a floor that every reasonable test model fits (docs/reference-backend.md).
// QNN_REFERENCE_MAX_MEMORY_BYTES / QNN_REFERENCE_MAX_WORK replace either limit.
GraphBudget graphBudget(const Model& m, const Graph& g);

// Empty when `cost` fits `budget`, else a message naming the graph, the cost and the limit.
std::string checkBudget(const Graph& g, const GraphCost& cost, const GraphBudget& budget, bool* memory);

}  // namespace qnnref
