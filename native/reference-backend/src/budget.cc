#include "budget.h"

#include <algorithm>
#include <cstdlib>

namespace qnnref {
namespace {

constexpr uint64_t kMemoryFloor = uint64_t(256) << 20;  // 256 MiB
constexpr uint64_t kMemoryPerByte = 32;                  // × (binary + graph I/O bytes)
constexpr uint64_t kWorkFloor = uint64_t(1) << 30;       // ~1e9 element-ops / MACs: seconds on one core
constexpr uint64_t kWorkPerByte = 4096;

uint64_t add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
uint64_t mul(uint64_t a, uint64_t b) { return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

uint64_t prod(const std::vector<uint32_t>& d, size_t from, size_t to) {
  uint64_t n = 1;
  for (size_t i = from; i < to && i < d.size(); ++i) n = mul(n, d[i]);
  return n;
}

// What kernels.cc allocates and does for one node (its float copies are 4 bytes an element).
GraphCost nodeCost(const Model& m, const Node& n) {
  auto T = [&](size_t k) -> const TensorInfo& { return m.tensors[n.inputs[k]]; };
  const TensorInfo& out = m.tensors[n.outputs[0]];
  uint64_t inElems = 0;
  for (size_t k = 0; k < n.inputs.size(); ++k) inElems = add(inElems, T(k).elements);
  GraphCost c;
  switch (n.op) {
    case Op::MatMul: {
      const auto& a = T(0).dims;
      uint64_t M = a[a.size() - 2], K = a[a.size() - 1];
      if (n.transpose0) std::swap(M, K);
      const auto& od = out.dims;
      uint64_t N = od[od.size() - 1];
      uint64_t batch = prod(a, 0, a.size() - 2);
      c.memoryBytes = mul(4, add(inElems, out.elements));
      c.work = add(mul(mul(batch, M), mul(K, N)), add(inElems, out.elements));
      return c;
    }
    case Op::Gather: {
      uint64_t count = T(1).elements;
      c.memoryBytes = mul(8, count);
      c.work = add(out.elements, count);
      return c;
    }
    case Op::Reshape: case Op::Transpose: case Op::StridedSlice: case Op::Cast: case Op::Quantize: case Op::Dequantize:
      c.memoryBytes = 64 * 8;  // index vectors of rank <= 8
      c.work = out.elements;
      return c;
    case Op::Concat:
      c.memoryBytes = mul(4, add(inElems, out.elements));  // the non-raw path's float copies
      c.work = add(inElems, out.elements);
      return c;
    case Op::ReduceMean:  // float copy of the input, double accumulators + float results
      c.memoryBytes = add(mul(4, inElems), mul(12, out.elements));
      c.work = add(inElems, out.elements);
      return c;
    case Op::RmsNorm:  // float copies of x, gamma, beta and the result; x is read twice
      c.memoryBytes = mul(4, add(inElems, out.elements));
      c.work = add(mul(2, inElems), out.elements);
      return c;
    case Op::Softmax:
      c.memoryBytes = mul(4, add(inElems, out.elements));
      c.work = mul(3, out.elements);
      return c;
    default:  // elementwise, activations and the unary math ops
      c.memoryBytes = mul(4, add(inElems, out.elements));
      c.work = add(inElems, out.elements);
      return c;
  }
}

// A positive integer from the environment, or 0.
uint64_t envLimit(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  unsigned long long x = std::strtoull(v, &end, 10);
  return end && *end == '\0' ? uint64_t(x) : 0;
}

}  // namespace

GraphCost graphCost(const Model& m, const Graph& g) {
  GraphCost total;
  for (uint32_t idx : g.natives) total.memoryBytes = add(total.memoryBytes, m.tensors[idx].bytes);
  for (uint32_t idx : g.outputs) total.memoryBytes = add(total.memoryBytes, m.tensors[idx].bytes);
  uint64_t peak = 0;
  for (const Node& n : g.nodes) {
    GraphCost c = nodeCost(m, n);
    peak = std::max(peak, c.memoryBytes);
    total.work = add(total.work, add(c.work, 1));
  }
  total.memoryBytes = add(total.memoryBytes, peak);
  return total;
}

GraphBudget graphBudget(const Model& m, const Graph& g) {
  uint64_t supplied = m.fileSize;
  for (uint32_t idx : g.inputs) supplied = add(supplied, m.tensors[idx].bytes);
  for (uint32_t idx : g.outputs) supplied = add(supplied, m.tensors[idx].bytes);
  GraphBudget b;
  b.memoryBytes = std::max(kMemoryFloor, mul(kMemoryPerByte, supplied));
  b.work = std::max(kWorkFloor, mul(kWorkPerByte, supplied));
  if (uint64_t v = envLimit("QNN_REFERENCE_MAX_MEMORY_BYTES")) b.memoryBytes = v, b.memoryFromEnv = true;
  if (uint64_t v = envLimit("QNN_REFERENCE_MAX_WORK")) b.work = v, b.workFromEnv = true;
  return b;
}

std::string checkBudget(const Graph& g, const GraphCost& cost, const GraphBudget& budget, bool* memory) {
  auto num = [](uint64_t v) { return v == UINT64_MAX ? std::string("more than 2^64") : std::to_string(v); };
  if (cost.memoryBytes > budget.memoryBytes) {
    *memory = true;
    return "graph '" + g.name + "' needs " + num(cost.memoryBytes) + " bytes of intermediate memory, above the reference backend's limit of " +
           std::to_string(budget.memoryBytes) + " bytes for this binary" +
           (budget.memoryFromEnv ? " (QNN_REFERENCE_MAX_MEMORY_BYTES)" : " (raise it with QNN_REFERENCE_MAX_MEMORY_BYTES)");
  }
  if (cost.work > budget.work) {
    *memory = false;
    return "graph '" + g.name + "' declares " + num(cost.work) + " units of work (elements and multiply-accumulates), above the reference backend's limit of " +
           std::to_string(budget.work) + " for this binary" +
           (budget.workFromEnv ? " (QNN_REFERENCE_MAX_WORK)" : " (raise it with QNN_REFERENCE_MAX_WORK)");
  }
  return std::string();
}

}  // namespace qnnref
