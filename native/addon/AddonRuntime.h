// Runtime wrap: one loaded backend (+ QnnSystem) with its log, backend and device handles.
//   new Runtime(); runtime.load(options) -> Promise<info>; runtime.dispose()
#pragma once

#include <napi.h>

#include <memory>

#include "AddonData.h"
#include "RpcMem.h"
#include "RuntimeState.h"

namespace qnn_node {

class AddonRuntime : public Napi::ObjectWrap<AddonRuntime> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit AddonRuntime(const Napi::CallbackInfo& info);
  ~AddonRuntime() override;

  static bool IsInstance(Napi::Env env, const Napi::Value& value);
  // The loaded state, or throws DISPOSED / not-loaded errors.
  std::shared_ptr<RuntimeState> Require(Napi::Env env) const;
  // Drops this wrap's hold on the runtime (contexts keep theirs). Idempotent.
  void Release();

  void SetState(std::shared_ptr<RuntimeState> state) { state_ = std::move(state); }
  // Shared tensors (SharedMemory.cc): the rpcmem library when usable, else why not.
  std::shared_ptr<RpcMemLibrary> rpcmem;
  std::string sharedMemoryReason;
  std::string lastSharedDescriptor_;  // sharedDescriptor()'s answer once disposed ("" = null)
  bool disposed() const { return disposed_; }
  bool loading = false;

 private:
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  // Power votes (PowerVotes.h), each a Promise settled after the backend call.
  Napi::Value SetPerfProfile(const Napi::CallbackInfo& info);
  Napi::Value SetPowerConfig(const Napi::CallbackInfo& info);
  // allocShared(bytes) -> { buffer, fd }; freeShared(buffer) -> boolean (SharedMemory.cc).
  Napi::Value AllocShared(const Napi::CallbackInfo& info);
  Napi::Value FreeShared(const Napi::CallbackInfo& info);
  // sharedDescriptor() -> 'shared-buffer' | 'ion' | 'raw' | null: what registrations really
  // use (RuntimeState::sharedDescriptorFallbacks); the last answer once disposed.
  Napi::Value SharedDescriptor(const Napi::CallbackInfo& info);
  static Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  static Napi::Value ExitProcess(const Napi::CallbackInfo& info);

  std::shared_ptr<RuntimeState> state_;
  std::shared_ptr<WrapRegistry> registry_;
  bool disposed_ = false;
};

Napi::Object RuntimeInfoToJs(Napi::Env env, const RuntimeState& rt);
// Worker thread, after the runtime loaded: opens and probes rpcmem (`path` "" = default).
void LoadSharedMemory(AddonRuntime* wrap, const RuntimeState& rt, const std::string& path);
// Main thread: checks the runtime allows external ArrayBuffers; the info's sharedMemory.
Napi::Object SharedMemoryInfoToJs(Napi::Env env, AddonRuntime* wrap);

}  // namespace qnn_node
