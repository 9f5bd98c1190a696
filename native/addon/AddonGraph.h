// Graph wrap: one retrieved graph of a context (created by Context#load).
//   graph.run(inputs, outputs, options?) -> Promise<result>; graph.runSync(inputs, outputs, options?)
// options / result: RunOptions.h (result is undefined unless an option asked for more).
// inputs/outputs: arrays of typed arrays in the order of the graph's tensors; outputs are
// written in place (zero copy). Buffers stay pinned until the run settles.
#pragma once

#include <napi.h>

#include <memory>

#include "AddonData.h"
#include "ContextState.h"

namespace qnn_node {

class AddonContext;

class AddonGraph : public Napi::ObjectWrap<AddonGraph> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit AddonGraph(const Napi::CallbackInfo& info);

  AddonContext* context() const { return context_; }
  // Graph.asyncFloor(): a promise settled by a no-op napi_async_work — the libuv pool round
  // trip without QNN, for the binding benchmark's floor. Not part of the API.
  static Napi::Value AsyncFloor(const Napi::CallbackInfo& info);

 private:
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value RunSync(const Napi::CallbackInfo& info);

  Napi::ObjectReference contextRef_;
  AddonContext* context_ = nullptr;
  size_t index_ = 0;
};

}  // namespace qnn_node
