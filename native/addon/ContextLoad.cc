// AddonContext's load: the load worker, Load() (arguments → ContextState), its settling
// (graph wraps, memory accounting) and the pinning of a spill-fill group's first context.
#include "AddonContext.h"

#include "ConfigsFromJs.h"
#include "GraphSignatures.h"
#include "Worker.h"

namespace qnn_node {
namespace {

class ContextLoadWorker : public PromiseWorker {
 public:
  ContextLoadWorker(Napi::Env env, Napi::Object owner, AddonContext* wrap, std::shared_ptr<ContextState> state,
                    std::shared_ptr<ContextState> groupFirst)
      : PromiseWorker(env, "qnn-node:context.load", owner), wrap_(wrap), state_(std::move(state)),
        groupFirst_(std::move(groupFirst)) {
    // Main thread: the group's first context counts as busy until this load ends, so the
    // exit hook's teardown of it waits for the load that passes its handle.
    if (groupFirst_) groupFirstBusy_.reset(new ContextState::Busy(*groupFirst_));
  }

 protected:
  void DoWork() override {
    std::unique_ptr<ContextState::Busy> firstBusy = std::move(groupFirstBusy_);  // released when the load ends
    ContextState::Busy busy(*state_);
    state_->Load();
  }
  void Settle(Napi::Env env) override { wrap_->LoadSettled(env, failed_); }
  Napi::Value Result(Napi::Env env) override { return wrap_->Loaded(env); }

 private:
  AddonContext* wrap_;
  std::shared_ptr<ContextState> state_;
  std::shared_ptr<ContextState> groupFirst_;  // declared before its Busy: outlives it
  std::unique_ptr<ContextState::Busy> groupFirstBusy_;
};

}  // namespace

Napi::Value AddonContext::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (freed_ || disposeRequested_) ThrowCode(env, "DISPOSED", "The QNN context has been disposed");
  if (loaded_ || loading) ThrowCode(env, "ERR_INVALID_ARG", "The QNN context is already loaded", true);
  // In progress from here: parsing the graphs runs user getters, which may call load() or
  // dispose() again. The guard clears the flag (and completes a dispose requested meanwhile)
  // when parsing throws.
  loading = true;
  struct Guard {
    AddonContext* self;
    Napi::Env env;
    bool armed = true;
    ~Guard() {
      if (!armed) return;
      self->loading = false;
      if (self->disposeRequested_ && !self->freed_ && self->pending_ == 0) self->FreeNow(env, true);
    }
  } guard{this, env};
  Napi::Value src = info.Length() > 0 ? info[0] : env.Undefined();
  bool isPath = src.IsString();
  std::string path;
  if (isPath) {
    path = src.As<Napi::String>().Utf8Value();
    if (path.empty() || path.find('\0') != std::string::npos) ThrowInvalidArg(env, "a file path", "source", src);
  } else if (!(src.IsTypedArray() || src.IsDataView() || src.IsArrayBuffer())) {
    ThrowInvalidArg(env, "a file path or a Uint8Array", "source", src);
  }
  // Everything that can run JS first; the bytes' pointer is taken last (a getter could
  // otherwise detach or resize the buffer after it was read).
  std::vector<GraphMeta> graphs = ParseGraphs(env, info.Length() > 1 ? info[1] : env.Undefined());
  Napi::Value persistent = info.Length() > 2 ? info[2] : env.Undefined();
  if (!persistent.IsUndefined() && !persistent.IsBoolean()) ThrowInvalidArg(env, "a boolean", "persistentBinary", persistent);
  Napi::Object groupFirst;
  ContextConfigSpec configs = ParseContextConfigs(env, info.Length() > 3 ? info[3] : env.Undefined(), &groupFirst);
  if (freed_ || disposeRequested_) ThrowCode(env, "DISPOSED", "The QNN context was disposed while its arguments were read");
  if (isPath) {
    state_->SetSourcePath(path);
  } else {
    uint8_t* data = nullptr;
    size_t size = 0;
    BufferBytes(env, src, &data, &size);
    if (IsResizableBuffer(env, src)) ThrowInvalidArg(env, "a fixed-length ArrayBuffer", "source", src);
    if (!data || size == 0) ThrowCode(env, "BINARY_INVALID", "The context binary is empty (or its buffer was detached)");
    state_->SetSourceMemory(data, size);
    sourceRef_ = Napi::Persistent(src.As<Napi::Object>());
  }
  state_->SetCallerGraphs(std::move(graphs));
  // undefined: the default — for a path, persistent when the backend's core API has the
  // config; for bytes, a copy (they then only need to live during this call: detaching
  // them later cannot pull memory from under the backend).
  state_->SetPersistence(persistent.IsUndefined() ? (isPath ? ContextState::Persistence::kAuto : ContextState::Persistence::kOff)
                         : persistent.As<Napi::Boolean>().Value() ? ContextState::Persistence::kOn
                                                                  : ContextState::Persistence::kOff);
  // Last, after every getter: a spill-fill group's first context is checked and pinned.
  std::shared_ptr<ContextState> firstState = groupFirst.IsEmpty() ? nullptr : PinGroupFirst(env, groupFirst, &configs);
  state_->SetConfigs(std::move(configs));
  ContextLoadWorker* worker = nullptr;
  try {
    worker = new ContextLoadWorker(env, Value(), this, state_, std::move(firstState));
  } catch (const CoreError& e) {  // the first context began closing (exit hook)
    UnpinGroupFirst(env);
    throw ToJsError(env, e.error());
  }
  worker->Queue();
  guard.armed = false;
  return worker->Promise();
}

// Before load(): profile contextCreateFromBinary at this level (undefined/null: off).
Napi::Value AddonContext::SetLoadProfile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (freed_ || disposeRequested_) ThrowCode(env, "DISPOSED", "The QNN context has been disposed");
  ProfileLevel level = ParseProfileLevel(env, info.Length() > 0 ? info[0] : env.Undefined(), "options.profile");
  if (loaded_ || loading) ThrowCode(env, "ERR_INVALID_ARG", "The load profile is set before the QNN context is loaded", true);
  state_->SetLoadProfile(level);
  return env.Undefined();
}

void AddonContext::LoadSettled(Napi::Env env, bool failed) {
  loading = false;
  UnpinGroupFirst(env);
  // A failed load frees whatever it created (a context whose graphRetrieve failed…).
  if (failed) FreeNow(env, true);
}

Napi::Value AddonContext::Loaded(Napi::Env env) {
  if (disposeRequested_) {
    FreeNow(env, true);
    ThrowCode(env, "DISPOSED", "The QNN context was disposed while it was loading");
  }
  loaded_ = true;
  if (!state_->persistent()) sourceRef_.Reset();  // the backend copied the binary
  if (state_->mappedBytes() > 0) {
    externalBytes_ = static_cast<int64_t>(state_->mappedBytes());
    Napi::MemoryManagement::AdjustExternalMemory(env, externalBytes_);
  }
  AddonData* data = GetAddonData(env);
  Napi::Object result = Napi::Object::New(env);
  const LoadTimings& t = state_->timings();
  Napi::Object timings = Napi::Object::New(env);
  timings.Set("mapMs", Napi::Number::New(env, t.mapMs));
  timings.Set("createMs", Napi::Number::New(env, t.createMs));
  timings.Set("retrieveMs", Napi::Number::New(env, t.retrieveMs));
  timings.Set("totalMs", Napi::Number::New(env, t.totalMs));
  result.Set("timings", timings);
  result.Set("graphsFromSystem", Napi::Boolean::New(env, state_->graphsFromSystem()));
  result.Set("systemNote", state_->systemNote().empty() ? env.Null() : Napi::Value(Napi::String::New(env, state_->systemNote())));
  result.Set("mapped", Napi::Boolean::New(env, state_->wasMapped()));
  result.Set("persistentBinary", Napi::Boolean::New(env, state_->persistent()));
  if (!state_->persistentNote().empty()) result.Set("persistentNote", Napi::String::New(env, state_->persistentNote()));
  if (state_->loadProfile().level != ProfileLevel::kOff) result.Set("loadProfile", ProfileResultToJs(env, state_->loadProfile()));
  result.Set("binaryBytes", Napi::Number::New(env, static_cast<double>(state_->binarySize())));
  if (state_->composed()) {
    const ComposeTimings& c = state_->composeTimings();
    Napi::Object ct = Napi::Object::New(env);
    ct.Set("composeMs", Napi::Number::New(env, c.composeMs));
    ct.Set("finalizeMs", Napi::Number::New(env, c.finalizeMs));
    ct.Set("totalMs", Napi::Number::New(env, c.totalMs));
    result.Set("composeTimings", ct);
    result.Set("modelLibrary", Napi::String::New(env, state_->modelLibraryPath()));
  }
  auto& graphs = state_->graphs();
  Napi::Array arr = Napi::Array::New(env, graphs.size());
  for (size_t i = 0; i < graphs.size(); ++i) {
    Napi::Object g = GraphToJs(env, graphs[i]->meta);
    g.Set("handle", data->graphCtor.New({Value(), Napi::Number::New(env, static_cast<double>(i))}));
    arr.Set(static_cast<uint32_t>(i), g);
  }
  result.Set("graphs", arr);
  return result;
}

// A member of a spill-fill group passes its first context's QNN handle to
// contextCreateFromBinary. That context must stay alive until the member's load ends: it
// counts as a run of the first context (dispose() defers, as for a run in flight) and its
// wrap is referenced (the GC cannot free it). The handle is read here, on the main thread.
std::shared_ptr<ContextState> AddonContext::PinGroupFirst(Napi::Env env, Napi::Object firstObj, ContextConfigSpec* configs) {
  AddonContext* first = Unwrap(firstObj);
  if (first == this) {
    ThrowCode(env, "ERR_INVALID_ARG", "Expected another, loaded Context for configs.group.first but received the context being loaded", true);
  }
  std::shared_ptr<ContextState> firstState = first->Require(env);
  if (&firstState->runtime() != &state_->runtime()) {
    ThrowCode(env, "ERR_INVALID_ARG",
              "Expected a Context of the same Qnn instance for configs.group.first but received a Context of another one "
              "(a spill-fill group lives in one backend)",
              true);
  }
  configs->groupFirstHandle = firstState->handle();
  first->BeginRun();
  groupFirst_ = first;
  groupFirstRef_ = Napi::Persistent(firstObj);
  return firstState;
}

void AddonContext::UnpinGroupFirst(Napi::Env env) {
  AddonContext* first = groupFirst_;
  groupFirst_ = nullptr;
  if (first) first->EndRun(env);  // may complete the first context's deferred dispose
  groupFirstRef_.Reset();
}

}  // namespace qnn_node
