// The reference QnnModelDlc stand-in (modeldlc/libQnnModelDlc.so, modeldlc/QnnModelDlc.dll):
// the entry points of Qualcomm's libQnnModelDlc, reading the project's own DLC-like format
// (dlc_container.h) and composing every graph in it through the QNN API it is handed.
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include "compose_driver.h"
#include "dlc_container.h"

namespace qnn_model_kit {
namespace {

// What a composition keeps alive until QnnModel_freeGraphsInfo: the file (static tensor data
// points into it) and the array params' values.
struct DlcComposition {
  std::vector<uint8_t> file;
  std::deque<std::vector<int32_t>> intArrays;
  std::deque<std::vector<float>> floatArrays;
};

std::mutex gMutex;
std::map<GraphInfo_t**, std::unique_ptr<DlcComposition>> gLive;

bool readFile(const char* path, std::vector<uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  std::streamoff n = in.tellg();
  if (n < 0) return false;
  in.seekg(0, std::ios::beg);
  out->resize(size_t(n));
  if (n > 0 && !in.read(reinterpret_cast<char*>(out->data()), n)) return false;
  return true;
}

TensorSpec tensorFromModel(const qnnref::TensorInfo& t, const uint8_t* body, const qnnref::Model& m) {
  TensorSpec s;
  s.name = t.name;
  s.type = static_cast<Qnn_TensorType_t>(t.type);
  s.dataType = static_cast<Qnn_DataType_t>(t.dataType);
  s.dims = t.dims;
  if (t.quant.encoding == qnnref::kEncScaleOffset) {
    s.encoding = QNN_QUANTIZATION_ENCODING_SCALE_OFFSET;
    s.scale = t.quant.scale;
    s.offset = t.quant.offset;
  } else if (t.quant.encoding == qnnref::kEncAxisScaleOffset) {
    s.encoding = QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET;
    s.axis = t.quant.axis;
    for (size_t i = 0; i < t.quant.scales.size(); ++i) s.axisScaleOffsets.push_back({t.quant.scales[i], t.quant.offsets[i]});
  }
  if (t.type == qnnref::kTypeStatic) {
    s.data = body + m.dataOffset + t.dataOffset;
    s.dataSize = uint32_t(t.dataSize);
  }
  return s;
}

ParamSpec paramFromModel(const qnnref::Param& p, const std::string& nodeName, DlcComposition* keep) {
  ParamSpec s;
  s.name = p.name;
  switch (p.kind) {
    case qnnref::kParamInt32:
      s.scalar.dataType = QNN_DATATYPE_INT_32;
      s.scalar.int32Value = p.ints.empty() ? 0 : p.ints[0];
      break;
    case qnnref::kParamFloat32:
      s.scalar.dataType = QNN_DATATYPE_FLOAT_32;
      s.scalar.floatValue = p.floats.empty() ? 0.f : p.floats[0];
      break;
    case qnnref::kParamBool:
      s.scalar.dataType = QNN_DATATYPE_BOOL_8;
      s.scalar.bool8Value = (!p.ints.empty() && p.ints[0] != 0) ? 1 : 0;
      break;
    default: {
      // Arrays travel as rank-1 STATIC tensor params, named after node and param.
      s.isTensor = true;
      s.tensor.name = nodeName + "." + p.name;
      s.tensor.type = QNN_TENSOR_TYPE_STATIC;
      if (p.kind == qnnref::kParamFloat32Array) {
        keep->floatArrays.push_back(p.floats);
        s.tensor.dataType = QNN_DATATYPE_FLOAT_32;
        s.tensor.dims = {uint32_t(p.floats.size())};
        s.tensor.data = keep->floatArrays.back().data();
        s.tensor.dataSize = uint32_t(p.floats.size() * sizeof(float));
      } else {
        keep->intArrays.push_back(p.ints);
        s.tensor.dataType = QNN_DATATYPE_INT_32;
        s.tensor.dims = {uint32_t(p.ints.size())};
        s.tensor.data = keep->intArrays.back().data();
        s.tensor.dataSize = uint32_t(p.ints.size() * sizeof(int32_t));
      }
    }
  }
  return s;
}

// Every graph of the model: inputs and outputs first, in declared order (GraphInfo_t lists
// them in creation order), then the statics and intermediates as the nodes first use them.
std::vector<GraphSpec> graphsFromModel(const qnnref::Model& m, const uint8_t* body, DlcComposition* keep) {
  std::vector<GraphSpec> graphs;
  for (const qnnref::Graph& g : m.graphs) {
    GraphSpec spec;
    spec.name = g.name;
    std::vector<bool> added(m.tensors.size(), false);
    auto add = [&](uint32_t index) {
      if (added[index]) return;
      added[index] = true;
      spec.tensors.push_back(tensorFromModel(m.tensors[index], body, m));
    };
    for (uint32_t i : g.inputs) add(i);
    for (uint32_t i : g.outputs) add(i);
    for (const qnnref::Node& n : g.nodes) {
      for (uint32_t i : n.inputs) add(i);
      for (uint32_t i : n.outputs) add(i);
      NodeSpec node;
      node.name = n.name;
      node.type = n.opName;
      for (uint32_t i : n.inputs) node.inputs.push_back(m.tensors[i].name);
      for (uint32_t i : n.outputs) node.outputs.push_back(m.tensors[i].name);
      for (const qnnref::Param& p : n.params) node.params.push_back(paramFromModel(p, n.name, keep));
      spec.nodes.push_back(std::move(node));
    }
    graphs.push_back(std::move(spec));
  }
  return graphs;
}

}  // namespace
}  // namespace qnn_model_kit

using namespace qnn_model_kit;

QNN_MODEL_EXPORT ModelError_t QnnModel_composeGraphsFromDlc(Qnn_BackendHandle_t backendHandle, InterfaceByValue interface,
                                                            Qnn_ContextHandle_t contextHandle,
                                                            const GraphConfigInfo_t** graphsConfigInfo, const char* dlcPath,
                                                            const uint32_t numGraphsConfigInfo, GraphInfo_t*** graphsInfo,
                                                            uint32_t* numGraphsInfo, uint8_t debug,
                                                            QnnLog_Callback_t logCallback, uint32_t maxLogLevel) {
  ComposeCall call{"QnnModel_composeGraphsFromDlc", backendHandle, contextHandle, graphsConfigInfo, numGraphsConfigInfo,
                   graphsInfo, numGraphsInfo, debug, reinterpret_cast<const void*>(logCallback), maxLogLevel};
  ModelLog log(logCallback, maxLogLevel);
  ModelError_t err = checkComposeCall(call, log);
  if (err != MODEL_NO_ERROR) return err;
  if (dlcPath == nullptr || *dlcPath == '\0') {
    log.error("QnnModel_composeGraphsFromDlc: dlcPath is %s", dlcPath ? "empty" : "NULL");
    return MODEL_INVALID_ARGUMENT_ERROR;
  }
  auto keep = std::make_unique<DlcComposition>();
  if (!readFile(dlcPath, &keep->file)) {
    log.error("QnnModel_composeGraphsFromDlc: cannot read DLC file '%s'", dlcPath);
    return MODEL_FILE_ERROR;
  }
  qnnref::Model model;
  uint64_t bodyStart = 0;
  DlcParseError why;
  if (!parseDlc(keep->file.data(), keep->file.size(), &model, &bodyStart, &why)) {
    log.error("QnnModel_composeGraphsFromDlc: '%s' is not a valid reference DLC (at offset %llu: %s)", dlcPath,
              static_cast<unsigned long long>(why.offset), why.message.c_str());
    return MODEL_INVALID_ARGUMENT_ERROR;
  }
  std::vector<GraphSpec> graphs = graphsFromModel(model, keep->file.data() + bodyStart, keep.get());
  log.info("QnnModel_composeGraphsFromDlc: '%s': %zu graphs", dlcPath, graphs.size());
  err = composeAll(Table(interface), call, log, graphs, QNN_TENSOR_VERSION_2);
  if (err != MODEL_NO_ERROR) return err;
  if (*graphsInfo) {
    std::lock_guard<std::mutex> lock(gMutex);
    gLive[*graphsInfo] = std::move(keep);
  }
  return MODEL_NO_ERROR;
}

QNN_MODEL_EXPORT ModelError_t QnnModel_composeGraphs(Qnn_BackendHandle_t, InterfaceByValue, Qnn_ContextHandle_t,
                                                     const GraphConfigInfo_t**, const uint32_t, GraphInfo_t*** graphsInfo,
                                                     uint32_t* numGraphsInfo, uint8_t, QnnLog_Callback_t logCallback,
                                                     uint32_t maxLogLevel) {
  if (graphsInfo) *graphsInfo = nullptr;
  if (numGraphsInfo) *numGraphsInfo = 0;
  ModelLog(maxLogLevel <= QNN_LOG_LEVEL_DEBUG ? logCallback : nullptr, maxLogLevel)
      .error("QnnModel_composeGraphs: libQnnModelDlc composes from a file: call QnnModel_composeGraphsFromDlc with the DLC's path");
  return MODEL_INVALID_ARGUMENT_ERROR;
}

QNN_MODEL_EXPORT ModelError_t QnnModel_freeGraphsInfo(GraphInfo_t*** graphsInfo, uint32_t numGraphsInfo) {
  std::unique_ptr<DlcComposition> released;
  if (graphsInfo && *graphsInfo) {
    std::lock_guard<std::mutex> lock(gMutex);
    auto it = gLive.find(*graphsInfo);
    if (it != gLive.end()) {
      released = std::move(it->second);
      gLive.erase(it);
    }
  }
  return freeGraphsInfo(graphsInfo, numGraphsInfo);
}
