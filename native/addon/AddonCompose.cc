// AddonContext::Compose: the JS entry of model composition (arguments → ComposeRequest),
// its worker, and progress events through a thread-safe function. The result has the
// shape of load()'s plus composeTimings, modelLibrary and the progress events in order
// (the JS layer replays those a late thread-safe call has not delivered yet).
#include <mutex>

#include "AddonContext.h"
#include "ConfigsFromJs.h"
#include "GraphSignatures.h"
#include "Worker.h"

namespace qnn_node {
namespace {

constexpr uint32_t kMaxLibraryCandidates = 16;

struct ProgressEvent {
  uint32_t seq = 0;
  ComposeProgress p;
};

Napi::Object ProgressToJs(Napi::Env env, const ProgressEvent& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("seq", Napi::Number::New(env, e.seq));
  o.Set("phase", Napi::String::New(env, e.p.finalize ? "finalize" : "compose"));
  if (e.p.finalize) o.Set("graph", Napi::String::New(env, e.p.graph));
  o.Set("index", Napi::Number::New(env, e.p.index));
  o.Set("count", Napi::Number::New(env, e.p.count));
  o.Set("elapsedMs", Napi::Number::New(env, e.p.elapsedMs));
  return o;
}

void CallProgress(Napi::Env env, Napi::Function fn, std::nullptr_t*, ProgressEvent* event) {
  std::unique_ptr<ProgressEvent> owned(event);
  if (env == nullptr || fn.IsEmpty()) return;
  try {
    fn.Call({ProgressToJs(env, *owned)});
  } catch (const Napi::Error&) {
    // The JS layer catches the user's exceptions; nothing may escape into the loop.
  }
}

using ProgressTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, ProgressEvent, CallProgress>;

class ComposeWorker : public PromiseWorker {
 public:
  ComposeWorker(Napi::Env env, Napi::Object owner, AddonContext* wrap, std::shared_ptr<ContextState> state, Napi::Function onProgress)
      : PromiseWorker(env, "qnn-node:context.compose", owner), wrap_(wrap), state_(std::move(state)) {
    if (!onProgress.IsEmpty()) {
      tsfn_ = ProgressTsfn::New(env, onProgress, "qnn-node:compose.progress", 0, 1);
      hasTsfn_ = true;
    }
  }

 protected:
  void DoWork() override {
    ContextState::Busy busy(*state_);
    state_->Compose([this](const ComposeProgress& p) {
      ProgressEvent e;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        e.seq = static_cast<uint32_t>(events_.size()) + 1;
        e.p = p;
        events_.push_back(e);
      }
      if (hasTsfn_) {
        auto* copy = new ProgressEvent(e);
        if (tsfn_.NonBlockingCall(copy) != napi_ok) delete copy;
      }
    });
  }
  void Settle(Napi::Env env) override {
    if (hasTsfn_) tsfn_.Release();
    hasTsfn_ = false;
    wrap_->LoadSettled(env, failed_);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Value loaded = wrap_->Loaded(env);
    Napi::Array list = Napi::Array::New(env, events_.size());
    for (size_t i = 0; i < events_.size(); ++i) list.Set(static_cast<uint32_t>(i), ProgressToJs(env, events_[i]));
    loaded.As<Napi::Object>().Set("progress", list);
    return loaded;
  }

 private:
  AddonContext* wrap_;
  std::shared_ptr<ContextState> state_;
  ProgressTsfn tsfn_;
  bool hasTsfn_ = false;
  std::mutex mutex_;
  std::vector<ProgressEvent> events_;
};

std::string PathArg(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsString()) ThrowInvalidArg(env, "a file path", name, v);
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.empty() || s.find('\0') != std::string::npos) ThrowInvalidArg(env, "a non-empty file path without NUL characters", name, v);
  return s;
}

std::vector<LibraryCandidate> ParseCandidates(Napi::Env env, const Napi::Value& value) {
  if (!value.IsArray()) ThrowInvalidArg(env, "an array of { path, origin } library candidates", "dlcLibraries", value);
  Napi::Array arr = value.As<Napi::Array>();
  const uint32_t length = arr.Length();
  if (length == 0 || length > kMaxLibraryCandidates) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected 1 to " + std::to_string(kMaxLibraryCandidates) + " library candidates for dlcLibraries but received " + std::to_string(length));
  }
  std::vector<LibraryCandidate> out;
  for (uint32_t i = 0; i < length; ++i) {
    std::string where = "dlcLibraries[" + std::to_string(i) + "]";
    Napi::Value item = arr.Get(i);
    if (!item.IsObject() || item.IsArray()) ThrowInvalidArg(env, "a { path, origin } object", where, item);
    Napi::Object o = item.As<Napi::Object>();
    LibraryCandidate c;
    c.path = PathArg(env, o.Get("path"), where + ".path");
    Napi::Value origin = o.Get("origin");
    if (!origin.IsString()) ThrowInvalidArg(env, "a string", where + ".origin", origin);
    c.origin = origin.As<Napi::String>().Utf8Value();
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

Napi::Value AddonContext::Compose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (freed_ || disposeRequested_) ThrowCode(env, "DISPOSED", "The QNN context has been disposed");
  if (loaded_ || loading) ThrowCode(env, "ERR_INVALID_ARG", "The QNN context is already loaded", true);
  loading = true;  // getters below may call back into this context (see Load)
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
  auto arg = [&](size_t i) { return info.Length() > i ? info[i] : env.Undefined(); };
  ComposeRequest req;
  req.modelPath = PathArg(env, arg(0), "source");
  Napi::Value format = arg(1);
  std::string f = format.IsString() ? format.As<Napi::String>().Utf8Value() : std::string();
  if (f != "dlc" && f != "library") ThrowInvalidArg(env, "'dlc' or 'library'", "format", format);
  req.dlc = f == "dlc";
  Napi::Value candidates = arg(2);
  if (req.dlc) {
    req.dlcLibraries = ParseCandidates(env, candidates);
  } else if (!candidates.IsUndefined() && !candidates.IsNull()) {
    ThrowInvalidArg(env, "undefined (a model library composes itself)", "dlcLibraries", candidates);
  }
  Napi::Object groupFirst;
  ContextConfigSpec configs = ParseContextConfigs(env, arg(3), &groupFirst);
  if (!groupFirst.IsEmpty() || configs.group) {
    ThrowInvalidArg(env, "no spill-fill group (composed contexts cannot join one)", "configs.group", arg(3).As<Napi::Object>().Get("group"));
  }
  Napi::Value onProgress = arg(4);
  Napi::Function progressFn;
  if (!onProgress.IsUndefined() && !onProgress.IsNull()) {
    if (!onProgress.IsFunction()) ThrowInvalidArg(env, "a function", "onProgress", onProgress);
    progressFn = onProgress.As<Napi::Function>();
  }
  if (freed_ || disposeRequested_) ThrowCode(env, "DISPOSED", "The QNN context was disposed while its arguments were read");
  state_->SetConfigs(std::move(configs));
  state_->SetCompose(std::move(req));
  auto* worker = new ComposeWorker(env, Value(), this, state_, progressFn);
  worker->Queue();
  guard.armed = false;
  return worker->Promise();
}

}  // namespace qnn_node
