// qnn_node.node: registers the three wraps, mapFile and the per-environment instance data, and
// installs the cleanup hook that tears everything down in order when the environment
// exits (contexts — after their running executions end — then runtimes).
#include <napi.h>

#include <tuple>
#include <vector>

#include "AddonContext.h"
#include "AddonData.h"
#include "AddonGraph.h"
#include "AddonMappedFile.h"
#include "AddonRuntime.h"
#include "BinaryInfo.h"
#include "HostMatmul.h"
#include "ProcessLimits.h"
#include "qnn/qnn_abi_compat.h"

namespace qnn_node {
namespace {

void CleanupAtExit(std::shared_ptr<WrapRegistry> registry) {
  registry->exiting = true;
  std::vector<AddonContext*> contexts(registry->contexts.begin(), registry->contexts.end());
  for (AddonContext* c : contexts) c->TeardownAtExit();
  std::vector<AddonRuntime*> runtimes(registry->runtimes.begin(), registry->runtimes.end());
  for (AddonRuntime* r : runtimes) r->Release();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  Napi::Function runtime = AddonRuntime::Init(env);
  Napi::Function context = AddonContext::Init(env);
  Napi::Function graph = AddonGraph::Init(env);
  data->runtimeCtor = Napi::Persistent(runtime);
  data->contextCtor = Napi::Persistent(context);
  data->graphCtor = Napi::Persistent(graph);
  for (auto [ctorName, prop, slot] : {std::make_tuple("ArrayBuffer", "resizable", &data->resizableGetter),
                                      std::make_tuple("SharedArrayBuffer", "growable", &data->growableGetter)}) {
    Napi::Value ctor = env.Global().Get(ctorName);
    if (!ctor.IsFunction()) continue;
    Napi::Value proto = ctor.As<Napi::Object>().Get("prototype");
    if (!proto.IsObject()) continue;
    Napi::Object object = env.Global().Get("Object").As<Napi::Object>();
    Napi::Value d = object.Get("getOwnPropertyDescriptor").As<Napi::Function>().Call(object, {proto, Napi::String::New(env, prop)});
    if (!d.IsObject()) continue;
    Napi::Value get = d.As<Napi::Object>().Get("get");
    if (get.IsFunction()) *slot = Napi::Persistent(get.As<Napi::Function>());
  }
  std::shared_ptr<WrapRegistry> registry = data->registry;
  env.AddCleanupHook([registry]() { CleanupAtExit(registry); });
  exports.Set("Runtime", runtime);
  exports.Set("Context", context);
  exports.Set("Graph", graph);
  exports.Set("mapFile", Napi::Function::New(env, MapFile, "mapFile"));
  exports.Set("readBinaryInfo", Napi::Function::New(env, ReadBinaryInfoJs, "readBinaryInfo"));
  exports.Set("limitProcess", Napi::Function::New(env, LimitProcess, "limitProcess"));
  exports.Set("hostMatmul", Napi::Function::New(env, HostMatmul, "hostMatmul"));
  exports.Set("hostMatmulWeight", Napi::Function::New(env, HostMatmulWeight, "hostMatmulWeight"));
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  exports.Set("sdkHeaders", Napi::Boolean::New(env, QNN_NODE_HEADERS_FROM_SDK != 0));
  exports.Set("minCoreApi", Napi::String::New(env, "2." + std::to_string(abi::kMinSupportedCoreMinor) + ".0"));
  return exports;
}

}  // namespace qnn_node

static Napi::Object InitQnnNode(Napi::Env env, Napi::Object exports) { return qnn_node::Init(env, exports); }

NODE_API_MODULE(qnn_node, InitQnnNode)
