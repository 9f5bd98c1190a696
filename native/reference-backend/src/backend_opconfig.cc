// libQnnReference: client tensors and op configs read into the model's types
// (backend_opconfig.h).
#include "backend_opconfig.h"

#include <cmath>
#include <cstring>

#include "backend_journal.h"
#include "qnn/qnn_abi_compat.h"

namespace qnnref {
namespace {

namespace abi = qnn_node::abi;

// Qnn_Param_t: type at 0, name at 8, union {Qnn_Scalar_t, Qnn_Tensor_t} at 16, so its size
// follows the core's Qnn_Tensor_t (160 from 2.14, 136 before).
constexpr size_t kParamUnionOffset = 16;
size_t paramStride(const Version& core) { return kParamUnionOffset + abi::tensorStride(core); }

constexpr uint32_t kMaxParamArray = 4096;  // as the binary parser allows

std::string hex(uint32_t v) { return formatString("0x%04x", v); }

// A scalar param as the format's INT32 / FLOAT32 / BOOL.
bool scalarParam(const std::string& name, const Qnn_Scalar_t& s, Param* p, std::string* json, std::string* why) {
  auto asInt = [&](int64_t v) {
    if (v < INT32_MIN || v > INT32_MAX) {
      *why = "param '" + name + "' = " + std::to_string(v) + " does not fit an int32";
      return false;
    }
    p->kind = kParamInt32;
    p->ints.push_back(int32_t(v));
    *json = std::to_string(v);
    return true;
  };
  switch (uint32_t(s.dataType)) {
    case QNN_DATATYPE_BOOL_8:
      p->kind = kParamBool;
      p->ints.push_back(s.bool8Value ? 1 : 0);
      *json = s.bool8Value ? "true" : "false";
      return true;
    case QNN_DATATYPE_INT_8: return asInt(s.int8Value);
    case QNN_DATATYPE_INT_16: return asInt(s.int16Value);
    case QNN_DATATYPE_INT_32: return asInt(s.int32Value);
    case QNN_DATATYPE_INT_64: return asInt(s.int64Value);
    case QNN_DATATYPE_UINT_8: return asInt(s.uint8Value);
    case QNN_DATATYPE_UINT_16: return asInt(s.uint16Value);
    case QNN_DATATYPE_UINT_32: return asInt(int64_t(s.uint32Value));
    case QNN_DATATYPE_UINT_64:
      if (s.uint64Value > uint64_t(INT32_MAX)) return asInt(INT64_MAX);
      return asInt(int64_t(s.uint64Value));
    case QNN_DATATYPE_FLOAT_32:
      p->kind = kParamFloat32;
      p->floats.push_back(s.floatValue);
      *json = std::isfinite(s.floatValue) ? formatString("%.9g", double(s.floatValue)) : jsonString("non-finite");
      return true;
    default:
      *why = "param '" + name + "' is a scalar of data type " + hex(uint32_t(s.dataType)) + " (" + dtypeName(uint32_t(s.dataType)) +
             "); the reference takes bool, integer and float32 scalars";
      return false;
  }
}

// A tensor param (QNN's arrays: perm, axes, ranges, ...) as INT32_ARRAY / FLOAT32_ARRAY.
bool tensorParam(const std::string& name, const Qnn_TensorV1_t& t, Param* p, std::string* json, std::string* why) {
  const std::string what = "param '" + name + "'";
  uint32_t dt = uint32_t(t.dataType);
  bool isFloat = dt == QNN_DATATYPE_FLOAT_32;
  bool isInt = dt == QNN_DATATYPE_INT_32 || dt == QNN_DATATYPE_UINT_32 || dt == QNN_DATATYPE_INT_8 || dt == QNN_DATATYPE_UINT_8 ||
               dt == QNN_DATATYPE_INT_16 || dt == QNN_DATATYPE_UINT_16 || dt == QNN_DATATYPE_BOOL_8;
  if (!isFloat && !isInt) {
    *why = what + " is a tensor of data type " + hex(dt) + " (" + dtypeName(dt) + "); the reference takes int and float32 tensor params";
    return false;
  }
  if (t.rank > kMaxRank || (t.rank && !t.dimensions)) {
    *why = what + " has rank " + std::to_string(t.rank) + (t.rank && !t.dimensions ? " and NULL dimensions" : "");
    return false;
  }
  uint64_t n = 1;
  for (uint32_t d = 0; d < t.rank; ++d) n *= t.dimensions[d];
  if (n > kMaxParamArray) {
    *why = what + " has " + std::to_string(n) + " elements (at most " + std::to_string(kMaxParamArray) + ")";
    return false;
  }
  uint64_t bytes = byteSizeOf(dt, n);
  if (t.memType != QNN_TENSORMEMTYPE_RAW || (n && !t.clientBuf.data) || t.clientBuf.dataSize != bytes) {
    *why = what + formatString(": its data must be a RAW client buffer of %llu bytes (got memType %u, %u bytes%s)", (unsigned long long)bytes,
                               unsigned(t.memType), t.clientBuf.dataSize, t.clientBuf.data ? "" : ", NULL data");
    return false;
  }
  const auto* raw = static_cast<const uint8_t*>(t.clientBuf.data);
  *json = "[";
  p->kind = isFloat ? kParamFloat32Array : kParamInt32Array;
  for (uint64_t i = 0; i < n; ++i) {
    if (isFloat) {
      float f;
      std::memcpy(&f, raw + 4 * i, 4);
      p->floats.push_back(f);
      *json += (i ? "," : "") + (std::isfinite(f) ? formatString("%.9g", double(f)) : jsonString("non-finite"));
      continue;
    }
    int64_t v = 0;
    switch (dt) {
      case QNN_DATATYPE_INT_32: { int32_t x; std::memcpy(&x, raw + 4 * i, 4); v = x; break; }
      case QNN_DATATYPE_UINT_32: { uint32_t x; std::memcpy(&x, raw + 4 * i, 4); v = x; break; }
      case QNN_DATATYPE_INT_16: { int16_t x; std::memcpy(&x, raw + 2 * i, 2); v = x; break; }
      case QNN_DATATYPE_UINT_16: { uint16_t x; std::memcpy(&x, raw + 2 * i, 2); v = x; break; }
      case QNN_DATATYPE_INT_8: v = int8_t(raw[i]); break;
      default: v = raw[i]; break;  // UINT_8, BOOL_8
    }
    if (v > INT32_MAX) {
      *why = what + " holds " + std::to_string(v) + ", which does not fit an int32";
      return false;
    }
    p->ints.push_back(int32_t(v));
    *json += (i ? "," : "") + std::to_string(v);
  }
  *json += "]";
  return true;
}

const char* kindName(uint32_t kind) {
  switch (kind) {
    case kParamInt32: return "int32";
    case kParamFloat32: return "float32";
    case kParamBool: return "bool";
    case kParamInt32Array: return "int32[]";
    case kParamFloat32Array: return "float32[]";
  }
  return "?";
}

}  // namespace

Qnn_TensorV1_t readClientTensor(const void* tensor) {
  Qnn_TensorV1_t t;
  std::memcpy(&t, static_cast<const uint8_t*>(tensor) + abi::kTensorUnionOffset, sizeof t);
  return t;
}

bool tensorInfoFromClient(const Qnn_TensorV1_t& t, TensorInfo* info, uint32_t* code, std::string* why) {
  auto invalid = [&](const std::string& msg) {
    *code = QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM;
    *why = msg;
    return false;
  };
  auto unsupported = [&](const std::string& msg) {
    *code = QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM;
    *why = msg;
    return false;
  };
  uint32_t dt = uint32_t(t.dataType);
  if (dtypeBits(dt) == 0) return unsupported("data type " + hex(dt) + " is not one the reference backend supports");
  if (t.dataFormat != QNN_TENSOR_DATA_FORMAT_DENSE) return unsupported(formatString("data format %u (the reference takes dense tensors)", unsigned(t.dataFormat)));
  if (t.rank > kMaxRank) return unsupported(formatString("rank %u (the reference supports up to %u)", t.rank, kMaxRank));
  if (t.rank && !t.dimensions) return invalid(formatString("rank %u with NULL dimensions", t.rank));
  info->dataType = dt;
  info->dims.clear();
  info->elements = 1;
  for (uint32_t d = 0; d < t.rank; ++d) {
    uint32_t v = t.dimensions[d];
    if (v == 0) return invalid(formatString("dimension %u is 0", d));
    if (info->elements > (uint64_t(1) << 40) / v) return unsupported("too many elements");
    info->elements *= v;
    info->dims.push_back(v);
  }
  info->bytes = byteSizeOf(dt, info->elements);
  const Qnn_QuantizeParams_t& q = t.quantizeParams;
  bool quantized = dtypeIsQuantized(dt);
  bool hasQuant = q.encodingDefinition == QNN_DEFINITION_DEFINED;
  if (q.encodingDefinition != QNN_DEFINITION_DEFINED && q.encodingDefinition != QNN_DEFINITION_UNDEFINED &&
      q.encodingDefinition != QNN_DEFINITION_IMPL_GENERATED)
    return invalid(formatString("quantization encodingDefinition %u is no Qnn_Definition_t", unsigned(q.encodingDefinition)));
  info->quant = Quant();
  if (quantized && !hasQuant) return invalid(std::string("quantized data type ") + dtypeName(dt) + " without quantization parameters (encodingDefinition DEFINED)");
  if (!quantized && hasQuant) return invalid(std::string("quantization parameters on non-quantized data type ") + dtypeName(dt));
  if (hasQuant) {
    if (q.quantizationEncoding == QNN_QUANTIZATION_ENCODING_SCALE_OFFSET) {
      float s = q.scaleOffsetEncoding.scale;
      if (!std::isfinite(s) || s <= 0) return invalid(formatString("quantization scale %g (must be finite and > 0)", double(s)));
      info->quant.encoding = kEncScaleOffset;
      info->quant.scale = s;
      info->quant.offset = q.scaleOffsetEncoding.offset;
    } else if (q.quantizationEncoding == QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET) {
      const Qnn_AxisScaleOffset_t& a = q.axisScaleOffsetEncoding;
      if (a.axis < 0 || uint32_t(a.axis) >= t.rank) return invalid(formatString("quantization axis %d out of range for rank %u", a.axis, t.rank));
      if (a.numScaleOffsets != info->dims[size_t(a.axis)])
        return invalid(formatString("%u scale/offsets, expected dims[axis] = %u", a.numScaleOffsets, info->dims[size_t(a.axis)]));
      if (!a.scaleOffset) return invalid("NULL scaleOffset array");
      info->quant.encoding = kEncAxisScaleOffset;
      info->quant.axis = a.axis;
      for (uint32_t k = 0; k < a.numScaleOffsets; ++k) {
        float s = a.scaleOffset[k].scale;
        if (!std::isfinite(s) || s <= 0) return invalid(formatString("quantization scale #%u is %g (must be finite and > 0)", k, double(s)));
        info->quant.scales.push_back(s);
        info->quant.offsets.push_back(a.scaleOffset[k].offset);
      }
    } else {
      return unsupported(formatString("quantization encoding %u (the reference supports SCALE_OFFSET 0 and AXIS_SCALE_OFFSET 1)",
                                      unsigned(q.quantizationEncoding)));
    }
  }
  return true;
}

bool knownOpPackage(const std::string& name) { return name == "qti.aisw" || name == "qnn_node.reference"; }

OpProblem readOpConfig(const Qnn_OpConfig_t& op, const Version& core, OpRequest* out, std::string* why) {
  if (op.version != QNN_OPCONFIG_VERSION_1) {
    *why = formatString("op config version %u (the reference takes version 1)", unsigned(op.version));
    return OpProblem::kBadConfig;
  }
  const Qnn_OpConfigV1_t& v = op.v1;
  if (!v.name || !*v.name) {
    *why = "the op config has no node name";
    return OpProblem::kBadConfig;
  }
  out->name = v.name;
  out->packageName = v.packageName ? v.packageName : "";
  out->typeName = v.typeName ? v.typeName : "";
  if (!knownOpPackage(out->packageName)) {
    *why = "op package '" + out->packageName + "' is not registered (the reference backend has 'qti.aisw' and 'qnn_node.reference')";
    return OpProblem::kUnknownOp;
  }
  if (!opFromName(out->typeName, &out->op)) {
    *why = "op type '" + out->typeName + "' is not supported by the reference backend";
    return OpProblem::kUnknownOp;
  }
  if ((v.numOfInputs && !v.inputTensors) || (v.numOfOutputs && !v.outputTensors) || (v.numOfParams && !v.params)) {
    *why = "the op config has a NULL inputTensors, outputTensors or params array with a non-zero count";
    return OpProblem::kBadConfig;
  }
  if (v.numOfInputs > (1u << 20) || v.numOfOutputs > (1u << 20) || v.numOfParams > 1024) {
    *why = formatString("the op config declares %u inputs, %u outputs and %u params", v.numOfInputs, v.numOfOutputs, v.numOfParams);
    return OpProblem::kBadConfig;
  }
  const size_t stride = abi::tensorStride(core);
  for (uint32_t i = 0; i < v.numOfInputs; ++i) out->inputs.push_back(readClientTensor(reinterpret_cast<const uint8_t*>(v.inputTensors) + i * stride));
  for (uint32_t i = 0; i < v.numOfOutputs; ++i) out->outputs.push_back(readClientTensor(reinterpret_cast<const uint8_t*>(v.outputTensors) + i * stride));
  const size_t pStride = paramStride(core);
  std::string json = "[";
  for (uint32_t i = 0; i < v.numOfParams; ++i) {
    const uint8_t* raw = reinterpret_cast<const uint8_t*>(v.params) + i * pStride;
    uint32_t type;
    const char* pname;
    std::memcpy(&type, raw, 4);
    std::memcpy(&pname, raw + 8, sizeof pname);
    if (!pname || !*pname) {
      *why = formatString("param #%u has no name", i);
      return OpProblem::kBadParam;
    }
    Param p;
    p.name = pname;
    for (const Param& seen : out->params) {
      if (seen.name == p.name) {
        *why = "param '" + p.name + "' is given twice";
        return OpProblem::kBadParam;
      }
    }
    std::string value;
    bool ok;
    if (type == QNN_PARAMTYPE_SCALAR) {
      Qnn_Scalar_t s;
      std::memcpy(&s, raw + kParamUnionOffset, sizeof s);
      ok = scalarParam(p.name, s, &p, &value, why);
    } else if (type == QNN_PARAMTYPE_TENSOR) {
      ok = tensorParam(p.name, readClientTensor(raw + kParamUnionOffset), &p, &value, why);
    } else {
      *why = formatString("param '%s' has paramType %u (SCALAR 0 or TENSOR 1)", pname, type);
      ok = false;
    }
    if (!ok) return OpProblem::kBadParam;
    json += (i ? ",{" : "{") + std::string("\"name\":") + jsonString(p.name) + ",\"kind\":\"" + kindName(p.kind) + "\",\"value\":" + value + "}";
    out->params.push_back(std::move(p));
  }
  out->journalParams = json + "]";
  return OpProblem::kNone;
}

}  // namespace qnnref
