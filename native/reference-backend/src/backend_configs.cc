// libQnnReference: configs and spill-fill groups (backend_configs.h).
#include "backend_configs.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "backend_journal.h"

namespace qnnref {
namespace {

enum class Family { kContext, kGraph, kDevice };

// The backend API minor (= SDK minor) from which the HTP headers define an option: the
// earliest measured header set that has it (SDK 2.25 or 2.43). 0: not an option.
uint32_t sinceMinor(Family f, uint32_t option) {
  switch (f) {
    case Family::kContext: return option >= 1 && option <= 6 ? 25 : option >= 7 && option <= 13 ? 43 : 0;
    case Family::kGraph: return option >= 1 && option <= 6 ? 25 : option >= 7 && option <= 17 ? 43 : 0;
    case Family::kDevice: return option <= 2 ? 25 : option == 3 ? 43 : 0;
  }
  return 0;
}

const char* contextOptionName(uint32_t o) {
  static const char* const names[] = {"?", "WEIGHT_SHARING_ENABLED", "REGISTER_MULTI_CONTEXTS", "FILE_READ_MEMORY_BUDGET",
                                      "DSP_MEMORY_PROFILING_ENABLED", "SHARE_RESOURCES", "IO_MEM_ESTIMATION", "PREPARE_ONLY",
                                      "INIT_ACCELERATION", "SKIP_VALIDATION_ON_BINARY_SECTION", "SHARE_RESOURCES_OPTIMIZATION_TYPE",
                                      "USE_EXTENDED_UDMA", "REGISTER_CONCURRENT_RESOURCE_SHARING", "LORA_WEIGHT_SHARING_ENABLED"};
  return o < sizeof names / sizeof names[0] ? names[o] : "?";
}

const char* graphOptionName(uint32_t o) {
  static const char* const names[] = {"?", "OPTIMIZATION", "PRECISION", "VTCM_SIZE_IN_MB", "FOLD_RELU_ACTIVATION_INTO_CONV_OFF",
                                      "SHORT_DEPTH_CONV_ON_HMX_OFF", "NUM_HVX_THREADS", "FINALIZE_CONFIG", "NUM_CORES",
                                      "PARALLEL_GRAPH_EXECUTION_CONFIG", "VTCM_SIZE_IN_BYTES", "HMX_BOUNDING", "WEIGHTS_PACKING",
                                      "ASSUME_SAME_QUANT", "SHARE_IO_BUFFER", "ADVANCED_ACTIVATION_FUSION", "HIGH_PRECISION_SIGMOID",
                                      "MONOLITHIC_LSTM"};
  return o < sizeof names / sizeof names[0] ? names[o] : "?";
}

const char* deviceOptionName(uint32_t o) {
  static const char* const names[] = {"SOC", "ARCH", "SIGNEDPD", "SECUREPD"};
  return o < 4 ? names[o] : "?";
}

uint32_t u32At(const void* p, size_t off) {
  uint32_t v;
  std::memcpy(&v, static_cast<const uint8_t*>(p) + off, 4);
  return v;
}
uint64_t u64At(const void* p, size_t off) {
  uint64_t v;
  std::memcpy(&v, static_cast<const uint8_t*>(p) + off, 8);
  return v;
}
float f32At(const void* p, size_t off) {
  float v;
  std::memcpy(&v, static_cast<const uint8_t*>(p) + off, 4);
  return v;
}
uint8_t u8At(const void* p, size_t off) { return static_cast<const uint8_t*>(p)[off]; }

// A bool member must hold 0 or 1 (the HTP reads a C bool).
bool readBool(const void* p, size_t off, bool* out) {
  uint8_t b = u8At(p, off);
  *out = b != 0;
  return b <= 1;
}

std::string joinArray(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s + "]";
}

// A version-gate refusal: the option exists in the HTP headers but not in the emulated SDK.
std::string versionMessage(const char* what, const char* name, uint32_t option, uint32_t since, const Emulation& emu) {
  return formatString("%s %s (%u) is not known to backend API %s (it appears in SDK 2.%u)", what, name, option,
                      versionString(emu.backend).c_str(), since);
}

// ---- spill-fill groups ----------------------------------------------------------------------
struct SpillFillGroup {
  uint32_t id = 0;
  uint64_t bytes = 0;
  ContextImpl* first = nullptr;  // null once the first context is freed
  std::set<ContextImpl*> members;
};
std::mutex g_groupsMu;
std::map<uint32_t, SpillFillGroup> g_groups;
std::map<ContextImpl*, uint32_t> g_groupOf;
uint32_t g_nextGroup = 1;

}  // namespace

Qnn_ErrorHandle_t takeBackendConfigs(const Logger* log, const Emulation& emu, const QnnBackend_Config_t** config) {
  std::vector<std::string> items;
  for (size_t i = 0; config && config[i]; ++i) {
    if (i >= 64) return fail(log, QNN_BACKEND_ERROR_INVALID_CONFIG, "backendCreate: config array is not NULL-terminated");
    const QnnBackend_Config_t* c = config[i];
    items.push_back(formatString("{\"option\":%u}", unsigned(c->option)));
    if (c->option == QNN_BACKEND_CONFIG_OPTION_CUSTOM) {
      // The HTP headers (2.25 - 2.43) define no backend custom config.
      return fail(log, QNN_BACKEND_ERROR_INVALID_CONFIG, "backendCreate: the HTP backend takes no custom backend configs");
    }
  }
  if (journalOn()) JournalEntry("backendCreate").raw("configs", joinArray(items)).str("backendApi", versionString(emu.backend)).write();
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t takeDeviceConfigs(const Logger* log, const Emulation& emu, const QnnDevice_Config_t** config) {
  std::vector<std::string> items;
  bool wide = emu.backend.minor >= 44;  // 16-byte layout, union at 8
  size_t at = wide ? 8 : 4;
  for (size_t i = 0; config && config[i]; ++i) {
    if (i >= 64) return fail(log, QNN_DEVICE_ERROR_INVALID_CONFIG, "deviceCreate: config array is not NULL-terminated");
    const QnnDevice_Config_t* c = config[i];
    if (c->option != QNN_DEVICE_CONFIG_OPTION_CUSTOM) {
      items.push_back(formatString("{\"option\":%u}", unsigned(c->option)));
      continue;
    }
    const void* h = c->customConfig;
    if (!h) return fail(log, QNN_DEVICE_ERROR_INVALID_CONFIG, "deviceCreate: custom config pointer is NULL");
    uint32_t opt = u32At(h, 0);
    uint32_t since = sinceMinor(Family::kDevice, opt);
    if (since == 0) return fail(log, QNN_DEVICE_ERROR_INVALID_CONFIG, formatString("deviceCreate: unknown HTP device config option %u", opt));
    if (since > emu.backend.minor)
      return fail(log, QNN_DEVICE_ERROR_INVALID_CONFIG, "deviceCreate: " + versionMessage("HTP device config option", deviceOptionName(opt), opt, since, emu));
    if (wide && u32At(h, 4) != 0)
      return fail(log, QNN_DEVICE_ERROR_INVALID_CONFIG,
                  "deviceCreate: HTP device custom config has non-zero padding at +4 (a 12-byte layout sent to a backend with the 16-byte one)");
    std::string fields = formatString("\"htpOption\":\"%s\",\"layoutBytes\":%u", deviceOptionName(opt), wide ? 16u : 12u);
    if (opt == 0) {
      fields += formatString(",\"socModel\":%u", u32At(h, at));
    } else if (opt == 1) {
      uint32_t arch = u32At(h, at + 4);
      if (arch != 0 && arch != 68 && arch != 69 && arch != 73 && arch != 75 && arch != 79 && arch != 81 && arch != 85)
        return fail(log, QNN_DEVICE_ERROR_INVALID_CONFIG, formatString("deviceCreate: unknown HTP arch %u", arch));
      fields += formatString(",\"deviceId\":%u,\"arch\":%u", u32At(h, at), arch);
    } else {
      bool b;
      if (!readBool(h, at + 4, &b)) return fail(log, QNN_DEVICE_ERROR_INVALID_CONFIG, "deviceCreate: process-domain flag is not a bool");
      fields += formatString(",\"deviceId\":%u,\"%s\":%s", u32At(h, at), opt == 2 ? "useSignedProcessDomain" : "useSecureProcessDomain",
                             b ? "true" : "false");
    }
    items.push_back("{\"option\":0," + fields + "}");
  }
  if (journalOn()) JournalEntry("deviceCreate").raw("configs", joinArray(items)).str("backendApi", versionString(emu.backend)).write();
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t readContextConfigs(const char* fn, const Logger* log, const Emulation& emu, const QnnContext_Config_t** config,
                                     ContextConfigRequest* out) {
  std::vector<std::string> items;
  auto bad = [&](uint32_t code, const std::string& msg) { return fail(log, code, std::string(fn) + ": " + msg); };
  for (size_t i = 0; config && config[i]; ++i) {
    if (i >= 256) return bad(QNN_CONTEXT_ERROR_INVALID_CONFIG, "config array is not NULL-terminated");
    const QnnContext_Config_t* c = config[i];
    switch (c->option) {
      case QNN_CONTEXT_CONFIG_PERSISTENT_BINARY:
        if (c->isPersistentBinary) out->zeroCopy = true;
        items.push_back(formatString("{\"option\":\"PERSISTENT_BINARY\",\"isPersistentBinary\":%u}", unsigned(c->isPersistentBinary)));
        break;
      case QNN_CONTEXT_CONFIG_OPTION_PRIORITY: {
        uint32_t p = c->priority;
        if (p != 0 && p != 100 && p != 150 && p != 200) return bad(QNN_CONTEXT_ERROR_INVALID_CONFIG, formatString("invalid priority %u", p));
        out->hasPriority = true;
        out->priority = p;
        items.push_back(formatString("{\"option\":\"PRIORITY\",\"priority\":%u}", p));
        break;
      }
      case QNN_CONTEXT_CONFIG_OPTION_CUSTOM: {
        const void* h = c->customConfig;
        if (!h) return bad(QNN_CONTEXT_ERROR_INVALID_CONFIG, "custom config pointer is NULL");
        uint32_t opt = u32At(h, 0);
        uint32_t since = sinceMinor(Family::kContext, opt);
        if (since == 0) return bad(QNN_CONTEXT_ERROR_INVALID_CONFIG, formatString("unknown HTP context config option %u", opt));
        if (since > emu.backend.minor)
          return bad(QNN_CONTEXT_ERROR_INVALID_CONFIG, versionMessage("HTP context config option", contextOptionName(opt), opt, since, emu));
        std::string fields = formatString("{\"option\":\"CUSTOM\",\"htpOption\":\"%s\"", contextOptionName(opt));
        switch (opt) {
          case 2:
          case 12: {
            if (opt == 12) return bad(QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE, "concurrent resource sharing is not emulated");
            out->group = true;
            out->groupFirst = reinterpret_cast<void*>(static_cast<uintptr_t>(u64At(h, 8)));
            out->groupBytes = u64At(h, 16);
            fields += formatString(",\"firstGroupHandle\":%s,\"maxSpillFillBuffer\":%llu", out->groupFirst ? "\"set\"" : "null",
                                   (unsigned long long)out->groupBytes);
            break;
          }
          case 3:
            fields += formatString(",\"fileReadMemoryBudgetInMb\":%llu", (unsigned long long)u64At(h, 8));
            break;
          case 5:
          case 10:
            // The headers: honoured only by contextCreateFromBinaryListAsync.
            return bad(QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE,
                       std::string(contextOptionName(opt)) + " applies only to contextCreateFromBinaryListAsync");
          default: {
            bool b;
            if (!readBool(h, 8, &b)) return bad(QNN_CONTEXT_ERROR_INVALID_CONFIG, std::string(contextOptionName(opt)) + " value is not a bool");
            fields += formatString(",\"value\":%s", b ? "true" : "false");
          }
        }
        items.push_back(fields + "}");
        break;
      }
      default:
        items.push_back(formatString("{\"option\":%u}", unsigned(c->option)));
    }
  }
  out->journal = joinArray(items);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t joinSpillFillGroup(const char* fn, const Logger* log, ContextImpl* ctx, const ContextConfigRequest& req) {
  std::lock_guard<std::mutex> lock(g_groupsMu);
  SpillFillGroup* group = nullptr;
  bool opened = false;
  if (!req.groupFirst) {
    SpillFillGroup g;
    g.id = g_nextGroup++;
    g.bytes = req.groupBytes;
    g.first = ctx;
    group = &(g_groups[g.id] = g);
    opened = true;
  } else {
    auto* first = static_cast<ContextImpl*>(req.groupFirst);
    bool live;
    {
      std::lock_guard<std::mutex> registry(g_mu);
      live = isHandle(first, Kind::Context);
    }
    auto it = live ? g_groupOf.find(first) : g_groupOf.end();
    if (it == g_groupOf.end() || g_groups[it->second].first != first) {
      return fail(log, QNN_CONTEXT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": firstGroupHandle is not the live first context of a spill-fill group");
    }
    group = &g_groups[it->second];
  }
  if (ctx->model.spillFillBytes > group->bytes) {
    uint64_t have = group->bytes;
    if (opened) g_groups.erase(group->id);
    return fail(log, QNN_CONTEXT_ERROR_CREATE_FROM_BINARY,
                formatString("%s: the binary needs a %llu-byte spill-fill buffer; its group allocated %llu", fn,
                             (unsigned long long)ctx->model.spillFillBytes, (unsigned long long)have));
  }
  group->members.insert(ctx);
  g_groupOf[ctx] = group->id;
  ctx->spillFillGroup = group->id;
  if (journalOn()) {
    JournalEntry("spillFillGroup")
        .num("group", group->id)
        .boolean("opened", opened)
        .u64("bytes", group->bytes)
        .u64("binaryNeeds", ctx->model.spillFillBytes)
        .num("members", double(group->members.size()))
        .write();
  }
  logf(log, QNN_LOG_LEVEL_INFO, "spill-fill group %u: %zu context(s) share %llu bytes", group->id, group->members.size(),
       (unsigned long long)group->bytes);
  return QNN_SUCCESS;
}

void leaveSpillFillGroup(ContextImpl* ctx) {
  std::lock_guard<std::mutex> lock(g_groupsMu);
  auto it = g_groupOf.find(ctx);
  if (it == g_groupOf.end()) return;
  SpillFillGroup& g = g_groups[it->second];
  g.members.erase(ctx);
  if (g.first == ctx) g.first = nullptr;  // later registrations naming it are refused
  uint32_t id = g.id;
  bool released = g.members.empty();
  g_groupOf.erase(it);
  if (released) g_groups.erase(id);
  if (journalOn()) JournalEntry("spillFillLeave").num("group", id).boolean("released", released).write();
}

Qnn_ErrorHandle_t readGraphConfigs(const char* fn, const Logger* log, const Emulation& emu, const QnnGraph_Config_t** config, bool finalized,
                                   std::string* journal) {
  std::vector<std::string> items;
  auto bad = [&](uint32_t code, const std::string& msg) { return fail(log, code, std::string(fn) + ": " + msg); };
  for (size_t i = 0; config && config[i]; ++i) {
    if (i >= 64) return bad(QNN_GRAPH_ERROR_INVALID_ARGUMENT, "config array is not NULL-terminated");
    const QnnGraph_Config_t* c = config[i];
    if (c->option == QNN_GRAPH_CONFIG_OPTION_PRIORITY) {
      uint32_t p = c->priority;
      if (p != 0 && p != 100 && p != 150 && p != 200) return bad(QNN_GRAPH_ERROR_INVALID_ARGUMENT, formatString("invalid priority %u", p));
      items.push_back(formatString("{\"option\":\"PRIORITY\",\"priority\":%u}", p));
      continue;
    }
    if (c->option != QNN_GRAPH_CONFIG_OPTION_CUSTOM) {
      items.push_back(formatString("{\"option\":%u}", unsigned(c->option)));
      continue;
    }
    const void* h = c->customConfig;
    if (!h) return bad(QNN_GRAPH_ERROR_INVALID_ARGUMENT, "custom config pointer is NULL");
    uint32_t opt = u32At(h, 0);
    uint32_t since = sinceMinor(Family::kGraph, opt);
    if (since == 0) return bad(QNN_GRAPH_ERROR_INVALID_ARGUMENT, formatString("unknown HTP graph config option %u", opt));
    if (since > emu.backend.minor)
      return bad(QNN_GRAPH_ERROR_INVALID_ARGUMENT, versionMessage("HTP graph config option", graphOptionName(opt), opt, since, emu));
    std::string fields = formatString("{\"option\":\"CUSTOM\",\"htpOption\":\"%s\"", graphOptionName(opt));
    switch (opt) {
      case 6: fields += formatString(",\"numHvxThreads\":%llu", (unsigned long long)u64At(h, 8)); break;
      case 8: fields += formatString(",\"numCores\":%u", u32At(h, 8)); break;
      case 9: {
        uint32_t concurrency = u32At(h, 8);
        if (concurrency > 1) return bad(QNN_GRAPH_ERROR_INVALID_ARGUMENT, formatString("unknown concurrency option %u", concurrency));
        for (size_t off = 24; off < 52; off += 4)  // the VTCM config's 3 and the struct's 4 reserved words
          if (u32At(h, off) != 0) return bad(QNN_GRAPH_ERROR_INVALID_ARGUMENT, "reserved words of the parallel config are not 0");
        fields += formatString(",\"concurrency\":%u,\"vtcmSizeInBytes\":%u,\"vtcmOffsetInBytes\":%u,\"vtcmSizeTotalInBytes\":%u", concurrency,
                               u32At(h, 12), u32At(h, 16), u32At(h, 20));
        break;
      }
      case 11: fields += formatString(",\"targetHmxFreqHz\":%.9g,\"targetDspCoreFreq\":%.9g", f32At(h, 8), f32At(h, 12)); break;
      default:
        // Everything else shapes how a graph is prepared: the HTP refuses it on a graph that
        // is already finalized (every graph of a context binary is); graphCreate takes it.
        if (finalized) return bad(QNN_GRAPH_ERROR_GRAPH_FINALIZED, std::string(graphOptionName(opt)) + " cannot be set on a finalized graph");
        switch (opt) {
          case 1: fields += formatString(",\"optimizationType\":%u,\"optimizationValue\":%.9g", u32At(h, 8), f32At(h, 12)); break;
          case 2: fields += formatString(",\"precision\":%u", u32At(h, 8)); break;
          case 3: fields += formatString(",\"vtcmSizeInMb\":%u", u32At(h, 8)); break;
          case 10: fields += formatString(",\"vtcmSizeInBytes\":%u", u32At(h, 8)); break;
          case 4: case 5: case 13: case 14: case 15: case 16: case 17: {
            bool v;
            if (!readBool(h, 8, &v)) return bad(QNN_GRAPH_ERROR_INVALID_ARGUMENT, std::string(graphOptionName(opt)) + " is not a bool");
            fields += formatString(",\"value\":%d", v ? 1 : 0);
            break;
          }
          default: break;  // FINALIZE_CONFIG, WEIGHTS_PACKING: the option is journaled
        }
    }
    items.push_back(fields + "}");
  }
  *journal = joinArray(items);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t graphSetConfig(Qnn_GraphHandle_t graph, const QnnGraph_Config_t** config) {
  GraphImpl* g = lookup<GraphImpl>(graph, Kind::Graph);
  if (!g) return fail(anyLogger(), QNN_GRAPH_ERROR_INVALID_HANDLE, "graphSetConfig: invalid graph handle");
  Logger* log = g->ctx->logger.get();
  const Emulation& emu = g->ctx->emu;
  QNNREF_INJECT("graphSetConfig", log);
  if (!config) return fail(log, QNN_GRAPH_ERROR_INVALID_ARGUMENT, "graphSetConfig: config is NULL");
  std::string journal;
  if (Qnn_ErrorHandle_t e = readGraphConfigs("graphSetConfig", log, emu, config, g->finalized, &journal)) return e;
  if (journalOn()) {
    const auto& name = g->ctx->model.graphs[g->index].name;
    JournalEntry("graphSetConfig").str("graph", name).raw("configs", journal).str("backendApi", versionString(emu.backend)).write();
  }
  return QNN_SUCCESS;
}

}  // namespace qnnref
