#include "AddonContext.h"

#include <cmath>

#include "AddonRuntime.h"
#include "BinaryInfo.h"
#include "ConfigsFromJs.h"
#include "BinarySections.h"
#include "GraphSignatures.h"
#include "Worker.h"

namespace qnn_node {
namespace {

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
       InstanceMethod<&AddonContext::Compose>("compose"), InstanceMethod<&AddonContext::GetBinary>("getBinary"),
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
