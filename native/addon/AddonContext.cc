#include "AddonContext.h"

#include <cmath>

#include "AddonRuntime.h"
#include "BinaryInfo.h"
#include "ConfigsFromJs.h"
#include "BinarySections.h"
#include "Worker.h"

namespace qnn_node {
namespace {

constexpr uint32_t kMaxArgTensors = 1u << 16;

uint32_t ToUint32(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsNumber()) ThrowInvalidArg(env, "an integer", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || std::floor(d) != d) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected an integer from 0 to 4294967295 for " + name + " but received " + DescribeValue(v));
  }
  return static_cast<uint32_t>(d);
}

std::string ToStr(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsString()) ThrowInvalidArg(env, "a string", name, v);
  return v.As<Napi::String>().Utf8Value();
}

// {name, id?, dataType, dims, quant?: {scale, offset} | {axis, scales, offsets}, bitwidth?}
TensorMeta ParseTensor(Napi::Env env, const Napi::Value& v, const std::string& where, bool input) {
  if (!v.IsObject()) ThrowInvalidArg(env, "a tensor signature object", where, v);
  Napi::Object o = v.As<Napi::Object>();
  TensorMeta m;
  m.version = QNN_TENSOR_VERSION_1;
  m.name = ToStr(env, o.Get("name"), where + ".name");
  Napi::Value id = o.Get("id");
  if (!id.IsUndefined() && !id.IsNull()) m.id = ToUint32(env, id, where + ".id");
  m.dataType = ToUint32(env, o.Get("dataType"), where + ".dataType");
  m.type = input ? QNN_TENSOR_TYPE_APP_WRITE : QNN_TENSOR_TYPE_APP_READ;
  Napi::Value dims = o.Get("dims");
  if (!dims.IsArray()) ThrowInvalidArg(env, "an array of integers", where + ".dims", dims);
  Napi::Array arr = dims.As<Napi::Array>();
  if (arr.Length() > 64) ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected at most 64 dimensions for " + where + ".dims");
  for (uint32_t i = 0; i < arr.Length(); ++i) m.dims.push_back(ToUint32(env, arr.Get(i), where + ".dims[" + std::to_string(i) + "]"));
  Napi::Value q = o.Get("quant");
  if (q.IsObject()) {
    Napi::Object qo = q.As<Napi::Object>();
    Napi::Value bw = qo.Get("bitwidth");
    uint32_t bitwidth = bw.IsUndefined() ? 0 : ToUint32(env, bw, where + ".quant.bitwidth");
    m.quant.definition = QNN_DEFINITION_DEFINED;
    Napi::Value scales = qo.Get("scales");
    if (scales.IsUndefined()) {
      Napi::Value s = qo.Get("scale"), off = qo.Get("offset");
      if (!s.IsNumber()) ThrowInvalidArg(env, "a number", where + ".quant.scale", s);
      if (!off.IsNumber()) ThrowInvalidArg(env, "a number", where + ".quant.offset", off);
      m.quant.scale = s.As<Napi::Number>().FloatValue();
      m.quant.offset = off.As<Napi::Number>().Int32Value();
      m.quant.bitwidth = bitwidth;
      m.quant.encoding = bitwidth ? QNN_QUANTIZATION_ENCODING_BW_SCALE_OFFSET : QNN_QUANTIZATION_ENCODING_SCALE_OFFSET;
    } else {
      Napi::Value offsets = qo.Get("offsets");
      if (!scales.IsArray()) ThrowInvalidArg(env, "an array of numbers", where + ".quant.scales", scales);
      if (!offsets.IsArray()) ThrowInvalidArg(env, "an array of numbers", where + ".quant.offsets", offsets);
      Napi::Array sa = scales.As<Napi::Array>(), oa = offsets.As<Napi::Array>();
      if (sa.Length() != oa.Length() || sa.Length() > (1u << 24)) {
        ThrowCode(env, "ERR_INVALID_ARG", "Expected quant.scales and quant.offsets of the same length for " + where, true);
      }
      m.quant.axis = static_cast<int32_t>(ToUint32(env, qo.Get("axis"), where + ".quant.axis"));
      for (uint32_t i = 0; i < sa.Length(); ++i) {
        Napi::Value s = sa.Get(i), off = oa.Get(i);
        if (!s.IsNumber() || !off.IsNumber()) ThrowInvalidArg(env, "numbers", where + ".quant.scales/offsets", s);
        m.quant.scales.push_back(s.As<Napi::Number>().FloatValue());
        m.quant.offsets.push_back(off.As<Napi::Number>().Int32Value());
      }
      m.quant.bitwidth = bitwidth;
      m.quant.encoding = bitwidth ? QNN_QUANTIZATION_ENCODING_BW_AXIS_SCALE_OFFSET : QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET;
    }
  } else if (!q.IsUndefined() && !q.IsNull()) {
    ThrowInvalidArg(env, "a quantization object", where + ".quant", q);
  }
  m.byteSize = TensorByteSize(m.dataType, m.dims);
  return m;
}

std::vector<GraphMeta> ParseGraphs(Napi::Env env, const Napi::Value& v) {
  std::vector<GraphMeta> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsArray()) ThrowInvalidArg(env, "an array of graph signatures", "graphs", v);
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() > 4096) ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected at most 4096 graphs");
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    std::string where = "graphs[" + std::to_string(i) + "]";
    Napi::Value g = arr.Get(i);
    if (!g.IsObject()) ThrowInvalidArg(env, "a graph signature object", where, g);
    Napi::Object go = g.As<Napi::Object>();
    GraphMeta m;
    m.name = ToStr(env, go.Get("name"), where + ".name");
    for (const char* key : {"inputs", "outputs"}) {
      Napi::Value list = go.Get(key);
      if (!list.IsArray()) ThrowInvalidArg(env, "an array of tensor signatures", where + "." + key, list);
      Napi::Array la = list.As<Napi::Array>();
      if (la.Length() > kMaxArgTensors) ThrowCode(env, "ERR_OUT_OF_RANGE", "too many tensors in " + where);
      bool input = std::string(key) == "inputs";
      for (uint32_t j = 0; j < la.Length(); ++j) {
        TensorMeta t = ParseTensor(env, la.Get(j), where + "." + key + "[" + std::to_string(j) + "]", input);
        (input ? m.inputs : m.outputs).push_back(std::move(t));
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

Napi::Object TensorToJs(Napi::Env env, const TensorMeta& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", t.name);
  o.Set("id", Napi::Number::New(env, t.id));
  o.Set("type", Napi::Number::New(env, t.type));
  o.Set("dataType", Napi::Number::New(env, t.dataType));
  o.Set("tensorVersion", Napi::Number::New(env, t.version));
  Napi::Array dims = Napi::Array::New(env, t.dims.size());
  for (size_t i = 0; i < t.dims.size(); ++i) dims.Set(static_cast<uint32_t>(i), Napi::Number::New(env, t.dims[i]));
  o.Set("dims", dims);
  o.Set("byteSize", Napi::Number::New(env, static_cast<double>(t.byteSize)));
  if (t.quant.definition == QNN_DEFINITION_DEFINED && t.quant.encoding != QNN_QUANTIZATION_ENCODING_UNDEFINED) {
    Napi::Object q = Napi::Object::New(env);
    q.Set("encoding", Napi::Number::New(env, t.quant.encoding));
    if (t.quant.bitwidth) q.Set("bitwidth", Napi::Number::New(env, t.quant.bitwidth));
    if (t.quant.encoding == QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET ||
        t.quant.encoding == QNN_QUANTIZATION_ENCODING_BW_AXIS_SCALE_OFFSET) {
      q.Set("axis", Napi::Number::New(env, t.quant.axis));
      Napi::Array s = Napi::Array::New(env, t.quant.scales.size()), off = Napi::Array::New(env, t.quant.offsets.size());
      for (size_t i = 0; i < t.quant.scales.size(); ++i) {
        s.Set(static_cast<uint32_t>(i), Napi::Number::New(env, t.quant.scales[i]));
        off.Set(static_cast<uint32_t>(i), Napi::Number::New(env, t.quant.offsets[i]));
      }
      q.Set("scales", s);
      q.Set("offsets", off);
    } else {
      q.Set("scale", Napi::Number::New(env, t.quant.scale));
      q.Set("offset", Napi::Number::New(env, t.quant.offset));
    }
    o.Set("quant", q);
  }
  return o;
}

// A graph's name and tensor metadata as JS (the context's graphs and readBinaryInfo).
Napi::Object GraphToJs(Napi::Env env, const GraphMeta& m) {
  Napi::Object g = Napi::Object::New(env);
  g.Set("name", m.name);
  Napi::Array in = Napi::Array::New(env, m.inputs.size()), out = Napi::Array::New(env, m.outputs.size());
  for (size_t j = 0; j < m.inputs.size(); ++j) in.Set(static_cast<uint32_t>(j), TensorToJs(env, m.inputs[j]));
  for (size_t j = 0; j < m.outputs.size(); ++j) out.Set(static_cast<uint32_t>(j), TensorToJs(env, m.outputs[j]));
  g.Set("inputs", in);
  g.Set("outputs", out);
  return g;
}

class ContextLoadWorker : public PromiseWorker {
 public:
  ContextLoadWorker(Napi::Env env, Napi::Object owner, AddonContext* wrap, std::shared_ptr<ContextState> state)
      : PromiseWorker(env, "qnn-node:context.load", owner), wrap_(wrap), state_(std::move(state)) {}

 protected:
  void DoWork() override {
    ContextState::Busy busy(*state_);
    state_->Load();
  }
  void Settle(Napi::Env env) override { wrap_->LoadSettled(env, failed_); }
  Napi::Value Result(Napi::Env env) override { return wrap_->Loaded(env); }

 private:
  AddonContext* wrap_;
  std::shared_ptr<ContextState> state_;
};

// readBinaryInfo(systemPath, source, sdkMinor?): QnnSystem only — no backend, no context.
class BinaryInfoWorker : public PromiseWorker {
 public:
  BinaryInfoWorker(Napi::Env env, Napi::Object owner, RuntimeOptions options, std::string path, const void* data,
                   size_t size)
      : PromiseWorker(env, "qnn-node:readBinaryInfo", owner), options_(std::move(options)), path_(std::move(path)),
        data_(data), size_(size) {}

 protected:
  void DoWork() override {
    std::shared_ptr<RuntimeState> rt = RuntimeState::CreateSystemOnly(options_);
    systemPath_ = rt->systemPath;
    systemVersion_ = rt->systemVersion.str();
    FileMapping mapping;
    const void* data = data_;
    size_t size = size_;
    if (!path_.empty()) {
      MapBinary(mapping, path_);
      data = mapping.data();
      size = mapping.size();
    }
    binaryBytes_ = size;
    info_ = ReadBinaryInfoDetailed(*rt, data, size);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    result.Set("systemPath", systemPath_);
    result.Set("systemApiVersion", systemVersion_);
    result.Set("graphInfoStride", info_.graphInfoStride ? Napi::Value(Napi::Number::New(env, static_cast<double>(info_.graphInfoStride))) : env.Null());
    result.Set("graphInfoStrideSource", info_.strideSource);
    result.Set("buildId", info_.buildId.empty() ? env.Null() : Napi::Value(Napi::String::New(env, info_.buildId)));
    result.Set("binaryBytes", Napi::Number::New(env, static_cast<double>(binaryBytes_)));
    result.Set("spillFillBytes", info_.spillFillBytes < 0 ? env.Null() : Napi::Value(Napi::Number::New(env, static_cast<double>(info_.spillFillBytes))));
    Napi::Array arr = Napi::Array::New(env, info_.graphs.size());
    for (size_t i = 0; i < info_.graphs.size(); ++i) {
      arr.Set(static_cast<uint32_t>(i), GraphToJs(env, info_.graphs[i]));
    }
    result.Set("graphs", arr);
    return result;
  }

 private:
  RuntimeOptions options_;
  std::string path_;
  const void* data_;
  size_t size_;
  std::string systemPath_, systemVersion_;
  uint64_t binaryBytes_ = 0;
  BinaryInfoResult info_;
};

}  // namespace

Napi::Value ReadBinaryInfoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RuntimeOptions o;
  Napi::Value sp = info.Length() > 0 ? info[0] : env.Undefined();
  if (!sp.IsString()) ThrowInvalidArg(env, "a library path", "systemPath", sp);
  o.systemPath = sp.As<Napi::String>().Utf8Value();
  if (o.systemPath.empty() || o.systemPath.find('\0') != std::string::npos) ThrowInvalidArg(env, "a library path", "systemPath", sp);
  Napi::Value minor = info.Length() > 2 ? info[2] : env.Undefined();
  if (!minor.IsUndefined() && !minor.IsNull()) {
    double d = minor.IsNumber() ? minor.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 1000) || d != static_cast<double>(static_cast<int>(d))) {
      ThrowInvalidArg(env, "an integer from 1 to 1000", "sdkMinor", minor);
    }
    o.sdkMinor = static_cast<uint32_t>(d);
  }
  Napi::Value src = info.Length() > 1 ? info[1] : env.Undefined();
  std::string path;
  const void* data = nullptr;
  size_t size = 0;
  Napi::Object owner;
  if (src.IsString()) {
    path = src.As<Napi::String>().Utf8Value();
    if (path.empty() || path.find('\0') != std::string::npos) ThrowInvalidArg(env, "a file path", "source", src);
    owner = Napi::Object::New(env);
  } else if (src.IsTypedArray() || src.IsDataView() || src.IsArrayBuffer()) {
    uint8_t* bytes = nullptr;
    BufferBytes(env, src, &bytes, &size);
    if (IsResizableBuffer(env, src)) ThrowInvalidArg(env, "a fixed-length ArrayBuffer", "source", src);
    if (!bytes || size == 0) ThrowCode(env, "BINARY_INVALID", "The context binary is empty (or its buffer was detached)");
    data = bytes;
    owner = src.As<Napi::Object>();  // pinned until the promise settles
  } else {
    ThrowInvalidArg(env, "a file path or a Uint8Array", "source", src);
  }
  auto* worker = new BinaryInfoWorker(env, owner, std::move(o), std::move(path), data, size);
  worker->Queue();
  return worker->Promise();
}

Napi::Function AddonContext::Init(Napi::Env env) {
  Napi::Function ctor = DefineClass(
      env, "Context",
      {InstanceMethod<&AddonContext::Load>("load"), InstanceMethod<&AddonContext::Dispose>("dispose"),
       InstanceMethod<&AddonContext::SetPerfProfile>("setPerfProfile"),
       InstanceMethod<&AddonContext::SetLoadProfile>("setLoadProfile"),
       InstanceMethod<&AddonContext::ApplyBinarySection>("applyBinarySection"),
       InstanceMethod<&AddonContext::ReadBinarySection>("readBinarySection")});
  // A plain accessor that checks its receiver (InstanceAccessor's own unwrap throws a bare
  // "Invalid argument" for a receiver without a wrap).
  ctor.Get("prototype").As<Napi::Object>().DefineProperty(
      Napi::PropertyDescriptor::Accessor<&AddonContext::GetPending>("pendingRuns"));
  return ctor;
}

AddonContext::AddonContext(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonContext>(info) {
  Napi::Env env = info.Env();
  registry_ = GetAddonData(env)->registry;
  if (info.Length() < 1 || !AddonRuntime::IsInstance(env, info[0])) {
    ThrowInvalidArg(env, "a Runtime", "runtime", info.Length() ? info[0] : env.Undefined());
  }
  AddonRuntime* rt = Napi::ObjectWrap<AddonRuntime>::Unwrap(info[0].As<Napi::Object>());
  state_ = std::make_shared<ContextState>(rt->Require(env));
  runtimeRef_ = Napi::Persistent(info[0].As<Napi::Object>());
  registry_->contexts.insert(this);
  info.This().As<Napi::Object>().TypeTag(&kContextTag);
}

AddonContext::~AddonContext() {
  registry_->contexts.erase(this);
  // Safety net only (the wrap is unreachable, so nothing runs): free without touching JS
  // heap accounting when the environment is exiting.
  if (state_ && !freed_) {
    state_->Free();
    freed_ = true;
  }
  if (!registry_->exiting && externalBytes_ > 0) {
    Napi::MemoryManagement::AdjustExternalMemory(Env(), -externalBytes_);
    externalBytes_ = 0;
  }
}

bool AddonContext::IsInstance(Napi::Env env, const Napi::Value& value) {
  if (!value.IsObject()) return false;
  // The tag is set only on a constructed Context wrap (see AddonRuntime::IsInstance).
  return value.As<Napi::Object>().CheckTypeTag(&kContextTag);
}

Napi::Value AddonContext::SetPerfProfile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value arg = info.Length() > 0 ? info[0] : env.Undefined();
  PerfProfile p = arg.IsNull() ? PerfProfile::kUnset : ParsePerfProfile(env, arg, "profile");
  if (freed_ || disposeRequested_) ThrowCode(env, "DISPOSED", "The QNN context has been disposed");
  RuntimeState& rt = state_->runtime();
  if (!rt.power && p != PerfProfile::kUnset && p != PerfProfile::kDefault) {
    NativeError e;
    e.code = "POWER_UNAVAILABLE";
    e.message = std::string("Cannot give the context the performance profile \"") + PerfProfileName(p) +
                "\": power control is unavailable (" + rt.powerError + ")";
    e.details.emplace_back("reason", rt.powerError);
    throw ToJsError(env, e);
  }
  state_->perfProfile.store(p, std::memory_order_relaxed);
  return env.Undefined();
}

std::shared_ptr<ContextState> AddonContext::Require(Napi::Env env) const {
  if (freed_ || disposeRequested_) ThrowCode(env, "DISPOSED", "The QNN context has been disposed");
  if (!loaded_) ThrowCode(env, "ERR_INVALID_ARG", "The QNN context is not loaded", true);
  return state_;
}

ContextState* AddonContext::RequireState(Napi::Env env) const {
  if (freed_ || disposeRequested_) ThrowCode(env, "DISPOSED", "The QNN context has been disposed");
  if (!loaded_) ThrowCode(env, "ERR_INVALID_ARG", "The QNN context is not loaded", true);
  return state_.get();
}

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
  ContextConfigSpec configs = ParseContextConfigs(env, info.Length() > 3 ? info[3] : env.Undefined());
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
  state_->SetConfigs(std::move(configs));
  // undefined: the default — for a path, persistent when the backend's core API has the
  // config; for bytes, a copy (they then only need to live during this call: detaching
  // them later cannot pull memory from under the backend).
  state_->SetPersistence(persistent.IsUndefined() ? (isPath ? ContextState::Persistence::kAuto : ContextState::Persistence::kOff)
                         : persistent.As<Napi::Boolean>().Value() ? ContextState::Persistence::kOn
                                                                  : ContextState::Persistence::kOff);
  auto* worker = new ContextLoadWorker(env, Value(), this, state_);
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

void AddonContext::FreeNow(Napi::Env env, bool adjustMemory) {
  if (freed_) return;
  freed_ = true;
  state_->Free();
  if (adjustMemory && externalBytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -externalBytes_);
  externalBytes_ = 0;
  if (adjustMemory) {
    sourceRef_.Reset();
    sectionRefs_.clear();
    runtimeRef_.Reset();
  }
}

Napi::Value AddonContext::ApplyBinarySection(const Napi::CallbackInfo& info) { return ApplyBinarySectionJs(this, info); }
Napi::Value AddonContext::ReadBinarySection(const Napi::CallbackInfo& info) { return ReadBinarySectionJs(this, info); }

void AddonContext::RetainSectionSource(Napi::Object source) {
  if (freed_) return;
  for (auto& ref : sectionRefs_)
    if (ref.Value().StrictEquals(source)) return;
  sectionRefs_.push_back(Napi::Persistent(source));
}

Napi::Value AddonContext::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (freed_) return Napi::Boolean::New(env, true);
  disposeRequested_ = true;
  if (pending_ > 0 || loading) return Napi::Boolean::New(env, false);  // the last run frees it
  FreeNow(env, true);
  return Napi::Boolean::New(env, true);
}

void AddonContext::EndRun(Napi::Env env) {
  if (pending_ > 0) --pending_;
  if (pending_ == 0 && disposeRequested_ && !freed_ && !loading) FreeNow(env, true);
}

Napi::Value AddonContext::GetPending(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!IsInstance(env, info.This())) ThrowInvalidArg(env, "a Context", "this", info.This());
  return Napi::Number::New(env, Unwrap(info.This().As<Napi::Object>())->pending_);
}

void AddonContext::TeardownAtExit() {
  if (freed_ || !state_) return;
  {
    std::lock_guard<std::mutex> lock(state_->executingMutex);
    state_->closing = true;
  }
  state_->WaitIdle();
  freed_ = true;
  state_->Free();
}

}  // namespace qnn_node
