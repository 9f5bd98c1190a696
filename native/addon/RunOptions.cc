#include "RunOptions.h"

#include "Errors.h"

namespace qnn_node {

RunOptions ParseRunOptions(Napi::Env env, Napi::Value value) {
  RunOptions options;
  if (value.IsUndefined() || value.IsNull()) return options;
  if (!value.IsObject() || value.IsArray() || value.IsFunction()) ThrowInvalidArg(env, "an options object", "options", value);
  Napi::Object o = value.As<Napi::Object>();
  ParsePowerRunOptions(env, o, &options);
  ParseProfilingRunOptions(env, o, &options);
  return options;
}

Napi::Value RunResultToJs(Napi::Env env, const RunResult& result) {
  // One check per section: undefined when no section has anything to say.
  bool profiled = result.profile.level != ProfileLevel::kOff;
  if (!profiled) return env.Undefined();
  Napi::Object o = Napi::Object::New(env);
  if (profiled) o.Set("profile", ProfileResultToJs(env, result.profile));
  return o;
}

}  // namespace qnn_node
