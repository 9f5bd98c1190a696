#include "compose_driver.h"

#include <cstdlib>
#include <cstring>

namespace qnn_model_kit {

ModelError_t checkComposeCall(const ComposeCall& call, const ModelLog& log) {
  if (!trailingArgumentsPlausible(call.debug, call.logCallback, call.maxLogLevel, call.entryPoint))
    return MODEL_INVALID_ARGUMENT_ERROR;
  if (call.graphsInfo == nullptr || call.numGraphsInfo == nullptr) {
    log.error("%s: graphsInfo and numGraphsInfo must not be NULL", call.entryPoint);
    return MODEL_INVALID_ARGUMENT_ERROR;
  }
  if (call.backend == nullptr || call.context == nullptr) {
    log.error("%s: NULL %s handle", call.entryPoint, call.backend == nullptr ? "backend" : "context");
    return MODEL_CONTEXT_ERROR;
  }
  if (call.numConfigs > 0 && call.configs == nullptr) {
    log.error("%s: numGraphsConfigInfo is %u but graphsConfigInfo is NULL", call.entryPoint, call.numConfigs);
    return MODEL_INVALID_ARGUMENT_ERROR;
  }
  return MODEL_NO_ERROR;
}

bool nodeValidationWanted() {
  const char* v = std::getenv("QNN_NODE_MODEL_NODE_VALIDATION");
  return !(v && std::strcmp(v, "0") == 0);
}

ModelError_t composeAll(const Table& table, const ComposeCall& call, const ModelLog& log,
                        const std::vector<GraphSpec>& graphs, Qnn_TensorVersion_t tensorVersion) {
  *call.graphsInfo = nullptr;
  *call.numGraphsInfo = 0;
  ComposeSettings settings;
  settings.backend = call.backend;
  settings.context = call.context;
  settings.configs = call.configs;
  settings.numConfigs = call.numConfigs;
  settings.debug = call.debug != 0;
  settings.validateNodes = nodeValidationWanted();
  settings.tensorVersion = tensorVersion;

  GraphInfo_t** infos = nullptr;
  ModelError_t err = allocateGraphsInfo(uint32_t(graphs.size()), &infos);
  if (err != MODEL_NO_ERROR) {
    log.error("%s: out of memory for %zu GraphInfo_t", call.entryPoint, graphs.size());
    return err;
  }
  uint32_t done = 0;
  for (const GraphSpec& g : graphs) {
    GraphBuilder builder(table, settings, log);
    err = builder.create(g.name);
    for (size_t i = 0; err == MODEL_NO_ERROR && i < g.tensors.size(); ++i) err = builder.addTensor(g.tensors[i]);
    for (size_t i = 0; err == MODEL_NO_ERROR && i < g.nodes.size(); ++i) err = builder.addNode(g.nodes[i]);
    if (err == MODEL_NO_ERROR) err = builder.exportGraphInfo(infos[done]);
    if (err != MODEL_NO_ERROR) {
      log.error("%s: composing graph '%s' failed: %s", call.entryPoint, g.name.c_str(), modelErrorName(err));
      if (infos) freeGraphsInfo(&infos, done);
      return err;
    }
    ++done;
    log.info("%s: composed graph '%s' (%zu tensors, %zu nodes)", call.entryPoint, g.name.c_str(), g.tensors.size(), g.nodes.size());
  }
  *call.graphsInfo = infos;
  *call.numGraphsInfo = done;
  return MODEL_NO_ERROR;
}

}  // namespace qnn_model_kit
