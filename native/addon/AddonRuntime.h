// Runtime wrap: one loaded backend (+ QnnSystem) with its log, backend and device handles.
//   new Runtime(); runtime.load(options) -> Promise<info>; runtime.dispose()
#pragma once

#include <napi.h>

#include <memory>

#include "AddonData.h"
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
  bool disposed() const { return disposed_; }
  bool loading = false;

 private:
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  // Power votes (PowerVotes.h), each a Promise settled after the backend call.
  Napi::Value SetPerfProfile(const Napi::CallbackInfo& info);
  Napi::Value SetPowerConfig(const Napi::CallbackInfo& info);
  static Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  static Napi::Value ExitProcess(const Napi::CallbackInfo& info);

  std::shared_ptr<RuntimeState> state_;
  std::shared_ptr<WrapRegistry> registry_;
  bool disposed_ = false;
};

Napi::Object RuntimeInfoToJs(Napi::Env env, const RuntimeState& rt);

}  // namespace qnn_node
