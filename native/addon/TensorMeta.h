// TensorMeta: a plain, owned copy of what QNN says about a graph's tensors (names, ids,
// dtypes, shapes, quantization), independent of the library memory it was read from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qnn/qnn_api.h"

namespace qnn_node {

struct QuantMeta {
  uint32_t definition = QNN_DEFINITION_UNDEFINED;
  uint32_t encoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
  float scale = 0;
  int32_t offset = 0;
  uint32_t bitwidth = 0;
  int32_t axis = 0;
  std::vector<float> scales;
  std::vector<int32_t> offsets;
  std::vector<Qnn_ScaleOffset_t> scaleOffsets;  // storage for axis-scale-offset tensors
};

struct TensorMeta {
  uint32_t version = QNN_TENSOR_VERSION_1;
  uint32_t id = 0;
  std::string name;
  uint32_t type = QNN_TENSOR_TYPE_APP_WRITE;
  uint32_t dataFormat = 0;
  uint32_t dataType = QNN_DATATYPE_UNDEFINED;
  std::vector<uint32_t> dims;
  QuantMeta quant;
  uint64_t byteSize = 0;  // kUnsizedBytes when the dtype is unknown or the size overflows
};

struct GraphMeta {
  std::string name;
  std::vector<TensorMeta> inputs, outputs;
};

// Why a tensor has no byte size. Never a size of 0: a tensor with a 0 dim really is 0 bytes.
enum class SizeStatus { kOk, kUnknownDtype, kOverflow };

struct ByteSize {
  SizeStatus status = SizeStatus::kOk;
  uint64_t bytes = 0;  // valid when status == kOk
};

// Bytes of one element array: dtype bits × elements (4-bit packed: rounded up), computed in
// 64 bits with every multiplication checked.
ByteSize ComputeByteSize(uint32_t dataType, const std::vector<uint32_t>& dims);

// No buffer has this many bytes, so a run can never match it: what TensorByteSize returns
// for a tensor that cannot be sized (ComputeByteSize says why).
constexpr uint64_t kUnsizedBytes = UINT64_MAX;

// ComputeByteSize's bytes, or kUnsizedBytes.
uint64_t TensorByteSize(uint32_t dataType, const std::vector<uint32_t>& dims);

}  // namespace qnn_node
