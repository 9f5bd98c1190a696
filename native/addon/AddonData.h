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
  std::shared_ptr<WrapRegistry> registry = std::make_shared<WrapRegistry>();
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace qnn_node
