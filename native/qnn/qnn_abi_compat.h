/*
 * qnn-node: what a runtime needs to talk to QNN libraries of OTHER releases than the
 * declarations it was compiled with (docs/qnn-abi.md). C++17, project names only.
 *
 * Supported range: the runtime refuses core API < 2.14 (kMinSupportedCoreMinor). Older
 * layouts are described here anyway so the refusal can be explained, and so that the
 * reference backend can emulate them in tests.
 */
#ifndef QNN_NODE_QNN_ABI_COMPAT_H
#define QNN_NODE_QNN_ABI_COMPAT_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace qnn_node {
namespace abi {

struct Version {
  uint32_t major;
  uint32_t minor;
  uint32_t patch;
};

constexpr bool atLeast(const Version& v, uint32_t major, uint32_t minor) {
  return v.major > major || (v.major == major && v.minor >= minor);
}

// ---- core API versions -------------------------------------------------------------------
constexpr uint32_t kCoreMajor = 2;
constexpr uint32_t kMinSupportedCoreMinor = 14;  // runtime refuses anything older
constexpr uint32_t kNewestKnownCoreMinor = 32;   // the table layout declared in qnn_interface.h
constexpr uint32_t kAppendOnlySinceMinor = 9;    // before 2.9 the table order differs

// Byte offset of the function table inside QnnInterface_t (after backendId, providerName,
// apiVersion), and the size of one slot.
constexpr size_t kInterfaceTableOffset = 40;
constexpr size_t kSlotSize = sizeof(void*);

// Slot indices in the 2.9+ (append-only) table.
enum CoreSlot : uint32_t {
  kPropertyHasCapability = 0,
  kBackendCreate = 1,
  kBackendSetConfig = 2,
  kBackendGetApiVersion = 3,
  kBackendGetBuildId = 4,
  kBackendRegisterOpPackage = 5,
  kBackendGetSupportedOperations = 6,
  kBackendValidateOpConfig = 7,
  kBackendFree = 8,
  kContextCreate = 9,
  kContextSetConfig = 10,
  kContextGetBinarySize = 11,
  kContextGetBinary = 12,
  kContextCreateFromBinary = 13,
  kContextFree = 14,
  kGraphCreate = 15,
  kGraphCreateSubgraph = 16,
  kGraphSetConfig = 17,
  kGraphAddNode = 18,
  kGraphFinalize = 19,
  kGraphRetrieve = 20,
  kGraphExecute = 21,
  kGraphExecuteAsync = 22,
  kTensorCreateContextTensor = 23,
  kTensorCreateGraphTensor = 24,
  kLogCreate = 25,
  kLogSetLogLevel = 26,
  kLogFree = 27,
  kProfileCreate = 28,
  kProfileSetConfig = 29,
  kProfileGetEvents = 30,
  kProfileGetSubEvents = 31,
  kProfileGetEventData = 32,
  kProfileGetExtendedEventData = 33,
  kProfileFree = 34,
  kMemRegister = 35,
  kMemDeRegister = 36,
  kDeviceGetPlatformInfo = 37,
  kDeviceFreePlatformInfo = 38,
  kDeviceGetInfrastructure = 39,
  kDeviceCreate = 40,
  kDeviceSetConfig = 41,
  kDeviceGetInfo = 42,
  kDeviceFree = 43,
  kSignalCreate = 44,
  kSignalSetConfig = 45,
  kSignalTrigger = 46,
  kSignalFree = 47,
  kErrorGetMessage = 48,
  kErrorGetVerboseMessage = 49,
  kErrorFreeVerboseMessage = 50,
  kGraphPrepareExecutionEnvironment = 51,
  kGraphReleaseExecutionEnvironment = 52,
  kGraphGetProperty = 53,
  kContextValidateBinary = 54,
  kContextCreateFromBinaryWithSignal = 55,
  kContextCreateFromBinaryListAsync = 56,
  kTensorUpdateGraphTensors = 57,
  kTensorUpdateContextTensors = 58,
  kContextGetBinarySectionSize = 59,
  kContextGetBinarySection = 60,
  kContextApplyBinarySection = 61,
  kBackendGetProperty = 62,
  kContextGetProperty = 63,
  kContextGetIncrementalBinary = 64,
  kContextReleaseIncrementalBinary = 65,
  kContextFinalize = 66,
  kGlobalConfigSet = 67,
  kContextCreateFromBinaryWithCallback = 68,
  kContextGetBinarySectionUpdate = 69,
  kContextFreeBinarySectionUpdate = 70,
  kCoreSlotCount = 71,
};

// The core minor that introduced each slot (2.9 for the base table). The last two were
// measured present in 2.32 and absent in 2.30; they are treated as 2.32 (conservative).
constexpr uint8_t kCoreSlotSinceMinor[kCoreSlotCount] = {
    9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,   //  0-19
    9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,   // 20-39
    9,  9,  9,  9,  9,  9,  9,  9,                                                   // 40-47
    11, 11, 11,                                                                      // error*
    12, 12, 12,                                                                      // graph env, property
    13,                                                                              // validateBinary
    15,                                                                              // withSignal
    17, 17, 17,                                                                      // listAsync, tensorUpdate*
    18, 18, 18,                                                                      // binary sections
    22, 22,                                                                          // get properties
    25, 25,                                                                          // incremental binary
    26,                                                                              // contextFinalize
    27,                                                                              // globalConfigSet
    28,                                                                              // withCallback
    32, 32,                                                                          // section updates
};

// Slots in the pre-2.9 (core 2.7/2.8) table: the 2.9 base table without these four.
constexpr uint32_t kOldLayoutSlotCount = 44;
constexpr uint32_t kOldLayoutMissing[4] = {kBackendSetConfig, kGraphCreateSubgraph,
                                           kProfileSetConfig, kProfileGetExtendedEventData};

// Position of a 2.9+ slot in the pre-2.9 table, or -1 if the old table has no such slot.
constexpr int oldLayoutIndex(uint32_t slot) {
  if (slot >= 48) return -1;
  int shift = 0;
  for (uint32_t m : kOldLayoutMissing) {
    if (m == slot) return -1;
    if (m < slot) ++shift;
  }
  return static_cast<int>(slot) - shift;
}

// Number of pointer slots a library reporting core API 2.<minor> provides. For minors newer
// than the project knows it returns the count the project knows about (later ones append).
constexpr uint32_t coreSlotCount(uint32_t minor) {
  if (minor < kAppendOnlySinceMinor) return kOldLayoutSlotCount;
  uint32_t n = 0;
  for (uint32_t i = 0; i < kCoreSlotCount; ++i)
    if (kCoreSlotSinceMinor[i] <= minor) n = i + 1;
  return n;
}

// Whether a slot (2.9+ index) may be read from a library of this core version. A slot that
// may be read can still be NULL: treat NULL as "not supported".
constexpr bool hasCoreSlot(const Version& core, uint32_t slot) {
  return core.major == kCoreMajor && core.minor >= kAppendOnlySinceMinor &&
         slot < kCoreSlotCount && kCoreSlotSinceMinor[slot] <= core.minor;
}

constexpr bool isSupportedCore(const Version& core) {
  return core.major == kCoreMajor && core.minor >= kMinSupportedCoreMinor;
}

// Reads slot `slot` of a provider's table (nullptr if the version lacks it). Reads exactly
// one pointer; never touches memory beyond the slots the reported version has.
inline void* readCoreSlot(const void* qnnInterface, const Version& core, uint32_t slot) {
  if (!hasCoreSlot(core, slot)) return nullptr;
  void* fn = nullptr;
  std::memcpy(&fn,
              static_cast<const unsigned char*>(qnnInterface) + kInterfaceTableOffset +
                  slot * kSlotSize,
              sizeof fn);
  return fn;
}

// ---- tensors --------------------------------------------------------------------------------
constexpr size_t kTensorStrideV2Era = 144;  // core >= 2.14: version tag + union{V1, V2}
constexpr size_t kTensorStrideV1Era = 120;  // core < 2.14: version tag + V1 only
constexpr size_t kTensorV1Size = 112;
constexpr size_t kTensorUnionOffset = 8;

// Stride of Qnn_Tensor_t arrays (graphExecute inputs/outputs, GraphInfo tensors).
constexpr size_t tensorStride(const Version& core) {
  return atLeast(core, 2, 14) ? kTensorStrideV2Era : kTensorStrideV1Era;
}

// ---- System API -----------------------------------------------------------------------------
constexpr uint32_t kSystemMajor = 1;
// System 1.1 and 1.2 have the four systemContext slots; later minors only append.
constexpr uint32_t kSystemBaseSlotCount = 4;
constexpr size_t kSystemInterfaceTableOffset = 32;

constexpr size_t kGraphInfoStrideV1 = 48;  // GraphInfo V1 only (SDK <= 2.23)
constexpr size_t kGraphInfoStrideV2 = 64;  // V2 added (SDK 2.24 - 2.27, still System 1.1)
constexpr size_t kGraphInfoStrideV3 = 88;  // V3 added (System 1.2+)

// Stride of the BinaryInfo `graphs` array. From System 1.2 it is 88. At System 1.1 the
// System version cannot tell; the HTP backend API minor (= SDK minor, when both libraries
// come from one SDK) does: <= 23 -> 48, 24..27 -> 64. Returns 0 when it cannot be decided
// (System 1.1 without a backend minor): the caller must refuse rather than guess.
constexpr size_t graphInfoStride(const Version& system, uint32_t htpBackendApiMinor) {
  if (system.major != kSystemMajor) return 0;
  if (system.minor >= 2) return kGraphInfoStrideV3;
  if (htpBackendApiMinor == 0) return 0;
  if (htpBackendApiMinor <= 23) return kGraphInfoStrideV1;
  return kGraphInfoStrideV2;
}

// BinaryInfo versions a System library may return: V1/V2 from 1.1, V3 from 1.2. Always
// select the layout by the returned version tag. Offsets of `numGraphs` / `graphs` inside
// the versioned struct (add 8 for the tag):
constexpr size_t kBinaryInfoUnionOffset = 8;
constexpr size_t kBinaryInfoV1V2NumGraphs = 112;
constexpr size_t kBinaryInfoV1V2Graphs = 120;
constexpr size_t kBinaryInfoV3NumGraphs = 88;
constexpr size_t kBinaryInfoV3Graphs = 96;
constexpr size_t kBinaryInfoSize = 144;

// Names that newer headers add and older SDK headers lack (System 1.2's V3 layouts, the
// bfloat16 data type): code that must also compile against those headers uses these values.
constexpr uint32_t kBinaryInfoVersion3 = 3;
constexpr uint32_t kGraphInfoVersion3 = 3;
constexpr uint32_t kDataTypeBFloat16 = 0x0226;

// ---- old layouts (< 2.9) --------------------------------------------------------------------
// Core 2.7/2.8 libraries (SDK <= 2.15): 44-slot table in a different order (see
// oldLayoutIndex), Qnn_Tensor_t stride 120 (V1 only), GraphInfo stride 48, System 1.1.
// A client built against newer headers calls the wrong functions of such a library, so
// the runtime must refuse them (it requires core >= 2.14 anyway).

}  // namespace abi
}  // namespace qnn_node

#endif  // QNN_NODE_QNN_ABI_COMPAT_H
