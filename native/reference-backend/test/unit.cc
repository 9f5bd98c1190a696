// Internal unit tests of the reference backend (links the static core library).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "budget.h"
#include "kernels.h"
#include "model.h"
#include "section.h"

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

// Sections: what the writer produces parses and checks; every truncation, every single
// bit flip and wrong-binary / wrong-graph use is refused without reading out of bounds.
static void testSections() {
  Model m;
  m.checksum = 0x12345678;
  TensorInfo w;
  w.name = "w";
  w.type = kTypeStatic;
  w.dataType = 0x0232;
  w.dims = {2, 2};
  w.elements = 4;
  w.bytes = 16;
  TensorInfo x = w;
  x.name = "x";
  x.type = kTypeAppWrite;
  m.tensors = {w, x};
  m.updatable = {0};
  Graph g;
  g.name = "g";
  Node n;
  n.inputs = {1, 0};
  g.nodes = {n};
  m.graphs = {g};
  const float data[4] = {1, 2, 3, 4};
  for (const std::string& graph : {std::string(), std::string("g")}) {
    std::vector<uint32_t> tensors = {0};
    std::vector<uint8_t> bytes(sectionSizeFor(m, tensors, graph));
    writeSection(m, tensors, graph, [&](uint32_t) { return reinterpret_cast<const uint8_t*>(data); }, bytes.data());
    Section s;
    std::string err;
    CHECK(parseSection(bytes.data(), bytes.size(), &s, &err), "%s", err.c_str());
    CHECK(s.graph == graph && s.entries.size() == 1 && s.entries[0].dataSize == 16, "round trip");
    CHECK(std::memcmp(bytes.data() + s.entries[0].dataOffset, data, 16) == 0, "data");
    std::vector<uint32_t> found;
    CHECK(checkSectionAgainst(s, m, graph.empty() ? -1 : 0, &found, &err) && found == tensors, "%s", err.c_str());
    CHECK(!checkSectionAgainst(s, m, graph.empty() ? 0 : -1, &found, &err), "graph mismatch accepted");
    Model other = m;
    other.checksum = 1;
    CHECK(!checkSectionAgainst(s, other, graph.empty() ? -1 : 0, &found, &err) && err.find("another binary") != std::string::npos, "%s", err.c_str());
    other = m;
    other.updatable.clear();
    CHECK(!checkSectionAgainst(s, other, graph.empty() ? -1 : 0, &found, &err), "not updatable accepted");
    for (size_t len = 0; len < bytes.size(); ++len) {
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + len);  // own allocation: ASan sees over-reads
      CHECK(!parseSection(prefix.data(), prefix.size(), &s, &err), "prefix of %zu bytes accepted", len);
    }
    for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
      std::vector<uint8_t> flipped = bytes;
      flipped[bit / 8] ^= uint8_t(1u << (bit % 8));
      CHECK(!parseSection(flipped.data(), flipped.size(), &s, &err), "bit %zu flipped accepted", bit);
    }
  }
}

int main() {
  testHalf();
  testParser();
  testBudget();
  testSections();
  std::printf("unit: %d failures\n", g_failures);
  return g_failures ? 1 : 0;
}
