// The functions of libQnnReference's core interface table (backend.cc fills the table).
#pragma once

#include "qnn/qnn_api.h"

namespace qnnref {

// backend_lifecycle.cc: property, backend and log handles
Qnn_ErrorHandle_t propertyHasCapability(QnnProperty_Key_t key);
Qnn_ErrorHandle_t backendCreate(Qnn_LogHandle_t logger, const QnnBackend_Config_t** config, Qnn_BackendHandle_t* backend);
Qnn_ErrorHandle_t backendSetConfig(Qnn_BackendHandle_t backend, const QnnBackend_Config_t** config);
Qnn_ErrorHandle_t backendFree(Qnn_BackendHandle_t backend);
Qnn_ErrorHandle_t backendGetApiVersion(Qnn_ApiVersion_t* v);
Qnn_ErrorHandle_t backendGetBuildId(const char** id);
Qnn_ErrorHandle_t backendGetSupportedOperations(Qnn_BackendHandle_t backend, uint32_t* num, const QnnBackend_OperationName_t** ops);
Qnn_ErrorHandle_t backendValidateOpConfig(Qnn_BackendHandle_t backend, Qnn_OpConfig_t op);
Qnn_ErrorHandle_t logCreate(QnnLog_Callback_t callback, QnnLog_Level_t level, Qnn_LogHandle_t* logger);
Qnn_ErrorHandle_t logSetLogLevel(Qnn_LogHandle_t logger, QnnLog_Level_t level);
Qnn_ErrorHandle_t logFree(Qnn_LogHandle_t logger);

// backend_device.cc: device handles, platform info, the HTP performance infrastructure
Qnn_ErrorHandle_t deviceGetInfrastructure(const QnnDevice_Infrastructure_t* infra);
Qnn_ErrorHandle_t deviceGetPlatformInfo(Qnn_LogHandle_t logger, const QnnDevice_PlatformInfo_t** info);
Qnn_ErrorHandle_t deviceFreePlatformInfo(Qnn_LogHandle_t logger, const QnnDevice_PlatformInfo_t* info);
Qnn_ErrorHandle_t deviceCreate(Qnn_LogHandle_t logger, const QnnDevice_Config_t** config, Qnn_DeviceHandle_t* device);
Qnn_ErrorHandle_t deviceFree(Qnn_DeviceHandle_t device);

// backend_profile.cc
Qnn_ErrorHandle_t profileCreate(Qnn_BackendHandle_t backend, QnnProfile_Level_t level, Qnn_ProfileHandle_t* profile);
Qnn_ErrorHandle_t profileGetEvents(Qnn_ProfileHandle_t profile, const QnnProfile_EventId_t** ids, uint32_t* num);
Qnn_ErrorHandle_t profileGetSubEvents(QnnProfile_EventId_t id, const QnnProfile_EventId_t** ids, uint32_t* num);
Qnn_ErrorHandle_t profileGetEventData(QnnProfile_EventId_t id, QnnProfile_EventData_t* data);
Qnn_ErrorHandle_t profileSetConfig(Qnn_ProfileHandle_t profile, const QnnProfile_Config_t** config);
Qnn_ErrorHandle_t profileGetExtendedEventData(QnnProfile_EventId_t id, QnnProfile_ExtendedEventData_t* data);
Qnn_ErrorHandle_t profileFree(Qnn_ProfileHandle_t profile);

// backend_context.cc: contexts from binaries, and retrieving their graphs
Qnn_ErrorHandle_t contextCreateFromBinary(Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t device, const QnnContext_Config_t** config, const void* buffer,
                                          Qnn_ContextBinarySize_t size, Qnn_ContextHandle_t* context, Qnn_ProfileHandle_t profile);
Qnn_ErrorHandle_t contextValidateBinary(Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t device, const QnnContext_Config_t** config, const void* buffer,
                                        Qnn_ContextBinarySize_t size);
Qnn_ErrorHandle_t contextGetBinarySize(Qnn_ContextHandle_t context, Qnn_ContextBinarySize_t* size);
Qnn_ErrorHandle_t contextGetBinary(Qnn_ContextHandle_t context, void* buffer, Qnn_ContextBinarySize_t size, Qnn_ContextBinarySize_t* written);
Qnn_ErrorHandle_t contextFree(Qnn_ContextHandle_t context, Qnn_ProfileHandle_t profile);
Qnn_ErrorHandle_t graphRetrieve(Qnn_ContextHandle_t context, const char* name, Qnn_GraphHandle_t* graph);

// backend_compose.cc: contexts and graphs composed through the API (model libraries, DLCs)
Qnn_ErrorHandle_t contextCreate(Qnn_BackendHandle_t backend, Qnn_DeviceHandle_t device, const QnnContext_Config_t** config, Qnn_ContextHandle_t* context);
Qnn_ErrorHandle_t graphCreate(Qnn_ContextHandle_t context, const char* name, const QnnGraph_Config_t** config, Qnn_GraphHandle_t* graph);
Qnn_ErrorHandle_t tensorCreateGraphTensor(Qnn_GraphHandle_t graph, Qnn_Tensor_t* tensor);
Qnn_ErrorHandle_t graphAddNode(Qnn_GraphHandle_t graph, Qnn_OpConfig_t opConfig);
Qnn_ErrorHandle_t graphFinalize(Qnn_GraphHandle_t graph, Qnn_ProfileHandle_t profile, Qnn_SignalHandle_t signal);

// backend_sections.cc: binary sections (core 2.18+)
Qnn_ErrorHandle_t contextApplyBinarySection(Qnn_ContextHandle_t context, Qnn_GraphHandle_t graph, QnnContext_SectionType_t section,
                                            const QnnContext_Buffer_t* buffer, Qnn_ProfileHandle_t profile, Qnn_SignalHandle_t signal);
Qnn_ErrorHandle_t contextGetBinarySectionSize(Qnn_ContextHandle_t context, Qnn_GraphHandle_t graph, QnnContext_SectionType_t section,
                                              Qnn_ContextBinarySize_t* size);
Qnn_ErrorHandle_t contextGetBinarySection(Qnn_ContextHandle_t context, Qnn_GraphHandle_t graph, QnnContext_SectionType_t section,
                                          const QnnContext_Buffer_t* buffer, Qnn_ContextBinarySize_t* written, Qnn_ProfileHandle_t profile,
                                          Qnn_SignalHandle_t signal);

// backend_execute.cc
Qnn_ErrorHandle_t graphExecute(Qnn_GraphHandle_t graph, const Qnn_Tensor_t* inputs, uint32_t numInputs, Qnn_Tensor_t* outputs, uint32_t numOutputs,
                               Qnn_ProfileHandle_t profile, Qnn_SignalHandle_t signal);

// backend_errors.cc: messages behind error handles
Qnn_ErrorHandle_t errorGetMessage(Qnn_ErrorHandle_t handle, const char** message);
Qnn_ErrorHandle_t errorGetVerboseMessage(Qnn_ErrorHandle_t handle, const char** message);
Qnn_ErrorHandle_t errorFreeVerboseMessage(const char* message);

}  // namespace qnnref
