// PromiseWorker: an AsyncWorker that settles a Promise. Arguments are converted into a
// plain struct on the main thread before it is queued (sharp's baton); DoWork() runs on
// the libuv pool and reports failures by throwing CoreError; the wrap it works for is
// held by a strong reference until the promise settles.
#pragma once

#include <napi.h>

#include <exception>
#include <memory>
#include <string>

#include "Errors.h"

namespace qnn_node {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* name, Napi::Object owner)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {
    owner_ = Napi::Persistent(owner);
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  virtual void DoWork() = 0;
  // Main thread, after a successful DoWork().
  virtual Napi::Value Result(Napi::Env env) = 0;
  // Main thread, always (success or failure), before the promise settles.
  virtual void Settle(Napi::Env env) {}

  void Execute() override {
    try {
      DoWork();
    } catch (const CoreError& e) {
      failed_ = true;
      error_ = e.error();
    } catch (const std::bad_alloc&) {
      failed_ = true;
      error_.code = "QNN_ERROR";
      error_.message = "out of memory";
    } catch (const std::exception& e) {
      failed_ = true;
      error_.code = "QNN_ERROR";
      error_.message = std::string("native failure: ") + e.what();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Settle(env);
    if (failed_) {
      deferred_.Reject(ToJsError(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(Result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const CoreError& e) {
      deferred_.Reject(ToJsError(env, e.error()).Value());
    }
  }

  void OnError(const Napi::Error& e) override {
    Napi::HandleScope scope(Env());
    Settle(Env());
    deferred_.Reject(e.Value());
  }

  bool failed_ = false;
  NativeError error_;
  Napi::ObjectReference owner_;

 private:
  Napi::Promise::Deferred deferred_;
};

}  // namespace qnn_node
