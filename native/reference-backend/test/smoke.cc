// Smoke test of libQnnReference + libQnnReferenceSystem, used the way a QNN client uses
// real libraries: dlopen, getProviders under several emulated API versions, binary info
// from the System library (tensor ids come from there), contextCreateFromBinary,
// graphExecute, error messages, logging, guard pages, and a fuzz loop over corrupt
// binaries. Fixtures are written by test/reference/make-fixtures.ts.
//
// usage: qnnref_smoke <fixture-dir> [libQnnReference.so] [libQnnReferenceSystem.so]

#include "smoke_support.h"

// ---- tests ----------------------------------------------------------------------------------

struct VersionCase {
  const char* env;
  uint32_t coreMinor, slots;
  size_t tensorStride;
  uint32_t systemMinor;
  size_t graphStride;
  uint32_t binaryInfoVersion;
};

static const VersionCase kCases[] = {
    {"core=2.32.0,system=1.7.0,backend=5.43.0", 32, 71, 144, 7, 88, 3},
    {"core=2.23.0,system=1.2.0,backend=5.30.0", 23, 64, 144, 2, 88, 3},
    {"core=2.21.0,system=1.2.0,backend=5.28.0", 21, 62, 144, 2, 88, 3},
    {"core=2.18.0,system=1.1.0,backend=5.25.0", 18, 62, 144, 1, 64, 2},
    {"core=2.14.0,system=1.1.0,backend=5.20.0", 14, 55, 144, 1, 48, 2},
    {"core=2.10.0,system=1.1.0,backend=5.16.0", 10, 48, 120, 1, 48, 2},
    {"core=2.7.0,system=1.1.0,backend=5.13.0", 7, 44, 120, 1, 48, 2},
};

// Shared-memory checks (they use kCases).
#include "smoke_mem.h"

static void testVersions(const std::string& dir) {
  std::vector<uint8_t> basic = readFile(dir + "/basic.bin");
  Core newest = getCore(kCases[0].env);
  auto newestExecute = newest.fn<void*>(abi::kGraphExecute);
  for (const VersionCase& vc : kCases) {
    std::printf("version case %s\n", vc.env);
    Core c = getCore(vc.env);
    CHECK(c.core.major == 2 && c.core.minor == vc.coreMinor, "core version %u.%u", c.core.major, c.core.minor);
    CHECK(abi::coreSlotCount(c.core.minor) == vc.slots, "slot count");
    const auto* table = reinterpret_cast<void* const*>(reinterpret_cast<const uint8_t*>(c.iface) + abi::kInterfaceTableOffset);
    // The last slot is readable; one past it faults.
    CHECK(!faults([&] {
            void* volatile x = table[vc.slots - 1];
            (void)x;
          }),
          "reading the last slot faulted");
    CHECK(faults([&] {
            void* volatile x = table[vc.slots];
            (void)x;
          }),
          "reading slot %u (one past the %s table) did not fault", vc.slots, vc.env);
    System s = getSystem(vc.env);
    CHECK(s.version.minor == vc.systemMinor, "system minor %u", s.version.minor);
    const auto* stable = reinterpret_cast<void* const*>(reinterpret_cast<const uint8_t*>(s.iface) + abi::kSystemInterfaceTableOffset);
    uint32_t sslots = vc.systemMinor <= 2 ? 4 : 16;
    CHECK(faults([&] {
            void* volatile x = stable[sslots];
            (void)x;
          }),
          "system table over-read did not fault");

    if (vc.coreMinor < abi::kAppendOnlySinceMinor) {
      // Old layout: graphExecute sits at its old index; the 2.9+ index holds something else.
      CHECK(table[abi::oldLayoutIndex(abi::kGraphExecute)] == newestExecute, "old-layout graphExecute position");
      CHECK(table[abi::kGraphExecute] != newestExecute, "old layout must not have graphExecute at slot 21");
      auto wrong = reinterpret_cast<Qnn_ErrorHandle_t (*)(void*, const void*, uint32_t, void*, uint32_t, void*, void*)>(table[abi::kGraphExecute]);
      Qnn_ErrorHandle_t e = wrong(nullptr, nullptr, 0, nullptr, 0, nullptr, nullptr);
      CHECK(e != QNN_SUCCESS, "calling the 2.9+ graphExecute slot of a 2.7 table must not succeed");
      continue;
    }

    Info info = describe(s, basic, c.core, uint32_t(std::atoi(std::strstr(vc.env, "backend=5.") + 10)));
    CHECK(info.version == vc.binaryInfoVersion, "BinaryInfo version %u, expected %u", info.version, vc.binaryInfoVersion);
    uint32_t wantGraphVersion = vc.graphStride == 48 ? 1 : vc.graphStride == 64 ? 2 : 3;
    CHECK(info.graphInfoVersion == wantGraphVersion, "GraphInfo version %u, expected %u", info.graphInfoVersion, wantGraphVersion);
    const GraphDesc& g = graphNamed(info, "mlp");
    CHECK(g.inputs.size() == 1 && g.inputs[0].name == "x" && g.inputs[0].dims == std::vector<uint32_t>({1, 4}) && g.inputs[0].dataType == 0x0232, "mlp input");
    CHECK(g.inputs[0].id >= 1000, "tensor ids come from the binary (got %u)", g.inputs[0].id);

    Session sess;
    Qnn_ErrorHandle_t e = open(sess, c, basic);
    CHECK(e == QNN_SUCCESS, "contextCreateFromBinary -> %u", code(e));
    std::vector<float> x = {1, 2, 3, 4};
    auto out = run(sess, g, {{"x", bytes(x)}});
    expectNear(floats(out["out"]), mlpExpected(x), 1e-6f, "mlp");
    x = {1, -2, 0.5f, -1};
    out = run(sess, g, {{"x", bytes(x)}});
    expectNear(floats(out["out"]), mlpExpected(x), 1e-6f, "mlp relu");
    if (vc.coreMinor >= 11) {
      CHECK(c.fn<void*>(abi::kErrorGetMessage) != nullptr, "errorGetMessage present from 2.11");
    } else {
      CHECK(c.fn<void*>(abi::kErrorGetMessage) == nullptr, "errorGetMessage must not be read before 2.11");
    }
    if (vc.tensorStride == 120) {
      // A V2 tensor is rejected by a pre-2.14 backend.
      TensorArray in(120), outs(120);
      std::vector<float> xb(4, 1.f), ob(3);
      in.add(g.inputs[0], xb.data(), 16, 2);
      outs.add(g.outputs[0], ob.data(), 12);
      Qnn_ErrorHandle_t e2 = c.fn<QnnGraph_ExecuteFn_t>(abi::kGraphExecute)(retrieve(sess, "mlp"), in.ptr(), 1, outs.ptr(), 1, nullptr, nullptr);
      CHECK(code(e2) == QNN_GRAPH_ERROR_INVALID_TENSOR, "V2 tensor on core 2.10 -> %u", code(e2));
    }
    close(sess);
  }
}

static void testOps(const std::string& dir) {
  Core c = getCore(kCases[0].env);
  System s = getSystem(kCases[0].env);
  std::vector<uint8_t> opsBin = readFile(dir + "/ops.bin");
  Info info = describe(s, opsBin, c.core, 43);
  Session sess;
  CHECK(open(sess, c, opsBin) == QNN_SUCCESS, "load ops.bin");

  {  // broadcasting add, multiply by a static [2,1], subtract; inputs passed in reverse order
    auto out = run(sess, graphNamed(info, "elementwise"), {{"a", bytes(std::vector<float>{1, 2, 3, 4, 5, 6})}, {"b", bytes(std::vector<float>{10, 20, 30})}}, nullptr, true);
    expectNear(floats(out["out"]), {12, 24, 36, -24, -45, -66}, 0, "elementwise");
  }
  {  // fp16 embedding gather + cast
    auto out = run(sess, graphNamed(info, "embed"), {{"ids", bytes(std::vector<int32_t>{4, 0, 2})}});
    std::vector<float> want;
    for (int id : {4, 0, 2})
      for (int j = 0; j < 4; ++j) want.push_back(float(id * 4 + j) * 0.5f);
    expectNear(floats(out["out"]), want, 0, "embed");
    Qnn_ErrorHandle_t st = 0;
    run(sess, graphNamed(info, "embed"), {{"ids", bytes(std::vector<int32_t>{4, 9, 2})}}, &st);
    CHECK(code(st) == QNN_GRAPH_ERROR_INVALID_ARGUMENT, "gather out of range -> %u", code(st));
    CHECK(message(c, st).find("out of range") != std::string::npos, "gather message: %s", message(c, st).c_str());
  }
  {
    std::vector<float> x = {1, 2, 3, 4, 0, 0, 0, 0};
    auto out = run(sess, graphNamed(info, "softmax"), {{"x", bytes(x)}});
    float z = std::exp(1.f) + std::exp(2.f) + std::exp(3.f) + std::exp(4.f);
    expectNear(floats(out["out"]), {std::exp(1.f) / z, std::exp(2.f) / z, std::exp(3.f) / z, std::exp(4.f) / z, 0.25f, 0.25f, 0.25f, 0.25f}, 1e-6f, "softmax");
  }
  {
    auto out = run(sess, graphNamed(info, "quant"), {{"x", bytes(std::vector<float>{0.f, 1.f, -12.8f, 20.f})}});
    CHECK(out["q"] == std::vector<uint8_t>({128, 138, 0, 255}), "quantize: %u %u %u %u", out["q"][0], out["q"][1], out["q"][2], out["q"][3]);
    expectNear(floats(out["out"]), {0.f, 1.f, -12.8f, 12.7f}, 1e-5f, "dequantize");
    const auto& q = graphNamed(info, "quant").outputs[0];
    CHECK(q.encoding == QNN_QUANTIZATION_ENCODING_SCALE_OFFSET && std::fabs(q.scale - 0.1f) < 1e-7f && q.offset == -128, "binary info quant params");
  }
  {
    auto out = run(sess, graphNamed(info, "concat"), {{"a", bytes(std::vector<float>{1, 2})}, {"b", bytes(std::vector<float>{3, 4, 5})}});
    expectNear(floats(out["out"]), {1, 2, 3, 4, 5}, 0, "concat+reshape");
  }
  {
    std::vector<float> a(12);
    for (int i = 0; i < 12; ++i) a[i] = float(i) * 0.1f;
    auto out = run(sess, graphNamed(info, "matmul_t"), {{"a", bytes(a)}});
    std::vector<float> want;
    for (int b = 0; b < 2; ++b)
      for (int m = 0; m < 2; ++m)
        for (int n = 0; n < 4; ++n) {
          float acc = 0;
          for (int k = 0; k < 3; ++k) acc += a[b * 6 + m * 3 + k] * float(((n * 3 + k) % 5) - 2);
          want.push_back(0.5f * acc * (1.f + std::erf(acc / std::sqrt(2.f))));
        }
    expectNear(floats(out["out"]), want, 1e-5f, "matmul transpose_in1 + gelu");
  }
  {
    auto out = run(sess, graphNamed(info, "transpose"), {{"x", bytes(std::vector<float>{1, 2, 3, 4, 5, 6})}});
    expectNear(floats(out["out"]), {1, 4, 2, 5, 3, 6}, 0, "transpose");
  }
  {  // x[1:3, 0:-1:2] -> sigmoid -> tanh
    std::vector<float> x(12);
    for (int i = 0; i < 12; ++i) x[i] = float(i) * 0.25f - 1.f;
    auto out = run(sess, graphNamed(info, "slice"), {{"x", bytes(x)}});
    std::vector<float> want;
    for (int r : {1, 2})
      for (int col : {0, 2}) want.push_back(std::tanh(1.f / (1.f + std::exp(-x[r * 4 + col]))));
    expectNear(floats(out["out"]), want, 1e-6f, "strided slice + sigmoid + tanh");
  }
  {  // the unary math ops, each straight from x (expected values in double)
    std::vector<float> x = {0.25f, 1.f, 2.f, 4.f, 9.f, 0.5f};
    auto out = run(sess, graphNamed(info, "unary"), {{"x", bytes(x)}});
    std::map<std::string, double (*)(double)> fns = {
        {"rsqrt", [](double v) { return 1.0 / std::sqrt(v); }}, {"sqrt", [](double v) { return std::sqrt(v); }},
        {"exp", [](double v) { return std::exp(v); }},          {"neg", [](double v) { return -v; }},
        {"sin", [](double v) { return std::sin(v); }},          {"cos", [](double v) { return std::cos(v); }},
    };
    for (const auto& [name, fn] : fns) {
      std::vector<float> want;
      for (float v : x) want.push_back(float(fn(double(v))));
      expectNear(floats(out[name]), want, 2e-7f, name.c_str());
    }
  }
  {  // ReduceMean over axes {0, 2} (keep_dims) and {1} of x[2][3][4], x = flat index * 0.5 - 3.75
    std::vector<float> x(24);
    for (int i = 0; i < 24; ++i) x[i] = float(i) * 0.5f - 3.75f;
    auto out = run(sess, graphNamed(info, "reduce"), {{"x", bytes(x)}});
    std::vector<float> outer, middle;
    for (int j = 0; j < 3; ++j) {
      double sum = 0;
      for (int i = 0; i < 2; ++i)
        for (int k = 0; k < 4; ++k) sum += x[i * 12 + j * 4 + k];
      outer.push_back(float(sum / 8));
    }
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 4; ++k) middle.push_back((x[i * 12 + k] + x[i * 12 + 4 + k] + x[i * 12 + 8 + k]) / 3.f);
    expectNear(floats(out["outer"]), outer, 1e-7f, "reduce mean axes [-1, 0] keep_dims");
    expectNear(floats(out["middle"]), middle, 1e-7f, "reduce mean axes [1]");
  }
  {  // RmsNorm over the last axis (gamma + beta, eps 1e-6) and over the last two (eps 0.5)
    std::vector<float> x = {1, -2, 3, 0.5f, 0.25f, -4, 10, 0, -10, 1e-3f, 2e-3f, -3e-3f};
    auto out = run(sess, graphNamed(info, "rmsnorm"), {{"x", bytes(x)}});
    const double g3[3] = {1, 2, -1}, b3[3] = {0.5, 0, -0.25};
    std::vector<float> last, two;
    for (int row = 0; row < 4; ++row) {
      double ms = 0;
      for (int k = 0; k < 3; ++k) ms += double(x[row * 3 + k]) * x[row * 3 + k] / 3;
      for (int k = 0; k < 3; ++k) last.push_back(float(x[row * 3 + k] / std::sqrt(ms + 1e-6) * g3[k] + b3[k]));
    }
    for (int b = 0; b < 2; ++b) {
      double ms = 0;
      for (int k = 0; k < 6; ++k) ms += double(x[b * 6 + k]) * x[b * 6 + k] / 6;
      for (int k = 0; k < 6; ++k) two.push_back(float(x[b * 6 + k] / std::sqrt(ms + 0.5) * (0.5 + k / 4.0)));
    }
    expectNear(floats(out["last"]), last, 1e-6f, "rmsnorm last axis + beta");
    expectNear(floats(out["two"]), two, 1e-6f, "rmsnorm axes [1, 2]");
  }
  {
    auto out = run(sess, graphNamed(info, "qweights"), {{"x", bytes(std::vector<uint16_t>{0x3C00, 0x4000})}});
    expectNear(floats(out["out"]), {-1, 5}, 0, "fp16 x axis-quantized weights");
  }
  close(sess);
}

static void testShared(const std::string& dir) {
  Core c = getCore(kCases[0].env);
  System s = getSystem(kCases[0].env);
  std::vector<uint8_t> bin = readFile(dir + "/shared.bin");
  Info info = describe(s, bin, c.core, 43);
  CHECK(info.buildId.find("prefill+decode") != std::string::npos, "buildId carries the description: %s", info.buildId.c_str());
  CHECK(graphNamed(info, "prefill").inputs[0].id != graphNamed(info, "decode").inputs[0].id, "per-graph tensor ids");
  CHECK(graphNamed(info, "prefill").inputs[0].id >= 7000, "firstTensorId honoured");

  // Copy semantics: the buffer may be destroyed right after contextCreateFromBinary.
  std::vector<uint8_t> copy = bin;
  Session sess;
  CHECK(open(sess, c, copy) == QNN_SUCCESS, "load shared.bin");
  std::fill(copy.begin(), copy.end(), 0xEE);
  auto out = run(sess, graphNamed(info, "prefill"), {{"ids", bytes(std::vector<int64_t>{3, 0, 7, 1})}});
  std::vector<float> want;
  for (int id : {3, 0, 7, 1})
    for (int j = 0; j < 4; ++j) want.push_back(float(id * 4 + j));
  expectNear(floats(out["hidden"]), want, 0, "prefill");
  out = run(sess, graphNamed(info, "decode"), {{"ids", bytes(std::vector<int32_t>{5})}});
  expectNear(floats(out["hidden"]), {20, 21, 22, 23}, 0, "decode");
  // contextGetBinary reproduces the input bytes.
  Qnn_ContextBinarySize_t size = 0, written = 0;
  CHECK(c.fn<QnnContext_GetBinarySizeFn_t>(abi::kContextGetBinarySize)(sess.ctx, &size) == QNN_SUCCESS && size == bin.size(), "getBinarySize");
  std::vector<uint8_t> round(size);
  CHECK(c.fn<QnnContext_GetBinaryFn_t>(abi::kContextGetBinary)(sess.ctx, round.data(), size, &written) == QNN_SUCCESS && written == size, "getBinary");
  CHECK(round == bin, "getBinary round trip");
  close(sess);

  // Zero-copy on request (persistent binary): the client keeps the buffer alive.
  QnnContext_Config_t cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.option = QNN_CONTEXT_CONFIG_PERSISTENT_BINARY;
  cfg.isPersistentBinary = 1;
  const QnnContext_Config_t* cfgs[] = {&cfg, nullptr};
  g_logs.clear();
  CHECK(open(sess, c, bin, cfgs) == QNN_SUCCESS, "load zero-copy");
  bool sawZeroCopy = false;
  for (const auto& l : g_logs) sawZeroCopy = sawZeroCopy || l.find("zero-copy") != std::string::npos;
  CHECK(sawZeroCopy, "zero-copy log line");
  out = run(sess, graphNamed(info, "decode"), {{"ids", bytes(std::vector<int32_t>{1})}});
  expectNear(floats(out["hidden"]), {4, 5, 6, 7}, 0, "decode zero-copy");
  close(sess);
}

static void testErrors(const std::string& dir) {
  Core c = getCore(kCases[0].env);
  System s = getSystem(kCases[0].env);
  std::vector<uint8_t> basic = readFile(dir + "/basic.bin");
  Info info = describe(s, basic, c.core, 43);
  const GraphDesc& g = graphNamed(info, "mlp");
  g_logs.clear();
  Session sess;
  CHECK(open(sess, c, basic) == QNN_SUCCESS, "load");
  bool sawInfo = false;
  for (const auto& l : g_logs) sawInfo = sawInfo || (l.rfind("3 ", 0) == 0 && l.find("context loaded") != std::string::npos);
  CHECK(sawInfo, "INFO log line on context load (%zu lines)", g_logs.size());

  auto exec = c.fn<QnnGraph_ExecuteFn_t>(abi::kGraphExecute);
  Qnn_GraphHandle_t gh = retrieve(sess, "mlp");
  std::vector<float> x(4, 1.f), o(3);
  auto attempt = [&](const std::function<void(Qnn_TensorV1_t&)>& mutate, uint32_t wantCode, const char* wantText) {
    TensorArray in(144), out(144);
    Qnn_TensorV1_t& t = in.add(g.inputs[0], x.data(), 16);
    out.add(g.outputs[0], o.data(), 12);
    mutate(t);
    Qnn_ErrorHandle_t e = exec(gh, in.ptr(), 1, out.ptr(), 1, nullptr, nullptr);
    std::string m = message(c, e);
    CHECK(code(e) == wantCode, "expected %s, got %u (%s): %s", qnn_node_status_name(wantCode), code(e), qnn_node_status_name(e), m.c_str());
    CHECK(m.find(wantText) != std::string::npos, "message '%s' lacks '%s'", m.c_str(), wantText);
    CHECK((e >> 32) != 0, "error handles carry a serial in the upper bits");
  };
  char sizeText[96];
  std::snprintf(sizeText, sizeof sizeText, "input tensor 'x' (id %u) has 12 bytes, expected 16", g.inputs[0].id);
  attempt([](Qnn_TensorV1_t& t) { t.clientBuf.dataSize = 12; }, QNN_GRAPH_ERROR_INVALID_TENSOR, sizeText);
  attempt([](Qnn_TensorV1_t& t) { t.id = 424242; }, QNN_TENSOR_ERROR_DOES_NOT_EXIST, "424242");
  attempt([](Qnn_TensorV1_t& t) { t.dataType = QNN_DATATYPE_FLOAT_16; }, QNN_GRAPH_ERROR_INVALID_TENSOR, "dataType");
  attempt([](Qnn_TensorV1_t& t) { t.dimensions[1] = 5; }, QNN_GRAPH_ERROR_INVALID_TENSOR, "[1, 5]");
  attempt([](Qnn_TensorV1_t& t) { t.rank = 1; }, QNN_GRAPH_ERROR_INVALID_TENSOR, "rank");
  attempt([](Qnn_TensorV1_t& t) { t.memType = static_cast<Qnn_TensorMemType_t>(7); }, QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM, "RAW (0) and MEMHANDLE (1)");
  // A memhandle that was never registered (here: the client pointer) is refused by name.
  attempt([](Qnn_TensorV1_t& t) { t.memType = QNN_TENSORMEMTYPE_MEMHANDLE; }, QNN_GRAPH_ERROR_INVALID_TENSOR, "which is not registered");
  attempt([](Qnn_TensorV1_t& t) { t.clientBuf.data = nullptr; }, QNN_GRAPH_ERROR_INVALID_TENSOR, "NULL");
  {
    TensorArray in(144), out(144);
    in.add(g.inputs[0], x.data(), 16, 7);
    out.add(g.outputs[0], o.data(), 12);
    CHECK(code(exec(gh, in.ptr(), 1, out.ptr(), 1, nullptr, nullptr)) == QNN_GRAPH_ERROR_INVALID_TENSOR, "bad version tag");
    CHECK(code(exec(gh, in.ptr(), 0, out.ptr(), 1, nullptr, nullptr)) == QNN_GRAPH_ERROR_INVALID_ARGUMENT, "wrong input count");
    CHECK(code(exec(reinterpret_cast<Qnn_GraphHandle_t>(&x), in.ptr(), 1, out.ptr(), 1, nullptr, nullptr)) == QNN_GRAPH_ERROR_INVALID_HANDLE, "bad graph handle");
  }
  Qnn_GraphHandle_t none = nullptr;
  Qnn_ErrorHandle_t e = c.fn<QnnGraph_RetrieveFn_t>(abi::kGraphRetrieve)(sess.ctx, "nope", &none);
  CHECK(code(e) == QNN_GRAPH_ERROR_INVALID_NAME, "unknown graph -> %u", code(e));
  CHECK(message(c, e).find("'mlp'") != std::string::npos, "unknown graph message names the graphs: %s", message(c, e).c_str());
  const char* m = nullptr;
  CHECK(c.fn<QnnError_GetMessageFn_t>(abi::kErrorGetMessage)(0x123456789ULL, &m) == QNN_ERROR_INVALID_ERROR_HANDLE, "unknown error handle");
  const char* verbose = nullptr;
  CHECK(c.fn<QnnError_GetVerboseMessageFn_t>(abi::kErrorGetVerboseMessage)(e, &verbose) == QNN_SUCCESS && verbose && std::strstr(verbose, "nope"), "verbose message");
  CHECK(c.fn<QnnError_FreeVerboseMessageFn_t>(abi::kErrorFreeVerboseMessage)(verbose) == QNN_SUCCESS, "free verbose");

  // Profile events.
  Qnn_ProfileHandle_t prof = nullptr;
  CHECK(c.fn<QnnProfile_CreateFn_t>(abi::kProfileCreate)(sess.backend, QNN_PROFILE_LEVEL_BASIC, &prof) == QNN_SUCCESS, "profileCreate");
  run(sess, g, {{"x", bytes(x)}}, nullptr, false, prof);
  const QnnProfile_EventId_t* ids = nullptr;
  uint32_t n = 0;
  CHECK(c.fn<QnnProfile_GetEventsFn_t>(abi::kProfileGetEvents)(prof, &ids, &n) == QNN_SUCCESS && n == 1, "profile events");
  QnnProfile_EventData_t d;
  CHECK(n == 1 && c.fn<QnnProfile_GetEventDataFn_t>(abi::kProfileGetEventData)(ids[0], &d) == QNN_SUCCESS && d.type == QNN_PROFILE_EVENTTYPE_EXECUTE, "execute event");
  CHECK(c.fn<QnnProfile_FreeFn_t>(abi::kProfileFree)(prof) == QNN_SUCCESS, "profileFree");
  // Levels QNN does not define are refused; detailed profiles carry a NODE sub-event per op
  // (identifier = node name) with its op type below; extended data adds a timestamp.
  Qnn_ProfileHandle_t badProf = nullptr;
  Qnn_ErrorHandle_t pe = c.fn<QnnProfile_CreateFn_t>(abi::kProfileCreate)(sess.backend, 7001, &badProf);
  CHECK(code(pe) == QNN_PROFILE_ERROR_INVALID_ARGUMENT && !badProf, "profileCreate(7001) -> %u", code(pe));
  CHECK(c.fn<QnnProfile_CreateFn_t>(abi::kProfileCreate)(sess.backend, QNN_PROFILE_LEVEL_DETAILED, &prof) == QNN_SUCCESS, "profileCreate detailed");
  QnnProfile_Config_t optrace;
  std::memset(&optrace, 0, sizeof optrace);
  optrace.option = QNN_PROFILE_CONFIG_OPTION_ENABLE_OPTRACE;
  optrace.enableOptrace = 1;
  const QnnProfile_Config_t* profConfigs[] = {&optrace, nullptr};
  CHECK(c.fn<QnnProfile_SetConfigFn_t>(abi::kProfileSetConfig)(prof, profConfigs) == QNN_SUCCESS, "profileSetConfig optrace");
  QnnProfile_Config_t custom;
  std::memset(&custom, 0, sizeof custom);
  custom.option = QNN_PROFILE_CONFIG_OPTION_CUSTOM;
  const QnnProfile_Config_t* customConfigs[] = {&custom, nullptr};
  CHECK(c.fn<QnnProfile_SetConfigFn_t>(abi::kProfileSetConfig)(prof, customConfigs) == QNN_PROFILE_ERROR_UNSUPPORTED, "profileSetConfig custom refused");
  run(sess, g, {{"x", bytes(x)}}, nullptr, false, prof);
  CHECK(c.fn<QnnProfile_GetEventsFn_t>(abi::kProfileGetEvents)(prof, &ids, &n) == QNN_SUCCESS && n == 1, "detailed: one top-level event");
  const QnnProfile_EventId_t* subs = nullptr;
  uint32_t nsub = 0;
  CHECK(n == 1 && c.fn<QnnProfile_GetSubEventsFn_t>(abi::kProfileGetSubEvents)(ids[0], &subs, &nsub) == QNN_SUCCESS, "sub-events");
  // basic.bin's "mlp": MatMul then Relu, named <op>_<index> by the writer.
  const char* const nodeNames[][2] = {{"MatMul_0", "MatMul"}, {"Relu_1", "Relu"}};
  CHECK(nsub == 2, "one sub-event per node: %u", nsub);
  for (uint32_t k = 0; k < nsub && k < 2; ++k) {
    QnnProfile_EventData_t sd;
    CHECK(c.fn<QnnProfile_GetEventDataFn_t>(abi::kProfileGetEventData)(subs[k], &sd) == QNN_SUCCESS && sd.type == QNN_PROFILE_EVENTTYPE_NODE &&
              sd.unit == QNN_PROFILE_EVENTUNIT_MICROSEC && sd.identifier && std::strcmp(sd.identifier, nodeNames[k][0]) == 0,
          "node event %u", k);
    QnnProfile_ExtendedEventData_t xd;
    CHECK(c.fn<QnnProfile_GetExtendedEventDataFn_t>(abi::kProfileGetExtendedEventData)(subs[k], &xd) == QNN_SUCCESS && xd.version == QNN_PROFILE_DATA_VERSION_1 &&
              xd.v1.type == QNN_PROFILE_EVENTTYPE_NODE && xd.v1.value.dataType == QNN_DATATYPE_UINT_64 && xd.v1.value.uint64Value == sd.value && xd.v1.timestamp > 0,
          "extended node event %u", k);
    const QnnProfile_EventId_t* opIds = nullptr;
    uint32_t nop = 0;
    QnnProfile_EventData_t od;
    CHECK(c.fn<QnnProfile_GetSubEventsFn_t>(abi::kProfileGetSubEvents)(subs[k], &opIds, &nop) == QNN_SUCCESS && nop == 1 &&
              c.fn<QnnProfile_GetEventDataFn_t>(abi::kProfileGetEventData)(opIds[0], &od) == QNN_SUCCESS && od.unit == QNN_PROFILE_EVENTUNIT_NONE &&
              od.identifier && std::strcmp(od.identifier, nodeNames[k][1]) == 0,
          "op type of node %u", k);
  }
  // The sub-event id array belongs to the profile: keep the id, not the array, past profileFree.
  const QnnProfile_EventId_t firstSub = nsub > 0 ? subs[0] : 0;
  CHECK(c.fn<QnnProfile_FreeFn_t>(abi::kProfileFree)(prof) == QNN_SUCCESS, "profileFree detailed");
  CHECK(nsub > 0 && c.fn<QnnProfile_GetEventDataFn_t>(abi::kProfileGetEventData)(firstSub, &d) == QNN_PROFILE_ERROR_INVALID_HANDLE, "sub-events freed with the profile");

  // HTP perf infrastructure.
  QnnDevice_Infrastructure_t infra = nullptr;
  CHECK(c.fn<QnnDevice_GetInfrastructureFn_t>(abi::kDeviceGetInfrastructure)(&infra) == QNN_SUCCESS && infra, "deviceGetInfrastructure");
  auto* htp = reinterpret_cast<QnnHtpDevice_Infrastructure_t*>(infra);
  uint32_t pid = 0;
  CHECK(htp->perfInfra.createPowerConfigId(0, 0, &pid) == QNN_SUCCESS && pid, "createPowerConfigId");
  QnnHtpPerfInfrastructure_PowerConfig_t pc;
  std::memset(&pc, 0, sizeof pc);
  pc.option = QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_DCVS_V3;
  pc.dcvsV3Config.powerMode = QNN_HTP_PERF_INFRASTRUCTURE_POWERMODE_PERFORMANCE_MODE;
  const QnnHtpPerfInfrastructure_PowerConfig_t* pcs[] = {&pc, nullptr};
  CHECK(htp->perfInfra.setPowerConfig(pid, pcs) == QNN_SUCCESS, "setPowerConfig");
  CHECK(htp->perfInfra.setPowerConfig(pid + 100, pcs) != QNN_SUCCESS, "setPowerConfig with unknown id");
  // Refused as the HTP headers document: an unknown option, a value outside its enum, an
  // RPC polling time above 9999 us; NULL (no configs) is allowed.
  CHECK(htp->perfInfra.setPowerConfig(pid, nullptr) == QNN_SUCCESS, "setPowerConfig(NULL)");
  QnnHtpPerfInfrastructure_PowerConfig_t odd;
  std::memset(&odd, 0, sizeof odd);
  odd.option = static_cast<QnnHtpPerfInfrastructure_PowerConfigOption_t>(42);
  const QnnHtpPerfInfrastructure_PowerConfig_t* odds[] = {&odd, nullptr};
  CHECK(code(htp->perfInfra.setPowerConfig(pid, odds)) == QNN_HTP_PERF_INFRASTRUCTURE_ERROR_UNSUPPORTED_CONFIG, "unknown option");
  odd.option = QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_RPC_POLLING_TIME;
  odd.rpcPollingTimeConfig = 10000;
  CHECK(code(htp->perfInfra.setPowerConfig(pid, odds)) == QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "polling > 9999");
  odd.option = QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_DCVS_V3;
  std::memset(&odd.dcvsV3Config, 0, sizeof odd.dcvsV3Config);
  odd.dcvsV3Config.setCoreParams = 1;
  odd.dcvsV3Config.coreVoltageCornerMin = odd.dcvsV3Config.coreVoltageCornerTarget = DCVS_VOLTAGE_VCORNER_SVS;
  odd.dcvsV3Config.coreVoltageCornerMax = static_cast<QnnHtpPerfInfrastructure_VoltageCorner_t>(0x99);
  CHECK(code(htp->perfInfra.setPowerConfig(pid, odds)) == QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "corner 0x99");
  // Options of newer releases: UNSUPPORTED_CONFIG when the emulated backend API lacks them.
  odd.option = QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_DDR_PERF_MODE;
  odd.ddrPerfModeConfig = 1;
  CHECK(htp->perfInfra.setPowerConfig(pid, odds) == QNN_SUCCESS, "DDR_PERF_MODE on 5.43");
  uint32_t badId = 0;
  CHECK(code(htp->perfInfra.createPowerConfigId(0, 1, &badId)) == QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "no core 1");
  CHECK(htp->perfInfra.destroyPowerConfigId(pid) == QNN_SUCCESS, "destroyPowerConfigId");
  CHECK(code(htp->perfInfra.destroyPowerConfigId(pid)) == QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "destroy twice");

  // Fault injection.
  setenv("QNN_REFERENCE_FAIL", "graphExecute=6031", 1);
  Qnn_ErrorHandle_t st = 0;
  run(sess, g, {{"x", bytes(x)}}, &st);
  CHECK(code(st) == QNN_GRAPH_ERROR_ABORTED, "injected failure -> %u", code(st));
  unsetenv("QNN_REFERENCE_FAIL");

  // Bad binaries.
  auto load = [&](const std::vector<uint8_t>& b) {
    Qnn_ContextHandle_t ctx = nullptr;
    Qnn_ErrorHandle_t r = c.fn<QnnContext_CreateFromBinaryFn_t>(abi::kContextCreateFromBinary)(sess.backend, nullptr, nullptr, b.data(), b.size(), &ctx, nullptr);
    if (r == QNN_SUCCESS) c.fn<QnnContext_FreeFn_t>(abi::kContextFree)(ctx, nullptr);
    return r;
  };
  std::vector<uint8_t> bad = basic;
  bad[0] = 'X';
  CHECK(code(load(bad)) == QNN_CONTEXT_ERROR_CREATE_FROM_BINARY, "bad magic");
  bad = basic;
  bad[8] = 2;
  fixChecksum(bad);
  CHECK(code(load(bad)) == QNN_CONTEXT_ERROR_BINARY_VERSION, "bad version");
  bad = basic;
  bad[200] ^= 0x40;
  e = load(bad);
  CHECK(code(e) == QNN_CONTEXT_ERROR_CREATE_FROM_BINARY && message(c, e).find("checksum") != std::string::npos, "checksum: %s", message(c, e).c_str());
  bad.assign(basic.begin(), basic.begin() + long(basic.size() - 1));
  CHECK(code(load(bad)) == QNN_CONTEXT_ERROR_CREATE_FROM_BINARY, "truncated");
  Qnn_ContextHandle_t ctx = nullptr;
  CHECK(code(c.fn<QnnContext_CreateFromBinaryFn_t>(abi::kContextCreateFromBinary)(sess.backend, nullptr, nullptr, nullptr, 10, &ctx, nullptr)) ==
            QNN_CONTEXT_ERROR_INVALID_ARGUMENT,
        "NULL buffer");
  close(sess);
}

static void testFuzz(const std::string& dir) {
  Core c = getCore(kCases[0].env);
  System s = getSystem(kCases[0].env);
  auto& st = s.iface->QNN_SYSTEM_INTERFACE_VER_NAME;
  QnnSystemContext_Handle_t sys = nullptr;
  CHECK(st.systemContextCreate(&sys) == QNN_SUCCESS, "systemContextCreate");
  Session sess;
  CHECK(open(sess, c, readFile(dir + "/basic.bin")) == QNN_SUCCESS, "load");
  auto create = c.fn<QnnContext_CreateFromBinaryFn_t>(abi::kContextCreateFromBinary);
  auto freeCtx = c.fn<QnnContext_FreeFn_t>(abi::kContextFree);
  const char* seedEnv = std::getenv("QNNREF_FUZZ_SEED");
  std::mt19937 rng(seedEnv ? uint32_t(std::strtoul(seedEnv, nullptr, 10)) : 12345u);
  int loaded = 0, rejected = 0, executed = 0;
  for (const char* name : {"basic.bin", "ops.bin", "shared.bin"}) {
    std::vector<uint8_t> orig = readFile(dir + "/" + name);
    uint32_t meta;
    std::memcpy(&meta, orig.data() + 32, 4);
    const char* itersEnv = std::getenv("QNNREF_FUZZ_ITERS");
    const int iters = itersEnv ? std::atoi(itersEnv) : 1500;
    for (int iter = 0; iter < iters; ++iter) {
      std::vector<uint8_t> b = orig;
      int mode = iter % 5;
      if (mode == 4) {
        b.resize(rng() % b.size());
      } else {
        int flips = 1 + int(rng() % 4);
        for (int k = 0; k < flips; ++k) {
          size_t pos = (mode == 3) ? rng() % 128 : rng() % meta;  // header-focused or anywhere in the metadata
          b[pos] = (mode == 2) ? uint8_t(rng()) : uint8_t(b[pos] ^ (1u << (rng() % 8)));
        }
        if (mode != 0) fixChecksum(b);  // get past the checksum to reach the deeper checks
      }
      Qnn_ContextHandle_t ctx = nullptr;
      Qnn_ErrorHandle_t e = create(sess.backend, nullptr, nullptr, b.empty() ? nullptr : b.data(), b.size(), &ctx, nullptr);
      if (e == QNN_SUCCESS) {
        ++loaded;
        // Whatever passed validation must also execute without going out of bounds.
        Info info = describe(s, b, c.core, 43, true);
        Session exec = sess;
        exec.ctx = ctx;
        for (const GraphDesc& g : info.graphs) {
          std::map<std::string, std::vector<uint8_t>> in;
          for (const auto& t : g.inputs) {
            std::vector<uint8_t> data(bytesOf(t.dataType, t.dims), 0);
            if (iter % 2)
              for (auto& x : data) x = uint8_t(rng());
            in[t.name] = data;
          }
          Qnn_ErrorHandle_t st2 = 0;
          run(exec, g, in, &st2);
          ++executed;
        }
        freeCtx(ctx, nullptr);
      } else {
        ++rejected;
        CHECK(code(e) == QNN_CONTEXT_ERROR_CREATE_FROM_BINARY || code(e) == QNN_CONTEXT_ERROR_BINARY_VERSION || code(e) == QNN_CONTEXT_ERROR_INVALID_ARGUMENT,
              "fuzz: unexpected code %u", code(e));
      }
      const QnnSystemContext_BinaryInfo_t* bi = nullptr;
      Qnn_ContextBinarySize_t sz = 0;
      Qnn_ErrorHandle_t se = st.systemContextGetBinaryInfo(sys, b.empty() ? nullptr : b.data(), b.size(), &bi, &sz);
      CHECK(se == QNN_SUCCESS || code(se) == QNN_SYSTEM_CONTEXT_ERROR_MALFORMED_BINARY || code(se) == QNN_SYSTEM_CONTEXT_ERROR_INVALID_ARGUMENT, "fuzz: system code %u", code(se));
    }
  }
  std::printf("fuzz: %d corrupted binaries rejected, %d still valid (e.g. flips in padding), %d graph runs on them\n", rejected, loaded, executed);
  CHECK(rejected > loaded * 4, "most corruptions must be rejected (%d rejected, %d loaded)", rejected, loaded);
  CHECK(st.systemContextFree(sys) == QNN_SUCCESS, "systemContextFree");
  close(sess);
}

// contextFree waits for a graphExecute in flight on that context; the execution completes.
static void testConcurrency(const std::string& dir) {
  Core c = getCore(kCases[0].env);
  System s = getSystem(kCases[0].env);
  std::vector<uint8_t> bin = readFile(dir + "/shared.bin");
  Info info = describe(s, bin, c.core, 43, true);
  Session sess;
  CHECK(open(sess, c, bin) == QNN_SUCCESS, "load");
  setenv("QNN_REFERENCE_EXECUTE_DELAY_MS", "300", 1);
  Qnn_ErrorHandle_t st = 1;
  std::vector<float> result;
  std::thread worker([&] {
    auto out = run(sess, graphNamed(info, "decode"), {{"ids", bytes(std::vector<int32_t>{2})}}, &st);
    result = floats(out["hidden"]);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto t0 = std::chrono::steady_clock::now();
  CHECK(c.fn<QnnContext_FreeFn_t>(abi::kContextFree)(sess.ctx, nullptr) == QNN_SUCCESS, "contextFree during execution");
  double waited = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  worker.join();
  unsetenv("QNN_REFERENCE_EXECUTE_DELAY_MS");
  CHECK(st == QNN_SUCCESS, "execution in flight during contextFree -> %u", code(st));
  expectNear(result, {8, 9, 10, 11}, 0, "decode during contextFree");
  CHECK(waited >= 100, "contextFree returned after %.0f ms, before the execution finished", waited);
  Qnn_GraphHandle_t g = nullptr;
  CHECK(code(c.fn<QnnGraph_RetrieveFn_t>(abi::kGraphRetrieve)(sess.ctx, "decode", &g)) == QNN_CONTEXT_ERROR_INVALID_HANDLE, "freed context handle");
  sess.ctx = nullptr;
  close(sess);
}

static void testBadEnv() {
  setenv("QNN_REFERENCE_API_VERSION", "core=3.0", 1);
  auto get = reinterpret_cast<QnnNode_InterfaceGetProvidersFn_t>(dlsym(g_backendLib, QNN_NODE_INTERFACE_GET_PROVIDERS_SYMBOL));
  const QnnInterface_t** list = nullptr;
  uint32_t n = 0;
  CHECK(get(&list, &n) == QNN_COMMON_ERROR_NOT_SUPPORTED, "unsupported emulated version is refused");
  unsetenv("QNN_REFERENCE_API_VERSION");
  Core c = getCore("");
  CHECK(c.core.minor == 32 && c.iface->apiVersion.backendApiVersion.minor == 43, "defaults: core 2.32, backend 5.43");
}

// The perf infrastructure follows the emulated backend API: options of newer releases
// (HMX_V2 from 5.25, DDR_PERF_MODE from 5.43) are UNSUPPORTED_CONFIG before them.
static void testPowerOptionsByVersion() {
  Core c = getCore("backend=5.20.0");
  QnnDevice_Infrastructure_t infra = nullptr;
  CHECK(c.fn<QnnDevice_GetInfrastructureFn_t>(abi::kDeviceGetInfrastructure)(&infra) == QNN_SUCCESS && infra, "deviceGetInfrastructure");
  auto* htp = reinterpret_cast<QnnHtpDevice_Infrastructure_t*>(infra);
  uint32_t pid = 0;
  CHECK(htp->perfInfra.createPowerConfigId(0, 0, &pid) == QNN_SUCCESS, "createPowerConfigId");
  QnnHtpPerfInfrastructure_PowerConfig_t hmx;
  std::memset(&hmx, 0, sizeof hmx);
  hmx.option = QNN_HTP_PERF_INFRASTRUCTURE_POWER_CONFIGOPTION_HMX_V2;
  hmx.hmxV2Config.hmxVoltageCornerMin = hmx.hmxV2Config.hmxVoltageCornerTarget = hmx.hmxV2Config.hmxVoltageCornerMax = DCVS_EXP_VCORNER_TUR;
  const QnnHtpPerfInfrastructure_PowerConfig_t* cfgs[] = {&hmx, nullptr};
  CHECK(code(htp->perfInfra.setPowerConfig(pid, cfgs)) == QNN_HTP_PERF_INFRASTRUCTURE_ERROR_UNSUPPORTED_CONFIG, "HMX_V2 on 5.20");
  getCore("backend=5.25.0");
  CHECK(htp->perfInfra.setPowerConfig(pid, cfgs) == QNN_SUCCESS, "HMX_V2 on 5.25");
  hmx.hmxV2Config.hmxVoltageCornerMax = DCVS_EXP_VCORNER_NOM_L2;  // a corner of 2.43
  CHECK(code(htp->perfInfra.setPowerConfig(pid, cfgs)) == QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT, "NOM_L2 on 5.25");
  CHECK(htp->perfInfra.destroyPowerConfigId(pid) == QNN_SUCCESS, "destroyPowerConfigId");
  getCore("");
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <fixture-dir> [libQnnReference] [libQnnReferenceSystem] [rpcmem/libcdsprpc.so]\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
#ifdef QNNREF_BACKEND_PATH
  const char* backendPath = argc > 2 ? argv[2] : QNNREF_BACKEND_PATH;
  const char* systemPath = argc > 3 ? argv[3] : QNNREF_SYSTEM_PATH;
#else
  if (argc < 4) return 2;
  const char* backendPath = argv[2];
  const char* systemPath = argv[3];
#endif
#ifdef QNNREF_RPCMEM_PATH
  const char* rpcmemPath = argc > 4 ? argv[4] : QNNREF_RPCMEM_PATH;
#else
  const char* rpcmemPath = argc > 4 ? argv[4] : nullptr;
#endif
  g_backendLib = dlopen(backendPath, RTLD_NOW | RTLD_LOCAL);
  g_systemLib = dlopen(systemPath, RTLD_NOW | RTLD_LOCAL);
  if (!g_backendLib || !g_systemLib) {
    std::fprintf(stderr, "dlopen failed: %s\n", dlerror());
    return 2;
  }
  unsetenv("QNN_REFERENCE_FAIL");
  unsetenv("QNN_REFERENCE_PLAIN_ERRORS");
  testVersions(dir);
  testOps(dir);
  testShared(dir);
  testErrors(dir);
  testFuzz(dir);
  testConcurrency(dir);
  testBadEnv();
  testPowerOptionsByVersion();
  if (rpcmemPath) testSharedMemory(dir, rpcmemPath);
  else std::printf("shared-memory checks skipped: no rpcmem stand-in given (argument 4)\n");
  std::printf("%d checks, %d failures\n", g_checks.load(), g_failures.load());
  return g_failures ? 1 : 0;
}
