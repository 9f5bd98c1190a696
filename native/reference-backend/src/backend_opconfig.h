// libQnnReference: reading what clients hand to graph composition — a Qnn_Tensor_t
// (tensorCreateGraphTensor, and the tensors of an op config) and a Qnn_OpConfig_t
// (graphAddNode, backendValidateOpConfig) — in the layout of the emulated core version,
// into the model's own TensorInfo / Node / Param. Both calls then run the same per-node
// checks as the binary parser (model_nodes.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend_registry.h"

namespace qnnref {

// A client tensor's V1 fields (V2 has them at the same offsets), copied out.
Qnn_TensorV1_t readClientTensor(const void* tensor);

// Checks a client tensor's dtype, rank, dims, data format and quantization and fills `info`
// (id, type and data are left to the caller). False with the QnnTensor error code
// (QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM 7004 / QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM
// 7005) and the reason.
bool tensorInfoFromClient(const Qnn_TensorV1_t& t, TensorInfo* info, uint32_t* code, std::string* why);

// What an op config names, read with the emulated core's Qnn_Tensor_t / Qnn_Param_t strides.
struct OpRequest {
  std::string name, packageName, typeName;
  Op op = Op::Add;
  std::vector<Qnn_TensorV1_t> inputs, outputs;
  std::vector<Param> params;
  std::string journalParams;  // JSON array: [{"name","kind",value}]
};

enum class OpProblem {
  kNone,
  kUnknownOp,   // the package / op type is not one the reference executes
  kBadConfig,   // malformed: version, NULL names or arrays
  kBadParam,    // a param of a type or value the reference cannot take
};

// Reads `op`. On failure returns the problem and `why`.
OpProblem readOpConfig(const Qnn_OpConfig_t& op, const Version& core, OpRequest* out, std::string* why);

// The op packages whose names graphAddNode / backendValidateOpConfig accept: QNN's default
// package ("qti.aisw", what generated model code names) and the reference's own.
bool knownOpPackage(const std::string& name);

}  // namespace qnnref
