/*
 * qnn-node: the project's own declarations of the QNN core interface (the function table
 * a backend library returns from QnnInterface_getProviders) and the configuration, log
 * and device types its functions take (profile types: qnn_profile.h; mem descriptors: qnn_mem.h). Include qnn_api.h instead.
 */
#ifndef QNN_NODE_QNN_INTERFACE_H
#define QNN_NODE_QNN_INTERFACE_H

#include "qnn_mem.h"
#include "qnn_profile.h"
#include "qnn_types.h"

#ifdef __cplusplus
#include <cstdarg>
#else
#include <stdarg.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- log ------------------------------------------------------------------------------ */
typedef enum {
  QNN_LOG_LEVEL_ERROR = 1,
  QNN_LOG_LEVEL_WARN = 2,
  QNN_LOG_LEVEL_INFO = 3,
  QNN_LOG_LEVEL_VERBOSE = 4,
  QNN_LOG_LEVEL_DEBUG = 5,
  QNN_LOG_LEVEL_MAX = 0x7fffffff
} QnnLog_Level_t;

/* printf-style: the backend calls it with a format and its arguments as a va_list;
 * timestamp is the backend's own clock. */
typedef void (*QnnLog_Callback_t)(const char* fmt, QnnLog_Level_t level, uint64_t timestamp,
                                  va_list args);

/* ---- backend -------------------------------------------------------------------------- */
typedef void* QnnBackend_CustomConfig_t;
typedef enum {
  QNN_BACKEND_CONFIG_OPTION_CUSTOM = 0,
  QNN_BACKEND_CONFIG_OPTION_ERROR_REPORTING = 1,
  QNN_BACKEND_CONFIG_OPTION_PLATFORM = 2,
  QNN_BACKEND_CONFIG_OPTION_UNDEFINED = 0x7FFFFFFF
} QnnBackend_ConfigOption_t;

/* Config arguments are NULL-terminated arrays of pointers to these (or NULL for none). */
typedef struct {
  QnnBackend_ConfigOption_t option;
  union {
    QnnBackend_CustomConfig_t customConfig;
    Qnn_ErrorReportingConfig_t errorConfig;
    const char* platformOption;
  };
} QnnBackend_Config_t;

/* One entry of backendGetSupportedOperations: a struct of three strings in every SDK from
 * 2.13 on (24 bytes on 64-bit), not a bare name. target may be NULL. */
typedef struct {
  const char* packageName;
  const char* name;
  const char* target;
} QnnBackend_OperationName_t;

/* ---- context -------------------------------------------------------------------------- */
typedef void* QnnContext_CustomConfig_t;
typedef enum {
  QNN_CONTEXT_CONFIG_OPTION_CUSTOM = 0,
  QNN_CONTEXT_CONFIG_OPTION_PRIORITY = 1,
  QNN_CONTEXT_CONFIG_OPTION_ERROR_REPORTING = 2,
  QNN_CONTEXT_CONFIG_OPTION_OEM_STRING = 3,
  QNN_CONTEXT_CONFIG_ASYNC_EXECUTION_QUEUE_DEPTH = 4,
  QNN_CONTEXT_CONFIG_ENABLE_GRAPHS = 5,
  QNN_CONTEXT_CONFIG_MEMORY_LIMIT_HINT = 6,
  QNN_CONTEXT_CONFIG_PERSISTENT_BINARY = 7,
  QNN_CONTEXT_CONFIG_BINARY_COMPATIBILITY = 8,
  QNN_CONTEXT_CONFIG_OPTION_DEFER_GRAPH_INIT = 9,
  QNN_CONTEXT_CONFIG_UNDEFINED = 0x7FFFFFFF
} QnnContext_ConfigOption_t;

typedef enum {
  QNN_CONTEXT_BINARY_COMPATIBILITY_PERMISSIVE = 0,
  QNN_CONTEXT_BINARY_COMPATIBILITY_STRICT = 1,
  QNN_CONTEXT_BINARY_COMPATIBILITY_TYPE_UNDEFINED = 0x7FFFFFF
} QnnContext_BinaryCompatibilityType_t;

typedef enum {
  QNN_CONTEXT_ASYNC_EXECUTION_QUEUE_DEPTH_TYPE_NUMERIC = 0,
  QNN_CONTEXT_ASYNC_EXECUTION_QUEUE_DEPTH_TYPE_UNDEFINED = 0x7FFFFFF
} QnnContext_AsyncExecutionQueueDepthType_t;

typedef struct {
  QnnContext_AsyncExecutionQueueDepthType_t type;
  union {
    uint32_t depth;
  };
} QnnContext_AsyncExecutionQueueDepth_t;

typedef struct {
  QnnContext_ConfigOption_t option;
  union {
    QnnContext_CustomConfig_t customConfig;
    Qnn_Priority_t priority;
    Qnn_ErrorReportingConfig_t errorConfig;
    const char* oemString;
    QnnContext_AsyncExecutionQueueDepth_t asyncExeQueueDepth;
    const char* const* enableGraphs;
    uint64_t memoryLimitHint;
    uint8_t isPersistentBinary;
    QnnContext_BinaryCompatibilityType_t binaryCompatibilityType;
    uint8_t isGraphInitDeferred;
  };
} QnnContext_Config_t;

/* ---- context binary sections (core 2.18+: slots 59-61) ------------------------------- */
/* Which part of a context binary a section call reads or applies. 2.18-2.4x define 1
 * (all updatable tensors); later headers add 2 (updatable weights only) and 3 (updatable
 * quantization parameters only). 32-bit enum. */
typedef enum {
  QNN_CONTEXT_SECTION_UPDATABLE = 1,
  QNN_CONTEXT_SECTION_UPDATABLE_WEIGHTS = 2,
  QNN_CONTEXT_SECTION_UPDATABLE_QUANT_PARAMS = 3,
  QNN_CONTEXT_SECTION_UNDEFINED = 0x7FFFFFFF
} QnnContext_SectionType_t;

/* How the section's bytes are handed over: a raw pointer + size, or a registered memory
 * handle. 32-bit enum. */
typedef enum {
  QNN_CONTEXTMEMTYPE_RAW = 0,
  QNN_CONTEXTMEMTYPE_MEMHANDLE = 1,
  QNN_CONTEXTMEMTYPE_UNDEFINED = 0x7FFFFFFF
} QnnContext_MemType_t;

typedef struct {
  void* data;
  Qnn_ContextBinarySize_t dataSize;
} Qnn_BinaryBuffer_t; /* 16 bytes */

typedef struct {
  QnnContext_MemType_t memType;
  union {
    Qnn_BinaryBuffer_t binaryBuf;
    Qnn_MemHandle_t memHandle;
  };
} QnnContext_BufferV1_t; /* 24 bytes: the union at 8 */

typedef enum {
  QNN_CONTEXT_BUFFER_VERSION_1 = 1,
  QNN_CONTEXT_BUFFER_VERSION_UNDEFINED = 0x7FFFFFFF
} QnnContext_BufferVersion_t;

typedef struct {
  QnnContext_BufferVersion_t version;
  union {
    QnnContext_BufferV1_t v1;
  };
} QnnContext_Buffer_t; /* 32 bytes: the union at 8 */

/* ---- graph ---------------------------------------------------------------------------- */
typedef void* QnnGraph_CustomConfig_t;
typedef enum {
  QNN_GRAPH_CONFIG_OPTION_CUSTOM = 0,
  QNN_GRAPH_CONFIG_OPTION_PRIORITY = 3,
  QNN_GRAPH_CONFIG_OPTION_PROFILE_HANDLE = 4,
  QNN_GRAPH_CONFIG_OPTION_SET_PROFILING_STATE = 5,
  QNN_GRAPH_CONFIG_OPTION_SET_PROFILING_NUM_EXECUTIONS = 6,
  QNN_GRAPH_CONFIG_OPTION_UNDEFINED = 0x7FFFFFFF
} QnnGraph_ConfigOption_t;

typedef enum {
  QNN_GRAPH_PROFILING_STATE_ENABLED = 1,
  QNN_GRAPH_PROFILING_STATE_DISABLED = 2,
  QNN_GRAPH_PROFILING_STATE_UNDEFINED = 0x7FFFFFFF
} QnnGraph_ProfilingState_t;

typedef struct {
  QnnGraph_ConfigOption_t option;
  union {
    QnnGraph_CustomConfig_t customConfig;
    Qnn_Priority_t priority;
    Qnn_ProfileHandle_t profileHandle;
    QnnGraph_ProfilingState_t profilingState;
    uint32_t numProfilingExecutions;
  };
} QnnGraph_Config_t;

/* ---- device --------------------------------------------------------------------------- */
typedef struct _QnnDevice_Infrastructure_t* QnnDevice_Infrastructure_t;
typedef struct _QnnDevice_CoreInfoExtension_t* QnnDevice_CoreInfoExtension_t;
typedef struct _QnnDevice_DeviceInfoExtension_t* QnnDevice_DeviceInfoExtension_t;

typedef struct {
  uint32_t coreId;
  uint32_t coreType;
  QnnDevice_CoreInfoExtension_t coreInfoExtension;
} QnnDevice_CoreInfoV1_t;

typedef enum {
  QNN_DEVICE_CORE_INFO_VERSION_1 = 1,
  QNN_DEVICE_CORE_INFO_VERSION_UNDEFINED = 0x7FFFFFFF
} QnnDevice_CoreInfoVersion_t;

typedef struct {
  QnnDevice_CoreInfoVersion_t version;
  union {
    QnnDevice_CoreInfoV1_t v1;
  };
} QnnDevice_CoreInfo_t;

typedef struct {
  uint32_t deviceId;
  uint32_t deviceType;
  uint32_t numCores;
  QnnDevice_CoreInfo_t* cores;
  QnnDevice_DeviceInfoExtension_t deviceInfoExtension;
} QnnDevice_HardwareDeviceInfoV1_t;

typedef enum {
  QNN_DEVICE_HARDWARE_DEVICE_INFO_VERSION_1 = 1,
  QNN_DEVICE_HARDWARE_DEVICE_INFO_VERSION_UNDEFINED = 0x7FFFFFFF
} QnnDevice_HardwareDeviceInfoVersion_t;

typedef struct {
  QnnDevice_HardwareDeviceInfoVersion_t version;
  union {
    QnnDevice_HardwareDeviceInfoV1_t v1;
  };
} QnnDevice_HardwareDeviceInfo_t;

typedef struct {
  uint32_t numHwDevices;
  QnnDevice_HardwareDeviceInfo_t* hwDevices;
} QnnDevice_PlatformInfoV1_t;

typedef enum {
  QNN_DEVICE_PLATFORM_INFO_VERSION_1 = 1,
  QNN_DEVICE_PLATFORM_INFO_VERSION_UNDEFINED = 0x7FFFFFFF
} QnnDevice_PlatformInfoVersion_t;

typedef struct {
  QnnDevice_PlatformInfoVersion_t version;
  union {
    QnnDevice_PlatformInfoV1_t v1;
  };
} QnnDevice_PlatformInfo_t;

typedef void* QnnDevice_CustomConfig_t;
typedef enum {
  QNN_DEVICE_CONFIG_OPTION_CUSTOM = 0,
  QNN_DEVICE_CONFIG_OPTION_PLATFORM_INFO = 1,
  QNN_DEVICE_CONFIG_OPTION_UNDEFINED = 0x7FFFFFFF
} QnnDevice_ConfigOption_t;

typedef struct {
  QnnDevice_ConfigOption_t option;
  union {
    QnnDevice_CustomConfig_t customConfig;
    QnnDevice_PlatformInfo_t* hardwareInfo;
  };
} QnnDevice_Config_t;

/* Types only used behind pointers by table slots this project does not call. */
typedef struct QnnNode_OpaqueSignalConfig QnnSignal_Config_t;
typedef struct QnnNode_OpaqueExecuteEnvironment QnnGraph_ExecuteEnvironment_t;
typedef struct QnnNode_OpaqueGraphProperty QnnGraph_Property_t;
typedef struct QnnNode_OpaqueContextParams QnnContext_Params_t;
typedef struct QnnNode_OpaqueContextProperty QnnContext_Property_t;
typedef struct QnnNode_OpaqueBackendProperty QnnBackend_Property_t;
typedef struct QnnNode_OpaqueGlobalConfig QnnGlobalConfig_t;
typedef uint32_t QnnProperty_Key_t;

/* A notification callback for the asynchronous calls. */
typedef void (*Qnn_NotifyFn_t)(void* notifyParam, Qnn_ErrorHandle_t notifyStatus);

/* Slots whose exact signature this project does not need: they keep their position and
 * pointer size; never call through this type. */
typedef void (*QnnNode_UnusedFn_t)(void);

/* ---- function pointer types (the signatures of the table's slots) --------------------- */
typedef Qnn_ErrorHandle_t (*QnnProperty_HasCapabilityFn_t)(QnnProperty_Key_t key);

typedef Qnn_ErrorHandle_t (*QnnBackend_CreateFn_t)(Qnn_LogHandle_t logger,
                                                   const QnnBackend_Config_t** config,
                                                   Qnn_BackendHandle_t* backend);
typedef Qnn_ErrorHandle_t (*QnnBackend_SetConfigFn_t)(Qnn_BackendHandle_t backend,
                                                      const QnnBackend_Config_t** config);
typedef Qnn_ErrorHandle_t (*QnnBackend_GetApiVersionFn_t)(Qnn_ApiVersion_t* pVersion);
typedef Qnn_ErrorHandle_t (*QnnBackend_GetBuildIdFn_t)(const char** id);
typedef Qnn_ErrorHandle_t (*QnnBackend_RegisterOpPackageFn_t)(Qnn_BackendHandle_t backend,
                                                              const char* packagePath,
                                                              const char* interfaceProvider,
                                                              const char* target);
typedef Qnn_ErrorHandle_t (*QnnBackend_GetSupportedOperationsFn_t)(
    Qnn_BackendHandle_t backend, uint32_t* numOperations,
    const QnnBackend_OperationName_t** operations);
typedef Qnn_ErrorHandle_t (*QnnBackend_ValidateOpConfigFn_t)(Qnn_BackendHandle_t backend,
                                                             Qnn_OpConfig_t opConfig);
typedef Qnn_ErrorHandle_t (*QnnBackend_FreeFn_t)(Qnn_BackendHandle_t backend);
typedef Qnn_ErrorHandle_t (*QnnBackend_GetPropertyFn_t)(Qnn_BackendHandle_t backend,
                                                        QnnBackend_Property_t** properties);

typedef Qnn_ErrorHandle_t (*QnnContext_CreateFn_t)(Qnn_BackendHandle_t backend,
                                                   Qnn_DeviceHandle_t device,
                                                   const QnnContext_Config_t** config,
                                                   Qnn_ContextHandle_t* context);
typedef Qnn_ErrorHandle_t (*QnnContext_SetConfigFn_t)(Qnn_ContextHandle_t context,
                                                      const QnnContext_Config_t** config);
typedef Qnn_ErrorHandle_t (*QnnContext_GetBinarySizeFn_t)(Qnn_ContextHandle_t context,
                                                          Qnn_ContextBinarySize_t* size);
typedef Qnn_ErrorHandle_t (*QnnContext_GetBinaryFn_t)(Qnn_ContextHandle_t context,
                                                      void* binaryBuffer,
                                                      Qnn_ContextBinarySize_t binaryBufferSize,
                                                      Qnn_ContextBinarySize_t* writtenSize);
typedef Qnn_ErrorHandle_t (*QnnContext_CreateFromBinaryFn_t)(
    Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t device, const QnnContext_Config_t** config,
    const void* binaryBuffer, Qnn_ContextBinarySize_t binaryBufferSize,
    Qnn_ContextHandle_t* context, Qnn_ProfileHandle_t profile);
typedef Qnn_ErrorHandle_t (*QnnContext_FreeFn_t)(Qnn_ContextHandle_t context,
                                                 Qnn_ProfileHandle_t profile);
typedef Qnn_ErrorHandle_t (*QnnContext_ValidateBinaryFn_t)(
    Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t device, const QnnContext_Config_t** config,
    const void* binaryBuffer, Qnn_ContextBinarySize_t binaryBufferSize);
typedef Qnn_ErrorHandle_t (*QnnContext_CreateFromBinaryWithSignalFn_t)(
    Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t device, const QnnContext_Config_t** config,
    const void* binaryBuffer, Qnn_ContextBinarySize_t binaryBufferSize,
    Qnn_ContextHandle_t* context, Qnn_ProfileHandle_t profile, Qnn_SignalHandle_t signal);
typedef Qnn_ErrorHandle_t (*QnnContext_CreateFromBinaryListAsyncFn_t)(
    Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t device,
    const QnnContext_Params_t** contextParams, const QnnContext_Config_t** listConfig,
    Qnn_SignalHandle_t signal);
typedef Qnn_ErrorHandle_t (*QnnContext_GetPropertyFn_t)(Qnn_ContextHandle_t context,
                                                        QnnContext_Property_t** properties);
/* Binary sections (core 2.18+). graph may be NULL (the whole context) where the backend
 * supports it; profile and signal may be NULL. */
typedef Qnn_ErrorHandle_t (*QnnContext_GetBinarySectionSizeFn_t)(
    Qnn_ContextHandle_t context, Qnn_GraphHandle_t graph, QnnContext_SectionType_t section,
    Qnn_ContextBinarySize_t* binaryBufferSize);
typedef Qnn_ErrorHandle_t (*QnnContext_GetBinarySectionFn_t)(
    Qnn_ContextHandle_t context, Qnn_GraphHandle_t graph, QnnContext_SectionType_t section,
    const QnnContext_Buffer_t* binaryBuffer, Qnn_ContextBinarySize_t* writtenBufferSize,
    Qnn_ProfileHandle_t profile, Qnn_SignalHandle_t signal);
typedef Qnn_ErrorHandle_t (*QnnContext_ApplyBinarySectionFn_t)(
    Qnn_ContextHandle_t context, Qnn_GraphHandle_t graph, QnnContext_SectionType_t section,
    const QnnContext_Buffer_t* binaryBuffer, Qnn_ProfileHandle_t profile,
    Qnn_SignalHandle_t signal);
typedef Qnn_ErrorHandle_t (*QnnContext_FinalizeFn_t)(Qnn_ContextHandle_t context,
                                                     Qnn_ProfileHandle_t profile);

typedef Qnn_ErrorHandle_t (*QnnGraph_CreateFn_t)(Qnn_ContextHandle_t context,
                                                 const char* graphName,
                                                 const QnnGraph_Config_t** config,
                                                 Qnn_GraphHandle_t* graph);
typedef Qnn_ErrorHandle_t (*QnnGraph_CreateSubgraphFn_t)(Qnn_GraphHandle_t graph,
                                                         const char* graphName,
                                                         Qnn_GraphHandle_t* subgraph);
typedef Qnn_ErrorHandle_t (*QnnGraph_SetConfigFn_t)(Qnn_GraphHandle_t graph,
                                                    const QnnGraph_Config_t** config);
typedef Qnn_ErrorHandle_t (*QnnGraph_AddNodeFn_t)(Qnn_GraphHandle_t graph,
                                                  Qnn_OpConfig_t opConfig);
typedef Qnn_ErrorHandle_t (*QnnGraph_FinalizeFn_t)(Qnn_GraphHandle_t graph,
                                                   Qnn_ProfileHandle_t profile,
                                                   Qnn_SignalHandle_t signal);
typedef Qnn_ErrorHandle_t (*QnnGraph_RetrieveFn_t)(Qnn_ContextHandle_t context,
                                                   const char* graphName,
                                                   Qnn_GraphHandle_t* graph);
typedef Qnn_ErrorHandle_t (*QnnGraph_ExecuteFn_t)(Qnn_GraphHandle_t graph,
                                                  const Qnn_Tensor_t* inputs, uint32_t numInputs,
                                                  Qnn_Tensor_t* outputs, uint32_t numOutputs,
                                                  Qnn_ProfileHandle_t profile,
                                                  Qnn_SignalHandle_t signal);
typedef Qnn_ErrorHandle_t (*QnnGraph_ExecuteAsyncFn_t)(
    Qnn_GraphHandle_t graph, const Qnn_Tensor_t* inputs, uint32_t numInputs,
    Qnn_Tensor_t* outputs, uint32_t numOutputs, Qnn_ProfileHandle_t profile,
    Qnn_SignalHandle_t signal, Qnn_NotifyFn_t notifyFn, void* notifyParam);
typedef Qnn_ErrorHandle_t (*QnnGraph_PrepareExecutionEnvironmentFn_t)(
    Qnn_GraphHandle_t graph, QnnGraph_ExecuteEnvironment_t** envs, uint32_t envSize);
typedef Qnn_ErrorHandle_t (*QnnGraph_ReleaseExecutionEnvironmentFn_t)(
    Qnn_GraphHandle_t graph, const QnnGraph_ExecuteEnvironment_t** envs, uint32_t envSize);
typedef Qnn_ErrorHandle_t (*QnnGraph_GetPropertyFn_t)(Qnn_GraphHandle_t graph,
                                                      QnnGraph_Property_t** properties);

typedef Qnn_ErrorHandle_t (*QnnTensor_CreateContextTensorFn_t)(Qnn_ContextHandle_t context,
                                                               Qnn_Tensor_t* tensor);
typedef Qnn_ErrorHandle_t (*QnnTensor_CreateGraphTensorFn_t)(Qnn_GraphHandle_t graph,
                                                             Qnn_Tensor_t* tensor);
typedef Qnn_ErrorHandle_t (*QnnTensor_UpdateGraphTensorsFn_t)(Qnn_GraphHandle_t graph,
                                                              const Qnn_Tensor_t** tensors,
                                                              uint64_t numTensors);
typedef Qnn_ErrorHandle_t (*QnnTensor_UpdateContextTensorsFn_t)(Qnn_ContextHandle_t context,
                                                                const Qnn_Tensor_t** tensors,
                                                                uint64_t numTensors);

typedef Qnn_ErrorHandle_t (*QnnLog_CreateFn_t)(QnnLog_Callback_t callback,
                                               QnnLog_Level_t maxLogLevel,
                                               Qnn_LogHandle_t* logger);
typedef Qnn_ErrorHandle_t (*QnnLog_SetLogLevelFn_t)(Qnn_LogHandle_t logger,
                                                    QnnLog_Level_t maxLogLevel);
typedef Qnn_ErrorHandle_t (*QnnLog_FreeFn_t)(Qnn_LogHandle_t logger);

typedef Qnn_ErrorHandle_t (*QnnProfile_CreateFn_t)(Qnn_BackendHandle_t backend,
                                                   QnnProfile_Level_t level,
                                                   Qnn_ProfileHandle_t* profile);
typedef Qnn_ErrorHandle_t (*QnnProfile_SetConfigFn_t)(Qnn_ProfileHandle_t profile,
                                                      const QnnProfile_Config_t** config);
typedef Qnn_ErrorHandle_t (*QnnProfile_GetEventsFn_t)(Qnn_ProfileHandle_t profile,
                                                      const QnnProfile_EventId_t** eventIds,
                                                      uint32_t* numEvents);
typedef Qnn_ErrorHandle_t (*QnnProfile_GetSubEventsFn_t)(QnnProfile_EventId_t eventId,
                                                         const QnnProfile_EventId_t** subEventIds,
                                                         uint32_t* numSubEvents);
typedef Qnn_ErrorHandle_t (*QnnProfile_GetEventDataFn_t)(QnnProfile_EventId_t eventId,
                                                         QnnProfile_EventData_t* eventData);
typedef Qnn_ErrorHandle_t (*QnnProfile_GetExtendedEventDataFn_t)(
    QnnProfile_EventId_t eventId, QnnProfile_ExtendedEventData_t* eventData);
typedef Qnn_ErrorHandle_t (*QnnProfile_FreeFn_t)(Qnn_ProfileHandle_t profile);

typedef Qnn_ErrorHandle_t (*QnnMem_RegisterFn_t)(Qnn_ContextHandle_t context,
                                                 const Qnn_MemDescriptor_t* memDescriptors,
                                                 uint32_t numDescriptors,
                                                 Qnn_MemHandle_t* memHandles);
typedef Qnn_ErrorHandle_t (*QnnMem_DeRegisterFn_t)(const Qnn_MemHandle_t* memHandles,
                                                   uint32_t numHandles);

typedef Qnn_ErrorHandle_t (*QnnDevice_GetPlatformInfoFn_t)(
    Qnn_LogHandle_t logger, const QnnDevice_PlatformInfo_t** platformInfo);
typedef Qnn_ErrorHandle_t (*QnnDevice_FreePlatformInfoFn_t)(
    Qnn_LogHandle_t logger, const QnnDevice_PlatformInfo_t* platformInfo);
typedef Qnn_ErrorHandle_t (*QnnDevice_GetInfrastructureFn_t)(
    const QnnDevice_Infrastructure_t* deviceInfra);
typedef Qnn_ErrorHandle_t (*QnnDevice_CreateFn_t)(Qnn_LogHandle_t logger,
                                                  const QnnDevice_Config_t** config,
                                                  Qnn_DeviceHandle_t* device);
typedef Qnn_ErrorHandle_t (*QnnDevice_SetConfigFn_t)(Qnn_DeviceHandle_t device,
                                                     const QnnDevice_Config_t** config);
typedef Qnn_ErrorHandle_t (*QnnDevice_GetInfoFn_t)(Qnn_DeviceHandle_t device,
                                                   const QnnDevice_PlatformInfo_t** platformInfo);
typedef Qnn_ErrorHandle_t (*QnnDevice_FreeFn_t)(Qnn_DeviceHandle_t device);

typedef Qnn_ErrorHandle_t (*QnnSignal_CreateFn_t)(Qnn_BackendHandle_t backend,
                                                  const QnnSignal_Config_t** config,
                                                  Qnn_SignalHandle_t* signal);
typedef Qnn_ErrorHandle_t (*QnnSignal_SetConfigFn_t)(Qnn_SignalHandle_t signal,
                                                     const QnnSignal_Config_t** config);
typedef Qnn_ErrorHandle_t (*QnnSignal_TriggerFn_t)(Qnn_SignalHandle_t signal);
typedef Qnn_ErrorHandle_t (*QnnSignal_FreeFn_t)(Qnn_SignalHandle_t signal);

typedef Qnn_ErrorHandle_t (*QnnError_GetMessageFn_t)(Qnn_ErrorHandle_t errorHandle,
                                                     const char** errorMessage);
typedef Qnn_ErrorHandle_t (*QnnError_GetVerboseMessageFn_t)(Qnn_ErrorHandle_t errorHandle,
                                                            const char** errorMessage);
typedef Qnn_ErrorHandle_t (*QnnError_FreeVerboseMessageFn_t)(const char* errorMessage);

typedef Qnn_ErrorHandle_t (*QnnGlobalConfig_SetFn_t)(const QnnGlobalConfig_t** config);

/* ---- the core function table: core API 2.32 layout (71 slots, append-only since 2.9) -- */
#define QNN_INTERFACE_VER_TYPE QnnInterface_ImplementationV2_32_t
#define QNN_INTERFACE_VER_NAME v2_32

typedef struct {
  QnnProperty_HasCapabilityFn_t propertyHasCapability;            /*  0 */
  QnnBackend_CreateFn_t backendCreate;                            /*  1 */
  QnnBackend_SetConfigFn_t backendSetConfig;                      /*  2 */
  QnnBackend_GetApiVersionFn_t backendGetApiVersion;              /*  3 */
  QnnBackend_GetBuildIdFn_t backendGetBuildId;                    /*  4 */
  QnnBackend_RegisterOpPackageFn_t backendRegisterOpPackage;      /*  5 */
  QnnBackend_GetSupportedOperationsFn_t backendGetSupportedOperations; /* 6 */
  QnnBackend_ValidateOpConfigFn_t backendValidateOpConfig;        /*  7 */
  QnnBackend_FreeFn_t backendFree;                                /*  8 */
  QnnContext_CreateFn_t contextCreate;                            /*  9 */
  QnnContext_SetConfigFn_t contextSetConfig;                      /* 10 */
  QnnContext_GetBinarySizeFn_t contextGetBinarySize;              /* 11 */
  QnnContext_GetBinaryFn_t contextGetBinary;                      /* 12 */
  QnnContext_CreateFromBinaryFn_t contextCreateFromBinary;        /* 13 */
  QnnContext_FreeFn_t contextFree;                                /* 14 */
  QnnGraph_CreateFn_t graphCreate;                                /* 15 */
  QnnGraph_CreateSubgraphFn_t graphCreateSubgraph;                /* 16 */
  QnnGraph_SetConfigFn_t graphSetConfig;                          /* 17 */
  QnnGraph_AddNodeFn_t graphAddNode;                              /* 18 */
  QnnGraph_FinalizeFn_t graphFinalize;                            /* 19 */
  QnnGraph_RetrieveFn_t graphRetrieve;                            /* 20 */
  QnnGraph_ExecuteFn_t graphExecute;                              /* 21 */
  QnnGraph_ExecuteAsyncFn_t graphExecuteAsync;                    /* 22 */
  QnnTensor_CreateContextTensorFn_t tensorCreateContextTensor;    /* 23 */
  QnnTensor_CreateGraphTensorFn_t tensorCreateGraphTensor;        /* 24 */
  QnnLog_CreateFn_t logCreate;                                    /* 25 */
  QnnLog_SetLogLevelFn_t logSetLogLevel;                          /* 26 */
  QnnLog_FreeFn_t logFree;                                        /* 27 */
  QnnProfile_CreateFn_t profileCreate;                            /* 28 */
  QnnProfile_SetConfigFn_t profileSetConfig;                      /* 29 */
  QnnProfile_GetEventsFn_t profileGetEvents;                      /* 30 */
  QnnProfile_GetSubEventsFn_t profileGetSubEvents;                /* 31 */
  QnnProfile_GetEventDataFn_t profileGetEventData;                /* 32 */
  QnnProfile_GetExtendedEventDataFn_t profileGetExtendedEventData; /* 33 */
  QnnProfile_FreeFn_t profileFree;                                /* 34 */
  QnnMem_RegisterFn_t memRegister;                                /* 35 */
  QnnMem_DeRegisterFn_t memDeRegister;                            /* 36 */
  QnnDevice_GetPlatformInfoFn_t deviceGetPlatformInfo;            /* 37 */
  QnnDevice_FreePlatformInfoFn_t deviceFreePlatformInfo;          /* 38 */
  QnnDevice_GetInfrastructureFn_t deviceGetInfrastructure;        /* 39 */
  QnnDevice_CreateFn_t deviceCreate;                              /* 40 */
  QnnDevice_SetConfigFn_t deviceSetConfig;                        /* 41 */
  QnnDevice_GetInfoFn_t deviceGetInfo;                            /* 42 */
  QnnDevice_FreeFn_t deviceFree;                                  /* 43 */
  QnnSignal_CreateFn_t signalCreate;                              /* 44 */
  QnnSignal_SetConfigFn_t signalSetConfig;                        /* 45 */
  QnnSignal_TriggerFn_t signalTrigger;                            /* 46 */
  QnnSignal_FreeFn_t signalFree;                                  /* 47: end of 2.9/2.10 */
  QnnError_GetMessageFn_t errorGetMessage;                        /* 48: 2.11 */
  QnnError_GetVerboseMessageFn_t errorGetVerboseMessage;          /* 49: 2.11 */
  QnnError_FreeVerboseMessageFn_t errorFreeVerboseMessage;        /* 50: 2.11 */
  QnnGraph_PrepareExecutionEnvironmentFn_t graphPrepareExecutionEnvironment; /* 51: 2.12 */
  QnnGraph_ReleaseExecutionEnvironmentFn_t graphReleaseExecutionEnvironment; /* 52: 2.12 */
  QnnGraph_GetPropertyFn_t graphGetProperty;                      /* 53: 2.12 */
  QnnContext_ValidateBinaryFn_t contextValidateBinary;            /* 54: 2.13 */
  QnnContext_CreateFromBinaryWithSignalFn_t contextCreateFromBinaryWithSignal; /* 55: 2.15 */
  QnnContext_CreateFromBinaryListAsyncFn_t contextCreateFromBinaryListAsync;   /* 56: 2.17 */
  QnnTensor_UpdateGraphTensorsFn_t tensorUpdateGraphTensors;      /* 57: 2.17 */
  QnnTensor_UpdateContextTensorsFn_t tensorUpdateContextTensors;  /* 58: 2.17 */
  QnnContext_GetBinarySectionSizeFn_t contextGetBinarySectionSize; /* 59: 2.18 */
  QnnContext_GetBinarySectionFn_t contextGetBinarySection;        /* 60: 2.18 */
  QnnContext_ApplyBinarySectionFn_t contextApplyBinarySection;    /* 61: 2.18 */
  QnnBackend_GetPropertyFn_t backendGetProperty;                  /* 62: 2.22 */
  QnnContext_GetPropertyFn_t contextGetProperty;                  /* 63: 2.22 */
  QnnNode_UnusedFn_t contextGetIncrementalBinary;                 /* 64: 2.25 */
  QnnNode_UnusedFn_t contextReleaseIncrementalBinary;             /* 65: 2.25 */
  QnnContext_FinalizeFn_t contextFinalize;                        /* 66: 2.26 */
  QnnGlobalConfig_SetFn_t globalConfigSet;                        /* 67: 2.27 */
  QnnNode_UnusedFn_t contextCreateFromBinaryWithCallback;         /* 68: 2.28 */
  QnnNode_UnusedFn_t contextGetBinarySectionUpdate;               /* 69: <= 2.32 */
  QnnNode_UnusedFn_t contextFreeBinarySectionUpdate;              /* 70: <= 2.32 */
} QnnInterface_ImplementationV2_32_t;

typedef struct {
  uint32_t backendId;
  const char* providerName;
  Qnn_ApiVersion_t apiVersion;
  union {
    QnnInterface_ImplementationV2_32_t v2_32;
  };
} QnnInterface_t;

/* Exported by every backend library (libQnnHtp.so, libQnnReference.so, ...); the provider
 * structs live as long as the library stays loaded. */
Qnn_ErrorHandle_t QnnInterface_getProviders(const QnnInterface_t*** providerList,
                                            uint32_t* numProviders);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QNN_NODE_QNN_INTERFACE_H */
