#include "RunOptions.h"

#include "Errors.h"

namespace qnn_node {

RunOptions ParseRunOptions(Napi::Env env, Napi::Value value) {
  RunOptions options;
  if (value.IsUndefined() || value.IsNull()) return options;
  if (!value.IsObject() || value.IsArray() || value.IsFunction()) ThrowInvalidArg(env, "an options object", "options", value);
  Napi::Object o = value.As<Napi::Object>();
  ParseProfilingRunOptions(env, o, &options);
  return options;
}

Napi::Value RunResultToJs(Napi::Env env, const RunResult& result) {
  if (result.profile.level == ProfileLevel::kOff) return env.Undefined();
  Napi::Object o = Napi::Object::New(env);
  if (result.profile.level != ProfileLevel::kOff) o.Set("profile", ProfileResultToJs(env, result.profile));
  return o;
}

}  // namespace qnn_node
