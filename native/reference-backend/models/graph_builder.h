// Composes one graph through the core function table the way generated model code does
// (qnn-model-lib-generator's QnnModel): graphCreate with the configs given for its name,
// tensorCreateGraphTensor per tensor (static ones with their data), backendValidateOpConfig
// then graphAddNode per node, and the graph's input/output tensors kept as deep copies for
// the GraphInfo_t the caller receives.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model_log.h"
#include "model_table.h"
#include "qnn/qnn_model.h"

namespace qnn_model_kit {

// What generated code returns when backendValidateOpConfig refuses a node (the SDK's
// MODEL_GRAPH_OP_VALIDATION_ERROR).
constexpr ModelError_t kModelOpValidationError = static_cast<ModelError_t>(11);

struct TensorSpec {
  std::string name;
  Qnn_TensorType_t type = QNN_TENSOR_TYPE_NATIVE;
  Qnn_DataType_t dataType = QNN_DATATYPE_FLOAT_32;
  std::vector<uint32_t> dims;
  // Quantization: none, one scale/offset, or one per channel along `axis`.
  Qnn_QuantizationEncoding_t encoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
  float scale = 0.f;
  int32_t offset = 0;
  int32_t axis = 0;
  std::vector<Qnn_ScaleOffset_t> axisScaleOffsets;
  // STATIC tensors: their bytes (must outlive graphFinalize).
  const void* data = nullptr;
  uint32_t dataSize = 0;
};

struct ParamSpec {
  std::string name;
  bool isTensor = false;
  Qnn_Scalar_t scalar{};
  TensorSpec tensor;  // a STATIC tensor param
};

struct NodeSpec {
  std::string name;
  std::string type;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<ParamSpec> params;
};

struct ComposeSettings {
  Qnn_BackendHandle_t backend = nullptr;
  Qnn_ContextHandle_t context = nullptr;
  const GraphConfigInfo_t** configs = nullptr;
  uint32_t numConfigs = 0;
  bool debug = false;           // NATIVE tensors become APP_READ graph outputs
  bool validateNodes = true;    // backendValidateOpConfig before each graphAddNode
  Qnn_TensorVersion_t tensorVersion = QNN_TENSOR_VERSION_2;
};

class GraphBuilder {
 public:
  GraphBuilder(const Table& table, const ComposeSettings& settings, const ModelLog& log)
      : table_(table), settings_(settings), log_(log) {}

  ModelError_t create(const std::string& graphName);
  ModelError_t addTensor(const TensorSpec& spec);
  ModelError_t addNode(const NodeSpec& spec);

  // Fills `out` (malloc'ed tensor copies, freed by freeGraphInfoContents).
  ModelError_t exportGraphInfo(GraphInfo_t* out) const;

 private:
  Qnn_Tensor_t makeTensor(const TensorSpec& spec);
  ModelError_t createTensor(const TensorSpec& spec, Qnn_Tensor_t* created);

  const Table& table_;
  ComposeSettings settings_;
  const ModelLog& log_;
  std::string name_;
  Qnn_GraphHandle_t graph_ = nullptr;
  // Storage the Qnn_Tensor_t structs point into (stable addresses).
  std::deque<std::string> strings_;
  std::deque<std::vector<uint32_t>> dims_;
  std::deque<std::vector<Qnn_ScaleOffset_t>> scaleOffsets_;
  std::map<std::string, Qnn_Tensor_t> tensors_;  // as created (ids filled by the backend)
  std::vector<std::string> inputs_, outputs_;
};

// Graph configs for `graphName` (nullptr when none was given for it).
const QnnGraph_Config_t** configsFor(const ComposeSettings& settings, const std::string& graphName);

// The result arrays in the layout generated code returns: an array of pointers into one
// contiguous GraphInfo_t array (both malloc'ed), tensors deep-copied.
ModelError_t allocateGraphsInfo(uint32_t count, GraphInfo_t*** graphsInfo);
void freeGraphInfoContents(GraphInfo_t* info);
ModelError_t freeGraphsInfo(GraphInfo_t*** graphsInfo, uint32_t numGraphsInfo);

const char* modelErrorName(ModelError_t e);

}  // namespace qnn_model_kit
