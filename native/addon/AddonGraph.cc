#include "AddonGraph.h"

#include <cmath>

#include "AddonContext.h"
#include "RunOptions.h"

namespace qnn_node {
namespace {

constexpr size_t kInlineBuffers = 16;  // runSync converts up to this many per side on the stack

struct RunBaton {
  std::shared_ptr<ContextState> state;
  size_t index = 0;
  std::vector<IoBuffer> inputs, outputs;
  std::vector<Napi::ObjectReference> pins;  // every buffer stays alive until the run settles
  std::vector<std::shared_ptr<SharedBlock>> blockPins;  // shared blocks: alive even if freed mid-run
  RunOptions options;
  RunResult result;
};

// True when `v` (a typed array, DataView or ArrayBuffer) sits on a detached ArrayBuffer
// (transferred or structuredClone'd away). Runs no user JS.
bool IsDetached(Napi::Env env, napi_value v) {
  napi_value buffer = nullptr;
  bool isTypedArray = false, isDataView = false, isArrayBuffer = false;
  napi_is_typedarray(env, v, &isTypedArray);
  if (isTypedArray) {
    if (napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, &buffer, nullptr) != napi_ok) return false;
  } else if (napi_is_dataview(env, v, &isDataView) == napi_ok && isDataView) {
    if (napi_get_dataview_info(env, v, nullptr, nullptr, &buffer, nullptr) != napi_ok) return false;
  } else if (napi_is_arraybuffer(env, v, &isArrayBuffer) == napi_ok && isArrayBuffer) {
    buffer = v;
  } else {
    return false;
  }
  bool detached = false;
  return napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && detached;
}

std::string DimsToString(const std::vector<uint32_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

std::string BufferName(const char* side, uint32_t i, const TensorMeta& m) {
  return std::string(side) + "[" + std::to_string(i) + "] (\"" + m.name + "\")";
}

NativeError DetachedError(const std::string& name, const std::string& graph) {
  NativeError e;
  e.code = "BUFFER_DETACHED";
  e.message = "The ArrayBuffer of " + name + " of graph \"" + graph +
              "\" was detached (transferred) while the run was in flight: its data is lost. "
              "Do not transfer a run's input or output buffers until run() settles";
  e.details.emplace_back("graph", graph);
  e.details.emplace_back("buffer", name);
  return e;
}

[[noreturn]] void ThrowBufferError(Napi::Env env, const Napi::Value& v, const TensorMeta& m, const std::string& graph,
                                   const char* side, uint32_t i, bool isBuffer, uint8_t* data, size_t size) {
  std::string name = BufferName(side, i, m);
  if (!isBuffer) ThrowInvalidArg(env, "a typed array", name, v);
  ByteSize expected = ComputeByteSize(m.dataType, m.dims);
  if (expected.status == SizeStatus::kUnknownDtype) {
    ThrowCode(env, "UNSUPPORTED_DTYPE", "Tensor \"" + m.name + "\" has QNN data type " + std::to_string(m.dataType) +
                                            ", which qnn-node cannot size");
  }
  if (expected.status == SizeStatus::kOverflow || expected.bytes > 0xFFFFFFFFull) {
    NativeError e;
    e.code = "SIZE_MISMATCH";
    e.message = "Tensor \"" + m.name + "\" of graph \"" + graph + "\" has dims " + DimsToString(m.dims) + ", " +
                (expected.status == SizeStatus::kOverflow ? "whose byte size overflows 64 bits"
                                                          : "larger than QNN's 4 GiB buffer limit");
    e.details.emplace_back("tensor", m.name);
    throw ToJsError(env, e);
  }
  NativeError e;
  e.code = "SIZE_MISMATCH";
  e.message = "Expected " + std::to_string(m.byteSize) + " bytes for " + name + " of graph \"" + graph +
              "\" but received " + std::to_string(size) +
              (data || size ? "" : IsDetached(env, v) ? " (a detached ArrayBuffer)" : " (an empty buffer)");
  e.details.emplace_back("tensor", m.name);
  e.details.emplace_back("expectedBytes", std::to_string(m.byteSize));
  e.details.emplace_back("actualBytes", std::to_string(size));
  throw ToJsError(env, e);
}

// Pass 1 of converting one side of a run: reads the JS array's elements (which may run
// user getters) into `vals[0..n)` (n = metas.size()). Takes no data pointer.
void GatherBuffers(Napi::Env env, const Napi::Value& value, const std::vector<TensorMeta>& metas,
                   const std::string& graph, const char* side, napi_value* vals) {
  if (!value.IsArray()) ThrowInvalidArg(env, "an array of typed arrays", side, value);
  Napi::Array arr = value.As<Napi::Array>();
  uint32_t length = arr.Length();
  if (length != metas.size()) {
    ThrowCode(env, "ERR_INVALID_ARG",
              "Expected " + std::to_string(metas.size()) + " " + side + " for graph \"" + graph + "\" but received " +
                  std::to_string(length),
              true);
  }
  for (uint32_t i = 0; i < length; ++i) vals[i] = arr.Get(i);
}

// Pass 2: takes each buffer's pointer and checks its byte size against the graph's tensor
// (run no user JS between pass 2's pointer reads and the run). `pins` (run only) gets a
// strong reference to each buffer. No allocation unless something is wrong.
void PinBuffers(Napi::Env env, const napi_value* vals, const std::vector<TensorMeta>& metas, const std::string& graph,
                const char* side, IoBuffer* out, std::vector<Napi::ObjectReference>* pins,
                std::vector<std::shared_ptr<SharedBlock>>* blockPins) {
  for (uint32_t i = 0; i < metas.size(); ++i) {
    Napi::Value v(env, vals[i]);
    const TensorMeta& m = metas[i];
    uint8_t* data = nullptr;
    size_t size = 0;
    bool isBuffer = BufferBytes(env, v, &data, &size);
    // kUnsizedBytes (unknown dtype, overflowing dims) is above the limit and matches no buffer.
    if (!isBuffer || m.byteSize > 0xFFFFFFFFull || size != m.byteSize || (size > 0 && !data)) {
      ThrowBufferError(env, v, m, graph, side, i, isBuffer, data, size);
    }
    if (IsResizableBuffer(env, v)) {
      ThrowInvalidArg(env, "a fixed-length ArrayBuffer", BufferName(side, i, m), v);
    }
    out[i] = IoBuffer{data, size, nullptr};
    // A buffer inside a live shared block runs as a memhandle; a run in flight keeps the
    // block (runSync: the caller's thread cannot free it meanwhile).
    if (std::shared_ptr<SharedBlock> block = SharedTable::Find(data, size)) {
      out[i].block = block.get();
      if (blockPins) blockPins->push_back(std::move(block));
    }
    if (pins) pins->push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
}

// A graph run on the libuv pool, on a bare napi_async_work + napi_deferred: no resource
// object, receiver reference or name string per run (what Napi::AsyncWorker adds). Errors
// from Execute() travel as NativeError and reject the promise on the main thread.
napi_value RunResourceName(Napi::Env env) {
  // (A reference to a string needs Node-API 10; creating the short string costs ~50 ns.)
  napi_value name = nullptr;
  napi_create_string_latin1(env, "qnn-node:graph.run", NAPI_AUTO_LENGTH, &name);
  return name;
}

struct RunWork {
  std::unique_ptr<RunBaton> baton;
  AddonContext* ctx = nullptr;  // alive: the baton pins the graph wrap, which holds the context's
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  bool failed = false;
  NativeError error;
};

// Executes under Busy; whatever it throws (CoreError, out of memory, any std::exception)
// becomes `*error` and false, so neither a worker nor runSync can let it escape.
bool ExecuteCatching(ContextState& state, size_t index, const IoBuffer* in, size_t numIn, const IoBuffer* out, size_t numOut,
                     const RunOptions& options, RunResult* result, NativeError* error) {
  try {
    ContextState::Busy busy(state);
    state.Execute(index, in, numIn, out, numOut, options, result);
    return true;
  } catch (const CoreError& e) {
    *error = e.error();
  } catch (const std::bad_alloc&) {
    error->code = "QNN_ERROR";
    error->message = "out of memory";
  } catch (const std::exception& e) {
    error->code = "QNN_ERROR";
    error->message = std::string("native failure: ") + e.what();
  }
  return false;
}

void ExecuteRun(napi_env, void* data) {
  auto* w = static_cast<RunWork*>(data);
  w->failed = !ExecuteCatching(*w->baton->state, w->baton->index, w->baton->inputs.data(), w->baton->inputs.size(),
                               w->baton->outputs.data(), w->baton->outputs.size(), w->baton->options, &w->baton->result, &w->error);
}

// Transferring a buffer of a run in flight is outside the contract (the backend may have
// written into memory that now belongs to someone else; it can crash the process). What
// can be done is to never report such a run as a success: the first detached buffer, if any.
NativeError FindDetached(Napi::Env env, const RunBaton& baton) {
  const GraphMeta& meta = baton.state->graphs()[baton.index]->meta;
  size_t n = meta.inputs.size() + meta.outputs.size();
  for (size_t k = 0; k < n && k < baton.pins.size(); ++k) {
    if (!IsDetached(env, baton.pins[k].Value())) continue;
    bool input = k < meta.inputs.size();
    uint32_t i = static_cast<uint32_t>(input ? k : k - meta.inputs.size());
    const TensorMeta& m = input ? meta.inputs[i] : meta.outputs[i];
    return DetachedError(BufferName(input ? "inputs" : "outputs", i, m), meta.name);
  }
  return NativeError();
}

void CompleteRun(napi_env rawEnv, napi_status status, void* data) {
  std::unique_ptr<RunWork> w(static_cast<RunWork*>(data));
  Napi::Env env(rawEnv);
  Napi::HandleScope scope(env);
  napi_value settleWith = nullptr;
  bool reject = true;
  try {
    NativeError detached;
    bool detachCheckFailed = false;
    try {
      if (status != napi_cancelled) detached = FindDetached(env, *w->baton);
    } catch (...) {
      detachCheckFailed = true;  // settled below; the run must still end
    }
    w->baton->pins.clear();  // the buffers and the graph wrap may go now
    w->ctx->EndRun(env);     // may complete a deferred dispose
    if (detachCheckFailed) {
      settleWith = Napi::Error::New(env, "qnn-node: could not check the run's buffers after the run").Value();
    } else if (!detached.code.empty()) {
      settleWith = ToJsError(env, detached).Value();
    } else if (status == napi_cancelled) {
      NativeError e;
      e.code = "QNN_ERROR";
      e.message = "the run was cancelled";
      settleWith = ToJsError(env, e).Value();
    } else if (w->failed) {
      settleWith = ToJsError(env, w->error).Value();
    } else {
      settleWith = RunResultToJs(env, w->baton->result);
      reject = false;
    }
  } catch (const Napi::Error& e) {
    settleWith = e.Value();
  } catch (...) {
    settleWith = Napi::Error::New(env, "qnn-node: failed to settle a graph run").Value();
  }
  if (reject) {
    napi_reject_deferred(rawEnv, w->deferred, settleWith);
  } else {
    napi_resolve_deferred(rawEnv, w->deferred, settleWith);
  }
  napi_delete_async_work(rawEnv, w->work);
}

// The floor of `run`: a promise settled by a no-op napi_async_work, the same round trip
// through the libuv pool without QNN (scripts/bench/binding.ts; not part of the API).
struct NoopWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
};

Napi::Value AsyncFloorImpl(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  auto* w = new NoopWork();
  napi_value promise = nullptr, name = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &w->deferred, &promise), Napi::Value());
  NAPI_THROW_IF_FAILED(env, napi_create_string_utf8(env, "qnn-node:floor", NAPI_AUTO_LENGTH, &name), Napi::Value());
  NAPI_THROW_IF_FAILED(env,
                       napi_create_async_work(
                           env, nullptr, name, [](napi_env, void*) {},
                           [](napi_env e, napi_status, void* data) {
                             auto* nw = static_cast<NoopWork*>(data);
                             napi_value undef = nullptr;
                             napi_get_undefined(e, &undef);
                             napi_resolve_deferred(e, nw->deferred, undef);
                             napi_delete_async_work(e, nw->work);
                             delete nw;
                           },
                           w, &w->work),
                       Napi::Value());
  NAPI_THROW_IF_FAILED(env, napi_queue_async_work(env, w->work), Napi::Value());
  return Napi::Value(env, promise);
}

}  // namespace

Napi::Function AddonGraph::Init(Napi::Env env) {
  return DefineClass(env, "Graph",
                     {InstanceMethod<&AddonGraph::Run>("run"), InstanceMethod<&AddonGraph::RunSync>("runSync"),
                      StaticMethod<&AddonGraph::AsyncFloor>("asyncFloor")});
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
  // Options first: their getters run user JS, which must not run once pointers are taken.
  baton->options = ParseRunOptions(env, info.Length() > 2 ? info[2] : env.Undefined());
  baton->state = ctx->Require(env);
  baton->index = index;
  GraphMeta& meta = baton->state->graphs()[index]->meta;
  baton->inputs.resize(meta.inputs.size());
  baton->outputs.resize(meta.outputs.size());
  baton->pins.reserve(meta.inputs.size() + meta.outputs.size());
  std::vector<napi_value> vals(meta.inputs.size() + meta.outputs.size());
  GatherBuffers(env, info.Length() > 0 ? info[0] : env.Undefined(), meta.inputs, meta.name, "inputs", vals.data());
  GatherBuffers(env, info.Length() > 1 ? info[1] : env.Undefined(), meta.outputs, meta.name, "outputs",
                vals.data() + meta.inputs.size());
  // The getters may have disposed the context: check again before taking pointers.
  ctx->Require(env);
  PinBuffers(env, vals.data(), meta.inputs, meta.name, "inputs", baton->inputs.data(), &baton->pins,
             &baton->blockPins);
  PinBuffers(env, vals.data() + meta.inputs.size(), meta.outputs, meta.name, "outputs", baton->outputs.data(),
             &baton->pins, &baton->blockPins);
  return baton;
}

Napi::Value AddonGraph::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto w = std::make_unique<RunWork>();
  w->baton = MakeBaton(info, context_, index_);
  w->baton->pins.push_back(Napi::Persistent(Value()));  // the graph wrap (→ its context) until settled
  w->ctx = context_;
  napi_value promise = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &w->deferred, &promise), Napi::Value());
  NAPI_THROW_IF_FAILED(env,
                       napi_create_async_work(env, nullptr, RunResourceName(env), ExecuteRun, CompleteRun, w.get(),
                                              &w->work),
                       Napi::Value());
  napi_status st = napi_queue_async_work(env, w->work);
  if (st != napi_ok) {
    napi_delete_async_work(env, w->work);
    NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  }
  context_->BeginRun();
  w.release();  // CompleteRun owns it
  return Napi::Value(env, promise);
}

Napi::Value AddonGraph::AsyncFloor(const Napi::CallbackInfo& info) { return AsyncFloorImpl(info); }

// On the calling thread: the buffers are alive for the whole call (the caller holds them),
// so nothing is pinned, and the conversion lands on the stack for up to kInlineBuffers
// tensors per side.
Napi::Value AddonGraph::RunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RunOptions options = ParseRunOptions(env, info.Length() > 2 ? info[2] : env.Undefined());
  ContextState* state = context_->RequireState(env);
  GraphMeta& meta = state->graphs()[index_]->meta;
  IoBuffer inlineIn[kInlineBuffers], inlineOut[kInlineBuffers];
  std::vector<IoBuffer> heapIn, heapOut;
  IoBuffer* in = inlineIn;
  IoBuffer* out = inlineOut;
  if (meta.inputs.size() > kInlineBuffers) {
    heapIn.resize(meta.inputs.size());
    in = heapIn.data();
  }
  if (meta.outputs.size() > kInlineBuffers) {
    heapOut.resize(meta.outputs.size());
    out = heapOut.data();
  }
  napi_value inlineVals[2 * kInlineBuffers];
  std::vector<napi_value> heapVals;
  napi_value* vals = inlineVals;
  if (meta.inputs.size() + meta.outputs.size() > 2 * kInlineBuffers) {
    heapVals.resize(meta.inputs.size() + meta.outputs.size());
    vals = heapVals.data();
  }
  GatherBuffers(env, info.Length() > 0 ? info[0] : env.Undefined(), meta.inputs, meta.name, "inputs", vals);
  GatherBuffers(env, info.Length() > 1 ? info[1] : env.Undefined(), meta.outputs, meta.name, "outputs",
                vals + meta.inputs.size());
  // The getters may have disposed the context: check again before taking pointers.
  if (context_->RequireState(env) != state) ThrowCode(env, "DISPOSED", "The QNN context has been disposed");
  PinBuffers(env, vals, meta.inputs, meta.name, "inputs", in, nullptr, nullptr);
  PinBuffers(env, vals + meta.inputs.size(), meta.outputs, meta.name, "outputs", out, nullptr, nullptr);
  context_->BeginRun();
  RunResult result;
  NativeError error;
  bool ok = ExecuteCatching(*state, index_, in, meta.inputs.size(), out, meta.outputs.size(), options, &result, &error);
  context_->EndRun(env);
  if (!ok) throw ToJsError(env, error);
  return RunResultToJs(env, result);
}

}  // namespace qnn_node
