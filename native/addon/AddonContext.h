// Context wrap: one context created from a binary (a mapped file or a pinned buffer).
//   new Context(runtime); ctx.load(source, graphs?) -> Promise<{ timings, graphs, … }>;
//   ctx.setLoadProfile(level?) before load: the result then has `loadProfile` (Profiling.h);
//   ctx.dispose() -> true when freed now, false when deferred until in-flight runs end.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "AddonData.h"
#include "ContextState.h"

namespace qnn_node {

class AddonContext : public Napi::ObjectWrap<AddonContext> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit AddonContext(const Napi::CallbackInfo& info);
  ~AddonContext() override;

  static bool IsInstance(Napi::Env env, const Napi::Value& value);
  static AddonContext* Unwrap(Napi::Object obj) { return Napi::ObjectWrap<AddonContext>::Unwrap(obj); }

  // For graph runs (main thread): a usable state or a DISPOSED error.
  std::shared_ptr<ContextState> Require(Napi::Env env) const;
  // The same without a shared_ptr copy, for synchronous use (the wrap holds the state).
  ContextState* RequireState(Napi::Env env) const;
  // Runs started / finished (main thread); the last one completes a deferred dispose.
  void BeginRun() { ++pending_; }
  void EndRun(Napi::Env env);
  // Exit hook: wait for running executions, then free (touches no JS).
  void TeardownAtExit();
  // Finishes loading (main thread): graph wraps, memory accounting.
  Napi::Value Loaded(Napi::Env env);
  void LoadSettled(Napi::Env env, bool failed);
  bool loading = false;
  // Binary sections (BinarySections.cc): bytes a persistent context's backend may still
  // point into stay referenced until the context is freed (each buffer once).
  void RetainSectionSource(Napi::Object source);

 private:
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  // setPerfProfile(name | null): the context's profile for its graphs' runs (PowerVotes.h).
  Napi::Value SetPerfProfile(const Napi::CallbackInfo& info);
  Napi::Value SetLoadProfile(const Napi::CallbackInfo& info);
  // compose(source, format, dlcLibraries?, configs?, onProgress?) -> Promise<load result +
  // composeTimings> instead of load() (AddonCompose.cc); getBinary() -> Promise<{ bytes,
  // serializeMs }> (ContextBinary.cc).
  Napi::Value Compose(const Napi::CallbackInfo& info);
  Napi::Value GetBinary(const Napi::CallbackInfo& info);
  static Napi::Value GetPending(const Napi::CallbackInfo& info);
  void FreeNow(Napi::Env env, bool adjustMemory);
  // A spill-fill group's first context, pinned while this context's load is queued
  // (ContextLoad.cc): checks it (loaded, same runtime), reads its handle into `configs`.
  std::shared_ptr<ContextState> PinGroupFirst(Napi::Env env, Napi::Object first, ContextConfigSpec* configs);
  void UnpinGroupFirst(Napi::Env env);

  std::shared_ptr<ContextState> state_;
  std::shared_ptr<WrapRegistry> registry_;
  Napi::ObjectReference runtimeRef_;  // the runtime wrap stays alive as long as we do
  Napi::ObjectReference sourceRef_;   // a Buffer source stays pinned until contextFree
  std::vector<Napi::ObjectReference> sectionRefs_;  // sections applied to a persistent context
  Napi::Value ApplyBinarySection(const Napi::CallbackInfo& info);
  Napi::Value ReadBinarySection(const Napi::CallbackInfo& info);
  AddonContext* groupFirst_ = nullptr;  // pinned by PinGroupFirst until LoadSettled
  Napi::ObjectReference groupFirstRef_;
  int64_t externalBytes_ = 0;
  int pending_ = 0;
  bool loaded_ = false;
  bool disposeRequested_ = false;
  bool freed_ = false;
};

// readBinaryInfo(systemPath, source, sdkMinor?) -> Promise<{ graphs, … }>: QnnSystem only.
Napi::Value ReadBinaryInfoJs(const Napi::CallbackInfo& info);

}  // namespace qnn_node
