/*
 * qnn-node: the model-library ABI — what a library made by qnn-model-lib-generator, and
 * libQnnModelDlc, export. These types are not in the SDK's include/QNN (its SampleApp
 * sources declare them in namespace qnn_wrapper_api), so both header modes use these own
 * declarations, under the SampleApp's names. Layouts and sources: docs/qnn-abi.md
 * ("Model libraries and DLC").
 *
 * Both compose functions take the backend's core function table BY VALUE, in the layout
 * of the core API the library was built with (QNN_INTERFACE_VER_TYPE here is the newest
 * layout this project knows). A caller talking to an older backend must pass a by-value
 * table of that backend's size: see native/addon (model composition), never sizeof() here.
 */
#ifndef QNN_NODE_QNN_MODEL_H
#define QNN_NODE_QNN_MODEL_H

#include "qnn_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Results of the compose/free entry points (SampleApp's qnn_wrapper_api::ModelError_t). */
typedef enum {
  MODEL_NO_ERROR = 0,
  MODEL_TENSOR_ERROR = 1,
  MODEL_PARAMS_ERROR = 2,
  MODEL_NODES_ERROR = 3,
  MODEL_GRAPH_ERROR = 4,
  MODEL_CONTEXT_ERROR = 5,
  MODEL_GENERATION_ERROR = 6,
  MODEL_SETUP_ERROR = 7,
  MODEL_INVALID_ARGUMENT_ERROR = 8,
  MODEL_FILE_ERROR = 9,
  MODEL_MEMORY_ALLOCATE_ERROR = 10,
  MODEL_UNKNOWN_ERROR = 0x7FFFFFFF
} ModelError_t;

/* One composed graph, as the library returns it. 48 bytes on 64-bit targets. The tensor
 * arrays have the Qnn_Tensor_t stride of the library's SDK (120 before core 2.14, else
 * 144): read them with qnn_node::abi::tensorStride. */
typedef struct {
  Qnn_GraphHandle_t graph;
  char* graphName;
  Qnn_Tensor_t* inputTensors;
  uint32_t numInputTensors;
  Qnn_Tensor_t* outputTensors;
  uint32_t numOutputTensors;
} GraphInfo_t;

typedef GraphInfo_t* GraphInfoPtr_t;

/* Graph configs handed to graphCreate, matched to graphs by name. 16 bytes. */
typedef struct {
  char* graphName;
  const QnnGraph_Config_t** graphConfigs;
} GraphConfigInfo_t;

/* QnnModel_composeGraphs (model libraries; libQnnModelDlc exports one too). */
typedef ModelError_t (*ComposeGraphsFnHandleType_t)(
    Qnn_BackendHandle_t backendHandle, QNN_INTERFACE_VER_TYPE interface,
    Qnn_ContextHandle_t contextHandle, const GraphConfigInfo_t** graphsConfigInfo,
    const uint32_t numGraphsConfigInfo, GraphInfo_t*** graphsInfo, uint32_t* numGraphsInfo,
    bool debug, QnnLog_Callback_t logCallback, QnnLog_Level_t maxLogLevel);

/* QnnModel_composeGraphsFromDlc (libQnnModelDlc): the same, with the DLC's path after the
 * configs. */
typedef ModelError_t (*ComposeGraphsFromDlcFnHandleType_t)(
    Qnn_BackendHandle_t backendHandle, QNN_INTERFACE_VER_TYPE interface,
    Qnn_ContextHandle_t contextHandle, const GraphConfigInfo_t** graphsConfigInfo,
    const char* dlcPath, const uint32_t numGraphsConfigInfo, GraphInfo_t*** graphsInfo,
    uint32_t* numGraphsInfo, bool debug, QnnLog_Callback_t logCallback,
    QnnLog_Level_t maxLogLevel);

/* QnnModel_freeGraphsInfo: frees what a compose call returned. */
typedef ModelError_t (*FreeGraphInfoFnHandleType_t)(GraphInfo_t*** graphsInfo,
                                                    uint32_t numGraphsInfo);

#define QNN_NODE_MODEL_COMPOSE_SYMBOL "QnnModel_composeGraphs"
#define QNN_NODE_MODEL_COMPOSE_FROM_DLC_SYMBOL "QnnModel_composeGraphsFromDlc"
#define QNN_NODE_MODEL_FREE_SYMBOL "QnnModel_freeGraphsInfo"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QNN_NODE_QNN_MODEL_H */
