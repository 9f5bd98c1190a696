/*
 * qnn-node: the project's own declarations of the QNN System interface (libQnnSystem):
 * context binary introspection. Layouts follow docs/qnn-abi.md; include qnn_api.h instead.
 */
#ifndef QNN_NODE_QNN_SYSTEM_H
#define QNN_NODE_QNN_SYSTEM_H

#include "qnn_interface.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QNN_SYSTEM_INTERFACE_PROVIDER_NAME "SYSTEM_QTI_AISW"

typedef enum {
  QNN_SYSTEM_COMMON_NO_ERROR = 0,
  QNN_SYSTEM_COMMON_ERROR_UNSUPPORTED_FEATURE = 1000,
  QNN_SYSTEM_COMMON_ERROR_INVALID_HANDLE = 30000,
  QNN_SYSTEM_COMMON_ERROR_INVALID_ARGUMENT = 30001
} QnnSystemCommon_Error_t;

typedef enum {
  QNN_SYSTEM_CONTEXT_NO_ERROR = 0,
  QNN_SYSTEM_CONTEXT_ERROR_UNSUPPORTED_FEATURE = 1000,
  QNN_SYSTEM_CONTEXT_ERROR_INVALID_HANDLE = 30000,
  QNN_SYSTEM_CONTEXT_ERROR_INVALID_ARGUMENT = 30001,
  QNN_SYSTEM_CONTEXT_ERROR_OPERATION_FAILED = 30002,
  QNN_SYSTEM_CONTEXT_ERROR_MALFORMED_BINARY = 30010
} QnnSystemContext_Error_t;

typedef enum {
  QNN_SYSTEM_INTERFACE_NO_ERROR = 0,
  QNN_SYSTEM_INTERFACE_ERROR_NOT_SUPPORTED = 1000,
  QNN_SYSTEM_INTERFACE_ERROR_INVALID_PARAMETER = 1004
} QnnSystemInterface_Error_t;

typedef enum {
  QNN_SYSTEM_CONTEXT_GRAPH_INFO_VERSION_1 = 0x01,
  QNN_SYSTEM_CONTEXT_GRAPH_INFO_VERSION_2 = 0x02,
  QNN_SYSTEM_CONTEXT_GRAPH_INFO_VERSION_3 = 0x03,
  QNN_SYSTEM_CONTEXT_GRAPH_INFO_UNDEFINED = 0x7FFFFFFF
} QnnSystemContext_GraphInfoVersion_t;

typedef enum {
  QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_1 = 0x01,
  QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_2 = 0x02,
  QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_3 = 0x03,
  QNN_SYSTEM_CONTEXT_BINARY_INFO_UNDEFINED = 0x7FFFFFFF
} QnnSystemContext_BinaryInfoVersion_t;

typedef struct {
  const char* graphName;
  uint32_t numGraphInputs;
  Qnn_Tensor_t* graphInputs;
  uint32_t numGraphOutputs;
  Qnn_Tensor_t* graphOutputs;
} QnnSystemContext_GraphInfoV1_t;

typedef struct {
  const char* graphName;
  uint32_t numGraphInputs;
  Qnn_Tensor_t* graphInputs;
  uint32_t numGraphOutputs;
  Qnn_Tensor_t* graphOutputs;
  uint32_t numUpdateableTensors;
  Qnn_Tensor_t* updateableTensors;
} QnnSystemContext_GraphInfoV2_t;

typedef struct {
  const char* graphName;
  uint32_t numGraphInputs;
  Qnn_Tensor_t* graphInputs;
  uint32_t numGraphOutputs;
  Qnn_Tensor_t* graphOutputs;
  uint32_t numUpdateableTensors;
  Qnn_Tensor_t* updateableTensors;
  uint32_t graphBlobInfoSize;
  void* graphBlobInfo;
  uint32_t startOpIndex;
  uint32_t endOpIndex;
} QnnSystemContext_GraphInfoV3_t;

/* 88 bytes with these declarations (System 1.2+). Older libraries lay out arrays of this
 * struct with a stride of 48 or 64: see qnn_abi_compat.h. */
typedef struct {
  QnnSystemContext_GraphInfoVersion_t version;
  union {
    QnnSystemContext_GraphInfoV1_t graphInfoV1;
    QnnSystemContext_GraphInfoV2_t graphInfoV2;
    QnnSystemContext_GraphInfoV3_t graphInfoV3;
  };
} QnnSystemContext_GraphInfo_t;

typedef struct {
  uint32_t backendId;
  const char* buildId;
  Qnn_Version_t coreApiVersion;
  Qnn_Version_t backendApiVersion;
  const char* socVersion;
  Qnn_Version_t hwInfoBlobVersion;
  Qnn_Version_t contextBlobVersion;
  uint32_t hwInfoBlobSize;
  void* hwInfoBlob;
  uint64_t contextBlobSize;
  uint32_t numContextTensors;
  Qnn_Tensor_t* contextTensors;
  uint32_t numGraphs;
  QnnSystemContext_GraphInfo_t* graphs;
} QnnSystemContext_BinaryInfoV1_t;

typedef struct {
  uint32_t backendId;
  const char* buildId;
  Qnn_Version_t coreApiVersion;
  Qnn_Version_t backendApiVersion;
  const char* socVersion;
  Qnn_Version_t hwInfoBlobVersion;
  Qnn_Version_t contextBlobVersion;
  uint32_t hwInfoBlobSize;
  void* hwInfoBlob;
  uint64_t contextBlobSize;
  uint32_t numContextTensors;
  Qnn_Tensor_t* contextTensors;
  uint32_t numGraphs;
  QnnSystemContext_GraphInfo_t* graphs;
  QnnDevice_PlatformInfo_t* platformInfo;
} QnnSystemContext_BinaryInfoV2_t;

/* V3 drops the hardware-info blob fields: graphs sit 24 bytes earlier than in V1/V2. */
typedef struct {
  uint32_t backendId;
  const char* buildId;
  Qnn_Version_t coreApiVersion;
  Qnn_Version_t backendApiVersion;
  const char* socVersion;
  Qnn_Version_t contextBlobVersion;
  uint64_t contextBlobSize;
  uint32_t numContextTensors;
  Qnn_Tensor_t* contextTensors;
  uint32_t numGraphs;
  QnnSystemContext_GraphInfo_t* graphs;
  QnnDevice_PlatformInfo_t* platformInfo;
  uint32_t contextMetadataSize;
  void* contextMetadata;
  uint32_t socModel;
} QnnSystemContext_BinaryInfoV3_t;

typedef struct {
  QnnSystemContext_BinaryInfoVersion_t version;
  union {
    QnnSystemContext_BinaryInfoV1_t contextBinaryInfoV1;
    QnnSystemContext_BinaryInfoV2_t contextBinaryInfoV2;
    QnnSystemContext_BinaryInfoV3_t contextBinaryInfoV3;
  };
} QnnSystemContext_BinaryInfo_t;

typedef void* QnnSystemContext_Handle_t;

typedef Qnn_ErrorHandle_t (*QnnSystemContext_CreateFn_t)(QnnSystemContext_Handle_t* sysCtxHandle);
/* The info (and everything it points to) belongs to the system context until
 * systemContextFree; binaryInfoSize receives its size in bytes. */
typedef Qnn_ErrorHandle_t (*QnnSystemContext_GetBinaryInfoFn_t)(
    QnnSystemContext_Handle_t sysCtxHandle, void* binaryBuffer, uint64_t binaryBufferSize,
    const QnnSystemContext_BinaryInfo_t** binaryInfo, Qnn_ContextBinarySize_t* binaryInfoSize);
typedef Qnn_ErrorHandle_t (*QnnSystemContext_GetMetaDataFn_t)(
    QnnSystemContext_Handle_t sysCtxHandle, const void* binaryBuffer, uint64_t binaryBufferSize,
    const QnnSystemContext_BinaryInfo_t** binaryInfo);
typedef Qnn_ErrorHandle_t (*QnnSystemContext_FreeFn_t)(QnnSystemContext_Handle_t sysCtxHandle);

/* System 1.7 layout: the four context slots of 1.1, then appended slots this project does
 * not call (tensor footprint, log, DLC, profile serialization). */
#define QNN_SYSTEM_INTERFACE_VER_TYPE QnnSystemInterface_ImplementationV1_7_t
#define QNN_SYSTEM_INTERFACE_VER_NAME v1_7

typedef struct {
  QnnSystemContext_CreateFn_t systemContextCreate;
  QnnSystemContext_GetBinaryInfoFn_t systemContextGetBinaryInfo;
  QnnSystemContext_GetMetaDataFn_t systemContextGetMetaData;
  QnnSystemContext_FreeFn_t systemContextFree;
  QnnNode_UnusedFn_t systemTensorGetMemoryFootprint;
  QnnNode_UnusedFn_t systemLogCreate;
  QnnNode_UnusedFn_t systemLogSetLogLevel;
  QnnNode_UnusedFn_t systemLogFree;
  QnnNode_UnusedFn_t systemDlcCreateFromFile;
  QnnNode_UnusedFn_t systemDlcCreateFromBinary;
  QnnNode_UnusedFn_t systemDlcComposeGraphs;
  QnnNode_UnusedFn_t systemDlcGetOpMappings;
  QnnNode_UnusedFn_t systemDlcFree;
  QnnNode_UnusedFn_t systemProfileCreateSerializationTarget;
  QnnNode_UnusedFn_t systemProfileSerializeEventData;
  QnnNode_UnusedFn_t systemProfileFreeSerializationTarget;
} QnnSystemInterface_ImplementationV1_7_t;

typedef struct {
  uint32_t backendId;
  const char* providerName;
  Qnn_Version_t systemApiVersion;
  union {
    QnnSystemInterface_ImplementationV1_7_t v1_7;
  };
} QnnSystemInterface_t;

Qnn_ErrorHandle_t QnnSystemInterface_getProviders(const QnnSystemInterface_t*** providerList,
                                                  uint32_t* numProviders);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QNN_NODE_QNN_SYSTEM_H */
