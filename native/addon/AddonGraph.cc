#include "AddonGraph.h"

#include <cmath>

#include "AddonContext.h"
#include "Worker.h"

namespace qnn_node {
namespace {

struct RunBaton {
  std::shared_ptr<ContextState> state;
  size_t index = 0;
  std::vector<IoBuffer> inputs, outputs;
  std::vector<Napi::ObjectReference> pins;  // every buffer stays alive until the run settles
};

// Converts and checks one side of a run: a JS array of typed arrays / DataViews /
// ArrayBuffers whose byte sizes match the graph's tensors exactly.
void ConvertBuffers(Napi::Env env, const Napi::Value& value, const std::vector<TensorMeta>& metas,
                    const std::string& graph, const char* side, RunBaton* baton, std::vector<IoBuffer>* out) {
  if (!value.IsArray()) ThrowInvalidArg(env, "an array of typed arrays", side, value);
  Napi::Array arr = value.As<Napi::Array>();
  if (arr.Length() != metas.size()) {
    ThrowCode(env, "ERR_INVALID_ARG",
              "Expected " + std::to_string(metas.size()) + " " + side + " for graph \"" + graph + "\" but received " +
                  std::to_string(arr.Length()),
              true);
  }
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    const TensorMeta& m = metas[i];
    std::string name = std::string(side) + "[" + std::to_string(i) + "] (\"" + m.name + "\")";
    uint8_t* data = nullptr;
    size_t size = 0;
    if (!BufferBytes(env, v, &data, &size)) ThrowInvalidArg(env, "a typed array", name, v);
    if (m.byteSize > 0xFFFFFFFFull) {
      ThrowCode(env, "SIZE_MISMATCH", "Tensor \"" + m.name + "\" is larger than QNN's 4 GiB buffer limit");
    }
    if (m.byteSize == 0 && m.dataType != QNN_DATATYPE_UNDEFINED && TensorByteSize(m.dataType, {1}) == 0) {
      ThrowCode(env, "UNSUPPORTED_DTYPE", "Tensor \"" + m.name + "\" has QNN data type " + std::to_string(m.dataType) +
                                              ", which qnn-node cannot size");
    }
    if (size != m.byteSize || (size > 0 && !data)) {
      NativeError e;
      e.code = "SIZE_MISMATCH";
      e.message = "Expected " + std::to_string(m.byteSize) + " bytes for " + name + " of graph \"" + graph +
                  "\" but received " + std::to_string(size) + (data || size ? "" : " (detached or empty buffer)");
      e.details.emplace_back("tensor", m.name);
      e.details.emplace_back("expectedBytes", std::to_string(m.byteSize));
      e.details.emplace_back("actualBytes", std::to_string(size));
      throw ToJsError(env, e);
    }
    out->push_back(IoBuffer{data, size});
    baton->pins.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
}

class GraphRunWorker : public PromiseWorker {
 public:
  GraphRunWorker(Napi::Env env, Napi::Object owner, AddonContext* ctx, std::unique_ptr<RunBaton> baton)
      : PromiseWorker(env, "qnn-node:graph.run", owner), ctx_(ctx), baton_(std::move(baton)) {}

 protected:
  void DoWork() override {
    ContextState::Busy busy(*baton_->state);
    baton_->state->Execute(baton_->index, baton_->inputs, baton_->outputs);
  }
  void Settle(Napi::Env env) override {
    baton_->pins.clear();
    ctx_->EndRun(env);  // may complete a deferred dispose
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  AddonContext* ctx_;  // alive: owner_ (the graph) holds the context's wrap
  std::unique_ptr<RunBaton> baton_;
};

}  // namespace

Napi::Function AddonGraph::Init(Napi::Env env) {
  return DefineClass(env, "Graph",
                     {InstanceMethod<&AddonGraph::Run>("run"), InstanceMethod<&AddonGraph::RunSync>("runSync")});
}

AddonGraph::AddonGraph(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonGraph>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !AddonContext::IsInstance(env, info[0])) {
    ThrowInvalidArg(env, "a Context", "context", info.Length() ? info[0] : env.Undefined());
  }
  if (!info[1].IsNumber()) ThrowInvalidArg(env, "a graph index", "index", info[1]);
  double d = info[1].As<Napi::Number>().DoubleValue();
  AddonContext* ctx = AddonContext::Unwrap(info[0].As<Napi::Object>());
  std::shared_ptr<ContextState> state = ctx->Require(env);
  if (!(d >= 0) || std::floor(d) != d || d >= static_cast<double>(state->graphs().size())) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected a graph index below " + std::to_string(state->graphs().size()) +
                                           " for index but received " + DescribeValue(info[1]));
  }
  context_ = ctx;
  index_ = static_cast<size_t>(d);
  contextRef_ = Napi::Persistent(info[0].As<Napi::Object>());
}

static std::unique_ptr<RunBaton> MakeBaton(const Napi::CallbackInfo& info, AddonContext* ctx, size_t index) {
  Napi::Env env = info.Env();
  auto baton = std::make_unique<RunBaton>();
  baton->state = ctx->Require(env);
  baton->index = index;
  GraphMeta& meta = baton->state->graphs()[index]->meta;
  ConvertBuffers(env, info.Length() > 0 ? info[0] : env.Undefined(), meta.inputs, meta.name, "inputs", baton.get(),
                 &baton->inputs);
  ConvertBuffers(env, info.Length() > 1 ? info[1] : env.Undefined(), meta.outputs, meta.name, "outputs", baton.get(),
                 &baton->outputs);
  return baton;
}

Napi::Value AddonGraph::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_ptr<RunBaton> baton = MakeBaton(info, context_, index_);
  auto* worker = new GraphRunWorker(env, Value(), context_, std::move(baton));
  context_->BeginRun();
  worker->Queue();
  return worker->Promise();
}

Napi::Value AddonGraph::RunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_ptr<RunBaton> baton = MakeBaton(info, context_, index_);
  context_->BeginRun();
  try {
    ContextState::Busy busy(*baton->state);
    baton->state->Execute(baton->index, baton->inputs, baton->outputs);
  } catch (const CoreError& e) {
    context_->EndRun(env);
    throw ToJsError(env, e.error());
  }
  context_->EndRun(env);
  return env.Undefined();
}

}  // namespace qnn_node
