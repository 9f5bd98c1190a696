// qnn-node conformance: prints the binary layout of the QNN C API types the addon uses.
//
// Built twice by test/conformance/abi-layout.test.ts: once against the project's own
// declarations (native/qnn/) and once with -DQNN_NODE_USE_SDK_HEADERS against the real
// headers of the SDK in $QNN_SDK_ROOT. The test diffs the two outputs. Only names that
// native/qnn/qnn_api.h promises in both modes appear here; a field or table slot one side
// does not have prints as ABSENT instead of failing the build (C++20 requires-expressions),
// so the same file works with older and newer SDKs.
//
// Output lines (one fact each, whitespace separated):
//   size  <type> <bytes>
//   off   <type>.<field path> <offset> <bytes>     |  off <type>.<field path> ABSENT
//   slot  <core|system> <function> <index>         |  slot <table> <function> ABSENT
//   tbl   <core|system> <offset of the table in the provider struct> <slots>
//   enum  <name> <value>                            (from the generated enum list)
//   ver   <core|system> <major> <minor>             (the API version the headers describe)
//   fn    <core|system> <function> <demangled pointer type>   (slots the addon calls)

#include <cxxabi.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <typeinfo>

#include "qnn/qnn_api.h"

#pragma GCC diagnostic ignored "-Winvalid-offsetof"

#define QN_SIZE(T) std::printf("size %s %zu\n", #T, sizeof(T))

#define QN_OFF(T, path)                                                                      \
  do {                                                                                       \
    auto off = []<class U>(U*) -> long {                                                     \
      if constexpr (requires(U u) { u.path; }) return (long)offsetof(U, path);               \
      else return -1;                                                                        \
    };                                                                                       \
    auto len = []<class U>(U*) -> long {                                                     \
      if constexpr (requires(U u) { u.path; }) return (long)sizeof(((U*)nullptr)->path);     \
      else return -1;                                                                        \
    };                                                                                       \
    long o = off((T*)nullptr);                                                               \
    if (o < 0) std::printf("off %s.%s ABSENT\n", #T, #path);                                 \
    else std::printf("off %s.%s %ld %ld\n", #T, #path, o, len((T*)nullptr));                 \
  } while (0)

#define QN_SLOT(table, T, fn)                                                                \
  do {                                                                                       \
    auto off = []<class U>(U*) -> long {                                                     \
      if constexpr (requires(U u) { u.fn; }) return (long)offsetof(U, fn);                   \
      else return -1;                                                                        \
    };                                                                                       \
    long o = off((T*)nullptr);                                                               \
    if (o < 0) std::printf("slot %s %s ABSENT\n", table, #fn);                               \
    else std::printf("slot %s %s %ld\n", table, #fn, o / (long)sizeof(void*));               \
  } while (0)

// The full C++ type of a table slot, demangled: return and parameter types must be the same
// on both sides for every function the addon calls.
#define QN_FN(table, T, fn)                                                                  \
  do {                                                                                       \
    int status = 0;                                                                          \
    char* name = abi::__cxa_demangle(typeid(decltype(T::fn)).name(), nullptr, nullptr, &status); \
    std::printf("fn %s %s %s\n", table, #fn, name ? name : typeid(decltype(T::fn)).name());  \
    std::free(name);                                                                         \
  } while (0)

using CoreTable = decltype(QnnInterface_t::QNN_INTERFACE_VER_NAME);
using SystemTable = decltype(QnnSystemInterface_t::QNN_SYSTEM_INTERFACE_VER_NAME);

// Every core-table function any SDK release has had, in table order.
#define QN_CORE_FUNCTIONS(X)                                                                 \
  X(propertyHasCapability) X(backendCreate) X(backendSetConfig) X(backendGetApiVersion)      \
  X(backendGetBuildId) X(backendRegisterOpPackage) X(backendGetSupportedOperations)          \
  X(backendValidateOpConfig) X(backendFree) X(contextCreate) X(contextSetConfig)             \
  X(contextGetBinarySize) X(contextGetBinary) X(contextCreateFromBinary) X(contextFree)      \
  X(graphCreate) X(graphCreateSubgraph) X(graphSetConfig) X(graphAddNode) X(graphFinalize)   \
  X(graphRetrieve) X(graphExecute) X(graphExecuteAsync) X(tensorCreateContextTensor)         \
  X(tensorCreateGraphTensor) X(logCreate) X(logSetLogLevel) X(logFree) X(profileCreate)      \
  X(profileSetConfig) X(profileGetEvents) X(profileGetSubEvents) X(profileGetEventData)      \
  X(profileGetExtendedEventData) X(profileFree) X(memRegister) X(memDeRegister)              \
  X(deviceGetPlatformInfo) X(deviceFreePlatformInfo) X(deviceGetInfrastructure)              \
  X(deviceCreate) X(deviceSetConfig) X(deviceGetInfo) X(deviceFree) X(signalCreate)          \
  X(signalSetConfig) X(signalTrigger) X(signalFree) X(errorGetMessage)                       \
  X(errorGetVerboseMessage) X(errorFreeVerboseMessage) X(graphPrepareExecutionEnvironment)   \
  X(graphReleaseExecutionEnvironment) X(graphGetProperty) X(contextValidateBinary)           \
  X(contextCreateFromBinaryWithSignal) X(contextCreateFromBinaryListAsync)                   \
  X(tensorUpdateGraphTensors) X(tensorUpdateContextTensors) X(contextGetBinarySectionSize)   \
  X(contextGetBinarySection) X(contextApplyBinarySection) X(backendGetProperty)              \
  X(contextGetProperty) X(contextGetIncrementalBinary) X(contextReleaseIncrementalBinary)    \
  X(contextFinalize) X(globalConfigSet) X(contextCreateFromBinaryWithCallback)               \
  X(contextGetBinarySectionUpdate) X(contextFreeBinarySectionUpdate)

#define QN_SYSTEM_FUNCTIONS(X)                                                               \
  X(systemContextCreate) X(systemContextGetBinaryInfo) X(systemContextGetMetaData)           \
  X(systemContextFree) X(systemTensorGetMemoryFootprint) X(systemLogCreate)                  \
  X(systemLogSetLogLevel) X(systemLogFree) X(systemDlcCreateFromFile)                        \
  X(systemDlcCreateFromBinary) X(systemDlcComposeGraphs) X(systemDlcGetOpMappings)           \
  X(systemDlcFree) X(systemProfileCreateSerializationTarget)                                 \
  X(systemProfileSerializeEventData) X(systemProfileFreeSerializationTarget)

#define QN_BINARY_INFO(v)                                        \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v);                      \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.backendId);            \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.buildId);              \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.coreApiVersion);       \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.backendApiVersion);    \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.socVersion);           \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.hwInfoBlobVersion);    \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.contextBlobVersion);   \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.hwInfoBlobSize);       \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.hwInfoBlob);           \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.contextBlobSize);      \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.numContextTensors);    \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.contextTensors);       \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.numGraphs);            \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.graphs);               \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.platformInfo);         \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.contextMetadataSize);  \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.contextMetadata);      \
  QN_OFF(QnnSystemContext_BinaryInfo_t, v.socModel);

// Tensor fields through the Qnn_Tensor_t union member (`v1` / `v2`), so SDKs older than
// Qnn_TensorV2_t still compile (the v2 lines then print ABSENT).
#define QN_TENSOR_FIELDS(v)                         \
  QN_OFF(Qnn_Tensor_t, v);                          \
  QN_OFF(Qnn_Tensor_t, v.id);                       \
  QN_OFF(Qnn_Tensor_t, v.name);                     \
  QN_OFF(Qnn_Tensor_t, v.type);                     \
  QN_OFF(Qnn_Tensor_t, v.dataFormat);               \
  QN_OFF(Qnn_Tensor_t, v.dataType);                 \
  QN_OFF(Qnn_Tensor_t, v.quantizeParams);           \
  QN_OFF(Qnn_Tensor_t, v.rank);                     \
  QN_OFF(Qnn_Tensor_t, v.dimensions);               \
  QN_OFF(Qnn_Tensor_t, v.memType);                  \
  QN_OFF(Qnn_Tensor_t, v.clientBuf);                \
  QN_OFF(Qnn_Tensor_t, v.clientBuf.data);           \
  QN_OFF(Qnn_Tensor_t, v.clientBuf.dataSize);       \
  QN_OFF(Qnn_Tensor_t, v.memHandle);                \
  QN_OFF(Qnn_Tensor_t, v.isDynamicDimensions);      \
  QN_OFF(Qnn_Tensor_t, v.sparseParams);             \
  QN_OFF(Qnn_Tensor_t, v.isProduced);

int main() {
  std::printf("ver core %d %d\n", (int)QNN_API_VERSION_MAJOR, (int)QNN_API_VERSION_MINOR);
  std::printf("ver system %d %d\n", (int)QNN_SYSTEM_API_VERSION_MAJOR, (int)QNN_SYSTEM_API_VERSION_MINOR);
  // ---- provider structs and function tables
  QN_SIZE(Qnn_Version_t);
  QN_SIZE(Qnn_ApiVersion_t);
  QN_SIZE(QnnInterface_t);
  QN_OFF(QnnInterface_t, backendId);
  QN_OFF(QnnInterface_t, providerName);
  QN_OFF(QnnInterface_t, apiVersion);
  QN_OFF(QnnInterface_t, apiVersion.coreApiVersion);
  QN_OFF(QnnInterface_t, apiVersion.backendApiVersion);
  std::printf("tbl core %zu %zu\n", offsetof(QnnInterface_t, QNN_INTERFACE_VER_NAME),
              sizeof(CoreTable) / sizeof(void*));
#define QN_X(fn) QN_SLOT("core", CoreTable, fn);
  QN_CORE_FUNCTIONS(QN_X)
#undef QN_X
  QN_SIZE(QnnSystemInterface_t);
  QN_OFF(QnnSystemInterface_t, backendId);
  QN_OFF(QnnSystemInterface_t, providerName);
  QN_OFF(QnnSystemInterface_t, systemApiVersion);
  std::printf("tbl system %zu %zu\n", offsetof(QnnSystemInterface_t, QNN_SYSTEM_INTERFACE_VER_NAME),
              sizeof(SystemTable) / sizeof(void*));
#define QN_X(fn) QN_SLOT("system", SystemTable, fn);
  QN_SYSTEM_FUNCTIONS(QN_X)
#undef QN_X

  // Slots native/addon calls (RuntimeState.h CoreFns / SystemFns, plus the HTP perf entry).
  QN_FN("core", CoreTable, backendCreate);
  QN_FN("core", CoreTable, backendFree);
  QN_FN("core", CoreTable, backendGetApiVersion);
  QN_FN("core", CoreTable, backendGetBuildId);
  QN_FN("core", CoreTable, logCreate);
  QN_FN("core", CoreTable, logFree);
  QN_FN("core", CoreTable, deviceCreate);
  QN_FN("core", CoreTable, deviceFree);
  QN_FN("core", CoreTable, deviceGetInfrastructure);
  QN_FN("core", CoreTable, contextCreateFromBinary);
  QN_FN("core", CoreTable, contextFree);
  QN_FN("core", CoreTable, graphRetrieve);
  QN_FN("core", CoreTable, graphExecute);
  QN_FN("core", CoreTable, errorGetMessage);
#if QNN_API_VERSION_MINOR >= 18
  QN_FN("core", CoreTable, contextGetBinarySectionSize);
  QN_FN("core", CoreTable, contextGetBinarySection);
  QN_FN("core", CoreTable, contextApplyBinarySection);
#endif
  QN_FN("core", CoreTable, memRegister);
  QN_FN("core", CoreTable, memDeRegister);
  QN_FN("system", SystemTable, systemContextCreate);
  QN_FN("system", SystemTable, systemContextGetBinaryInfo);
  QN_FN("system", SystemTable, systemContextFree);

  // ---- configuration structs the addon fills
  QN_SIZE(QnnContext_Config_t);
  QN_OFF(QnnContext_Config_t, option);
  QN_OFF(QnnContext_Config_t, isPersistentBinary);
  QN_SIZE(QnnBackend_Config_t);
  QN_SIZE(QnnDevice_Config_t);

  // ---- profiles: event data (plain and extended) and profileSetConfig's struct
  QN_SIZE(QnnProfile_EventData_t);
  QN_OFF(QnnProfile_EventData_t, type);
  QN_OFF(QnnProfile_EventData_t, unit);
  QN_OFF(QnnProfile_EventData_t, value);
  QN_OFF(QnnProfile_EventData_t, identifier);
  QN_SIZE(QnnProfile_ExtendedEventData_t);
  QN_OFF(QnnProfile_ExtendedEventData_t, version);
  QN_OFF(QnnProfile_ExtendedEventData_t, v1.type);
  QN_OFF(QnnProfile_ExtendedEventData_t, v1.unit);
  QN_OFF(QnnProfile_ExtendedEventData_t, v1.value.dataType);
  QN_OFF(QnnProfile_ExtendedEventData_t, v1.value.uint64Value);
  QN_OFF(QnnProfile_ExtendedEventData_t, v1.backendOpaqueObject.opaqueObject.len);
  QN_OFF(QnnProfile_ExtendedEventData_t, v1.backendOpaqueObject.fileName);
  QN_OFF(QnnProfile_ExtendedEventData_t, v1.timestamp);
  QN_OFF(QnnProfile_ExtendedEventData_t, v1.identifier);
  QN_SIZE(QnnProfile_Config_t);
  QN_OFF(QnnProfile_Config_t, option);
  QN_OFF(QnnProfile_Config_t, numMaxEvents);
  QN_OFF(QnnProfile_Config_t, enableOptrace);
  QN_FN("core", CoreTable, profileCreate);
  QN_FN("core", CoreTable, profileSetConfig);
  QN_FN("core", CoreTable, profileGetEvents);
  QN_FN("core", CoreTable, profileGetSubEvents);
  QN_FN("core", CoreTable, profileGetEventData);
  QN_FN("core", CoreTable, profileGetExtendedEventData);
  QN_FN("core", CoreTable, profileFree);
  // ---- binary sections (contextApplyBinarySection / contextGetBinarySection; core 2.18+ headers)
#if QNN_API_VERSION_MINOR >= 18
  QN_SIZE(QnnContext_SectionType_t);
  QN_SIZE(Qnn_BinaryBuffer_t);
  QN_OFF(Qnn_BinaryBuffer_t, data);
  QN_OFF(Qnn_BinaryBuffer_t, dataSize);
  QN_SIZE(QnnContext_BufferV1_t);
  QN_SIZE(QnnContext_Buffer_t);
  QN_OFF(QnnContext_Buffer_t, version);
  QN_OFF(QnnContext_Buffer_t, v1);
  QN_OFF(QnnContext_Buffer_t, v1.memType);
  QN_OFF(QnnContext_Buffer_t, v1.binaryBuf.data);
  QN_OFF(QnnContext_Buffer_t, v1.binaryBuf.dataSize);
  QN_OFF(QnnContext_Buffer_t, v1.memHandle);
#endif

  // ---- backendGetSupportedOperations' entries
  QN_SIZE(QnnBackend_OperationName_t);
  QN_OFF(QnnBackend_OperationName_t, packageName);
  QN_OFF(QnnBackend_OperationName_t, name);
  QN_OFF(QnnBackend_OperationName_t, target);

  // ---- quantization
  QN_SIZE(Qnn_ScaleOffset_t);
  QN_SIZE(Qnn_QuantizeParams_t);
  QN_OFF(Qnn_QuantizeParams_t, encodingDefinition);
  QN_OFF(Qnn_QuantizeParams_t, quantizationEncoding);
  QN_OFF(Qnn_QuantizeParams_t, scaleOffsetEncoding.scale);
  QN_OFF(Qnn_QuantizeParams_t, scaleOffsetEncoding.offset);
  QN_OFF(Qnn_QuantizeParams_t, axisScaleOffsetEncoding.axis);
  QN_OFF(Qnn_QuantizeParams_t, axisScaleOffsetEncoding.numScaleOffsets);
  QN_OFF(Qnn_QuantizeParams_t, axisScaleOffsetEncoding.scaleOffset);
  QN_OFF(Qnn_QuantizeParams_t, bwScaleOffsetEncoding.bitwidth);
  QN_OFF(Qnn_QuantizeParams_t, bwScaleOffsetEncoding.scale);
  QN_OFF(Qnn_QuantizeParams_t, bwScaleOffsetEncoding.offset);
  QN_OFF(Qnn_QuantizeParams_t, bwAxisScaleOffsetEncoding.bitwidth);
  QN_OFF(Qnn_QuantizeParams_t, bwAxisScaleOffsetEncoding.axis);
  QN_OFF(Qnn_QuantizeParams_t, bwAxisScaleOffsetEncoding.numElements);
  QN_OFF(Qnn_QuantizeParams_t, bwAxisScaleOffsetEncoding.scales);
  QN_OFF(Qnn_QuantizeParams_t, bwAxisScaleOffsetEncoding.offsets);

  // ---- tensors
  QN_SIZE(Qnn_ClientBuffer_t);
  QN_SIZE(Qnn_TensorV1_t);
  QN_SIZE(Qnn_Tensor_t);
  QN_OFF(Qnn_Tensor_t, version);
  QN_TENSOR_FIELDS(v1)
  QN_TENSOR_FIELDS(v2)

  // ---- QnnSystem binary info
  QN_SIZE(QnnSystemContext_GraphInfoV1_t);
  QN_SIZE(QnnSystemContext_GraphInfo_t);
  QN_OFF(QnnSystemContext_GraphInfo_t, version);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV1);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV1.graphName);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV1.numGraphInputs);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV1.graphInputs);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV1.numGraphOutputs);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV1.graphOutputs);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV2);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV2.graphName);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV2.graphInputs);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV2.graphOutputs);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV2.numUpdateableTensors);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV2.updateableTensors);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV3);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV3.graphName);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV3.graphInputs);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV3.graphOutputs);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV3.graphBlobInfoSize);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV3.graphBlobInfo);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV3.startOpIndex);
  QN_OFF(QnnSystemContext_GraphInfo_t, graphInfoV3.endOpIndex);
  QN_SIZE(QnnSystemContext_BinaryInfo_t);
  QN_OFF(QnnSystemContext_BinaryInfo_t, version);
  QN_BINARY_INFO(contextBinaryInfoV1)
  QN_BINARY_INFO(contextBinaryInfoV2)
  QN_BINARY_INFO(contextBinaryInfoV3)

  // ---- HTP performance infrastructure
  QN_SIZE(QnnHtpPerfInfrastructure_DcvsV3_t);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, contextId);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, setDcvsEnable);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, dcvsEnable);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, powerMode);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, setSleepLatency);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, sleepLatency);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, setSleepDisable);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, sleepDisable);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, setBusParams);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, busVoltageCornerMin);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, busVoltageCornerTarget);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, busVoltageCornerMax);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, setCoreParams);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, coreVoltageCornerMin);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, coreVoltageCornerTarget);
  QN_OFF(QnnHtpPerfInfrastructure_DcvsV3_t, coreVoltageCornerMax);
  QN_SIZE(QnnHtpPerfInfrastructure_PowerConfig_t);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, option);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, dcvsV3Config);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, rpcControlLatencyConfig);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, rpcPollingTimeConfig);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, hmxTimeoutIntervalUsConfig);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, hmxV2Config);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, hmxV2Config.hmxPickDefault);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, hmxV2Config.hmxVoltageCornerMin);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, hmxV2Config.hmxVoltageCornerTarget);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, hmxV2Config.hmxVoltageCornerMax);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, hmxV2Config.hmxPerfMode);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, adaptivePollingTimeConfig);
  QN_OFF(QnnHtpPerfInfrastructure_PowerConfig_t, ddrPerfModeConfig);
  QN_SIZE(QnnHtpDevice_PerfInfrastructure_t);
  QN_OFF(QnnHtpDevice_PerfInfrastructure_t, createPowerConfigId);
  QN_OFF(QnnHtpDevice_PerfInfrastructure_t, destroyPowerConfigId);
  QN_OFF(QnnHtpDevice_PerfInfrastructure_t, setPowerConfig);
  QN_OFF(QnnHtpDevice_PerfInfrastructure_t, setMemoryConfig);
  QN_SIZE(QnnHtpDevice_Infrastructure_t);
  QN_OFF(QnnHtpDevice_Infrastructure_t, infraType);
  QN_OFF(QnnHtpDevice_Infrastructure_t, perfInfra);

  // ---- HTP custom configs (context, graph, device) and the priority slot of core configs
  QN_SIZE(QnnHtpContext_CustomConfig_t);
  QN_OFF(QnnHtpContext_CustomConfig_t, option);
  QN_OFF(QnnHtpContext_CustomConfig_t, weightSharingEnabled);
  QN_OFF(QnnHtpContext_CustomConfig_t, groupRegistration);
  QN_OFF(QnnHtpContext_CustomConfig_t, fileReadMemoryBudgetInMb);
  QN_OFF(QnnHtpContext_CustomConfig_t, ioMemEstimation);
  QN_OFF(QnnHtpContext_CustomConfig_t, initAcceleration);
  QN_OFF(QnnHtpContext_CustomConfig_t, loraWeightSharingEnabled);
  QN_SIZE(QnnHtpContext_GroupRegistration_t);
  QN_OFF(QnnHtpContext_GroupRegistration_t, firstGroupHandle);
  QN_OFF(QnnHtpContext_GroupRegistration_t, maxSpillFillBuffer);
  QN_SIZE(QnnHtpGraph_CustomConfig_t);
  QN_OFF(QnnHtpGraph_CustomConfig_t, option);
  QN_OFF(QnnHtpGraph_CustomConfig_t, optimizationOption);
  QN_OFF(QnnHtpGraph_CustomConfig_t, precision);
  QN_OFF(QnnHtpGraph_CustomConfig_t, numHvxThreads);
  QN_OFF(QnnHtpGraph_CustomConfig_t, numCores);
  QN_OFF(QnnHtpGraph_CustomConfig_t, parallelGraphExecutionConfig);
  QN_OFF(QnnHtpGraph_CustomConfig_t, hmxBoundingInfo);
  QN_SIZE(QnnHtpGraph_OptimizationOption_t);
  QN_OFF(QnnHtpGraph_OptimizationOption_t, floatValue);
  QN_SIZE(QnnHtpDevice_CustomConfig_t);
  QN_OFF(QnnHtpDevice_CustomConfig_t, option);
  QN_OFF(QnnHtpDevice_CustomConfig_t, socModel);
  QN_OFF(QnnHtpDevice_CustomConfig_t, arch);
  QN_OFF(QnnHtpDevice_CustomConfig_t, useSignedProcessDomain);
  QN_OFF(QnnHtpDevice_CustomConfig_t, useSecureProcessDomain);
  QN_OFF(QnnContext_Config_t, priority);
  QN_OFF(QnnGraph_Config_t, priority);
  QN_OFF(QnnGraph_Config_t, customConfig);

  // ---- memory registration (memRegister's descriptor, the HTP shared-buffer custom info)
  QN_SIZE(Qnn_MemShape_t);
  QN_OFF(Qnn_MemShape_t, numDim);
  QN_OFF(Qnn_MemShape_t, dimSize);
  QN_OFF(Qnn_MemShape_t, shapeConfig);
  QN_SIZE(Qnn_MemIonInfo_t);
  QN_SIZE(Qnn_MemDmaBufInfo_t);
  QN_OFF(Qnn_MemDmaBufInfo_t, fd);
  QN_OFF(Qnn_MemDmaBufInfo_t, data);
  QN_SIZE(Qnn_MemDescriptor_t);
  QN_OFF(Qnn_MemDescriptor_t, memShape);
  QN_OFF(Qnn_MemDescriptor_t, dataType);
  QN_OFF(Qnn_MemDescriptor_t, memType);
  QN_OFF(Qnn_MemDescriptor_t, ionInfo);
  QN_OFF(Qnn_MemDescriptor_t, ionInfo.fd);
  QN_OFF(Qnn_MemDescriptor_t, customInfo);
  QN_OFF(Qnn_MemDescriptor_t, dmaBufInfo);
  QN_SIZE(QnnHtpMem_SharedBufferConfig_t);
  QN_OFF(QnnHtpMem_SharedBufferConfig_t, fd);
  QN_OFF(QnnHtpMem_SharedBufferConfig_t, offset);
  QN_SIZE(QnnMemHtp_Descriptor_t);
  QN_OFF(QnnMemHtp_Descriptor_t, type);
  QN_OFF(QnnMemHtp_Descriptor_t, size);
  QN_OFF(QnnMemHtp_Descriptor_t, qurtAddress);
  QN_OFF(QnnMemHtp_Descriptor_t, sharedBufferConfig);
  QN_OFF(QnnMemHtp_Descriptor_t, weightsBufferConfig);
  QN_OFF(QnnMemHtp_Descriptor_t, sharedSpillfillBufferConfig);

#ifdef QN_ENUMS_FILE
#include QN_ENUMS_FILE
#endif
  return 0;
}
