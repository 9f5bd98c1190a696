// The model probe: composes a model library or a DLC (through a QnnModelDlc library) on a
// backend the way a QNN client does, and prints what happened as JSON lines on stdout.
// Tests (test/reference/models.test.ts, test/conformance/model-*.test.ts) judge the lines.
//
//   model_probe (--model <lib> | --dlc-lib <lib> --dlc <file>)
//               (--fake | --backend <libQnnX>) [--slots N] [--debug 0|1] [--log-level 0..5]
//               [--config-graph <name>] [--execute] [--binary <out>] [--backend-log 0..5]
//               [--raw-debug <byte>] [--raw-log-level <u32>]
//
// --fake: a recording table (model_probe_fake.h) instead of a backend; nothing is finalized.
// --slots: the by-value table's size (default: coreSlotCount of the backend's core version).
// --execute: finalize, then run every composed graph once on deterministic inputs (printed).
#include <chrono>
#include <cstdarg>
#include <cstdlib>
#include <fstream>
#include <utility>
#include <vector>

#include "model_probe_fake.h"
#include "qnn/qnn_model.h"

using namespace probe;
namespace abi = qnn_node::abi;

namespace {

struct Options {
  std::string model, dlcLib, dlc, backend, binary, configGraph;
  bool fake = false, execute = false;
  uint32_t slots = 0, debug = 0, logLevel = 3, backendLog = 0;
  int rawDebug = -1;
  long long rawLogLevel = -1;
};

double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void libraryLog(const char* fmt, QnnLog_Level_t level, uint64_t, va_list args) {
  char buf[2048];
  std::vsnprintf(buf, sizeof buf, fmt, args);
  std::printf("{\"event\":\"log\",\"level\":%d,\"message\":%s}\n", int(level), quote(buf).c_str());
}

void backendLog(const char* fmt, QnnLog_Level_t level, uint64_t, va_list args) {
  char buf[2048];
  std::vsnprintf(buf, sizeof buf, fmt, args);
  std::printf("{\"event\":\"backendLog\",\"level\":%d,\"message\":%s}\n", int(level), quote(buf).c_str());
}

// ---- calling compose with a by-value table of N slots --------------------------------------
template <size_t N>
struct TableN {
  void* slots[N];
};

struct ComposeArgs {
  void* fn;
  bool fromDlc;
  const char* dlcPath;
  Qnn_BackendHandle_t backend;
  Qnn_ContextHandle_t context;
  const GraphConfigInfo_t** configs;
  uint32_t numConfigs;
  GraphInfo_t*** graphs;
  uint32_t* numGraphs;
  uint8_t debug;
  QnnLog_Callback_t log;
  uint32_t level;
};

template <size_t N>
ModelError_t composeWith(const void* const* table, const ComposeArgs& a) {
  TableN<N> t;
  std::memcpy(t.slots, table, sizeof t.slots);
  if (a.fromDlc) {
    using Fn = ModelError_t (*)(Qnn_BackendHandle_t, TableN<N>, Qnn_ContextHandle_t, const GraphConfigInfo_t**, const char*,
                                uint32_t, GraphInfo_t***, uint32_t*, uint8_t, QnnLog_Callback_t, uint32_t);
    return reinterpret_cast<Fn>(a.fn)(a.backend, t, a.context, a.configs, a.dlcPath, a.numConfigs, a.graphs, a.numGraphs, a.debug,
                                      a.log, a.level);
  }
  using Fn = ModelError_t (*)(Qnn_BackendHandle_t, TableN<N>, Qnn_ContextHandle_t, const GraphConfigInfo_t**, uint32_t,
                              GraphInfo_t***, uint32_t*, uint8_t, QnnLog_Callback_t, uint32_t);
  return reinterpret_cast<Fn>(a.fn)(a.backend, t, a.context, a.configs, a.numConfigs, a.graphs, a.numGraphs, a.debug, a.log,
                                    a.level);
}

template <size_t... Counts>
bool dispatch(uint32_t slots, const void* const* table, const ComposeArgs& a, ModelError_t* rc,
              std::index_sequence<Counts...>) {
  bool done = false;
  ((slots == Counts && !done ? (*rc = composeWith<Counts>(table, a), done = true) : false), ...);
  return done;
}

// The table sizes of core 2.14 .. 2.32 (coreSlotCount).
using KnownSizes = std::index_sequence<55, 56, 59, 62, 64, 66, 67, 68, 69, 71>;

// ---- execution -------------------------------------------------------------------------------
size_t elementBytes(uint32_t dt) { return dt == QNN_DATATYPE_FLOAT_16 || (dt & 0xff) == 0x16 ? 2 : (dt & 0xff) == 0x32 ? 4 : (dt & 0xff) == 0x64 ? 8 : 1; }

size_t elementsOf(const Qnn_Tensor_t& t) {
  size_t n = 1;
  for (uint32_t i = 0; i < t.v1.rank; ++i) n *= t.v1.dimensions[i];
  return n;
}

// Deterministic inputs: floats ((k*7 + 3t) mod 11 - 5) / 4, 8-bit (k*37 + 101t) mod 256.
void fillInput(const Qnn_Tensor_t& t, size_t index, std::vector<uint8_t>* buf) {
  size_t n = elementsOf(t);
  uint32_t dt = t.v1.dataType;
  buf->assign(n * elementBytes(dt), 0);
  for (size_t k = 0; k < n; ++k) {
    float f = float(int((k * 7 + index * 3) % 11) - 5) / 4.f;
    if (dt == QNN_DATATYPE_FLOAT_32) std::memcpy(buf->data() + 4 * k, &f, 4);
    else if (dt == QNN_DATATYPE_FLOAT_16) {
      uint16_t h = floatToHalf(f);
      std::memcpy(buf->data() + 2 * k, &h, 2);
    } else if (elementBytes(dt) == 1) (*buf)[k] = uint8_t((k * 37 + index * 101) % 256);
  }
}

std::string valuesJson(const Qnn_Tensor_t& t, const std::vector<uint8_t>& buf) {
  std::string s = "[";
  size_t n = elementsOf(t);
  uint32_t dt = t.v1.dataType;
  for (size_t k = 0; k < n; ++k) {
    if (k) s += ",";
    if (dt == QNN_DATATYPE_FLOAT_32) {
      float f;
      std::memcpy(&f, buf.data() + 4 * k, 4);
      s += number(f);
    } else if (dt == QNN_DATATYPE_FLOAT_16) {
      uint16_t h;
      std::memcpy(&h, buf.data() + 2 * k, 2);
      s += number(halfToFloat(h));
    } else if (elementBytes(dt) == 1) {
      s += std::to_string(int(buf[k]));
    } else {
      s += "null";
    }
  }
  return s + "]";
}

std::string graphInfoJson(const GraphInfo_t& g) {
  std::string s = "{\"name\":" + quote(g.graphName ? g.graphName : "") + ",\"inputs\":[";
  for (uint32_t i = 0; i < g.numInputTensors; ++i) s += (i ? "," : "") + tensorJson(g.inputTensors[i], false);
  s += "],\"outputs\":[";
  for (uint32_t i = 0; i < g.numOutputTensors; ++i) s += (i ? "," : "") + tensorJson(g.outputTensors[i], false);
  return s + "]}";
}

int usage() {
  std::fprintf(stderr, "usage: model_probe (--model <lib> | --dlc-lib <lib> --dlc <file>) (--fake | --backend <lib>) [options]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 1 << 16);
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
    if (a == "--model") o.model = next();
    else if (a == "--dlc-lib") o.dlcLib = next();
    else if (a == "--dlc") o.dlc = next();
    else if (a == "--backend") o.backend = next();
    else if (a == "--fake") o.fake = true;
    else if (a == "--slots") o.slots = uint32_t(std::atoi(next().c_str()));
    else if (a == "--debug") o.debug = uint32_t(std::atoi(next().c_str()));
    else if (a == "--log-level") o.logLevel = uint32_t(std::atoi(next().c_str()));
    else if (a == "--backend-log") o.backendLog = uint32_t(std::atoi(next().c_str()));
    else if (a == "--config-graph") o.configGraph = next();
    else if (a == "--execute") o.execute = true;
    else if (a == "--binary") o.binary = next();
    else if (a == "--raw-debug") o.rawDebug = std::atoi(next().c_str());
    else if (a == "--raw-log-level") o.rawLogLevel = std::atoll(next().c_str());
    else return usage();
  }
  const bool fromDlc = !o.dlcLib.empty();
  if ((o.model.empty() == !fromDlc) || (o.fake == !o.backend.empty())) return usage();

  std::string err;
  void* lib = openLibrary(fromDlc ? o.dlcLib.c_str() : o.model.c_str(), &err);
  if (!lib) {
    std::printf("{\"event\":\"error\",\"stage\":\"load model library\",\"message\":%s}\n", quote(err).c_str());
    return 1;
  }
  void* composeFn = symbol(lib, fromDlc ? QNN_NODE_MODEL_COMPOSE_FROM_DLC_SYMBOL : QNN_NODE_MODEL_COMPOSE_SYMBOL);
  auto freeFn = reinterpret_cast<FreeGraphInfoFnHandleType_t>(symbol(lib, QNN_NODE_MODEL_FREE_SYMBOL));
  std::printf("{\"event\":\"entryPoints\",\"composeGraphs\":%s,\"composeGraphsFromDlc\":%s,\"freeGraphsInfo\":%s}\n",
              symbol(lib, QNN_NODE_MODEL_COMPOSE_SYMBOL) ? "true" : "false",
              symbol(lib, QNN_NODE_MODEL_COMPOSE_FROM_DLC_SYMBOL) ? "true" : "false", freeFn ? "true" : "false");
  if (!composeFn || !freeFn) return 1;

  // The backend: a real library's first provider, or the recording fake.
  void* fakeSlots[abi::kCoreSlotCount];
  const void* const* table = nullptr;
  Qnn_BackendHandle_t backend = nullptr;
  Qnn_ContextHandle_t context = nullptr;
  Qnn_LogHandle_t backendLogger = nullptr;
  abi::Version core{2, abi::kNewestKnownCoreMinor, 0};
  auto slot = [&](uint32_t s) -> void* { return abi::hasCoreSlot(core, s) ? const_cast<void*>(table[s]) : nullptr; };
  if (o.fake) {
    fakeTable(fakeSlots);
    table = fakeSlots;
    backend = reinterpret_cast<Qnn_BackendHandle_t>(uintptr_t(0xbac0));
    context = reinterpret_cast<Qnn_ContextHandle_t>(uintptr_t(0xc0c0));
  } else {
    void* b = openLibrary(o.backend.c_str(), &err);
    if (!b) {
      std::printf("{\"event\":\"error\",\"stage\":\"load backend\",\"message\":%s}\n", quote(err).c_str());
      return 1;
    }
    auto getProviders = reinterpret_cast<QnnNode_InterfaceGetProvidersFn_t>(symbol(b, QNN_NODE_INTERFACE_GET_PROVIDERS_SYMBOL));
    const QnnInterface_t** providers = nullptr;
    uint32_t count = 0;
    if (!getProviders || getProviders(&providers, &count) != QNN_SUCCESS || count == 0) {
      std::printf("{\"event\":\"error\",\"stage\":\"getProviders\"}\n");
      return 1;
    }
    const QnnInterface_t* p = providers[0];
    core = abi::Version{p->apiVersion.coreApiVersion.major, p->apiVersion.coreApiVersion.minor, p->apiVersion.coreApiVersion.patch};
    table = reinterpret_cast<const void* const*>(reinterpret_cast<const uint8_t*>(p) + abi::kInterfaceTableOffset);
    std::printf("{\"event\":\"backend\",\"provider\":%s,\"backendId\":%u,\"core\":\"%u.%u.%u\",\"backendApi\":\"%u.%u.%u\"}\n",
                quote(p->providerName ? p->providerName : "").c_str(), p->backendId, core.major, core.minor, core.patch,
                p->apiVersion.backendApiVersion.major, p->apiVersion.backendApiVersion.minor, p->apiVersion.backendApiVersion.patch);
    if (auto getBuildId = reinterpret_cast<QnnBackend_GetBuildIdFn_t>(slot(abi::kBackendGetBuildId))) {
      const char* id = nullptr;
      if (getBuildId(&id) == QNN_SUCCESS && id) std::printf("{\"event\":\"buildId\",\"id\":%s}\n", quote(id).c_str());
    }
    if (o.backendLog > 0) {
      if (auto logCreate = reinterpret_cast<QnnLog_CreateFn_t>(slot(abi::kLogCreate)))
        logCreate(&backendLog, static_cast<QnnLog_Level_t>(o.backendLog), &backendLogger);
    }
    auto t0 = std::chrono::steady_clock::now();
    Qnn_ErrorHandle_t rc = reinterpret_cast<QnnBackend_CreateFn_t>(slot(abi::kBackendCreate))(backendLogger, nullptr, &backend);
    if (rc == QNN_SUCCESS)
      rc = reinterpret_cast<QnnContext_CreateFn_t>(slot(abi::kContextCreate))(backend, nullptr, nullptr, &context);
    std::printf("{\"event\":\"setup\",\"rc\":%llu,\"ms\":%s}\n", static_cast<unsigned long long>(rc), number(msSince(t0)).c_str());
    if (rc != QNN_SUCCESS) return 1;
  }

  // Graph configs for --config-graph: one priority config, to see it reach that graph only.
  QnnGraph_Config_t priority;
  std::memset(&priority, 0, sizeof priority);
  priority.option = QNN_GRAPH_CONFIG_OPTION_PRIORITY;
  priority.priority = QNN_PRIORITY_HIGH;
  const QnnGraph_Config_t* graphConfigs[2] = {&priority, nullptr};
  GraphConfigInfo_t configInfo{const_cast<char*>(o.configGraph.c_str()), graphConfigs};
  const GraphConfigInfo_t* configList[1] = {&configInfo};

  uint32_t slots = o.slots ? o.slots : abi::coreSlotCount(core.minor);
  GraphInfo_t** graphs = nullptr;
  uint32_t numGraphs = 0;
  ComposeArgs args{composeFn,
                   fromDlc,
                   o.dlc.c_str(),
                   backend,
                   context,
                   o.configGraph.empty() ? nullptr : configList,
                   o.configGraph.empty() ? 0u : 1u,
                   &graphs,
                   &numGraphs,
                   uint8_t(o.rawDebug >= 0 ? o.rawDebug : int(o.debug)),
                   &libraryLog,
                   uint32_t(o.rawLogLevel >= 0 ? o.rawLogLevel : o.logLevel)};
  ModelError_t rc = MODEL_UNKNOWN_ERROR;
  auto t0 = std::chrono::steady_clock::now();
  if (!dispatch(slots, table, args, &rc, KnownSizes{})) {
    std::printf("{\"event\":\"error\",\"stage\":\"compose\",\"message\":\"no call shape for a %u-slot table\"}\n", slots);
    return 1;
  }
  double composeMs = msSince(t0);
  std::printf("{\"event\":\"compose\",\"rc\":%d,\"slots\":%u,\"ms\":%s,\"graphs\":[", int(rc), slots, number(composeMs).c_str());
  for (uint32_t i = 0; rc == MODEL_NO_ERROR && i < numGraphs; ++i) std::printf("%s%s", i ? "," : "", graphInfoJson(*graphs[i]).c_str());
  std::printf("]}\n");
  if (rc != MODEL_NO_ERROR) return 0;

  if (!o.fake && o.execute) {
    auto finalize = reinterpret_cast<QnnGraph_FinalizeFn_t>(slot(abi::kGraphFinalize));
    auto execute = reinterpret_cast<QnnGraph_ExecuteFn_t>(slot(abi::kGraphExecute));
    for (uint32_t g = 0; g < numGraphs; ++g) {
      GraphInfo_t& info = *graphs[g];
      t0 = std::chrono::steady_clock::now();
      Qnn_ErrorHandle_t frc = finalize(info.graph, nullptr, nullptr);
      std::printf("{\"event\":\"finalize\",\"graph\":%s,\"rc\":%llu,\"ms\":%s}\n", quote(info.graphName).c_str(),
                  static_cast<unsigned long long>(frc), number(msSince(t0)).c_str());
      if (frc != QNN_SUCCESS) continue;
      std::vector<Qnn_Tensor_t> ins(info.inputTensors, info.inputTensors + info.numInputTensors);
      std::vector<Qnn_Tensor_t> outs(info.outputTensors, info.outputTensors + info.numOutputTensors);
      std::vector<std::vector<uint8_t>> inBufs(ins.size()), outBufs(outs.size());
      std::string inJson = "[";
      for (size_t i = 0; i < ins.size(); ++i) {
        fillInput(ins[i], i, &inBufs[i]);
        ins[i].v1.memType = QNN_TENSORMEMTYPE_RAW;
        ins[i].v1.clientBuf = Qnn_ClientBuffer_t{inBufs[i].data(), uint32_t(inBufs[i].size())};
        inJson += (i ? "," : "") + std::string("{\"name\":") + quote(ins[i].v1.name) + ",\"values\":" + valuesJson(ins[i], inBufs[i]) + "}";
      }
      for (size_t i = 0; i < outs.size(); ++i) {
        outBufs[i].assign(elementsOf(outs[i]) * elementBytes(outs[i].v1.dataType), 0);
        outs[i].v1.memType = QNN_TENSORMEMTYPE_RAW;
        outs[i].v1.clientBuf = Qnn_ClientBuffer_t{outBufs[i].data(), uint32_t(outBufs[i].size())};
      }
      t0 = std::chrono::steady_clock::now();
      Qnn_ErrorHandle_t erc = execute(info.graph, ins.data(), uint32_t(ins.size()), outs.data(), uint32_t(outs.size()), nullptr, nullptr);
      double execMs = msSince(t0);
      std::string outJson = "[";
      for (size_t i = 0; i < outs.size(); ++i)
        outJson += (i ? "," : "") + std::string("{\"name\":") + quote(outs[i].v1.name) + ",\"values\":" + valuesJson(outs[i], outBufs[i]) + "}";
      std::printf("{\"event\":\"execute\",\"graph\":%s,\"rc\":%llu,\"ms\":%s,\"inputs\":%s],\"outputs\":%s]}\n", quote(info.graphName).c_str(),
                  static_cast<unsigned long long>(erc), number(execMs).c_str(), inJson.c_str(), outJson.c_str());
    }
  }
  if (!o.fake && !o.binary.empty()) {
    Qnn_ContextBinarySize_t size = 0;
    auto getSize = reinterpret_cast<QnnContext_GetBinarySizeFn_t>(slot(abi::kContextGetBinarySize));
    Qnn_ErrorHandle_t brc = getSize ? getSize(context, &size) : Qnn_ErrorHandle_t(~0u);
    if (brc == QNN_SUCCESS) {
      std::vector<uint8_t> bytes(static_cast<size_t>(size));
      Qnn_ContextBinarySize_t written = 0;
      brc = reinterpret_cast<QnnContext_GetBinaryFn_t>(slot(abi::kContextGetBinary))(context, bytes.data(), size, &written);
      if (brc == QNN_SUCCESS) std::ofstream(o.binary, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(written));
    }
    std::printf("{\"event\":\"binary\",\"rc\":%llu,\"size\":%llu}\n", static_cast<unsigned long long>(brc), static_cast<unsigned long long>(size));
  }
  ModelError_t frc = freeFn(&graphs, numGraphs);
  std::printf("{\"event\":\"free\",\"rc\":%d,\"cleared\":%s}\n", int(frc), graphs == nullptr ? "true" : "false");
  if (!o.fake) {
    if (auto contextFree = reinterpret_cast<QnnContext_FreeFn_t>(slot(abi::kContextFree))) contextFree(context, nullptr);
    if (auto backendFree = reinterpret_cast<QnnBackend_FreeFn_t>(slot(abi::kBackendFree))) backendFree(backend);
    if (backendLogger)
      if (auto logFree = reinterpret_cast<QnnLog_FreeFn_t>(slot(abi::kLogFree))) logFree(backendLogger);
  }
  std::printf("{\"event\":\"done\"}\n");
  return 0;
}
