#include "graph_builder.h"

#include <cstdlib>
#include <cstring>

namespace qnn_model_kit {

namespace {

// Version-independent views of the fields the builder touches (V1's fields sit at the same
// offsets in V2).
Qnn_TensorV1_t& v1(Qnn_Tensor_t& t) { return t.v1; }
const Qnn_TensorV1_t& v1(const Qnn_Tensor_t& t) { return t.v1; }

char* dupString(const char* s) {
  if (!s) return nullptr;
  size_t n = std::strlen(s) + 1;
  char* d = static_cast<char*>(std::malloc(n));
  if (d) std::memcpy(d, s, n);
  return d;
}

// Deep copy of a tensor's metadata (name, dims, quantization); no data.
bool deepCopyTensor(const Qnn_Tensor_t& src, Qnn_Tensor_t* dst) {
  std::memcpy(dst, &src, sizeof(Qnn_Tensor_t));
  Qnn_TensorV1_t& d = v1(*dst);
  d.name = nullptr;
  d.dimensions = nullptr;
  d.memType = QNN_TENSORMEMTYPE_RAW;
  d.clientBuf = Qnn_ClientBuffer_t{nullptr, 0};
  if (dst->version == QNN_TENSOR_VERSION_2) {
    dst->v2.isDynamicDimensions = nullptr;
    dst->v2.sparseParams = Qnn_SparseParams_t{};
    dst->v2.isProduced = 0;
  }
  if (d.quantizeParams.quantizationEncoding == QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET)
    d.quantizeParams.axisScaleOffsetEncoding.scaleOffset = nullptr;
  const Qnn_TensorV1_t& s = v1(src);
  d.name = dupString(s.name);
  if (s.name && !d.name) return false;
  if (s.rank > 0) {
    d.dimensions = static_cast<uint32_t*>(std::malloc(s.rank * sizeof(uint32_t)));
    if (!d.dimensions) return false;
    std::memcpy(d.dimensions, s.dimensions, s.rank * sizeof(uint32_t));
  }
  if (s.quantizeParams.quantizationEncoding == QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET) {
    uint32_t n = s.quantizeParams.axisScaleOffsetEncoding.numScaleOffsets;
    auto* so = static_cast<Qnn_ScaleOffset_t*>(std::malloc(n * sizeof(Qnn_ScaleOffset_t)));
    if (n && !so) return false;
    if (n) std::memcpy(so, s.quantizeParams.axisScaleOffsetEncoding.scaleOffset, n * sizeof(Qnn_ScaleOffset_t));
    d.quantizeParams.axisScaleOffsetEncoding.scaleOffset = so;
  }
  return true;
}

void freeTensorCopy(Qnn_Tensor_t* t) {
  Qnn_TensorV1_t& d = v1(*t);
  std::free(const_cast<char*>(d.name));
  std::free(d.dimensions);
  if (d.quantizeParams.quantizationEncoding == QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET)
    std::free(d.quantizeParams.axisScaleOffsetEncoding.scaleOffset);
  d.name = nullptr;
  d.dimensions = nullptr;
}

Qnn_Tensor_t* copyTensorArray(const std::vector<const Qnn_Tensor_t*>& from, bool* ok) {
  *ok = true;
  if (from.empty()) return nullptr;
  auto* arr = static_cast<Qnn_Tensor_t*>(std::calloc(from.size(), sizeof(Qnn_Tensor_t)));
  if (!arr) {
    *ok = false;
    return nullptr;
  }
  for (size_t i = 0; i < from.size(); ++i) {
    if (!deepCopyTensor(*from[i], &arr[i])) {
      for (size_t j = 0; j <= i; ++j) freeTensorCopy(&arr[j]);
      std::free(arr);
      *ok = false;
      return nullptr;
    }
  }
  return arr;
}

}  // namespace

const QnnGraph_Config_t** configsFor(const ComposeSettings& settings, const std::string& graphName) {
  if (!settings.configs) return nullptr;
  for (uint32_t i = 0; i < settings.numConfigs; ++i) {
    const GraphConfigInfo_t* info = settings.configs[i];
    if (info && info->graphName && graphName == info->graphName) return info->graphConfigs;
  }
  return nullptr;
}

ModelError_t GraphBuilder::create(const std::string& graphName) {
  auto graphCreate = table_.graphCreate();
  if (!graphCreate) {
    log_.error("graph '%s': the interface table has no graphCreate", graphName.c_str());
    return MODEL_GRAPH_ERROR;
  }
  name_ = graphName;
  Qnn_ErrorHandle_t rc = graphCreate(settings_.context, name_.c_str(), configsFor(settings_, name_), &graph_);
  if (rc != QNN_SUCCESS || graph_ == nullptr) {
    log_.error("graph '%s': graphCreate failed with %llu", name_.c_str(), static_cast<unsigned long long>(rc));
    return MODEL_GRAPH_ERROR;
  }
  log_.debug("graph '%s': created", name_.c_str());
  return MODEL_NO_ERROR;
}

Qnn_Tensor_t GraphBuilder::makeTensor(const TensorSpec& spec) {
  Qnn_Tensor_t t;
  std::memset(&t, 0, sizeof t);
  t.version = settings_.tensorVersion;
  Qnn_TensorV1_t& d = v1(t);
  strings_.push_back(spec.name);
  dims_.push_back(spec.dims);
  d.id = 0;
  d.name = strings_.back().c_str();
  d.type = spec.type;
  if (settings_.debug && d.type == QNN_TENSOR_TYPE_NATIVE) d.type = QNN_TENSOR_TYPE_APP_READ;
  d.dataFormat = QNN_TENSOR_DATA_FORMAT_DENSE;
  d.dataType = spec.dataType;
  d.quantizeParams.encodingDefinition = QNN_DEFINITION_UNDEFINED;
  d.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
  if (spec.encoding == QNN_QUANTIZATION_ENCODING_SCALE_OFFSET) {
    d.quantizeParams.encodingDefinition = QNN_DEFINITION_DEFINED;
    d.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_SCALE_OFFSET;
    d.quantizeParams.scaleOffsetEncoding = Qnn_ScaleOffset_t{spec.scale, spec.offset};
  } else if (spec.encoding == QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET) {
    scaleOffsets_.push_back(spec.axisScaleOffsets);
    d.quantizeParams.encodingDefinition = QNN_DEFINITION_DEFINED;
    d.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET;
    d.quantizeParams.axisScaleOffsetEncoding.axis = spec.axis;
    d.quantizeParams.axisScaleOffsetEncoding.numScaleOffsets = uint32_t(scaleOffsets_.back().size());
    d.quantizeParams.axisScaleOffsetEncoding.scaleOffset = scaleOffsets_.back().data();
  }
  d.rank = uint32_t(dims_.back().size());
  d.dimensions = dims_.back().data();
  d.memType = QNN_TENSORMEMTYPE_RAW;
  d.clientBuf = Qnn_ClientBuffer_t{const_cast<void*>(spec.data), spec.dataSize};
  return t;
}

ModelError_t GraphBuilder::createTensor(const TensorSpec& spec, Qnn_Tensor_t* created) {
  auto tensorCreate = table_.tensorCreateGraphTensor();
  if (!tensorCreate) {
    log_.error("graph '%s': the interface table has no tensorCreateGraphTensor", name_.c_str());
    return MODEL_TENSOR_ERROR;
  }
  *created = makeTensor(spec);
  Qnn_ErrorHandle_t rc = tensorCreate(graph_, created);
  if (rc != QNN_SUCCESS) {
    log_.error("graph '%s': tensorCreateGraphTensor('%s') failed with %llu", name_.c_str(), spec.name.c_str(),
               static_cast<unsigned long long>(rc));
    return MODEL_TENSOR_ERROR;
  }
  return MODEL_NO_ERROR;
}

ModelError_t GraphBuilder::addTensor(const TensorSpec& spec) {
  if (tensors_.count(spec.name)) {
    log_.error("graph '%s': tensor '%s' already exists", name_.c_str(), spec.name.c_str());
    return MODEL_TENSOR_ERROR;
  }
  Qnn_Tensor_t t;
  ModelError_t err = createTensor(spec, &t);
  if (err != MODEL_NO_ERROR) return err;
  tensors_[spec.name] = t;
  Qnn_TensorType_t type = v1(t).type;
  if (type == QNN_TENSOR_TYPE_APP_WRITE) inputs_.push_back(spec.name);
  if (type == QNN_TENSOR_TYPE_APP_READ) outputs_.push_back(spec.name);
  return MODEL_NO_ERROR;
}

ModelError_t GraphBuilder::addNode(const NodeSpec& spec) {
  std::vector<Qnn_Tensor_t> inputs, outputs;
  for (const auto* names : {&spec.inputs, &spec.outputs}) {
    for (const std::string& n : *names) {
      auto it = tensors_.find(n);
      if (it == tensors_.end()) {
        log_.error("graph '%s': node '%s' names tensor '%s', which was not created", name_.c_str(), spec.name.c_str(), n.c_str());
        return MODEL_NODES_ERROR;
      }
      (names == &spec.inputs ? inputs : outputs).push_back(it->second);
    }
  }
  std::vector<Qnn_Param_t> params(spec.params.size());
  for (size_t i = 0; i < spec.params.size(); ++i) {
    const ParamSpec& p = spec.params[i];
    strings_.push_back(p.name);
    std::memset(&params[i], 0, sizeof(Qnn_Param_t));
    params[i].name = strings_.back().c_str();
    if (p.isTensor) {
      // Tensor params are STATIC graph tensors, created first (as generated code does).
      params[i].paramType = QNN_PARAMTYPE_TENSOR;
      ModelError_t err = createTensor(p.tensor, &params[i].tensorParam);
      if (err != MODEL_NO_ERROR) return err;
    } else {
      params[i].paramType = QNN_PARAMTYPE_SCALAR;
      params[i].scalarParam = p.scalar;
    }
  }
  strings_.push_back(spec.name);
  const char* nodeName = strings_.back().c_str();
  strings_.push_back(spec.type);
  const char* typeName = strings_.back().c_str();
  Qnn_OpConfig_t op;
  std::memset(&op, 0, sizeof op);
  op.version = QNN_OPCONFIG_VERSION_1;
  op.v1.name = nodeName;
  op.v1.packageName = "qti.aisw";
  op.v1.typeName = typeName;
  op.v1.numOfParams = uint32_t(params.size());
  op.v1.params = params.empty() ? nullptr : params.data();
  op.v1.numOfInputs = uint32_t(inputs.size());
  op.v1.inputTensors = inputs.empty() ? nullptr : inputs.data();
  op.v1.numOfOutputs = uint32_t(outputs.size());
  op.v1.outputTensors = outputs.empty() ? nullptr : outputs.data();

  if (settings_.validateNodes) {
    auto validate = table_.backendValidateOpConfig();
    Qnn_ErrorHandle_t rc = validate ? validate(settings_.backend, op) : Qnn_ErrorHandle_t(QNN_BACKEND_ERROR_NOT_SUPPORTED);
    if (rc == QNN_BACKEND_ERROR_NOT_SUPPORTED) {
      log_.debug("graph '%s': backendValidateOpConfig not supported; node '%s' added unvalidated", name_.c_str(), nodeName);
    } else if (rc != QNN_SUCCESS) {
      log_.error("graph '%s': backendValidateOpConfig refused node '%s' (op %s) with %llu", name_.c_str(), nodeName, typeName,
                 static_cast<unsigned long long>(rc));
      return kModelOpValidationError;
    }
  }
  auto addNode = table_.graphAddNode();
  if (!addNode) {
    log_.error("graph '%s': the interface table has no graphAddNode", name_.c_str());
    return MODEL_GRAPH_ERROR;
  }
  Qnn_ErrorHandle_t rc = addNode(graph_, op);
  if (rc != QNN_SUCCESS) {
    log_.error("graph '%s': graphAddNode('%s', op %s) failed with %llu", name_.c_str(), nodeName, typeName,
               static_cast<unsigned long long>(rc));
    return MODEL_GRAPH_ERROR;
  }
  return MODEL_NO_ERROR;
}

ModelError_t GraphBuilder::exportGraphInfo(GraphInfo_t* out) const {
  std::memset(out, 0, sizeof *out);
  std::vector<const Qnn_Tensor_t*> ins, outs;
  for (const auto& n : inputs_) ins.push_back(&tensors_.at(n));
  for (const auto& n : outputs_) outs.push_back(&tensors_.at(n));
  bool ok = true;
  out->graph = graph_;
  out->graphName = dupString(name_.c_str());
  out->inputTensors = copyTensorArray(ins, &ok);
  out->numInputTensors = ok ? uint32_t(ins.size()) : 0;
  if (ok) {
    out->outputTensors = copyTensorArray(outs, &ok);
    out->numOutputTensors = ok ? uint32_t(outs.size()) : 0;
  }
  if (!ok || !out->graphName) {
    freeGraphInfoContents(out);
    log_.error("graph '%s': out of memory copying its tensors", name_.c_str());
    return MODEL_MEMORY_ALLOCATE_ERROR;
  }
  return MODEL_NO_ERROR;
}

ModelError_t allocateGraphsInfo(uint32_t count, GraphInfo_t*** graphsInfo) {
  *graphsInfo = nullptr;
  if (count == 0) return MODEL_NO_ERROR;
  auto** ptrs = static_cast<GraphInfo_t**>(std::malloc(count * sizeof(GraphInfo_t*)));
  auto* arr = static_cast<GraphInfo_t*>(std::calloc(count, sizeof(GraphInfo_t)));
  if (!ptrs || !arr) {
    std::free(ptrs);
    std::free(arr);
    return MODEL_MEMORY_ALLOCATE_ERROR;
  }
  for (uint32_t i = 0; i < count; ++i) ptrs[i] = arr + i;
  *graphsInfo = ptrs;
  return MODEL_NO_ERROR;
}

void freeGraphInfoContents(GraphInfo_t* info) {
  std::free(info->graphName);
  for (uint32_t i = 0; i < info->numInputTensors; ++i) freeTensorCopy(&info->inputTensors[i]);
  for (uint32_t i = 0; i < info->numOutputTensors; ++i) freeTensorCopy(&info->outputTensors[i]);
  std::free(info->inputTensors);
  std::free(info->outputTensors);
  std::memset(info, 0, sizeof *info);
}

ModelError_t freeGraphsInfo(GraphInfo_t*** graphsInfo, uint32_t numGraphsInfo) {
  if (graphsInfo == nullptr || *graphsInfo == nullptr) return MODEL_TENSOR_ERROR;
  for (uint32_t i = 0; i < numGraphsInfo; ++i) freeGraphInfoContents((*graphsInfo)[i]);
  std::free((*graphsInfo)[0]);  // the contiguous GraphInfo_t array
  std::free(*graphsInfo);
  *graphsInfo = nullptr;
  return MODEL_NO_ERROR;
}

const char* modelErrorName(ModelError_t e) {
  switch (static_cast<int>(e)) {
    case MODEL_NO_ERROR: return "MODEL_NO_ERROR";
    case MODEL_TENSOR_ERROR: return "MODEL_TENSOR_ERROR";
    case MODEL_PARAMS_ERROR: return "MODEL_PARAMS_ERROR";
    case MODEL_NODES_ERROR: return "MODEL_NODES_ERROR";
    case MODEL_GRAPH_ERROR: return "MODEL_GRAPH_ERROR";
    case MODEL_CONTEXT_ERROR: return "MODEL_CONTEXT_ERROR";
    case MODEL_GENERATION_ERROR: return "MODEL_GENERATION_ERROR";
    case MODEL_SETUP_ERROR: return "MODEL_SETUP_ERROR";
    case MODEL_INVALID_ARGUMENT_ERROR: return "MODEL_INVALID_ARGUMENT_ERROR";
    case MODEL_FILE_ERROR: return "MODEL_FILE_ERROR";
    case MODEL_MEMORY_ALLOCATE_ERROR: return "MODEL_MEMORY_ALLOCATE_ERROR";
    case 11: return "MODEL_GRAPH_OP_VALIDATION_ERROR";
    default: return "MODEL_UNKNOWN_ERROR";
  }
}

}  // namespace qnn_model_kit
