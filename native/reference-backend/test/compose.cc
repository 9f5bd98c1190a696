// Graph construction on the reference backend through its QNN table, as model libraries do:
// contextCreate, graphCreate, tensorCreateGraphTensor, graphAddNode, graphFinalize, then
// execute, serialize (contextGetBinary), reload from the bytes and execute again; every
// refusal with its code and message; the journal; emulated versions and the knobs.
// Usage: qnnref_compose [out-dir] [libQnnReference] [libQnnReferenceSystem]; with out-dir it
// writes the composed binary there as composed.bin (test/reference/compose.test.ts reads it
// with lib/reference/reader.ts).
#include <cmath>
#include <deque>

#include "smoke_support.h"

namespace {

// ---- building op configs in the layout of the emulated core ------------------------------

struct Param {
  std::string name;
  bool tensor = false;
  Qnn_Scalar_t scalar{};
  uint32_t dataType = 0;
  std::vector<uint8_t> data;
  std::vector<uint32_t> dims;
};

Param scalarU32(const char* name, uint32_t v) {
  Param p;
  p.name = name;
  p.scalar.dataType = QNN_DATATYPE_UINT_32;
  p.scalar.uint32Value = v;
  return p;
}
Param scalarF32(const char* name, float v) {
  Param p;
  p.name = name;
  p.scalar.dataType = QNN_DATATYPE_FLOAT_32;
  p.scalar.floatValue = v;
  return p;
}
Param scalarBool(const char* name, bool v) {
  Param p;
  p.name = name;
  p.scalar.dataType = QNN_DATATYPE_BOOL_8;
  p.scalar.bool8Value = v ? 1 : 0;
  return p;
}
template <typename T>
Param tensorParam(const char* name, uint32_t dataType, const std::vector<T>& values, std::vector<uint32_t> dims) {
  Param p;
  p.name = name;
  p.tensor = true;
  p.dataType = dataType;
  p.data.resize(values.size() * sizeof(T));
  std::memcpy(p.data.data(), values.data(), p.data.size());
  p.dims = std::move(dims);
  return p;
}

struct Builder {
  Core c;
  Qnn_BackendHandle_t backend = nullptr;
  Qnn_GraphHandle_t graph = nullptr;
  std::deque<std::vector<uint32_t>> dims;       // kept alive for the calls
  std::deque<std::vector<uint8_t>> buffers;     // raw arrays of the op configs
  std::deque<std::string> names;

  size_t stride() const { return abi::tensorStride(c.core); }
  uint32_t version() const { return stride() == abi::kTensorStrideV1Era ? 1 : 2; }

  Qnn_TensorV1_t base(const char* name, uint32_t type, uint32_t dt, std::vector<uint32_t> d) {
    Qnn_TensorV1_t t;
    std::memset(&t, 0, sizeof t);
    t.id = 0xDEAD;  // overwritten by the backend
    t.name = name;
    t.type = static_cast<Qnn_TensorType_t>(type);
    t.dataType = static_cast<Qnn_DataType_t>(dt);
    t.quantizeParams.encodingDefinition = QNN_DEFINITION_UNDEFINED;
    t.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
    dims.push_back(std::move(d));
    t.rank = uint32_t(dims.back().size());
    t.dimensions = dims.back().data();
    t.memType = QNN_TENSORMEMTYPE_RAW;
    return t;
  }

  // tensorCreateGraphTensor on a full Qnn_Tensor_t (144 bytes; the backend reads only the
  // version tag and V1's fields, which is all an older client has).
  Qnn_ErrorHandle_t create(const Qnn_TensorV1_t& t, uint32_t* id, Qnn_GraphHandle_t g = nullptr) {
    Qnn_Tensor_t full;
    std::memset(&full, 0, sizeof full);
    full.version = static_cast<Qnn_TensorVersion_t>(version());
    full.v1 = t;
    Qnn_ErrorHandle_t e = c.fn<QnnTensor_CreateGraphTensorFn_t>(abi::kTensorCreateGraphTensor)(g ? g : graph, &full);
    if (id) *id = full.v1.id;
    return e;
  }
  uint32_t tensor(const char* name, uint32_t type, uint32_t dt, std::vector<uint32_t> d, const void* data = nullptr, uint32_t size = 0, float scale = 0,
                  int32_t offset = 0) {
    Qnn_TensorV1_t t = base(name, type, dt, std::move(d));
    if (scale > 0) {
      t.quantizeParams.encodingDefinition = QNN_DEFINITION_DEFINED;
      t.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_SCALE_OFFSET;
      t.quantizeParams.scaleOffsetEncoding.scale = scale;
      t.quantizeParams.scaleOffsetEncoding.offset = offset;
    }
    t.clientBuf.data = const_cast<void*>(data);
    t.clientBuf.dataSize = size;
    uint32_t id = 0;
    Qnn_ErrorHandle_t e = create(t, &id);
    CHECK(e == QNN_SUCCESS, "tensorCreateGraphTensor(%s) -> %u: %s", name, code(e), message(c, e).c_str());
    CHECK(id != 0 && id != 0xDEAD, "tensor %s: id %u written back", name, id);
    return id;
  }

  uint8_t* tensorArray(const std::vector<uint32_t>& ids) {
    buffers.emplace_back(ids.size() * stride() + 1, 0);
    uint8_t* p = buffers.back().data();
    for (size_t i = 0; i < ids.size(); ++i) {
      uint32_t v = version();
      std::memcpy(p + i * stride(), &v, 4);
      std::memcpy(p + i * stride() + 8, &ids[i], 4);  // only the id matters to graphAddNode
    }
    return p;
  }

  Qnn_OpConfig_t op(const char* name, const char* type, const std::vector<uint32_t>& in, const std::vector<uint32_t>& out, const std::vector<Param>& params,
                    const char* package = "qti.aisw") {
    Qnn_OpConfig_t o;
    std::memset(&o, 0, sizeof o);
    o.version = QNN_OPCONFIG_VERSION_1;
    o.v1.name = name;
    o.v1.packageName = package;
    o.v1.typeName = type;
    o.v1.numOfInputs = uint32_t(in.size());
    o.v1.inputTensors = reinterpret_cast<Qnn_Tensor_t*>(tensorArray(in));
    o.v1.numOfOutputs = uint32_t(out.size());
    o.v1.outputTensors = reinterpret_cast<Qnn_Tensor_t*>(tensorArray(out));
    const size_t pStride = 16 + stride();
    buffers.emplace_back(params.size() * pStride + 1, 0);
    uint8_t* pp = buffers.back().data();
    for (size_t i = 0; i < params.size(); ++i) {
      const Param& p = params[i];
      uint8_t* at = pp + i * pStride;
      uint32_t type = p.tensor ? QNN_PARAMTYPE_TENSOR : QNN_PARAMTYPE_SCALAR;
      names.push_back(p.name);
      const char* pname = names.back().c_str();
      std::memcpy(at, &type, 4);
      std::memcpy(at + 8, &pname, sizeof pname);
      if (!p.tensor) {
        std::memcpy(at + 16, &p.scalar, sizeof p.scalar);
      } else {
        Qnn_TensorV1_t t = base(pname, QNN_TENSOR_TYPE_STATIC, p.dataType, p.dims);
        buffers.push_back(p.data);
        t.clientBuf.data = buffers.back().data();
        t.clientBuf.dataSize = uint32_t(p.data.size());
        uint32_t v = version();
        std::memcpy(at + 16, &v, 4);
        std::memcpy(at + 24, &t, sizeof t);
      }
    }
    o.v1.numOfParams = uint32_t(params.size());
    o.v1.params = reinterpret_cast<Qnn_Param_t*>(pp);
    return o;
  }

  Qnn_ErrorHandle_t add(const Qnn_OpConfig_t& o) { return c.fn<QnnGraph_AddNodeFn_t>(abi::kGraphAddNode)(graph, o); }
  void node(const char* name, const char* type, const std::vector<uint32_t>& in, const std::vector<uint32_t>& out, const std::vector<Param>& params = {}) {
    Qnn_ErrorHandle_t e = add(op(name, type, in, out, params));
    CHECK(e == QNN_SUCCESS, "graphAddNode(%s) -> %u: %s", name, code(e), message(c, e).c_str());
  }
  Qnn_ErrorHandle_t validate(const Qnn_OpConfig_t& o) { return c.fn<QnnBackend_ValidateOpConfigFn_t>(abi::kBackendValidateOpConfig)(backend, o); }
};

Qnn_GraphHandle_t newGraph(const Core& c, Qnn_ContextHandle_t ctx, const char* name, const QnnGraph_Config_t** cfg = nullptr) {
  Qnn_GraphHandle_t g = nullptr;
  Qnn_ErrorHandle_t e = c.fn<QnnGraph_CreateFn_t>(abi::kGraphCreate)(ctx, name, cfg, &g);
  CHECK(e == QNN_SUCCESS && g, "graphCreate(%s) -> %u: %s", name, code(e), message(c, e).c_str());
  return g;
}

Qnn_ErrorHandle_t finalize(const Core& c, Qnn_GraphHandle_t g) { return c.fn<QnnGraph_FinalizeFn_t>(abi::kGraphFinalize)(g, nullptr, nullptr); }

template <typename T>
std::vector<uint8_t> bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// The three graphs of the test model: f32_mlp (MatMul + bias + Softmax), u8_add
// (quantized ElementWiseAdd with a static operand) and f16_mul (fp16 multiply + Transpose).
struct Composed {
  GraphDesc mlp, add, mul;
};

std::vector<float> g_w(32), g_b(4);
const std::vector<uint8_t> g_c = {2, 4, 6, 8};

Composed composeModel(Builder& b, Qnn_ContextHandle_t ctx) {
  Composed out;
  for (int i = 0; i < 32; ++i) g_w[i] = float((i * 7) % 5) * 0.25f - 0.5f;
  for (int i = 0; i < 4; ++i) g_b[i] = 0.125f * float(i);
  {
    b.graph = newGraph(b.c, ctx, "f32_mlp");
    uint32_t x = b.tensor("x", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_32, {1, 8});
    uint32_t w = b.tensor("w", QNN_TENSOR_TYPE_STATIC, QNN_DATATYPE_FLOAT_32, {8, 4}, g_w.data(), 128);
    uint32_t bias = b.tensor("b", QNN_TENSOR_TYPE_STATIC, QNN_DATATYPE_FLOAT_32, {4}, g_b.data(), 16);
    uint32_t h = b.tensor("h", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {1, 4});
    uint32_t h2 = b.tensor("h2", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {1, 4});
    uint32_t y = b.tensor("y", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_FLOAT_32, {1, 4});
    b.tensor("unused", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {3});  // unconsumed: not serialized
    b.node("matmul", "MatMul", {x, w}, {h}, {scalarBool("transpose_in0", false), scalarBool("transpose_in1", false)});
    b.node("bias", "ElementWiseAdd", {h, bias}, {h2});
    b.node("softmax", "Softmax", {h2}, {y}, {scalarU32("axis", 1), scalarF32("beta", 1.0f)});
    out.mlp = GraphDesc{"f32_mlp", {TensorDesc{x, "x", QNN_DATATYPE_FLOAT_32, {1, 8}, 0, 0, 0}}, {TensorDesc{y, "y", QNN_DATATYPE_FLOAT_32, {1, 4}, 0, 0, 0}}};
  }
  {
    b.graph = newGraph(b.c, ctx, "u8_add");
    uint32_t a = b.tensor("a", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_UFIXED_POINT_8, {1, 4}, nullptr, 0, 0.5f, 0);
    uint32_t c = b.tensor("c", QNN_TENSOR_TYPE_STATIC, QNN_DATATYPE_UFIXED_POINT_8, {1, 4}, g_c.data(), 4, 0.5f, 0);
    uint32_t s = b.tensor("sum", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_UFIXED_POINT_8, {1, 4}, nullptr, 0, 0.5f, 0);
    b.node("add", "ElementWiseAdd", {a, c}, {s});
    out.add = GraphDesc{"u8_add", {TensorDesc{a, "a", QNN_DATATYPE_UFIXED_POINT_8, {1, 4}, 0, 0.5f, 0}}, {TensorDesc{s, "sum", QNN_DATATYPE_UFIXED_POINT_8, {1, 4}, 0, 0.5f, 0}}};
  }
  {
    b.graph = newGraph(b.c, ctx, "f16_mul");
    uint32_t p = b.tensor("p", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_16, {2, 3});
    uint32_t q = b.tensor("q", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_16, {2, 3});
    uint32_t m = b.tensor("pq", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_16, {2, 3});
    uint32_t t = b.tensor("pq_t", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_FLOAT_16, {3, 2});
    b.node("mul", "ElementWiseMultiply", {p, q}, {m});
    b.node("transpose", "Transpose", {m}, {t}, {tensorParam<uint32_t>("perm", QNN_DATATYPE_UINT_32, {1, 0}, {2})});
    out.mul = GraphDesc{"f16_mul",
                        {TensorDesc{p, "p", QNN_DATATYPE_FLOAT_16, {2, 3}, 0, 0, 0}, TensorDesc{q, "q", QNN_DATATYPE_FLOAT_16, {2, 3}, 0, 0, 0}},
                        {TensorDesc{t, "pq_t", QNN_DATATYPE_FLOAT_16, {3, 2}, 0, 0, 0}}};
  }
  return out;
}

// Inputs of the three graphs and the outputs they must give.
std::map<std::string, std::vector<uint8_t>> mlpIn() {
  std::vector<float> x(8);
  for (int i = 0; i < 8; ++i) x[i] = 0.1f * float(i + 1);
  return {{"x", bytes(x)}};
}
std::vector<float> mlpExpected() {
  double h[4];
  for (int j = 0; j < 4; ++j) {
    double acc = 0;
    for (int k = 0; k < 8; ++k) acc += double(0.1f * float(k + 1)) * double(g_w[k * 4 + j]);
    h[j] = acc + g_b[j];
  }
  double mx = std::max(std::max(h[0], h[1]), std::max(h[2], h[3])), sum = 0;
  std::vector<float> y(4);
  for (int j = 0; j < 4; ++j) sum += std::exp(h[j] - mx);
  for (int j = 0; j < 4; ++j) y[j] = float(std::exp(h[j] - mx) / sum);
  return y;
}
// fp16 bit patterns: 1, 2, 3, 0.5, 1.5, -2 and their products, all exact.
const std::vector<uint16_t> kP = {0x3C00, 0x4000, 0x4200, 0x3800, 0x3E00, 0xC000};
const std::vector<uint16_t> kQ = {0x4000, 0x4200, 0x3800, 0x4400, 0x4000, 0x3800};
// p*q row-major [2,3] = {2, 6, 1.5, 2, 3, -1}; transposed [3,2] = {2, 2, 6, 3, 1.5, -1}.
const std::vector<uint16_t> kPQt = {0x4000, 0x4000, 0x4600, 0x4200, 0x3E00, 0xBC00};

void checkOutputs(const Session& s, const Composed& m, const char* what, std::map<std::string, std::vector<uint8_t>>* keep) {
  Qnn_ErrorHandle_t e = 0;
  auto y = run(s, m.mlp, mlpIn(), &e);
  CHECK(e == QNN_SUCCESS, "%s: f32_mlp -> %u: %s", what, code(e), message(s.c, e).c_str());
  std::vector<float> got(4), want = mlpExpected();
  std::memcpy(got.data(), y["y"].data(), 16);
  for (int j = 0; j < 4; ++j) CHECK(std::fabs(got[j] - want[j]) < 1e-5f, "%s: f32_mlp y[%d] = %g, want %g", what, j, got[j], want[j]);
  auto sum = run(s, m.add, {{"a", {1, 2, 3, 4}}}, &e);
  CHECK(e == QNN_SUCCESS, "%s: u8_add -> %u: %s", what, code(e), message(s.c, e).c_str());
  CHECK((sum["sum"] == std::vector<uint8_t>{3, 6, 9, 12}), "%s: u8_add gives %u %u %u %u", what, sum["sum"][0], sum["sum"][1], sum["sum"][2], sum["sum"][3]);
  auto pq = run(s, m.mul, {{"p", bytes(kP)}, {"q", bytes(kQ)}}, &e);
  CHECK(e == QNN_SUCCESS, "%s: f16_mul -> %u: %s", what, code(e), message(s.c, e).c_str());
  CHECK(pq["pq_t"] == bytes(kPQt), "%s: f16_mul output differs", what);
  if (keep) *keep = {{"y", y["y"]}, {"sum", sum["sum"]}, {"pq_t", pq["pq_t"]}};
}

std::vector<uint8_t> getBinary(const Core& c, Qnn_ContextHandle_t ctx, Qnn_ErrorHandle_t* status = nullptr) {
  Qnn_ContextBinarySize_t size = 0, written = 0;
  Qnn_ErrorHandle_t e = c.fn<QnnContext_GetBinarySizeFn_t>(abi::kContextGetBinarySize)(ctx, &size);
  if (status) *status = e;
  if (e != QNN_SUCCESS) return {};
  std::vector<uint8_t> out(size);
  e = c.fn<QnnContext_GetBinaryFn_t>(abi::kContextGetBinary)(ctx, out.data(), size, &written);
  if (status) *status = e;
  CHECK(e != QNN_SUCCESS || written == size, "contextGetBinary wrote %llu of %llu", (unsigned long long)written, (unsigned long long)size);
  return e == QNN_SUCCESS ? out : std::vector<uint8_t>();
}

Qnn_ContextHandle_t newContext(const Core& c, Qnn_BackendHandle_t backend, const QnnContext_Config_t** cfg = nullptr) {
  Qnn_ContextHandle_t ctx = nullptr;
  Qnn_ErrorHandle_t e = c.fn<QnnContext_CreateFn_t>(abi::kContextCreate)(backend, nullptr, cfg, &ctx);
  CHECK(e == QNN_SUCCESS && ctx, "contextCreate -> %u: %s", code(e), message(c, e).c_str());
  return ctx;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Refused with `want` and a message containing `part`.
#define REFUSED(expr, want, part)                                                                                   \
  do {                                                                                                              \
    Qnn_ErrorHandle_t e_ = (expr);                                                                                  \
    std::string m_ = message(b.c, e_);                                                                              \
    CHECK(code(e_) == (want) && contains(m_, part), "%s -> %u (want %u) '%s' (want '%s')", #expr, code(e_), unsigned(want), m_.c_str(), part); \
  } while (0)

// ---- the tests ------------------------------------------------------------------------------

void testRoundTrip(const System& sys, const char* outDir) {
  Session s;
  s.c = getCore("core=2.32.0,backend=5.43.0");
  CHECK(s.c.fn<QnnLog_CreateFn_t>(abi::kLogCreate)(logCallback, QNN_LOG_LEVEL_DEBUG, &s.log) == QNN_SUCCESS, "logCreate");
  CHECK(s.c.fn<QnnBackend_CreateFn_t>(abi::kBackendCreate)(s.log, nullptr, &s.backend) == QNN_SUCCESS, "backendCreate");
  Builder b;
  b.c = s.c;
  b.backend = s.backend;
  s.ctx = newContext(s.c, s.backend);
  Composed m = composeModel(b, s.ctx);

  // Executing before graphFinalize is refused; so is serializing.
  Qnn_ErrorHandle_t e = 0;
  run(s, m.mlp, mlpIn(), &e);
  CHECK(code(e) == QNN_GRAPH_ERROR_GRAPH_NOT_FINALIZED && contains(message(s.c, e), "not finalized"), "execute before finalize -> %u", code(e));
  getBinary(s.c, s.ctx, &e);
  CHECK(code(e) == QNN_CONTEXT_ERROR_NOT_FINALIZED && contains(message(s.c, e), "graph 'f32_mlp' is not finalized"), "getBinarySize before finalize -> %u: %s",
        code(e), message(s.c, e).c_str());

  for (const char* g : {"f32_mlp", "u8_add", "f16_mul"}) CHECK(finalize(s.c, retrieve(s, g)) == QNN_SUCCESS, "graphFinalize(%s)", g);
  CHECK(finalize(s.c, retrieve(s, "f32_mlp")) == QNN_SUCCESS, "a second graphFinalize is a no-op");
  std::map<std::string, std::vector<uint8_t>> composedOut, loadedOut;
  checkOutputs(s, m, "composed", &composedOut);

  std::vector<uint8_t> bin = getBinary(s.c, s.ctx, &e);
  CHECK(e == QNN_SUCCESS && bin.size() > 128 && std::memcmp(bin.data(), "QNNREF01", 8) == 0, "contextGetBinary of the composed context -> %u", code(e));
  CHECK(getBinary(s.c, s.ctx) == bin, "serializing twice gives the same bytes");
  {
    std::vector<uint8_t> small(bin.size() - 1);
    Qnn_ContextBinarySize_t written = 0;
    Builder& bb = b;
    (void)bb;
    REFUSED(s.c.fn<QnnContext_GetBinaryFn_t>(abi::kContextGetBinary)(s.ctx, small.data(), small.size(), &written), QNN_CONTEXT_ERROR_GET_BINARY_FAILED,
            "the binary needs");
  }
  if (outDir) {
    std::string path = std::string(outDir) + "/composed.bin";
    FILE* f = std::fopen(path.c_str(), "wb");
    CHECK(f && std::fwrite(bin.data(), 1, bin.size(), f) == bin.size(), "write %s", path.c_str());
    if (f) std::fclose(f);
  }

  // The reference QnnSystem describes it: the graphs, their I/O tensors with the ids the
  // composition assigned, dtypes and quantization.
  Info info = describe(sys, bin, s.c.core, 43, true);
  CHECK(info.graphs.size() == 3, "binary info: %zu graphs", info.graphs.size());
  if (info.graphs.size() == 3) {
    const GraphDesc& add = graphNamed(info, "u8_add");
    CHECK(add.inputs.size() == 1 && add.inputs[0].name == "a" && add.inputs[0].id == m.add.inputs[0].id && add.inputs[0].dataType == QNN_DATATYPE_UFIXED_POINT_8 &&
              add.inputs[0].scale == 0.5f,
          "u8_add input as described");
    const GraphDesc& mul = graphNamed(info, "f16_mul");
    CHECK(mul.inputs.size() == 2 && mul.outputs.size() == 1 && mul.outputs[0].dims == (std::vector<uint32_t>{3, 2}), "f16_mul I/O as described");
  }

  // Reload from the bytes: identical results, and re-serialized byte for byte.
  Session loaded;
  e = open(loaded, s.c, bin);
  CHECK(e == QNN_SUCCESS, "contextCreateFromBinary(composed) -> %u: %s", code(e), message(s.c, e).c_str());
  if (e == QNN_SUCCESS) {
    checkOutputs(loaded, m, "reloaded", &loadedOut);
    CHECK(loadedOut == composedOut, "reloaded outputs equal the composed ones byte for byte");
    CHECK(getBinary(loaded.c, loaded.ctx) == bin, "the reloaded context re-serializes byte-identically");
    Qnn_GraphHandle_t g = nullptr;
    CHECK(loaded.c.fn<QnnGraph_CreateFn_t>(abi::kGraphCreate)(loaded.ctx, "more", nullptr, &g) != QNN_SUCCESS, "graphCreate on a loaded context refused");
  }
  close(loaded);
  close(s);
}

#include "compose_refusals.h"  // testRefusals()

// The journal lines a composition writes.
void testJournal() {
  char path[] = "/tmp/qnnref-compose-journal-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "mkstemp");
  if (fd < 0) return;
  ::close(fd);
  setenv("QNN_REFERENCE_JOURNAL", path, 1);
  Session s;
  s.c = getCore("core=2.32.0,backend=5.43.0");
  CHECK(s.c.fn<QnnLog_CreateFn_t>(abi::kLogCreate)(logCallback, QNN_LOG_LEVEL_ERROR, &s.log) == QNN_SUCCESS, "logCreate");
  CHECK(s.c.fn<QnnBackend_CreateFn_t>(abi::kBackendCreate)(s.log, nullptr, &s.backend) == QNN_SUCCESS, "backendCreate");
  QnnContext_Config_t prio;
  std::memset(&prio, 0, sizeof prio);
  prio.option = QNN_CONTEXT_CONFIG_OPTION_PRIORITY;
  prio.priority = QNN_PRIORITY_HIGH;
  const QnnContext_Config_t* ctxCfg[] = {&prio, nullptr};
  s.ctx = newContext(s.c, s.backend, ctxCfg);
  Builder b;
  b.c = s.c;
  b.backend = s.backend;
  QnnGraph_Config_t gprio;
  std::memset(&gprio, 0, sizeof gprio);
  gprio.option = QNN_GRAPH_CONFIG_OPTION_PRIORITY;
  gprio.priority = QNN_PRIORITY_LOW;
  const QnnGraph_Config_t* gCfg[] = {&gprio, nullptr};
  b.graph = newGraph(s.c, s.ctx, "j", gCfg);
  uint32_t a = b.tensor("a", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_UFIXED_POINT_8, {1, 2}, nullptr, 0, 0.25f, -3);
  uint32_t o = b.tensor("o", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_FLOAT_32, {1, 2});
  b.node("deq", "Dequantize", {a}, {o});
  CHECK(finalize(s.c, b.graph) == QNN_SUCCESS, "graphFinalize(j)");
  getBinary(s.c, s.ctx);
  close(s);
  unsetenv("QNN_REFERENCE_JOURNAL");
  std::vector<uint8_t> raw = readFile(path);
  std::string text(raw.begin(), raw.end());
  unlink(path);
  const char* expected[] = {
      "{\"call\":\"contextCreate\",\"configs\":[{\"option\":\"PRIORITY\",\"priority\":200}],\"backendApi\":\"5.43.0\"}",
      "{\"call\":\"graphCreate\",\"graph\":\"j\",\"configs\":[{\"option\":\"PRIORITY\",\"priority\":0}],\"backendApi\":\"5.43.0\"}",
      "{\"call\":\"tensorCreateGraphTensor\",\"graph\":\"j\",\"name\":\"a\",\"id\":1,\"type\":\"APP_WRITE\",\"dtype\":\"ufixed8\",\"dims\":[1,2],"
      "\"quant\":{\"encoding\":\"scale-offset\",\"scale\":0.25,\"offset\":-3},\"staticBytes\":0}",
      "{\"call\":\"graphAddNode\",\"graph\":\"j\",\"name\":\"deq\",\"package\":\"qti.aisw\",\"type\":\"Dequantize\",\"inputs\":[\"a\"],\"outputs\":[\"o\"],\"params\":[]}",
      "{\"call\":\"graphFinalize\",\"graph\":\"j\",\"inputs\":[\"a\"],\"outputs\":[\"o\"],\"nodes\":1,\"natives\":0}",
      "\"call\":\"contextGetBinary\",\"bytes\":",
  };
  for (const char* line : expected) CHECK(contains(text, line), "journal has %s\n--- journal:\n%s", line, text.c_str());
  (void)o;
}

// The composition slots in emulated versions: the 2.13 tensor stride (120, V1 only) in op
// configs and params, the pre-2.9 table order, and QNN_REFERENCE_NULL_SLOTS by name.
void testVersions() {
  {
    Session s;
    s.c = getCore("core=2.13.0,backend=5.13.0");
    CHECK(s.c.fn<QnnLog_CreateFn_t>(abi::kLogCreate)(logCallback, QNN_LOG_LEVEL_ERROR, &s.log) == QNN_SUCCESS, "logCreate");
    CHECK(s.c.fn<QnnBackend_CreateFn_t>(abi::kBackendCreate)(s.log, nullptr, &s.backend) == QNN_SUCCESS, "backendCreate");
    s.ctx = newContext(s.c, s.backend);
    Builder b;
    b.c = s.c;
    b.backend = s.backend;
    CHECK(b.stride() == 120 && b.version() == 1, "2.13 layout");
    b.graph = newGraph(s.c, s.ctx, "f16_mul");
    uint32_t p = b.tensor("p", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_16, {2, 3});
    uint32_t q = b.tensor("q", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_16, {2, 3});
    uint32_t m = b.tensor("pq", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_16, {2, 3});
    uint32_t t = b.tensor("pq_t", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_FLOAT_16, {3, 2});
    b.node("mul", "ElementWiseMultiply", {p, q}, {m});
    b.node("transpose", "Transpose", {m}, {t}, {tensorParam<uint32_t>("perm", QNN_DATATYPE_UINT_32, {1, 0}, {2})});
    {
      Qnn_Tensor_t v2;
      std::memset(&v2, 0, sizeof v2);
      v2.version = QNN_TENSOR_VERSION_2;
      v2.v1 = b.base("v2", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {1});
      REFUSED(s.c.fn<QnnTensor_CreateGraphTensorFn_t>(abi::kTensorCreateGraphTensor)(b.graph, &v2), QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "accepts 1");
    }
    CHECK(finalize(s.c, b.graph) == QNN_SUCCESS, "graphFinalize at 2.13");
    GraphDesc g{"f16_mul",
                {TensorDesc{p, "p", QNN_DATATYPE_FLOAT_16, {2, 3}, 0, 0, 0}, TensorDesc{q, "q", QNN_DATATYPE_FLOAT_16, {2, 3}, 0, 0, 0}},
                {TensorDesc{t, "pq_t", QNN_DATATYPE_FLOAT_16, {3, 2}, 0, 0, 0}}};
    Qnn_ErrorHandle_t e = 0;
    auto out = run(s, g, {{"p", bytes(kP)}, {"q", bytes(kQ)}}, &e);
    CHECK(e == QNN_SUCCESS && out["pq_t"] == bytes(kPQt), "f16_mul composed and run at core 2.13 -> %u", code(e));
    close(s);
  }
  {
    Core old = getCore("core=2.8.0");
    auto slotAt = [&](uint32_t slot) {
      void* fn = nullptr;
      std::memcpy(&fn, reinterpret_cast<const uint8_t*>(old.iface) + abi::kInterfaceTableOffset + size_t(abi::oldLayoutIndex(slot)) * abi::kSlotSize, sizeof fn);
      return fn;
    };
    for (uint32_t slot : {abi::kContextCreate, abi::kGraphCreate, abi::kGraphAddNode, abi::kGraphFinalize, abi::kTensorCreateGraphTensor})
      CHECK(slotAt(slot) != nullptr && abi::oldLayoutIndex(slot) >= 0, "core 2.8 table has slot %u at %d", slot, abi::oldLayoutIndex(slot));
    auto backendCreate = reinterpret_cast<QnnBackend_CreateFn_t>(slotAt(abi::kBackendCreate));
    auto contextCreate = reinterpret_cast<QnnContext_CreateFn_t>(slotAt(abi::kContextCreate));
    auto graphCreate = reinterpret_cast<QnnGraph_CreateFn_t>(slotAt(abi::kGraphCreate));
    Qnn_BackendHandle_t be = nullptr;
    Qnn_ContextHandle_t ctx = nullptr;
    Qnn_GraphHandle_t g = nullptr;
    CHECK(backendCreate(nullptr, nullptr, &be) == QNN_SUCCESS && contextCreate(be, nullptr, nullptr, &ctx) == QNN_SUCCESS &&
              graphCreate(ctx, "old", nullptr, &g) == QNN_SUCCESS && g,
          "contextCreate + graphCreate through the 2.8 order");
    reinterpret_cast<QnnContext_FreeFn_t>(slotAt(abi::kContextFree))(ctx, nullptr);
    reinterpret_cast<QnnBackend_FreeFn_t>(slotAt(abi::kBackendFree))(be);
  }
  {
    setenv("QNN_REFERENCE_NULL_SLOTS", "contextGetBinary,graphAddNode", 1);
    Core c = getCore("core=2.32.0");
    unsetenv("QNN_REFERENCE_NULL_SLOTS");
    CHECK(!c.fn<void*>(abi::kContextGetBinary) && !c.fn<void*>(abi::kGraphAddNode), "NULL_SLOTS=contextGetBinary,graphAddNode leaves them NULL");
    CHECK(c.fn<void*>(abi::kContextGetBinarySize) && c.fn<void*>(abi::kGraphCreate), "the other composition slots stay");
    Core full = getCore("core=2.32.0");
    CHECK(full.fn<void*>(abi::kContextGetBinary) && full.fn<void*>(abi::kGraphAddNode) && full.fn<void*>(abi::kContextCreate) &&
              full.fn<void*>(abi::kGraphFinalize) && full.fn<void*>(abi::kTensorCreateGraphTensor),
          "every composition slot is filled by default");
  }
}

// Axis-scale-offset STATIC data (per-channel weights) dequantized by a composed graph, and
// through the binary it serializes to.
void testAxisQuant() {
  Session s;
  s.c = getCore("core=2.32.0,backend=5.43.0");
  CHECK(s.c.fn<QnnLog_CreateFn_t>(abi::kLogCreate)(logCallback, QNN_LOG_LEVEL_ERROR, &s.log) == QNN_SUCCESS, "logCreate");
  CHECK(s.c.fn<QnnBackend_CreateFn_t>(abi::kBackendCreate)(s.log, nullptr, &s.backend) == QNN_SUCCESS, "backendCreate");
  s.ctx = newContext(s.c, s.backend);
  Builder b;
  b.c = s.c;
  b.backend = s.backend;
  b.graph = newGraph(s.c, s.ctx, "axis");
  const std::vector<int8_t> q = {2, 4, -2, 8};
  Qnn_ScaleOffset_t so[2] = {{0.5f, 0}, {0.25f, 0}};
  Qnn_TensorV1_t w = b.base("w", QNN_TENSOR_TYPE_STATIC, QNN_DATATYPE_SFIXED_POINT_8, {2, 2});
  w.quantizeParams.encodingDefinition = QNN_DEFINITION_DEFINED;
  w.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET;
  w.quantizeParams.axisScaleOffsetEncoding.axis = 1;
  w.quantizeParams.axisScaleOffsetEncoding.numScaleOffsets = 1;
  w.quantizeParams.axisScaleOffsetEncoding.scaleOffset = so;
  w.clientBuf.data = const_cast<int8_t*>(q.data());
  w.clientBuf.dataSize = 4;
  uint32_t wid = 0;
  REFUSED(b.create(w, &wid), QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "1 scale/offsets, expected dims[axis] = 2");
  w.quantizeParams.axisScaleOffsetEncoding.numScaleOffsets = 2;
  CHECK(b.create(w, &wid) == QNN_SUCCESS, "axis-scale-offset STATIC created");
  uint32_t out = b.tensor("real", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_FLOAT_32, {2, 2});
  b.node("deq", "Dequantize", {wid}, {out});
  CHECK(finalize(s.c, b.graph) == QNN_SUCCESS, "graphFinalize(axis)");
  GraphDesc g{"axis", {}, {TensorDesc{out, "real", QNN_DATATYPE_FLOAT_32, {2, 2}, 0, 0, 0}}};
  const std::vector<float> want = {1.0f, 1.0f, -1.0f, 2.0f};
  Qnn_ErrorHandle_t e = 0;
  auto got = run(s, g, {}, &e);
  CHECK(e == QNN_SUCCESS && got["real"] == bytes(want), "per-channel dequantize of a composed STATIC -> %u", code(e));
  std::vector<uint8_t> bin = getBinary(s.c, s.ctx);
  Session loaded;
  CHECK(open(loaded, s.c, bin) == QNN_SUCCESS, "reload the axis binary");
  got = run(loaded, g, {}, &e);
  CHECK(e == QNN_SUCCESS && got["real"] == bytes(want), "per-channel dequantize after reload -> %u", code(e));
  close(loaded);
  close(s);
}

}  // namespace

int main(int argc, char** argv) {
  const char* outDir = argc > 1 && argv[1][0] ? argv[1] : nullptr;
#ifdef QNNREF_BACKEND_PATH
  const char* backendPath = argc > 2 ? argv[2] : QNNREF_BACKEND_PATH;
  const char* systemPath = argc > 3 ? argv[3] : QNNREF_SYSTEM_PATH;
#else
  if (argc < 4) return 2;
  const char* backendPath = argv[2];
  const char* systemPath = argv[3];
#endif
  g_backendLib = dlopen(backendPath, RTLD_NOW | RTLD_LOCAL);
  g_systemLib = dlopen(systemPath, RTLD_NOW | RTLD_LOCAL);
  if (!g_backendLib || !g_systemLib) {
    std::fprintf(stderr, "dlopen failed: %s\n", dlerror());
    return 2;
  }
  for (const char* knob : {"QNN_REFERENCE_FAIL", "QNN_REFERENCE_PLAIN_ERRORS", "QNN_REFERENCE_NULL_SLOTS", "QNN_REFERENCE_JOURNAL", "QNN_REFERENCE_CONTEXT_BINARY"})
    unsetenv(knob);
  System sys = getSystem("system=1.7.0,backend=5.43.0");
  testRoundTrip(sys, outDir);
  testRefusals();
  testJournal();
  testVersions();
  testAxisQuant();
  std::printf("%d checks, %d failures\n", g_checks.load(), g_failures.load());
  return g_failures ? 1 : 0;
}
