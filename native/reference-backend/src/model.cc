// The "QNNREF01" format's shared vocabulary: op names, dtypes, checksums, producer ids
// (model.h). Parsing is in model_parse.cc.
#include "model.h"

#include <cstdio>

namespace qnnref {

const char* const kOpNames[] = {
    "ElementWiseAdd", "ElementWiseSubtract", "ElementWiseMultiply", "ElementWiseDivide",
    "MatMul",         "Gather",              "Softmax",             "Relu",
    "Gelu",           "Concat",              "Reshape",             "Transpose",
    "Cast",           "Quantize",            "Dequantize",          "Sigmoid",
    "Tanh",           "StridedSlice",        "ElementWiseRsqrt",    "ElementWiseSquareRoot",
    "ElementWiseExp", "ElementWiseNeg",      "ElementWiseSin",      "ElementWiseCos",
    "ReduceMean",     "RmsNorm",
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

uint32_t producerSdkMinor(const std::string& producer) {
  unsigned major = 0, minor = 0;
  if (std::sscanf(producer.c_str(), "v%u.%u.", &major, &minor) != 2 || major != 2) return 0;
  return minor;
}

}  // namespace qnnref
