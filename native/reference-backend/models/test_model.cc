// The test model library (testmodel/libQnnNodeTestModel.so, QnnNodeTestModel.dll; the
// copy built for an older table is libQnnNodeTestModelCore214.so). It exports what a
// library made by qnn-model-lib-generator exports and composes three small graphs through
// the QNN API it is handed. Graph and tensor names, dtypes, quantization and the expected
// outputs are documented in docs/models.md ("The test model library").
#include <array>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "compose_driver.h"

namespace qnn_model_kit {
namespace {

TensorSpec tensor(const char* name, Qnn_TensorType_t type, Qnn_DataType_t dtype, std::vector<uint32_t> dims) {
  TensorSpec t;
  t.name = name;
  t.type = type;
  t.dataType = dtype;
  t.dims = std::move(dims);
  return t;
}

TensorSpec quantized(TensorSpec t, float scale, int32_t offset) {
  t.encoding = QNN_QUANTIZATION_ENCODING_SCALE_OFFSET;
  t.scale = scale;
  t.offset = offset;
  return t;
}

TensorSpec withData(TensorSpec t, const void* data, uint32_t size) {
  t.data = data;
  t.dataSize = size;
  return t;
}

ParamSpec boolParam(const char* name, bool value) {
  ParamSpec p;
  p.name = name;
  p.scalar.dataType = QNN_DATATYPE_BOOL_8;
  p.scalar.bool8Value = value ? 1 : 0;
  return p;
}

NodeSpec node(const char* name, const char* type, std::vector<std::string> in, std::vector<std::string> out) {
  NodeSpec n;
  n.name = name;
  n.type = type;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// f32_mlp: output = Relu(input[1,8] x fc_weight[8,4] + fc_bias[4]).
//   fc_weight[i][j] = (((4*i + j) mod 7) - 3) / 8,  fc_bias[j] = (j - 1.5) / 10.
struct MlpWeights {
  std::array<float, 32> weight;
  std::array<float, 4> bias;
  MlpWeights() {
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 4; ++j) weight[i * 4 + j] = float(((4 * i + j) % 7) - 3) / 8.f;
    for (int j = 0; j < 4; ++j) bias[j] = (float(j) - 1.5f) / 10.f;
  }
};
const MlpWeights kMlp;

GraphSpec f32Mlp() {
  GraphSpec g;
  g.name = "f32_mlp";
  g.tensors = {
      tensor("input", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_32, {1, 8}),
      withData(tensor("fc_weight", QNN_TENSOR_TYPE_STATIC, QNN_DATATYPE_FLOAT_32, {8, 4}), kMlp.weight.data(), sizeof kMlp.weight),
      withData(tensor("fc_bias", QNN_TENSOR_TYPE_STATIC, QNN_DATATYPE_FLOAT_32, {4}), kMlp.bias.data(), sizeof kMlp.bias),
      tensor("fc_matmul_out", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {1, 4}),
      tensor("fc_add_out", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {1, 4}),
      tensor("output", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_FLOAT_32, {1, 4}),
  };
  NodeSpec matmul = node("fc_matmul", "MatMul", {"input", "fc_weight"}, {"fc_matmul_out"});
  matmul.params = {boolParam("transpose_in0", false), boolParam("transpose_in1", false)};
  g.nodes = {matmul, node("fc_bias_add", "ElementWiseAdd", {"fc_matmul_out", "fc_bias"}, {"fc_add_out"}),
             node("fc_relu", "Relu", {"fc_add_out"}, {"output"})};
  return g;
}

// u8_add: sum = (in_a + in_b) + bias_q, all UFIXED_POINT_8 (real = scale * (q + offset)).
//   in_a, in_b: scale 0.05, offset -128; bias_q: scale 0.02, offset -100, q[k] = 60 + 10k;
//   ab_sum (NATIVE) and sum: scale 0.1, offset -128. Each add dequantizes its inputs, adds,
//   and requantizes to its output's encoding (round to nearest, saturate to 0..255).
struct U8Bias {
  std::array<uint8_t, 16> q;
  U8Bias() {
    for (int k = 0; k < 16; ++k) q[k] = uint8_t(60 + 10 * k);
  }
};
const U8Bias kU8Bias;

GraphSpec u8Add() {
  GraphSpec g;
  g.name = "u8_add";
  const Qnn_DataType_t u8 = QNN_DATATYPE_UFIXED_POINT_8;
  g.tensors = {
      quantized(tensor("in_a", QNN_TENSOR_TYPE_APP_WRITE, u8, {1, 16}), 0.05f, -128),
      quantized(tensor("in_b", QNN_TENSOR_TYPE_APP_WRITE, u8, {1, 16}), 0.05f, -128),
      withData(quantized(tensor("bias_q", QNN_TENSOR_TYPE_STATIC, u8, {1, 16}), 0.02f, -100), kU8Bias.q.data(), sizeof kU8Bias.q),
      quantized(tensor("ab_sum", QNN_TENSOR_TYPE_NATIVE, u8, {1, 16}), 0.1f, -128),
      quantized(tensor("sum", QNN_TENSOR_TYPE_APP_READ, u8, {1, 16}), 0.1f, -128),
  };
  g.nodes = {node("add_ab", "ElementWiseAdd", {"in_a", "in_b"}, {"ab_sum"}),
             node("add_bias", "ElementWiseAdd", {"ab_sum", "bias_q"}, {"sum"})};
  return g;
}

// f16_mul: product[r][c] = x[r][c] * y[r][c] * gain[c], FLOAT_16 [2,4]; gain = 0.5, 1, 1.5, 2
// (IEEE half bits below); xy (NATIVE) holds x*y rounded to half.
const uint16_t kGainHalf[4] = {0x3800, 0x3C00, 0x3E00, 0x4000};

GraphSpec f16Mul() {
  GraphSpec g;
  g.name = "f16_mul";
  const Qnn_DataType_t f16 = QNN_DATATYPE_FLOAT_16;
  g.tensors = {
      tensor("x", QNN_TENSOR_TYPE_APP_WRITE, f16, {2, 4}),
      tensor("y", QNN_TENSOR_TYPE_APP_WRITE, f16, {2, 4}),
      withData(tensor("gain", QNN_TENSOR_TYPE_STATIC, f16, {4}), kGainHalf, sizeof kGainHalf),
      tensor("xy", QNN_TENSOR_TYPE_NATIVE, f16, {2, 4}),
      tensor("product", QNN_TENSOR_TYPE_APP_READ, f16, {2, 4}),
  };
  g.nodes = {node("mul_xy", "ElementWiseMultiply", {"x", "y"}, {"xy"}),
             node("mul_gain", "ElementWiseMultiply", {"xy", "gain"}, {"product"})};
  return g;
}

// invalid_op (only when asked for): one node of an op type no backend has, so tests can see
// backendValidateOpConfig's refusal travel back to the caller.
GraphSpec invalidOp() {
  GraphSpec g;
  g.name = "invalid_op";
  g.tensors = {tensor("in", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_32, {1, 4}),
               tensor("out", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_FLOAT_32, {1, 4})};
  g.nodes = {node("no_such_op", "QnnNodeNoSuchOp", {"in"}, {"out"})};
  return g;
}

// The graphs to compose: f32_mlp, u8_add, f16_mul; QNN_NODE_TEST_MODEL_GRAPHS=<comma list>
// picks (and orders) them, and may name invalid_op. Unknown names are an error.
bool selectGraphs(std::vector<GraphSpec>* out, const ModelLog& log) {
  const char* env = std::getenv("QNN_NODE_TEST_MODEL_GRAPHS");
  std::string list = env && *env ? env : "f32_mlp,u8_add,f16_mul";
  std::stringstream ss(list);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (name == "f32_mlp") out->push_back(f32Mlp());
    else if (name == "u8_add") out->push_back(u8Add());
    else if (name == "f16_mul") out->push_back(f16Mul());
    else if (name == "invalid_op") out->push_back(invalidOp());
    else {
      log.error("QNN_NODE_TEST_MODEL_GRAPHS names unknown graph '%s' (known: f32_mlp, u8_add, f16_mul, invalid_op)", name.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace qnn_model_kit

using namespace qnn_model_kit;

QNN_MODEL_EXPORT ModelError_t QnnModel_composeGraphs(Qnn_BackendHandle_t backendHandle, InterfaceByValue interface,
                                                     Qnn_ContextHandle_t contextHandle,
                                                     const GraphConfigInfo_t** graphsConfigInfo,
                                                     const uint32_t numGraphsConfigInfo, GraphInfo_t*** graphsInfo,
                                                     uint32_t* numGraphsInfo, uint8_t debug, QnnLog_Callback_t logCallback,
                                                     uint32_t maxLogLevel) {
  // `debug` and `maxLogLevel` are taken as their raw widths (bool / enum on the ABI) so that
  // garbage from a caller's wrong table size can be recognised.
  ComposeCall call{"QnnModel_composeGraphs", backendHandle, contextHandle, graphsConfigInfo, numGraphsConfigInfo,
                   graphsInfo, numGraphsInfo, debug, reinterpret_cast<const void*>(logCallback), maxLogLevel};
  ModelLog log(logCallback, maxLogLevel);
  ModelError_t err = checkComposeCall(call, log);
  if (err != MODEL_NO_ERROR) return err;
  std::vector<GraphSpec> graphs;
  if (!selectGraphs(&graphs, log)) return MODEL_INVALID_ARGUMENT_ERROR;
  log.debug("QnnModel_composeGraphs: %zu graphs, table of %u slots (core 2.%u)", graphs.size(), unsigned(kTableSlots),
            unsigned(kTableCoreMinor));
  // Tensors as the library's SDK writes them: v2 from the newest layout, v1 for the old copy.
  const Qnn_TensorVersion_t version = kTableCoreMinor >= abi::kNewestKnownCoreMinor ? QNN_TENSOR_VERSION_2 : QNN_TENSOR_VERSION_1;
  return composeAll(Table(interface), call, log, graphs, version);
}

QNN_MODEL_EXPORT ModelError_t QnnModel_freeGraphsInfo(GraphInfo_t*** graphsInfo, uint32_t numGraphsInfo) {
  return freeGraphsInfo(graphsInfo, numGraphsInfo);
}
