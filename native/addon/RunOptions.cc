#include "RunOptions.h"

#include "Errors.h"

namespace qnn_node {

RunOptions ParseRunOptions(Napi::Env env, Napi::Value value) {
  RunOptions options;
  if (value.IsUndefined() || value.IsNull()) return options;
  if (!value.IsObject() || value.IsArray() || value.IsFunction()) ThrowInvalidArg(env, "an options object", "options", value);
  ParsePowerRunOptions(env, value.As<Napi::Object>(), &options);
  return options;
}

Napi::Value RunResultToJs(Napi::Env env, const RunResult&) { return env.Undefined(); }

}  // namespace qnn_node
