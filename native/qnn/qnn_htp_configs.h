/*
 * qnn-node: the HTP custom configs a client hands to contextCreateFromBinary,
 * graphSetConfig, backendCreate and deviceCreate (through the `customConfig` pointer of
 * the core config structs). Include qnn_api.h instead.
 *
 * Own-declaration mode declares the structs in the newest layout measured (SDK 2.43
 * headers). In SDK-header mode the structs come from the SDK's HTP headers, which may be
 * older and lack options: code that must compile in both modes uses only the
 * QnnNode_Htp* option numbers and byte offsets below, never union members that an
 * older header lacks. Layout facts: docs/qnn-abi.md ("HTP custom configs").
 */
#ifndef QNN_NODE_QNN_HTP_CONFIGS_H
#define QNN_NODE_QNN_HTP_CONFIGS_H

#ifdef __cplusplus
#include <cstdint>
#else
#include <stdbool.h>
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if !QNN_NODE_HEADERS_FROM_SDK

typedef enum {
  QNN_PRECISION_FLOAT32 = 0,
  QNN_PRECISION_FLOAT16 = 1,
  QNN_PRECISION_UNDEFINED = 0x7FFFFFFF
} Qnn_Precision_t;

/* ---- context (QnnHtpContext_CustomConfig_t: 24 bytes, option at 0, union at 8) ------- */
typedef enum {
  QNN_HTP_CONTEXT_CONFIG_OPTION_WEIGHT_SHARING_ENABLED = 1,
  QNN_HTP_CONTEXT_CONFIG_OPTION_REGISTER_MULTI_CONTEXTS = 2,
  QNN_HTP_CONTEXT_CONFIG_OPTION_FILE_READ_MEMORY_BUDGET = 3,
  QNN_HTP_CONTEXT_CONFIG_OPTION_DSP_MEMORY_PROFILING_ENABLED = 4,
  QNN_HTP_CONTEXT_CONFIG_OPTION_SHARE_RESOURCES = 5,
  QNN_HTP_CONTEXT_CONFIG_OPTION_IO_MEM_ESTIMATION = 6,
  QNN_HTP_CONTEXT_CONFIG_OPTION_PREPARE_ONLY = 7,
  QNN_HTP_CONTEXT_CONFIG_OPTION_INIT_ACCELERATION = 8,
  QNN_HTP_CONTEXT_CONFIG_OPTION_SKIP_VALIDATION_ON_BINARY_SECTION = 9,
  QNN_HTP_CONTEXT_CONFIG_OPTION_SHARE_RESOURCES_OPTIMIZATION_TYPE = 10,
  QNN_HTP_CONTEXT_CONFIG_OPTION_USE_EXTENDED_UDMA = 11,
  QNN_HTP_CONTEXT_CONFIG_OPTION_REGISTER_CONCURRENT_RESOURCE_SHARING = 12,
  QNN_HTP_CONTEXT_CONFIG_OPTION_LORA_WEIGHT_SHARING_ENABLED = 13,
  QNN_HTP_CONTEXT_CONFIG_OPTION_UNKNOWN = 0x7fffffff
} QnnHtpContext_ConfigOption_t;

/* A spill-fill group: the first context's handle (NULL registers a new group) and the
 * buffer size the group allocates (taken from the first registration only). */
typedef struct {
  Qnn_ContextHandle_t firstGroupHandle;
  uint64_t maxSpillFillBuffer;
} QnnHtpContext_GroupRegistration_t;

typedef enum {
  SEQUENTIAL_WITH_VA_OPTIMIZATION = 0,
  SEQUENTIAL_WITHOUT_VA_OPTIMIZATION = 1,
  CONCURRENT_OPTIMIZATION = 2
} QnnHtpContext_ShareResourcesOptimizationType_t;

typedef struct QnnHtpContext_CustomConfig {
  QnnHtpContext_ConfigOption_t option;
  union {
    bool weightSharingEnabled;
    QnnHtpContext_GroupRegistration_t groupRegistration;
    uint64_t fileReadMemoryBudgetInMb;
    bool dspMemoryProfilingEnabled;
    bool shareResources;
    bool ioMemEstimation;
    bool isPrepareOnly;
    bool initAcceleration;
    bool skipValidationOnBinarySection;
    QnnHtpContext_ShareResourcesOptimizationType_t shareResOptType;
    bool useExtendedUdma;
    QnnHtpContext_GroupRegistration_t concurrentGroupRegistration;
    bool loraWeightSharingEnabled;
  };
} QnnHtpContext_CustomConfig_t;

/* ---- graph (QnnHtpGraph_CustomConfig_t: option at 0, union at 8; 16 bytes in SDK 2.25,
 * 56 in 2.43, whose largest member is the parallel-execution config) ------------------ */
typedef enum {
  QNN_HTP_GRAPH_OPTIMIZATION_TYPE_SCHEDULE_THRESHOLD = 1,
  QNN_HTP_GRAPH_OPTIMIZATION_TYPE_FINALIZE_RETRIES = 2,
  QNN_HTP_GRAPH_OPTIMIZATION_TYPE_FINALIZE_OPTIMIZATION_FLAG = 3,
  QNN_HTP_GRAPH_OPTIMIZATION_TYPE_ENABLE_DLBC = 4,
  QNN_HTP_GRAPH_OPTIMIZATION_TYPE_ENABLE_DLBC_WEIGHTS = 5,
  QNN_HTP_GRAPH_OPTIMIZATION_TYPE_ENABLE_SPARSE_WEIGHTS_COMPRESSION = 6,
  QNN_HTP_GRAPH_OPTIMIZATION_TYPE_ENABLE_SLC_ALLOCATOR = 7,
  QNN_HTP_GRAPH_OPTIMIZATION_TYPE_UNKNOWN = 0x7fffffff
} QnnHtpGraph_OptimizationType_t;

typedef struct {
  QnnHtpGraph_OptimizationType_t type;
  float floatValue;
} QnnHtpGraph_OptimizationOption_t;

typedef struct {
  uint32_t sizeInBytes;
  uint32_t offsetInBytes;
  uint32_t sizeTotalInBytes;
  uint32_t reserved[3];
} QnnHtpGraph_VtcmConfig_t;

typedef enum {
  QNN_HTP_GRAPH_CONCURRENCY_OPTION_NONE = 0,
  QNN_HTP_GRAPH_CONCURRENCY_OPTION_DEFAULT = 0,
  QNN_HTP_GRAPH_CONCURRENCY_OPTION_ALL_SHARED = 1,
  QNN_HTP_GRAPH_CONCURRENCY_OPTION_UNKNOWN = 0x7fffffff
} QnnHtpGraph_ConcurrencyOption_t;

typedef struct {
  QnnHtpGraph_ConcurrencyOption_t concurrency;
  QnnHtpGraph_VtcmConfig_t vtcmConfig;
  uint32_t reserved[4];
} QnnHtpGraph_ParallelGraphExecutionConfig_t;

typedef struct QnnHtp_HmxBoundingInfo {
  float targetHmxFreqHz;
  float targetDspCoreFreq;
} QnnHtp_HmxBoundingInfo_t;

typedef enum {
  QNN_HTP_GRAPH_CONFIG_OPTION_OPTIMIZATION = 1,
  QNN_HTP_GRAPH_CONFIG_OPTION_PRECISION = 2,
  QNN_HTP_GRAPH_CONFIG_OPTION_VTCM_SIZE_IN_MB = 3,
  QNN_HTP_GRAPH_CONFIG_OPTION_VTCM_SIZE = 3,
  QNN_HTP_GRAPH_CONFIG_OPTION_FOLD_RELU_ACTIVATION_INTO_CONV_OFF = 4,
  QNN_HTP_GRAPH_CONFIG_OPTION_SHORT_DEPTH_CONV_ON_HMX_OFF = 5,
  QNN_HTP_GRAPH_CONFIG_OPTION_NUM_HVX_THREADS = 6,
  QNN_HTP_GRAPH_CONFIG_OPTION_FINALIZE_CONFIG = 7,
  QNN_HTP_GRAPH_CONFIG_OPTION_NUM_CORES = 8,
  QNN_HTP_GRAPH_CONFIG_OPTION_PARALLEL_GRAPH_EXECUTION_CONFIG = 9,
  QNN_HTP_GRAPH_CONFIG_OPTION_VTCM_SIZE_IN_BYTES = 10,
  QNN_HTP_GRAPH_CONFIG_OPTION_HMX_BOUNDING = 11,
  QNN_HTP_GRAPH_CONFIG_OPTION_WEIGHTS_PACKING = 12,
  QNN_HTP_GRAPH_CONFIG_OPTION_ASSUME_SAME_QUANT = 13,
  QNN_HTP_GRAPH_CONFIG_OPTION_SHARE_IO_BUFFER = 14,
  QNN_HTP_GRAPH_CONFIG_OPTION_ADVANCED_ACTIVATION_FUSION = 15,
  QNN_HTP_GRAPH_CONFIG_OPTION_HIGH_PRECISION_SIGMOID = 16,
  QNN_HTP_GRAPH_CONFIG_OPTION_MONOLITHIC_LSTM = 17,
  QNN_HTP_GRAPH_CONFIG_OPTION_RESERVED = 0x7fff0000,
  QNN_HTP_GRAPH_CONFIG_OPTION_UNKNOWN = 0x7fffffff
} QnnHtpGraph_ConfigOption_t;

/* FINALIZE_CONFIG's {key, Qnn_Scalar_t} member is represented by its 24 bytes only:
 * qnn-node does not send it (it applies when a graph is finalized). */
typedef struct {
  const char* key;
  uint64_t valueBytes[2];
} QnnNode_HtpGraphFinalizeConfig_t;

typedef struct {
  QnnHtpGraph_ConfigOption_t option;
  union {
    QnnHtpGraph_OptimizationOption_t optimizationOption;
    Qnn_Precision_t precision;
    uint32_t vtcmSizeInMB;
    bool foldReluActivationIntoConvOff;
    bool shortDepthConvOnHmxOff;
    uint64_t numHvxThreads;
    void* reserved;
    QnnNode_HtpGraphFinalizeConfig_t finalizeConfig;
    uint32_t numCores;
    QnnHtpGraph_ParallelGraphExecutionConfig_t parallelGraphExecutionConfig;
    uint32_t vtcmSizeInBytes;
    QnnHtp_HmxBoundingInfo_t hmxBoundingInfo;
    bool weightsPacking;
    bool assumeSameQuant;
    bool shareIOBuffer;
    bool advancedActivationFusion;
    bool highPrecisionSigmoid;
    bool monolithicLstm;
  };
} QnnHtpGraph_CustomConfig_t;

/* ---- device (QnnHtpDevice_CustomConfig_t: 12 bytes, union at 4, through SDK 2.43) ---- */
typedef enum {
  QNN_HTP_DEVICE_ARCH_NONE = 0,
  QNN_HTP_DEVICE_ARCH_V68 = 68,
  QNN_HTP_DEVICE_ARCH_V69 = 69,
  QNN_HTP_DEVICE_ARCH_V73 = 73,
  QNN_HTP_DEVICE_ARCH_V75 = 75,
  QNN_HTP_DEVICE_ARCH_V79 = 79,
  QNN_HTP_DEVICE_ARCH_V81 = 81,
  QNN_HTP_DEVICE_ARCH_V85 = 85,
  QNN_HTP_DEVICE_ARCH_UNKNOWN = 0x7fffffff
} QnnHtpDevice_Arch_t;

typedef struct {
  uint32_t deviceId;
  QnnHtpDevice_Arch_t arch;
} QnnHtpDevice_Minimum_Arch_t;

typedef struct {
  uint32_t deviceId;
  bool useSignedProcessDomain;
} QnnHtpDevice_UseSignedProcessDomain_t;

typedef struct {
  uint32_t deviceId;
  bool useSecureProcessDomain;
} QnnHtpDevice_UseSecureProcessDomain_t;

typedef enum {
  QNN_HTP_DEVICE_CONFIG_OPTION_SOC = 0,
  QNN_HTP_DEVICE_CONFIG_OPTION_ARCH = 1,
  QNN_HTP_DEVICE_CONFIG_OPTION_SIGNEDPD = 2,
  QNN_HTP_DEVICE_CONFIG_OPTION_SECUREPD = 3,
  QNN_HTP_DEVICE_CONFIG_OPTION_UNKNOWN = 0x7fffffff
} QnnHtpDevice_ConfigOption_t;

typedef struct {
  QnnHtpDevice_ConfigOption_t option;
  union {
    uint32_t socModel;
    QnnHtpDevice_Minimum_Arch_t arch;
    QnnHtpDevice_UseSignedProcessDomain_t useSignedProcessDomain;
    QnnHtpDevice_UseSecureProcessDomain_t useSecureProcessDomain;
  };
} QnnHtpDevice_CustomConfig_t;

#endif /* !QNN_NODE_HEADERS_FROM_SDK */

/* ---- mode-independent facts (option numbers and byte layouts per reported version) -- */
enum {
  /* context custom config */
  QnnNode_HtpContextUnionOffset = 8,
  QnnNode_HtpContextConfigSize = 24,
  /* graph custom config: union offset; size in the SDK 2.25 and 2.43 header sets */
  QnnNode_HtpGraphUnionOffset = 8,
  QnnNode_HtpGraphConfigSize225 = 16,
  QnnNode_HtpGraphConfigSize243 = 56,
  /* device custom config: 12 bytes with the union at 4 through backend API 5.43, 16 bytes
   * with the union at 8 from 5.44 (docs/qnn-abi.md) */
  QnnNode_HtpDeviceUnionOffsetV12 = 4,
  QnnNode_HtpDeviceConfigSizeV12 = 12,
  QnnNode_HtpDeviceUnionOffsetV16 = 8,
  QnnNode_HtpDeviceConfigSizeV16 = 16,
  QnnNode_HtpDeviceWideSinceBackendMinor = 44,
  /* option numbers */
  QnnNode_HtpCtxWeightSharing = 1,
  QnnNode_HtpCtxRegisterMultiContexts = 2,
  QnnNode_HtpCtxFileReadMemoryBudget = 3,
  QnnNode_HtpCtxDspMemoryProfiling = 4,
  QnnNode_HtpCtxShareResources = 5,
  QnnNode_HtpCtxIoMemEstimation = 6,
  QnnNode_HtpCtxPrepareOnly = 7,
  QnnNode_HtpCtxInitAcceleration = 8,
  QnnNode_HtpCtxSkipValidationOnBinarySection = 9,
  QnnNode_HtpCtxShareResourcesOptimizationType = 10,
  QnnNode_HtpCtxUseExtendedUdma = 11,
  QnnNode_HtpCtxRegisterConcurrentResourceSharing = 12,
  QnnNode_HtpCtxLoraWeightSharing = 13,
  QnnNode_HtpGraphOptimization = 1,
  QnnNode_HtpGraphPrecision = 2,
  QnnNode_HtpGraphVtcmSizeInMb = 3,
  QnnNode_HtpGraphFoldReluOff = 4,
  QnnNode_HtpGraphShortDepthConvOnHmxOff = 5,
  QnnNode_HtpGraphNumHvxThreads = 6,
  QnnNode_HtpGraphFinalizeConfig = 7,
  QnnNode_HtpGraphNumCores = 8,
  QnnNode_HtpGraphParallelExecution = 9,
  QnnNode_HtpGraphVtcmSizeInBytes = 10,
  QnnNode_HtpGraphHmxBounding = 11,
  QnnNode_HtpGraphWeightsPacking = 12,
  QnnNode_HtpGraphAssumeSameQuant = 13,
  QnnNode_HtpGraphShareIoBuffer = 14,
  QnnNode_HtpGraphAdvancedActivationFusion = 15,
  QnnNode_HtpGraphHighPrecisionSigmoid = 16,
  QnnNode_HtpGraphMonolithicLstm = 17,
  QnnNode_HtpDeviceSoc = 0,
  QnnNode_HtpDeviceArch = 1,
  QnnNode_HtpDeviceSignedPd = 2,
  QnnNode_HtpDeviceSecurePd = 3
};

/* The HTP's hardware-info blob in a context binary's info (QnnSystem BinaryInfo V1/V2
 * hwInfoBlob): version at 0, V1 {graphListIndex u32, spillFillBufferSize u64} at 8. For
 * BinaryInfo V3, each GraphInfo V3's graphBlobInfo: version at 0, V1 {spillFillBufferSize
 * u64, ...} at 8. Both give the spill-fill buffer a context needs. */
enum {
  QnnNode_HtpHwBlobSpillFillOffset = 16,
  QnnNode_HtpHwBlobMinSize = 24,
  QnnNode_HtpGraphBlobSpillFillOffset = 8,
  QnnNode_HtpGraphBlobMinSize = 16
};

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QNN_NODE_QNN_HTP_CONFIGS_H */
