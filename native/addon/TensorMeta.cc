#include "TensorMeta.h"

#include "qnn/qnn_abi_compat.h"

namespace qnn_node {
namespace {

uint32_t DtypeBits(uint32_t dataType) {
  switch (dataType) {
    case QNN_DATATYPE_INT_8: case QNN_DATATYPE_UINT_8: case QNN_DATATYPE_SFIXED_POINT_8:
    case QNN_DATATYPE_UFIXED_POINT_8: case QNN_DATATYPE_BOOL_8:
      return 8;
    case QNN_DATATYPE_INT_16: case QNN_DATATYPE_UINT_16: case QNN_DATATYPE_FLOAT_16:
    case abi::kDataTypeBFloat16: case QNN_DATATYPE_SFIXED_POINT_16: case QNN_DATATYPE_UFIXED_POINT_16:
      return 16;
    case QNN_DATATYPE_INT_32: case QNN_DATATYPE_UINT_32: case QNN_DATATYPE_FLOAT_32:
    case QNN_DATATYPE_SFIXED_POINT_32: case QNN_DATATYPE_UFIXED_POINT_32:
      return 32;
    case QNN_DATATYPE_INT_64: case QNN_DATATYPE_UINT_64: case QNN_DATATYPE_FLOAT_64:
      return 64;
    case QNN_DATATYPE_SFIXED_POINT_4: case QNN_DATATYPE_UFIXED_POINT_4:
      return 4;
    default:
      return 0;
  }
}

}  // namespace

ByteSize ComputeByteSize(uint32_t dataType, const std::vector<uint32_t>& dims) {
  uint32_t bits = DtypeBits(dataType);
  if (bits == 0) return {SizeStatus::kUnknownDtype, 0};
  uint64_t n = 1;
  bool overflow = false;
  for (uint32_t d : dims) {
    if (d == 0) return {SizeStatus::kOk, 0};  // a 0 dim makes the product 0, whatever the others
    if (n > UINT64_MAX / d) overflow = true;
    else n *= d;
  }
  if (overflow) return {SizeStatus::kOverflow, 0};
  if (bits == 4) return {SizeStatus::kOk, n / 2 + (n & 1)};
  uint64_t bytesPerElement = bits / 8;
  if (n > UINT64_MAX / bytesPerElement) return {SizeStatus::kOverflow, 0};
  return {SizeStatus::kOk, n * bytesPerElement};
}

uint64_t TensorByteSize(uint32_t dataType, const std::vector<uint32_t>& dims) {
  ByteSize size = ComputeByteSize(dataType, dims);
  return size.status == SizeStatus::kOk ? size.bytes : kUnsizedBytes;
}

}  // namespace qnn_node
