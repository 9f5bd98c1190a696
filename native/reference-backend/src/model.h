// The reference-backend binary format ("QNNREF01", docs/reference-backend.md): parsing,
// validation and the in-memory model both libraries work from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace qnnref {

constexpr char kMagic[8] = {'Q', 'N', 'N', 'R', 'E', 'F', '0', '1'};
constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kHeaderSize = 128;
constexpr uint64_t kDataAlignment = 64;
constexpr uint32_t kTensorRecordSize = 64;
constexpr uint32_t kGraphRecordSize = 32;
constexpr uint32_t kNodeRecordSize = 32;
constexpr uint32_t kParamRecordSize = 16;
constexpr uint32_t kMaxRank = 8;

// Qnn_TensorType_t values the format uses.
constexpr uint32_t kTypeAppWrite = 0;
constexpr uint32_t kTypeAppRead = 1;
constexpr uint32_t kTypeNative = 3;
constexpr uint32_t kTypeStatic = 4;

constexpr uint32_t kEncScaleOffset = 0;
constexpr uint32_t kEncAxisScaleOffset = 1;
constexpr uint32_t kEncNone = 0x7FFFFFFF;

enum ParamKind : uint32_t {
  kParamInt32 = 1,
  kParamFloat32 = 2,
  kParamBool = 3,
  kParamInt32Array = 4,
  kParamFloat32Array = 5,
};

enum class Op {
  Add,
  Subtract,
  Multiply,
  Divide,
  MatMul,
  Gather,
  Softmax,
  Relu,
  Gelu,
  Concat,
  Reshape,
  Transpose,
  Cast,
  Quantize,
  Dequantize,
  Sigmoid,
  Tanh,
  StridedSlice,
  Rsqrt,
  SquareRoot,
  Exp,
  Neg,
  Sin,
  Cos,
  ReduceMean,
  RmsNorm,
};

// Op names in QNN spelling, in enum order.
extern const char* const kOpNames[];
extern const size_t kOpCount;
bool opFromName(const std::string& name, Op* op);

struct Quant {
  uint32_t encoding = kEncNone;
  float scale = 0.f;
  int32_t offset = 0;
  int32_t axis = 0;
  std::vector<float> scales;    // axis-scale-offset
  std::vector<int32_t> offsets; // axis-scale-offset
};

struct TensorInfo {
  uint32_t id = 0;
  std::string name;
  uint32_t type = 0;
  uint32_t dataType = 0;
  std::vector<uint32_t> dims;
  Quant quant;
  uint64_t dataOffset = 0;  // STATIC: inside the data section
  uint64_t dataSize = 0;    // STATIC
  uint64_t elements = 1;
  uint64_t bytes = 0;
};

struct Param {
  std::string name;
  uint32_t kind = 0;
  std::vector<int32_t> ints;   // INT32 / BOOL / INT32_ARRAY
  std::vector<float> floats;   // FLOAT32 / FLOAT32_ARRAY
};

struct Node {
  Op op = Op::Add;
  std::string opName;
  std::string name;
  std::vector<uint32_t> inputs;   // tensor indices (into Model::tensors)
  std::vector<uint32_t> outputs;  // tensor indices
  std::vector<Param> params;
  // Resolved attributes (filled by validation).
  int axis = 0;
  float beta = 1.f;
  bool transpose0 = false;
  bool transpose1 = false;
  std::vector<uint32_t> perm;
  std::vector<int64_t> sliceBegin, sliceStride;  // StridedSlice, per dim (normalized)
  std::vector<uint32_t> axes;  // ReduceMean / RmsNorm: normalized (non-negative), ascending
  bool keepDims = false;       // ReduceMean
  float epsilon = 1e-6f;       // RmsNorm
};

struct Graph {
  std::string name;
  std::vector<uint32_t> inputs;   // tensor indices, declaration order
  std::vector<uint32_t> outputs;  // tensor indices
  std::vector<Node> nodes;
  std::vector<uint32_t> natives;  // NATIVE tensors the graph produces
};

struct Model {
  uint64_t fileSize = 0;
  uint32_t metaSize = 0;
  uint64_t dataOffset = 0;
  uint64_t dataSize = 0;
  std::string description;
  std::string producer;  // a QNN SDK build id ("v2.33.0.…"), "" if the writer stored none
  uint64_t spillFillBytes = 0;  // the spill-fill buffer the binary's graphs need (header +120)
  uint32_t checksum = 0;  // the header's checksum: identifies the binary to its sections
  // STATIC tensors a binary section may replace (header 112: the updatable id list).
  std::vector<uint32_t> updatable;  // tensor indices, ascending
  std::vector<TensorInfo> tensors;
  std::unordered_map<uint32_t, uint32_t> indexById;
  std::vector<Graph> graphs;
};

enum class ParseStatus { kOk, kBadVersion, kMalformed };

// Parses and fully validates `size` bytes (never reads outside them). On failure `error`
// says what is wrong. Static data is not copied: Model only records offsets.
ParseStatus parseModel(const uint8_t* data, uint64_t size, Model* model, std::string* error);

// Writes `m` as a "QNNREF01" binary (model_write.cc): the tensors its graphs use (ids kept),
// the static data from `staticData[tensor index]`. False with `error` if it cannot.
bool serializeModel(const Model& m, const std::vector<const uint8_t*>& staticData, std::vector<uint8_t>* out, std::string* error);

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

// The SDK minor of a producer build id "v2.<minor>.<patch>.…", 0 if it is not one.
uint32_t producerSdkMinor(const std::string& producer);

// Element size in bits of a Qnn_DataType_t the format supports, or 0.
uint32_t dtypeBits(uint32_t dataType);
bool dtypeIsFloat(uint32_t dataType);
bool dtypeIsQuantized(uint32_t dataType);
bool dtypeIsSigned(uint32_t dataType);
const char* dtypeName(uint32_t dataType);
uint64_t byteSizeOf(uint32_t dataType, uint64_t elements);

std::string dimsToString(const std::vector<uint32_t>& dims);

}  // namespace qnnref
