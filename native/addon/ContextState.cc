#include "ContextState.h"

#include <chrono>
#include <cstring>

#include "BinaryInfo.h"
#include "HtpVersion.h"

namespace qnn_node {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Fills a Qnn_Tensor_t for graphExecute from the metadata (pointers into `meta`).
void FillTensor(TensorMeta& meta, const IoBuffer& buf, Qnn_Tensor_t* t) {
  std::memset(t, 0, sizeof *t);
  t->version = static_cast<Qnn_TensorVersion_t>(meta.version);
  Qnn_TensorV1_t& v = t->v1;
  v.id = meta.id;
  v.name = meta.name.c_str();
  v.type = static_cast<Qnn_TensorType_t>(meta.type);
  v.dataFormat = meta.dataFormat;
  v.dataType = static_cast<Qnn_DataType_t>(meta.dataType);
  v.rank = static_cast<uint32_t>(meta.dims.size());
  v.dimensions = meta.dims.empty() ? nullptr : meta.dims.data();
  v.memType = QNN_TENSORMEMTYPE_RAW;
  v.clientBuf.data = buf.data;
  v.clientBuf.dataSize = static_cast<uint32_t>(buf.size);
  Qnn_QuantizeParams_t& q = v.quantizeParams;
  q.encodingDefinition = static_cast<Qnn_Definition_t>(meta.quant.definition);
  q.quantizationEncoding = static_cast<Qnn_QuantizationEncoding_t>(meta.quant.encoding);
  switch (meta.quant.encoding) {
    case QNN_QUANTIZATION_ENCODING_SCALE_OFFSET:
      q.scaleOffsetEncoding.scale = meta.quant.scale;
      q.scaleOffsetEncoding.offset = meta.quant.offset;
      break;
    case QNN_QUANTIZATION_ENCODING_BW_SCALE_OFFSET:
      q.bwScaleOffsetEncoding.bitwidth = meta.quant.bitwidth;
      q.bwScaleOffsetEncoding.scale = meta.quant.scale;
      q.bwScaleOffsetEncoding.offset = meta.quant.offset;
      break;
    case QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET:
      if (meta.quant.scaleOffsets.size() != meta.quant.scales.size()) {
        meta.quant.scaleOffsets.resize(meta.quant.scales.size());
        for (size_t i = 0; i < meta.quant.scales.size(); ++i) {
          meta.quant.scaleOffsets[i].scale = meta.quant.scales[i];
          meta.quant.scaleOffsets[i].offset = meta.quant.offsets[i];
        }
      }
      q.axisScaleOffsetEncoding.axis = meta.quant.axis;
      q.axisScaleOffsetEncoding.numScaleOffsets = static_cast<uint32_t>(meta.quant.scaleOffsets.size());
      q.axisScaleOffsetEncoding.scaleOffset = meta.quant.scaleOffsets.data();
      break;
    case QNN_QUANTIZATION_ENCODING_BW_AXIS_SCALE_OFFSET:
      q.bwAxisScaleOffsetEncoding.bitwidth = meta.quant.bitwidth;
      q.bwAxisScaleOffsetEncoding.axis = meta.quant.axis;
      q.bwAxisScaleOffsetEncoding.numElements = static_cast<uint32_t>(meta.quant.scales.size());
      q.bwAxisScaleOffsetEncoding.scales = meta.quant.scales.data();
      q.bwAxisScaleOffsetEncoding.offsets = meta.quant.offsets.data();
      break;
    default:
      break;
  }
}

// QNN_CONTEXT_CONFIG_PERSISTENT_BINARY (option 7) is older than every core API this addon
// accepts: a QnnContext.h that still lacks QnnContext_validateBinary (core 2.13) and
// createFromBinaryWithSignal (2.15) already defines it with isPersistentBinary. The gate is
// kept (at that upper bound, 2.12) so that the default follows the reported version
// rather than an assumption, should the minimum ever move down.
constexpr uint32_t kPersistentBinarySinceCoreMinor = 12;

// REGISTER_MULTI_CONTEXTS is in the HTP context config of SDK 2.25 (the earliest measured).
constexpr uint32_t kGroupSinceBackendMinor = 25;

// A status with which a backend says it does not take a config (as opposed to a bad
// binary): QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE, _INVALID_CONFIG, _INVALID_ARGUMENT.
bool IsConfigRejection(Qnn_ErrorHandle_t status) {
  uint32_t code = static_cast<uint32_t>(status) & 0xFFFFu;
  return code == QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE || code == QNN_CONTEXT_ERROR_INVALID_CONFIG ||
         code == QNN_CONTEXT_ERROR_INVALID_ARGUMENT;
}

}  // namespace

void ContextState::Load() {
  RuntimeState& rt = *runtime_;
  auto t0 = Clock::now();
  const void* data = memory_;
  size_t size = memorySize_;
  if (!path_.empty()) {
    MapBinary(mapping_, path_);
    data = mapping_.data();
    size = mapping_.size();
    wasMapped_ = true;
  }
  binarySize_ = size;
  timings_.mapMs = MsSince(t0);

  // Graph signatures: QnnSystem's binary info, else the caller's.
  auto t1 = Clock::now();
  std::string systemFailure;
  if (rt.hasSystem) {
    try {
      for (auto& m : ReadBinaryInfo(rt, data, size)) {
        auto gs = std::make_unique<GraphState>();
        gs->meta = std::move(m);
        graphs_.push_back(std::move(gs));
      }
      graphsFromSystem_ = true;
    } catch (const CoreError& e) {
      if (callerGraphs_.empty()) throw;
      graphs_.clear();
      systemNote_ = e.error().message;
    }
  } else {
    systemNote_ = rt.systemError;
  }
  if (!graphsFromSystem_) {
    if (callerGraphs_.empty()) {
      throw CoreError("NO_PROVIDER",
                      "Cannot read the graphs of this context binary: QnnSystem is not available (" + rt.systemError +
                          "). Load a QnnSystem library or pass the graph signatures in options.graphs.");
    }
    for (auto& m : callerGraphs_) {
      auto gs = std::make_unique<GraphState>();
      gs->meta = std::move(m);
      graphs_.push_back(std::move(gs));
    }
    callerGraphs_.clear();
  }
  double infoMs = MsSince(t1);

  auto t2 = Clock::now();
  persistent_ = persistence_ == Persistence::kOn ||
                (persistence_ == Persistence::kAuto && rt.provider.core.major == 2 &&
                 rt.provider.core.minor >= kPersistentBinarySinceCoreMinor);
  if (persistence_ == Persistence::kAuto && !persistent_) {
    persistentNote_ = "core API " + rt.provider.core.str() + " predates QNN_CONTEXT_CONFIG_PERSISTENT_BINARY";
  }
  CheckGraphConfigNames(configs_, graphs_);
  CheckVersionGates(configs_.custom, rt.provider, "context");
  // Spill-fill groups register through an HTP context custom config (REGISTER_MULTI_CONTEXTS, 5.25).
  if (configs_.group) RequireHtpOption(rt.provider, "The HTP context option", "REGISTER_MULTI_CONTEXTS", kGroupSinceBackendMinor);
  auto buildConfigs = [&](bool withPersistent) {
    ConfigArray a;
    if (withPersistent) a.AddWord(QNN_CONTEXT_CONFIG_PERSISTENT_BINARY, 1);
    if (configs_.hasPriority) a.AddWord(QNN_CONTEXT_CONFIG_OPTION_PRIORITY, configs_.priority);
    AddCustomConfigs(a, ConfigFamily::kContext, configs_.custom, rt.provider.backend);
    // The first context's handle was read on the main thread when the load was queued; the
    // wrap pins that context until this load settles (AddonContext group pin).
    if (configs_.group) a.AddCustom(BuildGroupRegistration(configs_.groupFirstHandle, configs_.groupMaxSpillFill));
    return a;
  };
  ConfigArray configs = buildConfigs(persistent_);
  // PERSISTENT_BINARY alone: a rejection can only be about it, so the default may retry
  // without it. With other configs the rejection may be theirs (a priority, a custom
  // config, a dead group handle): retrying would load twice and blame the wrong config.
  const bool persistentOnly = configs.size() == 1 && persistent_;
  auto create = [&](ConfigArray& a, ScopedProfile& profile) {
    return rt.fns.contextCreateFromBinary(rt.backendHandle, rt.deviceHandle, a.empty() ? nullptr : a.Get<QnnContext_Config_t>(), data,
                                          static_cast<Qnn_ContextBinarySize_t>(size), &context_, profile.handle());
  };
  ScopedProfile loadProfile, retryProfile;
  ScopedProfile* profile = &loadProfile;
  if (loadProfileLevel_ != ProfileLevel::kOff) loadProfile.Create(rt, loadProfileLevel_, "the context load");
  Qnn_ErrorHandle_t st = create(configs, *profile);
  if (st != QNN_SUCCESS && persistentOnly && persistence_ == Persistence::kAuto && IsConfigRejection(st)) {
    // The default asked for the config and the backend refused it as such: create once
    // more the plain way (the backend copies), as if persistentBinary: false.
    persistentNote_ = "the backend refused QNN_CONTEXT_CONFIG_PERSISTENT_BINARY (" + rt.StatusError("contextCreateFromBinary", st).message + ")";
    persistent_ = false;
    context_ = nullptr;
    ConfigArray plain = buildConfigs(false);
    // A fresh profile: the refused attempt's events are not the load's.
    if (loadProfileLevel_ != ProfileLevel::kOff) retryProfile.Create(rt, loadProfileLevel_, "the context load");
    profile = &retryProfile;
    st = create(plain, *profile);
  }
  if (st != QNN_SUCCESS) {
    context_ = nullptr;
    throw CoreError(rt.WithDeviceContext(rt.StatusError("contextCreateFromBinary", st)));
  }
  timings_.createMs = MsSince(t2);
  if (profile->handle()) loadProfile_ = profile->Read();
  if (!persistent_) {
    // The backend has copied what it needs: give the pages back now.
    mapping_.Close();
    memory_ = nullptr;
    memorySize_ = 0;
  }

  auto t3 = Clock::now();
  for (auto& g : graphs_) {
    st = rt.fns.graphRetrieve(context_, g->meta.name.c_str(), &g->handle);
    if (st != QNN_SUCCESS) {
      g->handle = nullptr;
      throw CoreError(rt.StatusError("graphRetrieve", st, "for graph \"" + g->meta.name + "\""));
    }
    ApplyGraphConfigs(rt, configs_, *g);
    PrebuildTensors(*g);
  }
  timings_.retrieveMs = infoMs + MsSince(t3);
  timings_.totalMs = MsSince(t0);
}

// Prebuilt graphExecute arguments (a run only sets the buffers).
void ContextState::PrebuildTensors(GraphState& g) {
  g.inTensors.resize(g.meta.inputs.size());
  g.outTensors.resize(g.meta.outputs.size());
  for (size_t i = 0; i < g.meta.inputs.size(); ++i) FillTensor(g.meta.inputs[i], IoBuffer{}, &g.inTensors[i]);
  for (size_t i = 0; i < g.meta.outputs.size(); ++i) FillTensor(g.meta.outputs[i], IoBuffer{}, &g.outTensors[i]);
}

void ContextState::Execute(size_t index, const IoBuffer* inputs, size_t numInputs, const IoBuffer* outputs,
                           size_t numOutputs, const RunOptions& options, RunResult* result) {
  if (freed_ || !context_) throw CoreError("DISPOSED", "the context has been disposed");
  if (index >= graphs_.size()) throw CoreError("UNKNOWN_GRAPH", "no graph at index " + std::to_string(index));
  GraphState& g = *graphs_[index];
  std::lock_guard<std::mutex> lock(g.executeMutex);
  if (numInputs != g.inTensors.size() || numOutputs != g.outTensors.size()) {
    throw CoreError("SIZE_MISMATCH", "graph " + g.meta.name + " takes " + std::to_string(g.meta.inputs.size()) +
                                         " inputs and " + std::to_string(g.meta.outputs.size()) + " outputs");
  }
  for (size_t i = 0; i < numInputs; ++i) BindBuffer(g.inTensors[i], inputs[i], g.meta.inputs[i]);
  for (size_t i = 0; i < numOutputs; ++i) BindBuffer(g.outTensors[i], outputs[i], g.meta.outputs[i]);
  RuntimeState& rt = *runtime_;
  PowerRunScope power(rt, options.perfProfile, perfProfile.load(std::memory_order_relaxed), options.restorePerfProfile);
  if (options.profile != ProfileLevel::kOff) {
    ExecuteProfiled(g, options.profile, result);
    power.End();
    return;
  }
  Qnn_ErrorHandle_t st = rt.fns.graphExecute(g.handle, g.inTensors.data(), static_cast<uint32_t>(numInputs),
                                             g.outTensors.data(), static_cast<uint32_t>(numOutputs), nullptr, nullptr);
  if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("graphExecute", st, "for graph \"" + g.meta.name + "\""));
  power.End();
}

// V1 and V2 tensors share the V1 head: memType at +88, the clientBuf/memHandle union at
// +96. Every field is set on every run: a backend may have written dataSize back into an
// output tensor, and one tensor may be shared in one run and raw in the next.
void ContextState::BindBuffer(Qnn_Tensor_t& t, const IoBuffer& buf, const TensorMeta& meta) {
  Qnn_TensorV1_t& v = t.v1;
  v.clientBuf.data = nullptr;
  v.clientBuf.dataSize = 0;
  if (buf.block) {
    size_t offset = static_cast<size_t>(static_cast<uint8_t*>(buf.data) - buf.block->base);
    v.memType = QNN_TENSORMEMTYPE_MEMHANDLE;
    v.memHandle = shared_.Get(*runtime_, context_, *buf.block, offset, meta);
    return;
  }
  v.memType = QNN_TENSORMEMTYPE_RAW;
  v.clientBuf.data = buf.data;
  v.clientBuf.dataSize = static_cast<uint32_t>(buf.size);
}

// A profile handle per run: QNN has no call to clear a handle's events, so one cached per
// graph would hand back every earlier run's events too (docs/profiling.md).
void ContextState::ExecuteProfiled(GraphState& g, ProfileLevel level, RunResult* result) {
  RuntimeState& rt = *runtime_;
  ScopedProfile profile;
  profile.Create(rt, level, ("the run of graph \"" + g.meta.name + "\"").c_str());
  Qnn_ErrorHandle_t st = rt.fns.graphExecute(g.handle, g.inTensors.data(), static_cast<uint32_t>(g.inTensors.size()),
                                             g.outTensors.data(), static_cast<uint32_t>(g.outTensors.size()), profile.handle(), nullptr);
  if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("graphExecute", st, "for graph \"" + g.meta.name + "\""));
  result->profile = profile.Read();
}

ContextState::Busy::Busy(ContextState& s) : s_(s) {
  std::lock_guard<std::mutex> lock(s_.executingMutex);
  if (s_.closing || s_.freed_) throw CoreError("DISPOSED", "the QNN context has been disposed");
  s_.executing.fetch_add(1);
}

ContextState::Busy::~Busy() {
  {
    std::lock_guard<std::mutex> lock(s_.executingMutex);
    s_.executing.fetch_sub(1);
  }
  s_.executingDone.notify_all();
}

void ContextState::WaitIdle() {
  std::unique_lock<std::mutex> lock(executingMutex);
  executingDone.wait(lock, [this] { return executing.load() == 0; });
}

void ContextState::Free() {
  if (freed_) return;
  freed_ = true;
  for (auto& g : graphs_) g->handle = nullptr;  // graphs belong to the context
  // Handles die with their context: deregister them first (and tell their blocks).
  shared_.DeregisterAll();
  if (context_ && runtime_->fns.contextFree) runtime_->fns.contextFree(context_, nullptr);
  context_ = nullptr;
  // A composed context's model library goes only now: its code and data may have been in
  // use until contextFree.
  composeSession_.reset();
  modelLibrary_.reset();
  // A persistent binary (and its applied sections) must outlive the context; unmapped only now.
  mapping_.Close();
  sectionMappings_.clear();
  memory_ = nullptr;
  memorySize_ = 0;
  // A freed context no longer needs the runtime: drop its share so Qnn#dispose() tears
  // the runtime down now rather than when this object is garbage-collected.
  runtime_.reset();
}

ContextState::~ContextState() { Free(); }

FileMapping* ContextState::RetainedSection(const std::string& path) {
  for (auto& m : sectionMappings_)
    if (m.first == path) return m.second.get();
  return nullptr;
}

void ContextState::RetainSection(const std::string& path, std::unique_ptr<FileMapping> mapping) {
  sectionMappings_.emplace_back(path, std::move(mapping));
}

}  // namespace qnn_node
