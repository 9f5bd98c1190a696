/*
 * qnn-node: compile-time checks of every size and offset the runtime relies on
 * (docs/qnn-abi.md). Include after qnn_api.h from any translation unit; it compiles in
 * both header modes (own declarations and QNN_NODE_USE_SDK_HEADERS), in C11 and C++17.
 * The checks apply to 64-bit targets only.
 */
#ifndef QNN_NODE_QNN_ABI_CHECKS_H
#define QNN_NODE_QNN_ABI_CHECKS_H

#include "qnn_api.h"

#ifdef __cplusplus
#include <cstddef>
#define QNN_NODE_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#include <stddef.h>
#define QNN_NODE_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu

#define QNN_NODE_CHECK_SIZE(T, n) QNN_NODE_STATIC_ASSERT(sizeof(T) == (n), "sizeof(" #T ") != " #n)
#define QNN_NODE_CHECK_OFFSET(T, f, n) \
  QNN_NODE_STATIC_ASSERT(offsetof(T, f) == (n), "offsetof(" #T ", " #f ") != " #n)

/* Handles, versions */
QNN_NODE_CHECK_SIZE(Qnn_ErrorHandle_t, 8);
QNN_NODE_CHECK_SIZE(Qnn_Version_t, 12);
QNN_NODE_CHECK_SIZE(Qnn_ApiVersion_t, 24);
QNN_NODE_CHECK_OFFSET(Qnn_ApiVersion_t, backendApiVersion, 12);

/* Quantization parameters: 40 bytes, union at 8 */
QNN_NODE_CHECK_SIZE(Qnn_QuantizeParams_t, 40);
QNN_NODE_CHECK_OFFSET(Qnn_QuantizeParams_t, encodingDefinition, 0);
QNN_NODE_CHECK_OFFSET(Qnn_QuantizeParams_t, quantizationEncoding, 4);
QNN_NODE_CHECK_OFFSET(Qnn_QuantizeParams_t, scaleOffsetEncoding, 8);
QNN_NODE_CHECK_OFFSET(Qnn_QuantizeParams_t, axisScaleOffsetEncoding, 8);
QNN_NODE_CHECK_OFFSET(Qnn_QuantizeParams_t, bwScaleOffsetEncoding, 8);
QNN_NODE_CHECK_OFFSET(Qnn_QuantizeParams_t, bwAxisScaleOffsetEncoding, 8);
QNN_NODE_CHECK_SIZE(Qnn_ScaleOffset_t, 8);
QNN_NODE_CHECK_SIZE(Qnn_AxisScaleOffset_t, 16);
QNN_NODE_CHECK_OFFSET(Qnn_AxisScaleOffset_t, numScaleOffsets, 4);
QNN_NODE_CHECK_OFFSET(Qnn_AxisScaleOffset_t, scaleOffset, 8);
QNN_NODE_CHECK_SIZE(Qnn_BwAxisScaleOffset_t, 32);

/* Tensors */
QNN_NODE_CHECK_SIZE(Qnn_ClientBuffer_t, 16);
QNN_NODE_CHECK_SIZE(Qnn_TensorV1_t, 112);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, id, 0);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, name, 8);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, type, 16);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, dataFormat, 20);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, dataType, 24);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, quantizeParams, 32);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, rank, 72);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, dimensions, 80);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, memType, 88);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, clientBuf, 96);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV1_t, memHandle, 96);
QNN_NODE_CHECK_SIZE(Qnn_TensorV2_t, 136);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV2_t, id, 0);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV2_t, quantizeParams, 32);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV2_t, clientBuf, 96);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV2_t, isDynamicDimensions, 112);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV2_t, sparseParams, 120);
QNN_NODE_CHECK_OFFSET(Qnn_TensorV2_t, isProduced, 132);
QNN_NODE_CHECK_SIZE(Qnn_Tensor_t, 144);
QNN_NODE_CHECK_OFFSET(Qnn_Tensor_t, v1, 8);
QNN_NODE_CHECK_OFFSET(Qnn_Tensor_t, v2, 8);

/* Config structs passed as NULL-terminated pointer arrays */
QNN_NODE_CHECK_SIZE(QnnBackend_Config_t, 16);
QNN_NODE_CHECK_SIZE(QnnContext_Config_t, 16);
QNN_NODE_CHECK_SIZE(QnnGraph_Config_t, 16);
QNN_NODE_CHECK_SIZE(QnnDevice_Config_t, 16);
QNN_NODE_CHECK_OFFSET(QnnContext_Config_t, enableGraphs, 8);

/* Profiles: event data 24 bytes; extended event data 56 (v1 48 bytes at 8: a 24-byte union
 * of scalar value / backend object at 8, timestamp 32, identifier 40); config 16 */
QNN_NODE_CHECK_SIZE(QnnProfile_EventData_t, 24);
QNN_NODE_CHECK_OFFSET(QnnProfile_EventData_t, unit, 4);
QNN_NODE_CHECK_OFFSET(QnnProfile_EventData_t, value, 8);
QNN_NODE_CHECK_OFFSET(QnnProfile_EventData_t, identifier, 16);
QNN_NODE_CHECK_SIZE(Qnn_Scalar_t, 16);
QNN_NODE_CHECK_SIZE(QnnProfile_BackendOpaqueObject_t, 24);
QNN_NODE_CHECK_SIZE(QnnProfile_ExtendedEventDataV1_t, 48);
QNN_NODE_CHECK_OFFSET(QnnProfile_ExtendedEventDataV1_t, unit, 4);
QNN_NODE_CHECK_OFFSET(QnnProfile_ExtendedEventDataV1_t, value, 8);
QNN_NODE_CHECK_OFFSET(QnnProfile_ExtendedEventDataV1_t, backendOpaqueObject, 8);
QNN_NODE_CHECK_OFFSET(QnnProfile_ExtendedEventDataV1_t, timestamp, 32);
QNN_NODE_CHECK_OFFSET(QnnProfile_ExtendedEventDataV1_t, identifier, 40);
QNN_NODE_CHECK_SIZE(QnnProfile_ExtendedEventData_t, 56);
QNN_NODE_CHECK_OFFSET(QnnProfile_ExtendedEventData_t, v1, 8);
QNN_NODE_CHECK_SIZE(QnnProfile_Config_t, 16);
QNN_NODE_CHECK_OFFSET(QnnProfile_Config_t, numMaxEvents, 8);
QNN_NODE_CHECK_OFFSET(QnnProfile_Config_t, enableOptrace, 8);

/* Op configs (graphAddNode / backendValidateOpConfig take Qnn_OpConfig_t BY VALUE: 80 bytes,
 * passed in memory). Param: type at 0, name at 8, union {Qnn_Scalar_t, Qnn_Tensor_t} at 16. */
QNN_NODE_CHECK_SIZE(Qnn_Param_t, 160);
QNN_NODE_CHECK_OFFSET(Qnn_Param_t, name, 8);
QNN_NODE_CHECK_OFFSET(Qnn_Param_t, scalarParam, 16);
QNN_NODE_CHECK_OFFSET(Qnn_Param_t, tensorParam, 16);
QNN_NODE_CHECK_SIZE(Qnn_OpConfigV1_t, 72);
QNN_NODE_CHECK_OFFSET(Qnn_OpConfigV1_t, typeName, 16);
QNN_NODE_CHECK_OFFSET(Qnn_OpConfigV1_t, numOfParams, 24);
QNN_NODE_CHECK_OFFSET(Qnn_OpConfigV1_t, params, 32);
QNN_NODE_CHECK_OFFSET(Qnn_OpConfigV1_t, numOfInputs, 40);
QNN_NODE_CHECK_OFFSET(Qnn_OpConfigV1_t, inputTensors, 48);
QNN_NODE_CHECK_OFFSET(Qnn_OpConfigV1_t, numOfOutputs, 56);
QNN_NODE_CHECK_OFFSET(Qnn_OpConfigV1_t, outputTensors, 64);
QNN_NODE_CHECK_SIZE(Qnn_OpConfig_t, 80);
QNN_NODE_CHECK_OFFSET(Qnn_OpConfig_t, v1, 8);

/* backendGetSupportedOperations' entries: three strings (SDK 2.13 - 2.48) */
QNN_NODE_CHECK_SIZE(QnnBackend_OperationName_t, 24);
QNN_NODE_CHECK_OFFSET(QnnBackend_OperationName_t, packageName, 0);
QNN_NODE_CHECK_OFFSET(QnnBackend_OperationName_t, name, 8);
QNN_NODE_CHECK_OFFSET(QnnBackend_OperationName_t, target, 16);

/* Core interface: header 40 bytes, then one pointer per slot */
QNN_NODE_CHECK_OFFSET(QnnInterface_t, backendId, 0);
QNN_NODE_CHECK_OFFSET(QnnInterface_t, providerName, 8);
QNN_NODE_CHECK_OFFSET(QnnInterface_t, apiVersion, 16);
QNN_NODE_CHECK_OFFSET(QnnInterface_t, QNN_INTERFACE_VER_NAME, 40);
#define QNN_NODE_CHECK_SLOT(f, i) QNN_NODE_CHECK_OFFSET(QNN_INTERFACE_VER_TYPE, f, (i) * 8)
QNN_NODE_CHECK_SLOT(propertyHasCapability, 0);
QNN_NODE_CHECK_SLOT(backendCreate, 1);
QNN_NODE_CHECK_SLOT(backendSetConfig, 2);
QNN_NODE_CHECK_SLOT(backendGetApiVersion, 3);
QNN_NODE_CHECK_SLOT(backendGetBuildId, 4);
QNN_NODE_CHECK_SLOT(backendValidateOpConfig, 7);
QNN_NODE_CHECK_SLOT(backendFree, 8);
QNN_NODE_CHECK_SLOT(contextCreate, 9);
QNN_NODE_CHECK_SLOT(contextGetBinarySize, 11);
QNN_NODE_CHECK_SLOT(contextCreateFromBinary, 13);
QNN_NODE_CHECK_SLOT(contextFree, 14);
QNN_NODE_CHECK_SLOT(graphCreate, 15);
QNN_NODE_CHECK_SLOT(graphCreateSubgraph, 16);
QNN_NODE_CHECK_SLOT(graphRetrieve, 20);
QNN_NODE_CHECK_SLOT(graphExecute, 21);
QNN_NODE_CHECK_SLOT(graphExecuteAsync, 22);
QNN_NODE_CHECK_SLOT(logCreate, 25);
QNN_NODE_CHECK_SLOT(logSetLogLevel, 26);
QNN_NODE_CHECK_SLOT(logFree, 27);
QNN_NODE_CHECK_SLOT(profileCreate, 28);
QNN_NODE_CHECK_SLOT(profileSetConfig, 29);
QNN_NODE_CHECK_SLOT(profileGetEvents, 30);
QNN_NODE_CHECK_SLOT(profileGetEventData, 32);
QNN_NODE_CHECK_SLOT(profileGetExtendedEventData, 33);
QNN_NODE_CHECK_SLOT(profileFree, 34);
QNN_NODE_CHECK_SLOT(memRegister, 35);
QNN_NODE_CHECK_SLOT(deviceGetPlatformInfo, 37);
QNN_NODE_CHECK_SLOT(deviceFreePlatformInfo, 38);
QNN_NODE_CHECK_SLOT(deviceGetInfrastructure, 39);
QNN_NODE_CHECK_SLOT(deviceCreate, 40);
QNN_NODE_CHECK_SLOT(deviceFree, 43);
QNN_NODE_CHECK_SLOT(signalFree, 47);
#if QNN_API_VERSION_MINOR >= 11
QNN_NODE_CHECK_SLOT(errorGetMessage, 48);
QNN_NODE_CHECK_SLOT(errorGetVerboseMessage, 49);
QNN_NODE_CHECK_SLOT(errorFreeVerboseMessage, 50);
#endif
#if QNN_API_VERSION_MINOR >= 12
QNN_NODE_CHECK_SLOT(graphGetProperty, 53);
#endif
#if QNN_API_VERSION_MINOR >= 13
QNN_NODE_CHECK_SLOT(contextValidateBinary, 54);
#endif
#if QNN_API_VERSION_MINOR >= 15
QNN_NODE_CHECK_SLOT(contextCreateFromBinaryWithSignal, 55);
#endif
#if QNN_API_VERSION_MINOR >= 17
QNN_NODE_CHECK_SLOT(contextCreateFromBinaryListAsync, 56);
QNN_NODE_CHECK_SLOT(tensorUpdateContextTensors, 58);
#endif
#if QNN_API_VERSION_MINOR >= 18
QNN_NODE_CHECK_SLOT(contextGetBinarySectionSize, 59);
QNN_NODE_CHECK_SLOT(contextGetBinarySection, 60);
QNN_NODE_CHECK_SLOT(contextApplyBinarySection, 61);
/* Binary sections: the buffer handed to contextApplyBinarySection / GetBinarySection */
QNN_NODE_CHECK_SIZE(QnnContext_SectionType_t, 4);
QNN_NODE_CHECK_SIZE(QnnContext_MemType_t, 4);
QNN_NODE_CHECK_SIZE(Qnn_BinaryBuffer_t, 16);
QNN_NODE_CHECK_OFFSET(Qnn_BinaryBuffer_t, dataSize, 8);
QNN_NODE_CHECK_SIZE(QnnContext_BufferV1_t, 24);
QNN_NODE_CHECK_OFFSET(QnnContext_BufferV1_t, binaryBuf, 8);
QNN_NODE_CHECK_OFFSET(QnnContext_BufferV1_t, memHandle, 8);
QNN_NODE_CHECK_SIZE(QnnContext_Buffer_t, 32);
QNN_NODE_CHECK_OFFSET(QnnContext_Buffer_t, v1, 8);
QNN_NODE_STATIC_ASSERT(QNN_CONTEXT_SECTION_UPDATABLE == 1, "QNN_CONTEXT_SECTION_UPDATABLE != 1");
QNN_NODE_STATIC_ASSERT(QNN_CONTEXTMEMTYPE_RAW == 0, "QNN_CONTEXTMEMTYPE_RAW != 0");
QNN_NODE_STATIC_ASSERT(QNN_CONTEXT_BUFFER_VERSION_1 == 1, "QNN_CONTEXT_BUFFER_VERSION_1 != 1");
#endif
#if QNN_API_VERSION_MINOR >= 22
QNN_NODE_CHECK_SLOT(backendGetProperty, 62);
QNN_NODE_CHECK_SLOT(contextGetProperty, 63);
#endif
#if QNN_API_VERSION_MINOR >= 26
QNN_NODE_CHECK_SLOT(contextFinalize, 66);
#endif
#if QNN_API_VERSION_MINOR >= 27
QNN_NODE_CHECK_SLOT(globalConfigSet, 67);
#endif
#if QNN_API_VERSION_MINOR >= 28
QNN_NODE_CHECK_SLOT(contextCreateFromBinaryWithCallback, 68);
#endif
#if QNN_API_VERSION_MINOR == 32
QNN_NODE_CHECK_SLOT(contextFreeBinarySectionUpdate, 70);
QNN_NODE_CHECK_SIZE(QNN_INTERFACE_VER_TYPE, 71 * 8);
#endif

/* System interface and binary info */
QNN_NODE_CHECK_OFFSET(QnnSystemInterface_t, systemApiVersion, 16);
QNN_NODE_CHECK_OFFSET(QnnSystemInterface_t, QNN_SYSTEM_INTERFACE_VER_NAME, 32);
QNN_NODE_CHECK_OFFSET(QNN_SYSTEM_INTERFACE_VER_TYPE, systemContextCreate, 0);
QNN_NODE_CHECK_OFFSET(QNN_SYSTEM_INTERFACE_VER_TYPE, systemContextGetBinaryInfo, 8);
QNN_NODE_CHECK_OFFSET(QNN_SYSTEM_INTERFACE_VER_TYPE, systemContextGetMetaData, 16);
QNN_NODE_CHECK_OFFSET(QNN_SYSTEM_INTERFACE_VER_TYPE, systemContextFree, 24);

QNN_NODE_CHECK_SIZE(QnnSystemContext_BinaryInfo_t, 144);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfo_t, contextBinaryInfoV1, 8);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV1_t, buildId, 8);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV1_t, coreApiVersion, 16);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV1_t, backendApiVersion, 28);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV1_t, contextBlobSize, 88);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV1_t, numContextTensors, 96);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV1_t, contextTensors, 104);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV1_t, numGraphs, 112);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV1_t, graphs, 120);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV2_t, graphs, 120);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV2_t, platformInfo, 128);
#if QNN_SYSTEM_API_VERSION_MINOR >= 2 /* BinaryInfo V3 exists from System 1.2 */
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV3_t, contextBlobSize, 64);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV3_t, numContextTensors, 72);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV3_t, numGraphs, 88);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_BinaryInfoV3_t, graphs, 96);
#endif

QNN_NODE_CHECK_SIZE(QnnSystemContext_GraphInfoV1_t, 40);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_GraphInfo_t, graphInfoV1, 8);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_GraphInfoV1_t, graphName, 0);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_GraphInfoV1_t, numGraphInputs, 8);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_GraphInfoV1_t, graphInputs, 16);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_GraphInfoV1_t, numGraphOutputs, 24);
QNN_NODE_CHECK_OFFSET(QnnSystemContext_GraphInfoV1_t, graphOutputs, 32);
#if QNN_SYSTEM_API_VERSION_MINOR >= 2
QNN_NODE_CHECK_SIZE(QnnSystemContext_GraphInfo_t, 88);
QNN_NODE_CHECK_SIZE(QnnSystemContext_GraphInfoV2_t, 56);
QNN_NODE_CHECK_SIZE(QnnSystemContext_GraphInfoV3_t, 80);
#endif

/* HTP performance infrastructure */
QNN_NODE_CHECK_SIZE(QnnHtpPerfInfrastructure_DcvsV3_t, 64);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_DcvsV3_t, powerMode, 12);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_DcvsV3_t, setBusParams, 32);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_DcvsV3_t, setCoreParams, 48);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_DcvsV3_t, coreVoltageCornerMax, 60);
QNN_NODE_CHECK_SIZE(QnnHtpPerfInfrastructure_PowerConfig_t, 68);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_PowerConfig_t, dcvsV3Config, 4);
QNN_NODE_CHECK_OFFSET(QnnHtpDevice_Infrastructure_t, infraType, 0);
QNN_NODE_CHECK_OFFSET(QnnHtpDevice_Infrastructure_t, perfInfra, 8);
QNN_NODE_CHECK_SIZE(QnnHtpDevice_PerfInfrastructure_t, 32);
QNN_NODE_CHECK_OFFSET(QnnHtpDevice_PerfInfrastructure_t, setPowerConfig, 16);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_PowerConfig_t, rpcControlLatencyConfig, 4);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_PowerConfig_t, rpcPollingTimeConfig, 4);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_PowerConfig_t, hmxTimeoutIntervalUsConfig, 4);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_DcvsV3_t, sleepLatency, 20);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_DcvsV3_t, busVoltageCornerMin, 36);
/* HMX V2 (HTP API 5.25 on): 20 bytes inside the same 68-byte union. */
#if !QNN_NODE_HEADERS_FROM_SDK || QNN_HTP_API_VERSION_MINOR >= 25
QNN_NODE_CHECK_SIZE(QnnHtpPerfInfrastructure_HmxV2_t, 20);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_HmxV2_t, hmxVoltageCornerMin, 4);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_HmxV2_t, hmxPerfMode, 16);
QNN_NODE_CHECK_OFFSET(QnnHtpPerfInfrastructure_PowerConfig_t, hmxV2Config, 4);
#endif

/* HTP custom configs (qnn_htp_configs.h): option at 0, union at the QnnNode_* offsets */
QNN_NODE_CHECK_SIZE(QnnHtpContext_CustomConfig_t, QnnNode_HtpContextConfigSize);
QNN_NODE_CHECK_OFFSET(QnnHtpContext_CustomConfig_t, option, 0);
QNN_NODE_CHECK_OFFSET(QnnHtpContext_CustomConfig_t, weightSharingEnabled, QnnNode_HtpContextUnionOffset);
QNN_NODE_CHECK_OFFSET(QnnHtpContext_CustomConfig_t, groupRegistration, QnnNode_HtpContextUnionOffset);
QNN_NODE_CHECK_OFFSET(QnnHtpContext_CustomConfig_t, fileReadMemoryBudgetInMb, QnnNode_HtpContextUnionOffset);
QNN_NODE_CHECK_SIZE(QnnHtpContext_GroupRegistration_t, 16);
QNN_NODE_CHECK_OFFSET(QnnHtpContext_GroupRegistration_t, maxSpillFillBuffer, 8);
QNN_NODE_CHECK_OFFSET(QnnHtpGraph_CustomConfig_t, option, 0);
QNN_NODE_CHECK_OFFSET(QnnHtpGraph_CustomConfig_t, optimizationOption, QnnNode_HtpGraphUnionOffset);
QNN_NODE_CHECK_OFFSET(QnnHtpGraph_CustomConfig_t, numHvxThreads, QnnNode_HtpGraphUnionOffset);
QNN_NODE_CHECK_OFFSET(QnnHtpGraph_CustomConfig_t, vtcmSizeInMB, QnnNode_HtpGraphUnionOffset);
QNN_NODE_CHECK_SIZE(QnnHtpGraph_OptimizationOption_t, 8);
QNN_NODE_CHECK_OFFSET(QnnHtpGraph_OptimizationOption_t, floatValue, 4);
#if !QNN_NODE_HEADERS_FROM_SDK
/* the newest (SDK 2.43) graph layout; SDK 2.25 headers declare the 16-byte one */
QNN_NODE_CHECK_SIZE(QnnHtpGraph_CustomConfig_t, QnnNode_HtpGraphConfigSize243);
QNN_NODE_CHECK_SIZE(QnnHtpGraph_ParallelGraphExecutionConfig_t, 44);
QNN_NODE_CHECK_OFFSET(QnnHtpGraph_ParallelGraphExecutionConfig_t, vtcmConfig, 4);
QNN_NODE_CHECK_OFFSET(QnnHtpGraph_CustomConfig_t, parallelGraphExecutionConfig, QnnNode_HtpGraphUnionOffset);
QNN_NODE_CHECK_OFFSET(QnnHtpGraph_CustomConfig_t, hmxBoundingInfo, QnnNode_HtpGraphUnionOffset);
#endif
QNN_NODE_CHECK_SIZE(QnnHtpDevice_CustomConfig_t, QnnNode_HtpDeviceConfigSizeV12);
QNN_NODE_CHECK_OFFSET(QnnHtpDevice_CustomConfig_t, socModel, QnnNode_HtpDeviceUnionOffsetV12);
QNN_NODE_CHECK_OFFSET(QnnHtpDevice_CustomConfig_t, arch, QnnNode_HtpDeviceUnionOffsetV12);
QNN_NODE_CHECK_SIZE(QnnHtpDevice_Minimum_Arch_t, 8);
QNN_NODE_CHECK_OFFSET(QnnHtpDevice_UseSignedProcessDomain_t, useSignedProcessDomain, 4);
QNN_NODE_CHECK_OFFSET(QnnContext_Config_t, priority, 8);
QNN_NODE_CHECK_OFFSET(QnnGraph_Config_t, priority, 8);
QNN_NODE_CHECK_OFFSET(QnnGraph_Config_t, customConfig, 8);
QNN_NODE_CHECK_OFFSET(QnnContext_Config_t, customConfig, 8);
QNN_NODE_CHECK_OFFSET(QnnBackend_Config_t, customConfig, 8);
QNN_NODE_CHECK_OFFSET(QnnDevice_Config_t, customConfig, 8);

/* Memory registration (QnnMem): descriptor 48 bytes, no version field; HTP custom info 32 */
QNN_NODE_CHECK_SIZE(Qnn_MemShape_t, 24);
QNN_NODE_CHECK_OFFSET(Qnn_MemShape_t, numDim, 0);
QNN_NODE_CHECK_OFFSET(Qnn_MemShape_t, dimSize, 8);
QNN_NODE_CHECK_OFFSET(Qnn_MemShape_t, shapeConfig, 16);
QNN_NODE_CHECK_SIZE(Qnn_MemIonInfo_t, 4);
QNN_NODE_CHECK_SIZE(Qnn_MemDmaBufInfo_t, 16);
QNN_NODE_CHECK_OFFSET(Qnn_MemDmaBufInfo_t, data, 8);
QNN_NODE_CHECK_SIZE(Qnn_MemDescriptor_t, 48);
QNN_NODE_CHECK_OFFSET(Qnn_MemDescriptor_t, memShape, 0);
QNN_NODE_CHECK_OFFSET(Qnn_MemDescriptor_t, dataType, 24);
QNN_NODE_CHECK_OFFSET(Qnn_MemDescriptor_t, memType, 28);
QNN_NODE_CHECK_OFFSET(Qnn_MemDescriptor_t, ionInfo, 32);
QNN_NODE_CHECK_OFFSET(Qnn_MemDescriptor_t, customInfo, 32);
QNN_NODE_CHECK_OFFSET(Qnn_MemDescriptor_t, dmaBufInfo, 32);
QNN_NODE_STATIC_ASSERT(QNN_MEM_TYPE_ION == 1 && QNN_MEM_TYPE_CUSTOM == 2 &&
                           QNN_MEM_TYPE_DMA_BUF == 3, "Qnn_MemType_t values");
QNN_NODE_STATIC_ASSERT(QNN_TENSORMEMTYPE_MEMHANDLE == 1, "QNN_TENSORMEMTYPE_MEMHANDLE != 1");
QNN_NODE_CHECK_SIZE(QnnHtpMem_SharedBufferConfig_t, 16);
QNN_NODE_CHECK_OFFSET(QnnHtpMem_SharedBufferConfig_t, fd, 0);
QNN_NODE_CHECK_OFFSET(QnnHtpMem_SharedBufferConfig_t, offset, 8);
QNN_NODE_CHECK_SIZE(QnnMemHtp_Descriptor_t, 32);
QNN_NODE_CHECK_OFFSET(QnnMemHtp_Descriptor_t, type, 0);
QNN_NODE_CHECK_OFFSET(QnnMemHtp_Descriptor_t, size, 8);
QNN_NODE_CHECK_OFFSET(QnnMemHtp_Descriptor_t, qurtAddress, 16);
QNN_NODE_CHECK_OFFSET(QnnMemHtp_Descriptor_t, sharedBufferConfig, 16);
QNN_NODE_STATIC_ASSERT(QNN_HTP_MEM_QURT == 0 && QNN_HTP_MEM_SHARED_BUFFER == 1,
                       "QnnHtpMem_Type_t values");

#undef QNN_NODE_CHECK_SLOT

#endif /* 64-bit */

#endif /* QNN_NODE_QNN_ABI_CHECKS_H */
