#include "ContextConfigs.h"

#include <cmath>
#include <cstring>

#include "ContextState.h"
#include "Errors.h"
#include "HtpVersion.h"
#include "RawCustomConfigs.h"
#include "RuntimeState.h"

namespace qnn_node {

ValueKind KindOf(ConfigFamily family, uint32_t option) {
  switch (family) {
    case ConfigFamily::kContext:
      switch (option) {
        case QnnNode_HtpCtxFileReadMemoryBudget: return ValueKind::kU64;
        case QnnNode_HtpCtxShareResourcesOptimizationType: return ValueKind::kU32;
        case QnnNode_HtpCtxWeightSharing:
        case QnnNode_HtpCtxDspMemoryProfiling:
        case QnnNode_HtpCtxShareResources:
        case QnnNode_HtpCtxIoMemEstimation:
        case QnnNode_HtpCtxPrepareOnly:
        case QnnNode_HtpCtxInitAcceleration:
        case QnnNode_HtpCtxSkipValidationOnBinarySection:
        case QnnNode_HtpCtxUseExtendedUdma:
        case QnnNode_HtpCtxLoraWeightSharing: return ValueKind::kBool;
        default: return ValueKind::kNone;  // group registrations come from loadContexts only
      }
    case ConfigFamily::kGraph:
      switch (option) {
        case QnnNode_HtpGraphOptimization: return ValueKind::kU32F32;
        case QnnNode_HtpGraphPrecision:
        case QnnNode_HtpGraphVtcmSizeInMb:
        case QnnNode_HtpGraphNumCores:
        case QnnNode_HtpGraphVtcmSizeInBytes: return ValueKind::kU32;
        case QnnNode_HtpGraphNumHvxThreads: return ValueKind::kU64;
        case QnnNode_HtpGraphParallelExecution: return ValueKind::kParallel;
        case QnnNode_HtpGraphHmxBounding: return ValueKind::kF32Pair;
        case QnnNode_HtpGraphFoldReluOff:
        case QnnNode_HtpGraphShortDepthConvOnHmxOff:
        case QnnNode_HtpGraphWeightsPacking:
        case QnnNode_HtpGraphAssumeSameQuant:
        case QnnNode_HtpGraphShareIoBuffer:
        case QnnNode_HtpGraphAdvancedActivationFusion:
        case QnnNode_HtpGraphHighPrecisionSigmoid:
        case QnnNode_HtpGraphMonolithicLstm: return ValueKind::kBool;
        default: return ValueKind::kNone;
      }
    case ConfigFamily::kDevice:
      switch (option) {
        case QnnNode_HtpDeviceSoc: return ValueKind::kU32;
        case QnnNode_HtpDeviceArch: return ValueKind::kU32Pair;
        case QnnNode_HtpDeviceSignedPd:
        case QnnNode_HtpDeviceSecurePd: return ValueKind::kU32Bool;
        default: return ValueKind::kNone;
      }
    case ConfigFamily::kBackend:
      return ValueKind::kNone;  // the HTP headers define no backend custom configs
  }
  return ValueKind::kNone;
}

const char* FamilyName(ConfigFamily f) {
  switch (f) {
    case ConfigFamily::kBackend: return "backend";
    case ConfigFamily::kDevice: return "device";
    case ConfigFamily::kContext: return "context";
    case ConfigFamily::kGraph: return "graph";
  }
  return "?";
}

namespace {

// Writes `n` bytes of `src` at byte `offset` of `block`.
void Put(std::vector<uint64_t>& block, size_t offset, const void* src, size_t n) {
  std::memcpy(reinterpret_cast<uint8_t*>(block.data()) + offset, src, n);
}

}  // namespace

void ConfigArray::AddWord(uint32_t option, uint32_t value) {
  std::vector<uint64_t> c(kConfigSize / 8, 0);
  std::memcpy(c.data(), &option, 4);
  std::memcpy(reinterpret_cast<uint8_t*>(c.data()) + 8, &value, 4);
  configs_.push_back(std::move(c));
}

void ConfigArray::AddCustom(std::vector<uint64_t> block) {
  blocks_.push_back(std::move(block));
  std::vector<uint64_t> c(kConfigSize / 8, 0);  // option 0 = CUSTOM in every family
  const void* p = blocks_.back().data();
  std::memcpy(reinterpret_cast<uint8_t*>(c.data()) + 8, &p, sizeof p);
  configs_.push_back(std::move(c));
}

void ConfigArray::AddRaw(const void* config16) {
  std::vector<uint64_t> c(kConfigSize / 8, 0);
  std::memcpy(c.data(), config16, kConfigSize);
  configs_.push_back(std::move(c));
}

std::vector<uint64_t> BuildHtpCustomConfig(ConfigFamily family, const HtpCustomConfig& c, const Version& backend) {
  size_t size = 0, at = 0;
  switch (family) {
    case ConfigFamily::kContext:
      size = QnnNode_HtpContextConfigSize;
      at = QnnNode_HtpContextUnionOffset;
      break;
    case ConfigFamily::kGraph:
      // The 2.43 size covers every older layout (option and union offset never moved).
      size = QnnNode_HtpGraphConfigSize243;
      at = QnnNode_HtpGraphUnionOffset;
      break;
    case ConfigFamily::kDevice: {
      bool wide = backend.minor >= QnnNode_HtpDeviceWideSinceBackendMinor;
      size = wide ? QnnNode_HtpDeviceConfigSizeV16 : QnnNode_HtpDeviceConfigSizeV12;
      at = wide ? QnnNode_HtpDeviceUnionOffsetV16 : QnnNode_HtpDeviceUnionOffsetV12;
      break;
    }
    case ConfigFamily::kBackend:
      size = 16;
      at = 8;
      break;
  }
  if (!c.raw.empty()) return BuildRawCustomConfig(family, c, size, at, backend);
  std::vector<uint64_t> block((size + 7) / 8, 0);
  Put(block, 0, &c.option, 4);
  switch (KindOf(family, c.option)) {
    case ValueKind::kBool: {
      uint8_t b = c.u64 ? 1 : 0;
      Put(block, at, &b, 1);
      break;
    }
    case ValueKind::kU32: {
      uint32_t w = static_cast<uint32_t>(c.u64);
      Put(block, at, &w, 4);
      break;
    }
    case ValueKind::kU64: Put(block, at, &c.u64, 8); break;
    case ValueKind::kU32F32:
      Put(block, at, &c.words[0], 4);
      Put(block, at + 4, &c.floats[0], 4);
      break;
    case ValueKind::kU32Pair: Put(block, at, c.words, 8); break;
    case ValueKind::kU32Bool: {
      uint8_t b = c.words[1] ? 1 : 0;
      Put(block, at, &c.words[0], 4);
      Put(block, at + 4, &b, 1);
      break;
    }
    case ValueKind::kF32Pair: Put(block, at, c.floats, 8); break;
    case ValueKind::kParallel:
      // concurrency, then the VTCM config's size, offset and total; reserved words stay 0.
      Put(block, at, c.words, 16);
      break;
    case ValueKind::kNone: break;
  }
  return block;
}

std::vector<uint64_t> BuildGroupRegistration(Qnn_ContextHandle_t first, uint64_t maxSpillFill) {
  std::vector<uint64_t> block(QnnNode_HtpContextConfigSize / 8, 0);
  uint32_t option = QnnNode_HtpCtxRegisterMultiContexts;
  Put(block, 0, &option, 4);
  Put(block, QnnNode_HtpContextUnionOffset, &first, sizeof first);
  Put(block, QnnNode_HtpContextUnionOffset + 8, &maxSpillFill, 8);
  return block;
}

void AddCustomConfigs(ConfigArray& array, ConfigFamily family, const std::vector<HtpCustomConfig>& custom,
                      const Version& backend) {
  for (const auto& c : custom) array.AddCustom(BuildHtpCustomConfig(family, c, backend));
}

void CheckVersionGates(const std::vector<HtpCustomConfig>& custom, const ProviderInfo& provider, const char* family) {
  for (const auto& c : custom) RequireHtpOption(provider, std::string("The HTP ") + family + " option", c.name, c.sinceBackendMinor);
}

void CheckGraphConfigNames(const ContextConfigSpec& spec, const std::vector<std::unique_ptr<GraphState>>& graphs) {
  for (const auto& g : spec.graphs) {
    if (g.name.empty()) continue;
    bool found = false;
    for (const auto& gs : graphs) found = found || gs->meta.name == g.name;
    if (found) continue;
    std::string names;
    for (const auto& gs : graphs) names += (names.empty() ? "\"" : ", \"") + gs->meta.name + "\"";
    throw CoreError("UNKNOWN_GRAPH", "graphConfigs names the graph \"" + g.name + "\", which this context binary does not have (it has " +
                                         (names.empty() ? std::string("none") : names) + ")")
        .Detail("graph", g.name);
  }
}

void ApplyGraphConfigs(RuntimeState& rt, const ContextConfigSpec& spec, GraphState& graph) {
  const GraphConfigSpec* chosen = nullptr;
  for (const auto& g : spec.graphs) {
    if (g.name == graph.meta.name) chosen = &g;
    else if (g.name.empty() && !chosen) chosen = &g;
  }
  if (!chosen) return;
  if (!rt.fns.graphSetConfig) {
    throw CoreError("UNSUPPORTED_OPTION", "Graph configs need graphSetConfig, which the backend (core API " + rt.provider.core.str() +
                                              ") does not provide in its function table")
        .Detail("option", "graphConfig")
        .Detail("coreApiVersion", rt.provider.core.str());
  }
  CheckVersionGates(chosen->custom, rt.provider, "graph");
  ConfigArray a;
  if (chosen->hasPriority) a.AddWord(QNN_GRAPH_CONFIG_OPTION_PRIORITY, chosen->priority);
  AddCustomConfigs(a, ConfigFamily::kGraph, chosen->custom, rt.provider.backend);
  Qnn_ErrorHandle_t st = rt.fns.graphSetConfig(graph.handle, a.Get<QnnGraph_Config_t>());
  if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("graphSetConfig", st, "for graph \"" + graph.meta.name + "\""));
}

}  // namespace qnn_node
