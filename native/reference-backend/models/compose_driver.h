// The shared body of QnnModel_composeGraphs / QnnModel_composeGraphsFromDlc: argument
// checks, then every graph composed through GraphBuilder into a GraphInfo_t array.
#pragma once

#include <vector>

#include "graph_builder.h"

#if defined(_WIN32)
#define QNN_MODEL_EXPORT extern "C" __declspec(dllexport)
#else
#define QNN_MODEL_EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace qnn_model_kit {

struct GraphSpec {
  std::string name;
  std::vector<TensorSpec> tensors;  // created in this order
  std::vector<NodeSpec> nodes;      // added in this order
};

// The compose arguments every entry point shares, as received.
struct ComposeCall {
  const char* entryPoint;
  Qnn_BackendHandle_t backend;
  Qnn_ContextHandle_t context;
  const GraphConfigInfo_t** configs;
  uint32_t numConfigs;
  GraphInfo_t*** graphsInfo;
  uint32_t* numGraphsInfo;
  uint8_t debug;
  const void* logCallback;
  uint32_t maxLogLevel;
};

// MODEL_NO_ERROR when the arguments are usable; else the error to return (already logged).
ModelError_t checkComposeCall(const ComposeCall& call, const ModelLog& log);

ModelError_t composeAll(const Table& table, const ComposeCall& call, const ModelLog& log,
                        const std::vector<GraphSpec>& graphs, Qnn_TensorVersion_t tensorVersion);

// Whether nodes are validated with backendValidateOpConfig before graphAddNode: yes, unless
// QNN_NODE_MODEL_NODE_VALIDATION=0 (generated code's DO_GRAPH_NODE_VALIDATIONS switch).
bool nodeValidationWanted();

}  // namespace qnn_model_kit
