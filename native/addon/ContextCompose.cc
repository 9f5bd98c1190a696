// ContextState::Compose: a context composed by a model library or libQnnModelDlc on the
// backend, finalized graph by graph, with the same graph metadata as a retrieved context.
#include <algorithm>
#include <chrono>
#include <cstring>

#include "qnn/qnn_abi_compat.h"

#include "AnswerDecoder.h"
#include "ContextState.h"
#include "LogBridge.h"
#include "Profiling.h"

namespace qnn_node {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// A core slot the composition needs, read for the reported version.
void* RequireSlot(const RuntimeState& rt, uint32_t slot, const char* function) {
  const Version& v = rt.provider.core;
  abi::Version core{v.major, v.minor, v.patch};
  void* fn = rt.coreInterface && slot < rt.coreSlots ? abi::readCoreSlot(rt.coreInterface, core, slot) : nullptr;
  if (!fn) {
    throw CoreError("UNSUPPORTED_FEATURE", std::string("Composing a model needs ") + function + ", which the backend " + rt.backendPath +
                                               " (core API " + v.str() + ") leaves NULL in its function table")
        .Detail("function", function)
        .Detail("coreApiVersion", v.str())
        .Detail("slot", std::to_string(slot));
  }
  return fn;
}

// Frees what the compose call returned, once.
struct GraphsInfoGuard {
  const ModelLibrary* lib;
  GraphInfo_t** graphs = nullptr;
  uint32_t count = 0;
  void Free() {
    if (graphs && lib->freeGraphs) lib->freeGraphs(&graphs, count);
    graphs = nullptr;
  }
  ~GraphsInfoGuard() { Free(); }
};

}  // namespace

void ContextState::Compose(const ComposeProgressFn& progress) {
  RuntimeState& rt = *runtime_;
  const ComposeRequest& req = *compose_;
  auto t0 = Clock::now();
  auto report = [&](bool finalize, const std::string& graph, uint32_t index, uint32_t count) {
    if (!progress) return;
    ComposeProgress p;
    p.finalize = finalize;
    p.graph = graph;
    p.index = index;
    p.count = count;
    p.elapsedMs = MsSince(t0);
    progress(p);
  };

  // The table the library receives: as many slots as the reported core version has. A
  // core newer than the layouts known here may have more (2.37: 72): passing fewer would
  // shift the arguments after the table (SysV), so such a backend is refused.
  const uint32_t slots = abi::coreSlotCount(rt.provider.core.minor);
  if (rt.provider.core.minor > abi::kNewestKnownCoreMinor) {
    throw CoreError("UNSUPPORTED_VERSION", "Cannot compose a model on the backend " + rt.backendPath + ": it reports core API " +
                                               rt.provider.core.str() + ", whose by-value function table may be larger than the newest layout qnn-node knows (2." +
                                               std::to_string(abi::kNewestKnownCoreMinor) + ", " + std::to_string(slots) +
                                               " slots); a model library built for it would read its later arguments from the wrong place. "
                                               "Compose with an SDK whose backend reports core API 2." + std::to_string(abi::kNewestKnownCoreMinor) +
                                               " or older, or load a context binary instead")
        .Detail("coreApiVersion", rt.provider.core.str())
        .Detail("newestKnownCoreApi", "2." + std::to_string(abi::kNewestKnownCoreMinor));
  }
  if (!ComposeSlotCountSupported(slots) || !rt.coreInterface) {
    throw CoreError("UNSUPPORTED_VERSION", "Cannot pass the function table of core API " + rt.provider.core.str() +
                                               " to a model library (" + std::to_string(slots) + " slots)")
        .Detail("coreApiVersion", rt.provider.core.str());
  }
  // The machine and the user's files first, then what the backend lacks.
  RequireHtpPrepare(rt);
  modelLibrary_ = req.dlc ? ModelLibrary::OpenDlc(req.dlcLibraries) : ModelLibrary::OpenModel(req.modelPath);
  modelLibraryPath_ = modelLibrary_->path;
  auto contextCreate = reinterpret_cast<QnnContext_CreateFn_t>(RequireSlot(rt, abi::kContextCreate, "contextCreate"));
  auto graphFinalize = reinterpret_cast<QnnGraph_FinalizeFn_t>(RequireSlot(rt, abi::kGraphFinalize, "graphFinalize"));

  // The context, with the configs loadContext sends (no persistent binary: there is none).
  auto tCreate = Clock::now();
  CheckVersionGates(configs_.custom, rt.provider, "context");
  ConfigArray contextConfigs;
  if (configs_.hasPriority) contextConfigs.AddWord(QNN_CONTEXT_CONFIG_OPTION_PRIORITY, configs_.priority);
  AddCustomConfigs(contextConfigs, ConfigFamily::kContext, configs_.custom, rt.provider.backend);
  Qnn_ErrorHandle_t st = contextCreate(rt.backendHandle, rt.deviceHandle,
                                       contextConfigs.empty() ? nullptr : contextConfigs.Get<QnnContext_Config_t>(), &context_);
  if (st != QNN_SUCCESS) {
    context_ = nullptr;
    throw CoreError(rt.WithDeviceContext(rt.StatusError("contextCreate", st)));
  }
  timings_.createMs = MsSince(tCreate);

  // Named graph configs go to graphCreate (GraphConfigInfo_t, matched by name by the
  // library); the unnamed one is set with graphSetConfig before finalize.
  std::vector<std::unique_ptr<ConfigArray>> arrays;
  std::vector<GraphConfigInfo_t> infos;
  for (const auto& g : configs_.graphs) {
    if (g.name.empty()) continue;
    CheckVersionGates(g.custom, rt.provider, "graph");
    arrays.emplace_back(new ConfigArray());
    if (g.hasPriority) arrays.back()->AddWord(QNN_GRAPH_CONFIG_OPTION_PRIORITY, g.priority);
    AddCustomConfigs(*arrays.back(), ConfigFamily::kGraph, g.custom, rt.provider.backend);
    infos.push_back(GraphConfigInfo_t{const_cast<char*>(g.name.c_str()), arrays.back()->Get<QnnGraph_Config_t>()});
  }
  std::vector<const GraphConfigInfo_t*> infoPointers;
  for (auto& i : infos) infoPointers.push_back(&i);

  report(false, "", 0, 1);
  composeSession_.reset(new ComposeSession(static_cast<const char*>(static_cast<const void*>(rt.coreInterface)) + abi::kInterfaceTableOffset,
                                           slots, rt.backendHandle, context_));
  LogChannel* log = rt.log();
  ComposeArgs args;
  args.backend = rt.backendHandle;
  args.context = context_;
  args.configs = infoPointers.empty() ? nullptr : infoPointers.data();
  args.numConfigs = static_cast<uint32_t>(infoPointers.size());
  args.dlcPath = req.dlc ? req.modelPath.c_str() : nullptr;
  args.logCallback = log ? log->callback() : nullptr;
  args.maxLogLevel = static_cast<QnnLog_Level_t>(log ? std::max(log->maxLevel(), kCaptureLevel) : QNN_LOG_LEVEL_ERROR);
  GraphsInfoGuard returned{modelLibrary_.get()};
  ModelError_t result;
  std::vector<std::string> messages;
  {
    LogCapture capture(log);
    auto tCompose = Clock::now();
    result = composeSession_->Call(*modelLibrary_, args, &returned.graphs, &returned.count);
    composeTimings_.composeMs = MsSince(tCompose);
    messages = capture.Lines();
  }
  if (result != MODEL_NO_ERROR) {
    NativeError e;
    e.code = "MODEL_COMPOSE_FAILED";
    std::string name = ModelErrorName(result);
    std::string what = req.dlc ? "libQnnModelDlc could not compose " + req.modelPath : "The model library " + modelLibraryPath_;
    e.message = what + (req.dlc ? "" : " could not compose its graphs") + ": " + name + " (" + std::to_string(static_cast<uint32_t>(result)) + ")";
    if (composeSession_->lastFailure() != 0) {
      NativeError s = rt.StatusError(composeSession_->lastFunction().c_str(), static_cast<Qnn_ErrorHandle_t>(composeSession_->lastFailure()));
      e.message += "; the backend's last refusal: " + s.message;
      e.hasStatus = true;
      e.status = s.status;
      e.statusName = s.statusName;
      e.apiFunction = s.apiFunction;
      e.backendMessage = s.backendMessage;
      e.hasBackendMessage = s.hasBackendMessage;
    }
    if (!messages.empty()) e.message += "\nBackend messages:\n  " + [&] {
      std::string joined;
      for (const auto& m : messages) joined += (joined.empty() ? "" : "\n  ") + m;
      return joined;
    }();
    e.details.emplace_back("modelError", name);
    e.details.emplace_back("modelErrorValue", std::to_string(static_cast<uint32_t>(result)));
    e.details.emplace_back("path", req.modelPath);
    e.details.emplace_back("library", modelLibraryPath_);
    e.listDetails.emplace_back("backendMessages", messages);
    throw CoreError(std::move(e));
  }

  // Deep copies of the graphs the library returned, then its memory goes back.
  const Version& v = rt.provider.core;
  SafeReader mem;
  Decoder decoder(mem, abi::tensorStride(abi::Version{v.major, v.minor, v.patch}));
  auto malformed = [&](const std::string& problem) {
    return CoreError("MODEL_COMPOSE_FAILED", "The model library " + modelLibraryPath_ + " returned malformed graph information: " + problem)
        .Detail("path", req.modelPath)
        .Detail("library", modelLibraryPath_);
  };
  if (returned.count == 0 || returned.count > kMaxGraphs) throw malformed(std::to_string(returned.count) + " graphs");
  if (!returned.graphs) throw malformed("a NULL GraphInfo_t array");
  for (uint32_t i = 0; i < returned.count; ++i) {
    std::string where = "graph info " + std::to_string(i);
    GraphInfo_t* entry = nullptr;
    if (!mem.Copy(&entry, returned.graphs + i, sizeof entry) || !entry) throw malformed(where + " is NULL or unreadable");
    GraphInfo_t info;
    if (!mem.Copy(&info, entry, sizeof info)) throw malformed(where + " is unreadable memory");
    auto gs = std::make_unique<GraphState>();
    try {
      gs->meta = decoder.GraphFromFields(info.graphName, info.inputTensors, info.numInputTensors, info.outputTensors,
                                         info.numOutputTensors, where);
    } catch (const Invalid& bad) {
      throw malformed(bad.Text());
    }
    if (!info.graph) throw malformed("graph \"" + gs->meta.name + "\" has a NULL handle");
    for (auto& other : graphs_)
      if (other->meta.name == gs->meta.name) throw malformed("two graphs are named \"" + gs->meta.name + "\"");
    gs->handle = info.graph;
    graphs_.push_back(std::move(gs));
  }
  returned.Free();
  CheckGraphConfigNames(configs_, graphs_);

  // Finalize each graph (the backend's prepare step: HTP compiles here), timed and profiled.
  auto tFinalize = Clock::now();
  ScopedProfile profile;
  if (loadProfileLevel_ != ProfileLevel::kOff) profile.Create(rt, loadProfileLevel_, "the graph finalize");
  const uint32_t count = static_cast<uint32_t>(graphs_.size());
  for (uint32_t i = 0; i < count; ++i) {
    GraphState& g = *graphs_[i];
    bool named = false;
    for (const auto& c : configs_.graphs) named = named || c.name == g.meta.name;
    if (!named) ApplyGraphConfigs(rt, configs_, g);
    report(true, g.meta.name, i, count);
    st = graphFinalize(g.handle, profile.handle(), nullptr);
    if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("graphFinalize", st, "for graph \"" + g.meta.name + "\""));
    PrebuildTensors(g);
  }
  composeTimings_.finalizeMs = MsSince(tFinalize);
  if (profile.handle()) loadProfile_ = profile.Read();
  timings_.retrieveMs = composeTimings_.composeMs + composeTimings_.finalizeMs;
  composeTimings_.totalMs = MsSince(t0);
  timings_.totalMs = composeTimings_.totalMs;
}

}  // namespace qnn_node
