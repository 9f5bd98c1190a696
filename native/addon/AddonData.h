// Per-environment instance data: the constructors and a registry of live wraps, which the
// environment cleanup hook tears down in order (contexts, then runtimes) at exit.
#pragma once

#include <napi.h>

#include <memory>
#include <set>

namespace qnn_node {

class AddonRuntime;
class AddonContext;

struct WrapRegistry {
  std::set<AddonContext*> contexts;
  std::set<AddonRuntime*> runtimes;
  bool exiting = false;  // the environment is being torn down: touch no JS
};

struct AddonData {
  Napi::FunctionReference runtimeCtor;
  Napi::FunctionReference contextCtor;
  Napi::FunctionReference graphCtor;
  // The built-in ArrayBuffer.prototype.resizable / SharedArrayBuffer.prototype.growable
  // getters, captured at module init (a property on an instance cannot spoof them).
  Napi::FunctionReference resizableGetter;
  Napi::FunctionReference growableGetter;
  std::shared_ptr<WrapRegistry> registry = std::make_shared<WrapRegistry>();
};

// Type tags set on each wrap once its constructor succeeded: IsInstance checks the tag (no
// user JS runs, and a wrap of another class with a swapped prototype does not pass).
inline constexpr napi_type_tag kRuntimeTag = {0x7a1c3e5f0b2d4c61ull, 0x9e8f7a6b5c4d3e2full};
inline constexpr napi_type_tag kContextTag = {0x3b6d9f1e2a4c8e07ull, 0x51f3a7c9e2b4d6f8ull};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace qnn_node
