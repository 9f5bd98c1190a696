// Internal unit tests of the reference backend (links the static core library).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "budget.h"
#include "kernels.h"
#include "model.h"

static int g_failures = 0;
#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                   \
      std::fputc('\n', stderr);                                            \
      ++g_failures;                                                        \
    }                                                                      \
  } while (0)

using namespace qnnref;

static void testHalf() {
  // Every non-NaN half survives half -> float -> half.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    bool nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF);
    if (nan) {
      CHECK(std::isnan(halfToFloat(uint16_t(h))), "0x%04x is NaN", h);
      continue;
    }
    uint16_t back = floatToHalf(halfToFloat(uint16_t(h)));
    CHECK(back == h, "round trip 0x%04x -> %g -> 0x%04x", h, double(halfToFloat(uint16_t(h))), back);
  }
  CHECK(floatToHalf(1.5f) == 0x3E00, "1.5");
  CHECK(floatToHalf(65504.f) == 0x7BFF, "max half");
  CHECK(floatToHalf(65520.f) == 0x7C00, "65520 rounds to inf");
  CHECK(floatToHalf(1.0f + 1.0f / 2048) == 0x3C00, "ties to even (down)");
  CHECK(floatToHalf(1.0f + 3.0f / 2048) == 0x3C02, "ties to even (up)");
  CHECK(floatToHalf(std::ldexp(1.f, -24)) == 0x0001, "smallest subnormal");
  CHECK(floatToHalf(std::ldexp(1.f, -25)) == 0x0000, "half of smallest subnormal rounds to even 0");
  CHECK(floatToHalf(-0.f) == 0x8000, "-0");
}

static void testParser() {
  Model m;
  std::string err;
  CHECK(parseModel(nullptr, 0, &m, &err) == ParseStatus::kMalformed, "NULL");
  std::vector<uint8_t> b(128, 0);
  CHECK(parseModel(b.data(), 100, &m, &err) == ParseStatus::kMalformed && err.find("smaller") != std::string::npos, "short: %s", err.c_str());
  CHECK(parseModel(b.data(), b.size(), &m, &err) == ParseStatus::kMalformed && err.find("magic") != std::string::npos, "magic: %s", err.c_str());
  std::memcpy(b.data(), "QNNREF01", 8);
  uint32_t v = 9;
  std::memcpy(b.data() + 8, &v, 4);
  CHECK(parseModel(b.data(), b.size(), &m, &err) == ParseStatus::kBadVersion, "version: %s", err.c_str());
  v = 1;
  std::memcpy(b.data() + 8, &v, 4);
  v = 128;
  std::memcpy(b.data() + 12, &v, 4);
  uint64_t size = 4096;
  std::memcpy(b.data() + 16, &size, 8);
  CHECK(parseModel(b.data(), b.size(), &m, &err) == ParseStatus::kMalformed && err.find("truncated") != std::string::npos, "truncated: %s", err.c_str());
  CHECK(crc32(reinterpret_cast<const uint8_t*>("123456789"), 9) == 0xCBF43926u, "crc32");
  CHECK(byteSizeOf(0x0404, 5) == 3 && byteSizeOf(0x0216, 5) == 10, "byte sizes");
}

static TensorInfo f32Tensor(std::vector<uint32_t> dims) {
  TensorInfo t;
  t.dataType = 0x0232;
  t.type = kTypeNative;
  t.dims = std::move(dims);
  for (uint32_t d : t.dims) t.elements *= d;
  t.bytes = t.elements * 4;
  return t;
}

// What one node of the new math ops costs (budget.cc prices what kernels_math.cc allocates).
static GraphCost singleNodeCost(Op op, std::vector<std::vector<uint32_t>> inputs, std::vector<uint32_t> out) {
  Model m;
  Graph g;
  Node n;
  n.op = op;
  for (auto& dims : inputs) {
    n.inputs.push_back(uint32_t(m.tensors.size()));
    m.tensors.push_back(f32Tensor(dims));
  }
  n.outputs.push_back(uint32_t(m.tensors.size()));
  g.outputs.push_back(uint32_t(m.tensors.size()));
  m.tensors.push_back(f32Tensor(out));
  g.nodes.push_back(n);
  return graphCost(m, g);
}

static void testBudget() {
  // ReduceMean [1000] -> [1]: 4 B output + float copy of x (4000) + double sum and float result (12)
  GraphCost r = singleNodeCost(Op::ReduceMean, {{1000}}, {1});
  CHECK(r.memoryBytes == 4 + 4000 + 12, "ReduceMean memory %llu", (unsigned long long)r.memoryBytes);
  CHECK(r.work == 1000 + 1 + 1, "ReduceMean work %llu", (unsigned long long)r.work);
  // RmsNorm x [4, 8], gamma [8]: x read twice (2 * 40 input elements) + 32 written + 1 per node
  GraphCost n = singleNodeCost(Op::RmsNorm, {{4, 8}, {8}}, {4, 8});
  CHECK(n.memoryBytes == 128 + 4 * (40 + 32), "RmsNorm memory %llu", (unsigned long long)n.memoryBytes);
  CHECK(n.work == 2 * 40 + 32 + 1, "RmsNorm work %llu", (unsigned long long)n.work);
  GraphCost e = singleNodeCost(Op::Exp, {{6}}, {6});
  CHECK(e.memoryBytes == 24 + 4 * 12 && e.work == 13, "Exp cost %llu / %llu", (unsigned long long)e.memoryBytes, (unsigned long long)e.work);
}

int main() {
  testHalf();
  testParser();
  testBudget();
  std::printf("unit: %d failures\n", g_failures);
  return g_failures ? 1 : 0;
}
