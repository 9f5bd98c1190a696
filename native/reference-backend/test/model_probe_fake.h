// The model probe's recording backend (--fake): a core function table whose graphCreate,
// tensorCreateGraphTensor, graphAddNode and backendValidateOpConfig record what a model
// library sends, as JSON lines on stdout. Every other slot holds a distinct valid function
// that refuses, as a real table holds real functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "probe_support.h"
#include "qnn/qnn_abi_compat.h"
#include "qnn/qnn_api.h"

namespace probe {

struct FakeBackend {
  uint32_t nextId = 5000;  // ids the "backend" assigns, not 0..n
  uint32_t graphs = 0;
  std::map<uint64_t, std::string> graphNames;
};
inline FakeBackend gFake;

inline std::string dtypeJson(uint32_t dt) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\"0x%04x\"", dt);
  return buf;
}

inline std::string quantJson(const Qnn_QuantizeParams_t& q) {
  if (q.quantizationEncoding == QNN_QUANTIZATION_ENCODING_SCALE_OFFSET)
    return "{\"encoding\":\"scale-offset\",\"scale\":" + number(q.scaleOffsetEncoding.scale) +
           ",\"offset\":" + std::to_string(q.scaleOffsetEncoding.offset) + "}";
  if (q.quantizationEncoding == QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET) {
    std::string s = "{\"encoding\":\"axis-scale-offset\",\"axis\":" + std::to_string(q.axisScaleOffsetEncoding.axis) + ",\"scales\":[";
    std::string o = "],\"offsets\":[";
    for (uint32_t i = 0; i < q.axisScaleOffsetEncoding.numScaleOffsets; ++i) {
      s += (i ? "," : "") + number(q.axisScaleOffsetEncoding.scaleOffset[i].scale);
      o += (i ? "," : "") + std::to_string(q.axisScaleOffsetEncoding.scaleOffset[i].offset);
    }
    return s + o + "]}";
  }
  return "null";
}

// A tensor as JSON (metadata; `withData` adds the client buffer as hex).
inline std::string tensorJson(const Qnn_Tensor_t& t, bool withData) {
  const Qnn_TensorV1_t& v = t.v1;
  std::string s = "{\"version\":" + std::to_string(int(t.version)) + ",\"id\":" + std::to_string(v.id) +
                  ",\"name\":" + quote(v.name ? v.name : "") + ",\"type\":" + std::to_string(int(v.type)) +
                  ",\"dtype\":" + dtypeJson(v.dataType) + ",\"dims\":[";
  for (uint32_t i = 0; i < v.rank; ++i) s += (i ? "," : "") + std::to_string(v.dimensions[i]);
  s += "],\"quant\":" + quantJson(v.quantizeParams);
  if (withData && v.memType == QNN_TENSORMEMTYPE_RAW && v.clientBuf.data) {
    s += ",\"data\":\"";
    static const char* hex = "0123456789abcdef";
    const auto* p = static_cast<const uint8_t*>(v.clientBuf.data);
    for (uint32_t i = 0; i < v.clientBuf.dataSize; ++i) {
      s += hex[p[i] >> 4];
      s += hex[p[i] & 15];
    }
    s += "\"";
  }
  return s + "}";
}

inline std::string paramJson(const Qnn_Param_t& p) {
  std::string s = "{\"name\":" + quote(p.name ? p.name : "");
  if (p.paramType == QNN_PARAMTYPE_SCALAR) {
    const Qnn_Scalar_t& v = p.scalarParam;
    s += ",\"scalar\":{\"dtype\":" + dtypeJson(v.dataType) + ",\"value\":";
    switch (v.dataType) {
      case QNN_DATATYPE_FLOAT_32: s += number(v.floatValue); break;
      case QNN_DATATYPE_BOOL_8: s += std::to_string(int(v.bool8Value)); break;
      case QNN_DATATYPE_UINT_32: s += std::to_string(v.uint32Value); break;
      default: s += std::to_string(v.int32Value);
    }
    s += "}";
  } else {
    s += ",\"tensor\":" + tensorJson(p.tensorParam, true);
  }
  return s + "}";
}

inline Qnn_ErrorHandle_t fakeGraphCreate(Qnn_ContextHandle_t, const char* name, const QnnGraph_Config_t** config,
                                         Qnn_GraphHandle_t* graph) {
  uint64_t handle = 0x6000 + (++gFake.graphs);
  gFake.graphNames[handle] = name;
  *graph = reinterpret_cast<Qnn_GraphHandle_t>(handle);
  uint32_t n = 0;
  while (config && config[n]) ++n;
  std::printf("{\"event\":\"graphCreate\",\"graph\":%s,\"configs\":%u}\n", quote(name).c_str(), n);
  return QNN_SUCCESS;
}

inline Qnn_ErrorHandle_t fakeTensorCreate(Qnn_GraphHandle_t graph, Qnn_Tensor_t* tensor) {
  tensor->v1.id = gFake.nextId;
  gFake.nextId += 7;
  std::printf("{\"event\":\"tensorCreateGraphTensor\",\"graph\":%s,\"tensor\":%s}\n",
              quote(gFake.graphNames[reinterpret_cast<uint64_t>(graph)]).c_str(), tensorJson(*tensor, true).c_str());
  return QNN_SUCCESS;
}

inline std::string opJson(const Qnn_OpConfig_t& op) {
  const Qnn_OpConfigV1_t& v = op.v1;
  std::string s = "{\"name\":" + quote(v.name) + ",\"package\":" + quote(v.packageName) + ",\"type\":" + quote(v.typeName) + ",\"inputs\":[";
  for (uint32_t i = 0; i < v.numOfInputs; ++i) s += (i ? "," : "") + quote(v.inputTensors[i].v1.name) + "";
  s += "],\"inputIds\":[";
  for (uint32_t i = 0; i < v.numOfInputs; ++i) s += (i ? "," : "") + std::to_string(v.inputTensors[i].v1.id);
  s += "],\"outputs\":[";
  for (uint32_t i = 0; i < v.numOfOutputs; ++i) s += (i ? "," : "") + quote(v.outputTensors[i].v1.name);
  s += "],\"params\":[";
  for (uint32_t i = 0; i < v.numOfParams; ++i) s += (i ? "," : "") + paramJson(v.params[i]);
  return s + "]}";
}

// Refuses op types it does not know, as a backend's validation does.
inline Qnn_ErrorHandle_t fakeValidate(Qnn_BackendHandle_t, Qnn_OpConfig_t op) {
  bool known = std::strncmp(op.v1.typeName, "QnnNodeNoSuch", 13) != 0;
  std::printf("{\"event\":\"backendValidateOpConfig\",\"op\":%s,\"accepted\":%s}\n", opJson(op).c_str(), known ? "true" : "false");
  return known ? QNN_SUCCESS : Qnn_ErrorHandle_t(QNN_BACKEND_ERROR_NOT_SUPPORTED + 1);
}

inline Qnn_ErrorHandle_t fakeAddNode(Qnn_GraphHandle_t graph, Qnn_OpConfig_t op) {
  bool known = std::strncmp(op.v1.typeName, "QnnNodeNoSuch", 13) != 0;
  std::printf("{\"event\":\"graphAddNode\",\"graph\":%s,\"op\":%s}\n", quote(gFake.graphNames[reinterpret_cast<uint64_t>(graph)]).c_str(),
              opJson(op).c_str());
  return known ? QNN_SUCCESS : Qnn_ErrorHandle_t(6000 + 3);
}

template <int I>
Qnn_ErrorHandle_t fakeRefuse() {
  return 1000 + I;  // distinct functions: the slots hold distinct addresses
}

template <int... I>
void fillRefusers(void** slots, std::integer_sequence<int, I...>) {
  ((slots[I] = reinterpret_cast<void*>(&fakeRefuse<I>)), ...);
}

// The fake's 71-slot table (the newest layout).
inline void fakeTable(void** slots) {
  namespace abi = qnn_node::abi;
  fillRefusers(slots, std::make_integer_sequence<int, abi::kCoreSlotCount>{});
  slots[abi::kGraphCreate] = reinterpret_cast<void*>(&fakeGraphCreate);
  slots[abi::kTensorCreateGraphTensor] = reinterpret_cast<void*>(&fakeTensorCreate);
  slots[abi::kGraphAddNode] = reinterpret_cast<void*>(&fakeAddNode);
  slots[abi::kBackendValidateOpConfig] = reinterpret_cast<void*>(&fakeValidate);
}

}  // namespace probe
