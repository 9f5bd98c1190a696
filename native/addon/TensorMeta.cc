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

uint64_t TensorByteSize(uint32_t dataType, const std::vector<uint32_t>& dims) {
  uint32_t bits = DtypeBits(dataType);
  if (bits == 0) return 0;
  uint64_t n = 1;
  for (uint32_t d : dims) {
    if (d != 0 && n > (UINT64_MAX / 64) / d) return 0;  // absurd: treat as unknown
    n *= d;
  }
  return bits == 4 ? (n + 1) / 2 : n * (bits / 8);
}

}  // namespace qnn_node
