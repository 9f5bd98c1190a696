#include "AddonRuntime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "ConfigsFromJs.h"
#include "PowerVotes.h"
#include "Worker.h"

namespace qnn_node {
namespace {


class RuntimeLoadWorker : public PromiseWorker {
 public:
  RuntimeLoadWorker(Napi::Env env, Napi::Object owner, AddonRuntime* wrap, RuntimeOptions options,
                    std::shared_ptr<LogChannel> log, std::string rpcmemPath)
      : PromiseWorker(env, "qnn-node:runtime.load", owner), wrap_(wrap), options_(std::move(options)),
        log_(std::move(log)), rpcmemPath_(std::move(rpcmemPath)) {}

 protected:
  void DoWork() override {
    state_ = RuntimeState::Create(options_, log_);
    LoadSharedMemory(wrap_, *state_, rpcmemPath_);
  }
  void Settle(Napi::Env) override { wrap_->loading = false; }
  Napi::Value Result(Napi::Env env) override {
    if (wrap_->disposed()) {
      state_.reset();  // tears the backend down here, on the main thread
      ThrowCode(env, "DISPOSED", "The QNN runtime was disposed while it was loading");
    }
    wrap_->SetState(state_);
    Napi::Object info = RuntimeInfoToJs(env, *state_);
    info.Set("sharedMemory", SharedMemoryInfoToJs(env, wrap_));
    return info;
  }

 private:
  AddonRuntime* wrap_;
  RuntimeOptions options_;
  std::shared_ptr<LogChannel> log_;
  std::shared_ptr<RuntimeState> state_;
  std::string rpcmemPath_;
};

// setPerfProfile / setPowerConfig on the pool: setPowerConfig is an RPC to the DSP.
class PowerWorker : public PromiseWorker {
 public:
  PowerWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<RuntimeState> state, PerfProfile profile)
      : PromiseWorker(env, "qnn-node:runtime.power", owner), state_(std::move(state)), profile_(profile) {}
  PowerWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<RuntimeState> state,
              std::vector<PowerConfigWords> configs, uint32_t deviceId, uint32_t coreId)
      : PromiseWorker(env, "qnn-node:runtime.power", owner), state_(std::move(state)), raw_(true),
        configs_(std::move(configs)), deviceId_(deviceId), coreId_(coreId) {}

 protected:
  void DoWork() override {
    if (raw_) {
      state_->power->SetRaw(std::move(configs_), deviceId_, coreId_);
    } else {
      state_->power->SetInstanceProfile(profile_);
    }
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<RuntimeState> state_;
  PerfProfile profile_ = PerfProfile::kUnset;
  bool raw_ = false;
  std::vector<PowerConfigWords> configs_;
  uint32_t deviceId_ = 0, coreId_ = 0;
};

[[noreturn]] void ThrowPowerUnavailable(Napi::Env env, const RuntimeState& rt, const std::string& what) {
  NativeError e;
  e.code = "POWER_UNAVAILABLE";
  e.message = "Cannot " + what + ": power control is unavailable (" + rt.powerError + ")";
  e.details.emplace_back("reason", rt.powerError);
  throw ToJsError(env, e);
}

uint32_t OptionalId(Napi::Env env, const Napi::Value& v, const char* name) {
  if (v.IsUndefined() || v.IsNull()) return 0;
  if (!v.IsNumber()) ThrowInvalidArg(env, "an integer from 0 to 4294967295", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d))) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", std::string("Expected an integer from 0 to 4294967295 for ") + name + " but received " + DescribeValue(v));
  }
  return static_cast<uint32_t>(d);
}

std::string OptionalString(Napi::Env env, Napi::Object opts, const char* key, bool required) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) ThrowInvalidArg(env, "a string", std::string("options.") + key, v);
    return std::string();
  }
  if (!v.IsString()) ThrowInvalidArg(env, "a string", std::string("options.") + key, v);
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) ThrowInvalidArg(env, "a string without NUL characters", std::string("options.") + key, v);
  return s;
}

}  // namespace

Napi::Function AddonRuntime::Init(Napi::Env env) {
  Napi::Function ctor = DefineClass(
      env, "Runtime",
      {InstanceMethod<&AddonRuntime::Load>("load"), InstanceMethod<&AddonRuntime::Dispose>("dispose"),
       InstanceMethod<&AddonRuntime::SetPerfProfile>("setPerfProfile"),
       InstanceMethod<&AddonRuntime::SetPowerConfig>("setPowerConfig"),
       InstanceMethod<&AddonRuntime::AllocShared>("allocShared"), InstanceMethod<&AddonRuntime::FreeShared>("freeShared"),
       StaticMethod<&AddonRuntime::ExitProcess>("exitProcess")});
  // A plain accessor that checks its receiver (see AddonContext::Init).
  ctor.Get("prototype").As<Napi::Object>().DefineProperty(
      Napi::PropertyDescriptor::Accessor<&AddonRuntime::GetDisposed>("disposed"));
  return ctor;
}

AddonRuntime::AddonRuntime(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonRuntime>(info) {
  registry_ = GetAddonData(info.Env())->registry;
  registry_->runtimes.insert(this);
  info.This().As<Napi::Object>().TypeTag(&kRuntimeTag);
}

AddonRuntime::~AddonRuntime() {
  registry_->runtimes.erase(this);
  Release();
}

bool AddonRuntime::IsInstance(Napi::Env env, const Napi::Value& value) {
  if (!value.IsObject()) return false;
  // The tag is set only on a constructed Runtime wrap (an object with Runtime.prototype
  // but no wrap, or another wrap with a swapped prototype, fails).
  return value.As<Napi::Object>().CheckTypeTag(&kRuntimeTag);
}

std::shared_ptr<RuntimeState> AddonRuntime::Require(Napi::Env env) const {
  if (disposed_) ThrowCode(env, "DISPOSED", "The QNN runtime has been disposed");
  if (!state_) ThrowCode(env, "ERR_INVALID_ARG", "The QNN runtime is not loaded", true);
  return state_;
}

void AddonRuntime::Release() {
  disposed_ = true;
  state_.reset();
}

Napi::Value AddonRuntime::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (disposed_) ThrowCode(env, "DISPOSED", "The QNN runtime has been disposed");
  if (state_ || loading) ThrowCode(env, "ERR_INVALID_ARG", "The QNN runtime is already loaded", true);
  // In progress from here: reading the options runs user getters, which may call load() or
  // dispose() again. The guard clears the flag when reading throws.
  loading = true;
  struct Guard {
    AddonRuntime* self;
    bool armed = true;
    ~Guard() {
      if (armed) self->loading = false;
    }
  } guard{this};
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray() || info[0].IsFunction()) {
    ThrowInvalidArg(env, "an options object", "options", info.Length() ? info[0] : env.Undefined());
  }
  Napi::Object opts = info[0].As<Napi::Object>();
  RuntimeOptions o;
  o.backendPath = OptionalString(env, opts, "backendPath", true);
  if (o.backendPath.empty()) ThrowInvalidArg(env, "a non-empty string", "options.backendPath", opts.Get("backendPath"));
  o.systemPath = OptionalString(env, opts, "systemPath", false);
  std::string rpcmemPath = OptionalString(env, opts, "rpcmemLibrary", false);
  o.adspLibraryPath = OptionalString(env, opts, "adspLibraryPath", false);
  Napi::Value req = opts.Get("systemRequired");
  o.systemRequired = req.IsBoolean() && req.As<Napi::Boolean>().Value();
  Napi::Value level = opts.Get("logLevel");
  if (!level.IsUndefined()) {
    if (!level.IsNumber()) ThrowInvalidArg(env, "an integer from 0 to 5", "options.logLevel", level);
    double d = level.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 5) || d != static_cast<double>(static_cast<int>(d))) {
      ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected an integer from 0 to 5 for options.logLevel but received " + DescribeValue(level));
    }
    o.logLevel = static_cast<int>(d);
  }
  Napi::Value device = opts.Get("device");
  if (device.IsBoolean()) o.device = device.As<Napi::Boolean>().Value() ? 1 : 0;
  else if (!device.IsUndefined() && !device.IsNull()) ThrowInvalidArg(env, "a boolean", "options.device", device);
  o.backendCustom = ParseCustomConfigs(env, opts.Get("backendConfigs"), ConfigFamily::kBackend, "options.backendConfigs");
  o.deviceCustom = ParseCustomConfigs(env, opts.Get("deviceConfigs"), ConfigFamily::kDevice, "options.deviceConfigs");
  Napi::Function onLogFn;
  Napi::Value onLog = opts.Get("onLog");
  if (!onLog.IsUndefined() && !onLog.IsNull()) {
    if (!onLog.IsFunction()) ThrowInvalidArg(env, "a function", "options.onLog", onLog);
    onLogFn = onLog.As<Napi::Function>();
  }
  // Always a log handle, at least at warning level: a model composition reports the
  // backend's errors and warnings (LogCapture) even when nobody listens. Only the levels
  // asked for reach onLog.
  int jsLevel = onLogFn.IsEmpty() ? 0 : o.logLevel;
  std::shared_ptr<LogChannel> log = LogChannel::Create(env, onLogFn, jsLevel);
  o.logLevel = log ? std::max(jsLevel, kCaptureLevel) : 0;
  if (disposed_) ThrowCode(env, "DISPOSED", "The QNN runtime was disposed while its options were read");
  // setenv is not thread-safe: set ADSP_LIBRARY_PATH here, on the main thread, before the
  // worker loads the backend (which reads it).
  if (!o.adspLibraryPath.empty()) SetAdspLibraryPath(o.adspLibraryPath);
  auto* worker = new RuntimeLoadWorker(env, Value(), this, std::move(o), std::move(log), std::move(rpcmemPath));
  worker->Queue();
  guard.armed = false;
  return worker->Promise();
}

// setPerfProfile(name | null): the instance profile (null clears it without a vote).
Napi::Value AddonRuntime::SetPerfProfile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value arg = info.Length() > 0 ? info[0] : env.Undefined();
  PerfProfile p = arg.IsNull() ? PerfProfile::kUnset : ParsePerfProfile(env, arg, "profile");
  std::shared_ptr<RuntimeState> state = Require(env);
  if (!state->power) {
    if (p != PerfProfile::kUnset && p != PerfProfile::kDefault) {
      ThrowPowerUnavailable(env, *state, std::string("set the performance profile \"") + PerfProfileName(p) + "\"");
    }
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }
  auto* worker = new PowerWorker(env, Value(), state, p);
  worker->Queue();
  return worker->Promise();
}

// setPowerConfig(words: Uint32Array, deviceId?, coreId?): raw configs.
Napi::Value AddonRuntime::SetPowerConfig(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<PowerConfigWords> configs = ParsePowerConfigWords(env, info.Length() > 0 ? info[0] : env.Undefined());
  uint32_t deviceId = OptionalId(env, info.Length() > 1 ? info[1] : env.Undefined(), "deviceId");
  uint32_t coreId = OptionalId(env, info.Length() > 2 ? info[2] : env.Undefined(), "coreId");
  std::shared_ptr<RuntimeState> state = Require(env);
  if (!state->power) ThrowPowerUnavailable(env, *state, "set power configs");
  auto* worker = new PowerWorker(env, Value(), state, std::move(configs), deviceId, coreId);
  worker->Queue();
  return worker->Promise();
}

Napi::Value AddonRuntime::Dispose(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

// A backend call that never returns (deviceCreate of an HTP that cannot reach its DSP)
// blocks its libuv worker thread, and exit() would wait for it: libuv joins its threads in
// an exit-time destructor. The CLI leaves through here once such a call was given up on.
Napi::Value AddonRuntime::ExitProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowInvalidArg(env, "an integer exit code", "code", info.Length() ? info[0] : env.Undefined());
  int code = info[0].As<Napi::Number>().Int32Value();
  std::fflush(nullptr);
  std::_Exit(code);
}

Napi::Value AddonRuntime::GetDisposed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!IsInstance(env, info.This())) ThrowInvalidArg(env, "a Runtime", "this", info.This());
  return Napi::Boolean::New(env, Napi::ObjectWrap<AddonRuntime>::Unwrap(info.This().As<Napi::Object>())->disposed_);
}

Napi::Object RuntimeInfoToJs(Napi::Env env, const RuntimeState& rt) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("backendPath", rt.backendPath);
  o.Set("systemPath", rt.hasSystem ? Napi::Value(Napi::String::New(env, rt.systemPath)) : env.Null());
  o.Set("buildId", rt.buildId);
  o.Set("backendId", Napi::Number::New(env, rt.provider.backendId));
  o.Set("providerName", rt.provider.name);
  o.Set("coreApiVersion", rt.provider.core.str());
  o.Set("backendApiVersion", rt.provider.backend.str());
  o.Set("systemApiVersion", rt.hasSystem ? Napi::Value(Napi::String::New(env, rt.systemVersion.str())) : env.Null());
  o.Set("systemProviderName", rt.hasSystem ? Napi::Value(Napi::String::New(env, rt.systemProviderName)) : env.Null());
  o.Set("systemError", rt.hasSystem ? env.Null() : Napi::Value(Napi::String::New(env, rt.systemError)));
  o.Set("graphInfoStride", rt.hasSystem ? Napi::Value(Napi::Number::New(env, static_cast<double>(rt.GraphInfoStride()))) : env.Null());
  o.Set("device", Napi::Boolean::New(env, rt.hasDevice));
  o.Set("deviceError", rt.deviceError.empty() ? env.Null() : Napi::Value(Napi::String::New(env, rt.deviceError)));
  if (rt.hasPlatform) {
    Napi::Object platform = Napi::Object::New(env);
    platform.Set("version", Napi::Number::New(env, rt.platform.version));
    Napi::Array devices = Napi::Array::New(env, rt.platform.devices.size());
    for (size_t i = 0; i < rt.platform.devices.size(); ++i) {
      const PlatformDevice& d = rt.platform.devices[i];
      Napi::Object dev = Napi::Object::New(env);
      dev.Set("id", Napi::Number::New(env, d.id));
      dev.Set("type", Napi::Number::New(env, d.type));
      Napi::Array cores = Napi::Array::New(env, d.cores.size());
      for (size_t c = 0; c < d.cores.size(); ++c) {
        Napi::Object core = Napi::Object::New(env);
        core.Set("id", Napi::Number::New(env, d.cores[c].id));
        core.Set("type", Napi::Number::New(env, d.cores[c].type));
        cores.Set(static_cast<uint32_t>(c), core);
      }
      dev.Set("cores", cores);
      dev.Set("hasExtension", Napi::Boolean::New(env, d.hasExtension));
      devices.Set(static_cast<uint32_t>(i), dev);
    }
    platform.Set("devices", devices);
    o.Set("platform", platform);
  } else {
    o.Set("platform", env.Null());
  }
  o.Set("platformError", rt.platformError.empty() ? env.Null() : Napi::Value(Napi::String::New(env, rt.platformError)));
  o.Set("coreTableSlots", Napi::Number::New(env, rt.coreSlots));
  o.Set("powerAvailable", Napi::Boolean::New(env, rt.power != nullptr));
  o.Set("powerError", rt.power ? env.Null() : Napi::Value(Napi::String::New(env, rt.powerError)));
  // Whether onLog receives lines (the handle may exist for capture only).
  o.Set("logging", Napi::Boolean::New(env, rt.logHandle != nullptr && rt.log() && rt.log()->delivers()));
  Napi::Array providers = Napi::Array::New(env, rt.providers.size());
  for (size_t i = 0; i < rt.providers.size(); ++i) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("name", rt.providers[i].name);
    p.Set("backendId", Napi::Number::New(env, rt.providers[i].backendId));
    p.Set("coreApiVersion", rt.providers[i].core.str());
    p.Set("backendApiVersion", rt.providers[i].backend.str());
    providers.Set(static_cast<uint32_t>(i), p);
  }
  o.Set("providers", providers);
  return o;
}

}  // namespace qnn_node
