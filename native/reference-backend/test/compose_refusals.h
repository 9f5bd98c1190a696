// The compose test's refusal checks: every call of graph construction refused with its QNN
// code and message. compose.cc includes this inside its anonymous namespace, after its
// helpers (Session, Builder, contains, message, code), which it uses; no includes of its own.
#pragma once

void testRefusals() {
  Session s;
  s.c = getCore("core=2.32.0,backend=5.43.0");
  CHECK(s.c.fn<QnnLog_CreateFn_t>(abi::kLogCreate)(logCallback, QNN_LOG_LEVEL_DEBUG, &s.log) == QNN_SUCCESS, "logCreate");
  CHECK(s.c.fn<QnnBackend_CreateFn_t>(abi::kBackendCreate)(s.log, nullptr, &s.backend) == QNN_SUCCESS, "backendCreate");
  Builder b;
  b.c = s.c;
  b.backend = s.backend;
  s.ctx = newContext(s.c, s.backend);
  const Core& c = s.c;
  std::vector<float> w(4, 1.0f);

  // contextCreate / graphCreate
  Qnn_ContextHandle_t none = nullptr;
  REFUSED(c.fn<QnnContext_CreateFn_t>(abi::kContextCreate)(reinterpret_cast<Qnn_BackendHandle_t>(&none), nullptr, nullptr, &none), QNN_CONTEXT_ERROR_INVALID_HANDLE,
          "invalid backend handle");
  QnnContext_Config_t badPriority;
  std::memset(&badPriority, 0, sizeof badPriority);
  badPriority.option = QNN_CONTEXT_CONFIG_OPTION_PRIORITY;
  badPriority.priority = static_cast<Qnn_Priority_t>(7);
  const QnnContext_Config_t* badCtxCfg[] = {&badPriority, nullptr};
  REFUSED(c.fn<QnnContext_CreateFn_t>(abi::kContextCreate)(s.backend, nullptr, badCtxCfg, &none), QNN_CONTEXT_ERROR_INVALID_CONFIG, "invalid priority 7");
  b.graph = newGraph(c, s.ctx, "g");
  Qnn_GraphHandle_t dup = nullptr;
  REFUSED(c.fn<QnnGraph_CreateFn_t>(abi::kGraphCreate)(s.ctx, "g", nullptr, &dup), QNN_GRAPH_ERROR_INVALID_NAME, "already has a graph named 'g'");
  REFUSED(c.fn<QnnGraph_CreateFn_t>(abi::kGraphCreate)(s.ctx, nullptr, nullptr, &dup), QNN_GRAPH_ERROR_INVALID_NAME, "NULL or empty");
  Qnn_ErrorHandle_t st = 0;
  getBinary(c, s.ctx, &st);
  CHECK(code(st) == QNN_CONTEXT_ERROR_NOT_FINALIZED, "getBinarySize with an unfinalized graph -> %u", code(st));

  // tensorCreateGraphTensor
  uint32_t x = b.tensor("x", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_32, {1, 4});
  uint32_t h = b.tensor("h", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {1, 4});
  uint32_t k = b.tensor("k", QNN_TENSOR_TYPE_STATIC, QNN_DATATYPE_FLOAT_32, {4}, w.data(), 16);
  uint32_t y = b.tensor("y", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_FLOAT_32, {1, 4});
  REFUSED(b.create(b.base("x", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {1}), nullptr), QNN_TENSOR_ERROR_ALREADY_EXISTS, "already has a tensor of that name");
  REFUSED(b.create(b.base("bf", QNN_TENSOR_TYPE_NATIVE, 0x0226, {1}), nullptr), QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM, "data type 0x0226");
  REFUSED(b.create(b.base("r9", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {1, 1, 1, 1, 1, 1, 1, 1, 1}), nullptr), QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM,
          "rank 9");
  REFUSED(b.create(b.base("d0", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {2, 0}), nullptr), QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "dimension 1 is 0");
  REFUSED(b.create(b.base("q", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_UFIXED_POINT_8, {2}), nullptr), QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM,
          "without quantization parameters");
  {
    Qnn_TensorV1_t t = b.base("bw", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_UFIXED_POINT_8, {2});
    t.quantizeParams.encodingDefinition = QNN_DEFINITION_DEFINED;
    t.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_BW_SCALE_OFFSET;
    REFUSED(b.create(t, nullptr), QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM, "quantization encoding 2");
    t.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_SCALE_OFFSET;
    t.quantizeParams.scaleOffsetEncoding.scale = 0;
    REFUSED(b.create(t, nullptr), QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "quantization scale 0");
  }
  REFUSED(b.create(b.base("s", QNN_TENSOR_TYPE_STATIC, QNN_DATATYPE_FLOAT_32, {4}), nullptr), QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "needs its data: 16 bytes, got 0");
  REFUSED(b.create(b.base("rw", QNN_TENSOR_TYPE_APP_READWRITE, QNN_DATATYPE_FLOAT_32, {4}), nullptr), QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "APP_READWRITE");
  REFUSED(b.create(b.base("null", QNN_TENSOR_TYPE_NULL, QNN_DATATYPE_FLOAT_32, {4}), nullptr), QNN_TENSOR_ERROR_UNSUPPORTED_TENSOR_PARAM, "tensor type 5");
  {
    Qnn_TensorV1_t t = b.base("dataful", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_32, {4});
    t.clientBuf.data = w.data();
    t.clientBuf.dataSize = 16;
    REFUSED(b.create(t, nullptr), QNN_TENSOR_ERROR_INVALID_TENSOR_PARAM, "created without data");
  }
  REFUSED(b.create(b.base("nameless", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {4}), nullptr, reinterpret_cast<Qnn_GraphHandle_t>(&w)),
          QNN_TENSOR_ERROR_INVALID_HANDLE, "invalid graph handle");

  // graphAddNode
  REFUSED(b.add(b.op("conv", "Conv2d", {x}, {h}, {})), QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "op type 'Conv2d' is not supported");
  REFUSED(b.add(b.op("relu", "Relu", {x}, {h}, {}, "com.example.ops")), QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "op package 'com.example.ops' is not registered");
  REFUSED(b.add(b.op("sm", "Softmax", {x}, {h}, {scalarU32("axes", 1)})), QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "Softmax has no param 'axes' (it takes 'axis', 'beta')");
  REFUSED(b.add(b.op("tr", "Transpose", {x}, {h}, {tensorParam<float>("perm", QNN_DATATYPE_FLOAT_32, {1, 0}, {2})})), QNN_GRAPH_ERROR_INVALID_OP_CONFIG,
          "Transpose needs an int array param 'perm' of length 2");
  REFUSED(b.add(b.op("sm2", "Softmax", {x}, {h}, {scalarF32("axis", 0.5f)})), QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "param 'axis' must be an integer");
  REFUSED(b.add(b.op("half", "Softmax", {x}, {h}, {[] { Param p = scalarF32("beta", 1); p.scalar.dataType = QNN_DATATYPE_FLOAT_16; return p; }()})),
          QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "is a scalar of data type 0x0216");
  REFUSED(b.add(b.op("mm", "MatMul", {x, k}, {h}, {})), QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "MatMul inputs need rank >= 2");
  REFUSED(b.add(b.op("ss", "StridedSlice", {x}, {h}, {tensorParam<int32_t>("ranges", QNN_DATATYPE_INT_32, {0, 1, 1, 0, 4, 1}, {2, 3}), scalarU32("shrink_axes", 1)})),
          QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "StridedSlice param 'shrink_axes' must be 0");
  REFUSED(b.add(b.op("relu", "Relu", {x, k}, {h}, {})), QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "Relu takes 1 inputs and 1 output(s), got 2 and 1");
  REFUSED(b.add(b.op("relu", "Relu", {x}, {9999}, {})), QNN_GRAPH_ERROR_INVALID_TENSOR, "output #0 has id 9999");
  REFUSED(b.add(b.op("relu", "Relu", {h}, {y}, {})), QNN_GRAPH_ERROR_UNCONNECTED_NODE, "input 'h' (NATIVE) is not produced by an earlier node");
  REFUSED(b.add(b.op("relu", "Relu", {x}, {k}, {})), QNN_GRAPH_ERROR_INVALID_TENSOR, "output 'k' is STATIC");
  b.node("relu", "Relu", {x}, {h});
  {
    // StridedSlice as generated model code writes it: ranges [rank, 3] and zero masks.
    uint32_t sl = b.tensor("sl", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {1, 2});
    b.node("slice", "StridedSlice", {h}, {sl},
           {tensorParam<int32_t>("ranges", QNN_DATATYPE_INT_32, {0, 1, 1, 1, 4, 2}, {2, 3}), scalarU32("begin_mask", 0), scalarU32("end_mask", 0),
            scalarU32("shrink_axes", 0), scalarU32("new_axes_mask", 0)});
  }
  REFUSED(b.add(b.op("relu", "ElementWiseNeg", {x}, {y}, {})), QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "already has a node of that name");
  REFUSED(b.add(b.op("again", "Relu", {x}, {h}, {})), QNN_GRAPH_ERROR_INVALID_TENSOR, "output 'h' is produced twice");
  {
    Qnn_OpConfig_t o = b.op("v", "Relu", {x}, {y}, {});
    o.version = static_cast<Qnn_OpConfigVersion_t>(2);
    REFUSED(b.add(o), QNN_GRAPH_ERROR_INVALID_OP_CONFIG, "op config version 2");
  }
  // A tensor of another graph is not this graph's.
  Qnn_GraphHandle_t other = newGraph(c, s.ctx, "other");
  Qnn_GraphHandle_t g = b.graph;
  b.graph = other;
  uint32_t ox = b.tensor("x", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_32, {1, 4});  // same name, other graph: fine
  REFUSED(b.add(b.op("relu", "Relu", {x}, {ox}, {})), QNN_GRAPH_ERROR_INVALID_TENSOR, "a tensor of another graph");
  REFUSED(finalize(c, other), QNN_GRAPH_ERROR_FINALIZE_FAILED, "graph 'other' has no nodes");
  b.graph = g;
  REFUSED(finalize(c, g), QNN_GRAPH_ERROR_FINALIZE_FAILED, "output 'y' is never produced by a node");
  b.node("neg", "ElementWiseNeg", {h}, {y});
  CHECK(finalize(c, g) == QNN_SUCCESS, "graphFinalize(g)");
  REFUSED(b.add(b.op("late", "Relu", {x}, {y}, {})), QNN_GRAPH_ERROR_GRAPH_FINALIZED, "graph 'g' is finalized");
  REFUSED(b.create(b.base("late", QNN_TENSOR_TYPE_NATIVE, QNN_DATATYPE_FLOAT_32, {4}), nullptr), QNN_GRAPH_ERROR_GRAPH_FINALIZED, "graph 'g' is finalized");

  // backendValidateOpConfig: the same checks on the tensors the config describes.
  {
    std::vector<uint32_t> d2{2, 3}, d3{3, 2};
    Builder v = b;
    auto described = [&](uint32_t dt, std::vector<uint32_t>* dims) {
      Qnn_TensorV1_t t = v.base(nullptr, QNN_TENSOR_TYPE_NATIVE, dt, *dims);
      return t;
    };
    auto opWith = [&](const char* type, std::vector<Qnn_TensorV1_t> in, std::vector<Qnn_TensorV1_t> out, std::vector<Param> params) {
      Qnn_OpConfig_t o = v.op("node_x", type, {}, {}, params);
      auto fill = [&](std::vector<Qnn_TensorV1_t>& ts) {
        v.buffers.emplace_back(ts.size() * v.stride() + 1, 0);
        for (size_t i = 0; i < ts.size(); ++i) {
          uint32_t ver = v.version();
          std::memcpy(v.buffers.back().data() + i * v.stride(), &ver, 4);
          std::memcpy(v.buffers.back().data() + i * v.stride() + 8, &ts[i], sizeof ts[i]);
        }
        return reinterpret_cast<Qnn_Tensor_t*>(v.buffers.back().data());
      };
      o.v1.numOfInputs = uint32_t(in.size());
      o.v1.inputTensors = fill(in);
      o.v1.numOfOutputs = uint32_t(out.size());
      o.v1.outputTensors = fill(out);
      return o;
    };
    Param perm = tensorParam<uint32_t>("perm", QNN_DATATYPE_UINT_32, {1, 0}, {2});
    CHECK(v.validate(opWith("Transpose", {described(QNN_DATATYPE_FLOAT_32, &d2)}, {described(QNN_DATATYPE_FLOAT_32, &d3)}, {perm})) == QNN_SUCCESS,
          "validateOpConfig(Transpose) accepted");
    size_t logsBefore = g_logs.size();
    Qnn_ErrorHandle_t e = v.validate(opWith("Transpose", {described(QNN_DATATYPE_FLOAT_32, &d2)}, {described(QNN_DATATYPE_FLOAT_32, &d2)}, {perm}));
    std::string msg = message(c, e);
    CHECK(code(e) == 3110 && contains(msg, "Failed to validate op node_x with error 0xc26 (3110)") && contains(msg, "has dims [2, 3], expected [3, 2]"),
          "validateOpConfig(bad Transpose) -> %u '%s'", code(e), msg.c_str());
    bool logged = false;
    for (size_t i = logsBefore; i < g_logs.size(); ++i) logged = logged || (contains(g_logs[i], "1 ") && contains(g_logs[i], "Failed to validate op node_x"));
    CHECK(logged, "the refusal reached the log callback at ERROR");
    e = v.validate(opWith("Conv2d", {described(QNN_DATATYPE_FLOAT_32, &d2)}, {described(QNN_DATATYPE_FLOAT_32, &d2)}, {}));
    CHECK(code(e) == QNN_BACKEND_ERROR_OP_PACKAGE_NOT_FOUND && contains(message(c, e), "op type 'Conv2d' is not supported"), "validateOpConfig(Conv2d) -> %u", code(e));
    e = v.validate(opWith("Relu", {described(QNN_DATATYPE_FLOAT_32, &d2)}, {described(QNN_DATATYPE_FLOAT_32, &d2)}, {scalarU32("alpha", 1)}));
    CHECK(code(e) == 3110 && contains(message(c, e), "Relu has no param 'alpha' (it takes none)"), "validateOpConfig(Relu alpha) -> %u", code(e));
    e = v.validate(opWith("Relu", {described(0x0226, &d2)}, {described(QNN_DATATYPE_FLOAT_32, &d2)}, {}));
    CHECK(code(e) == 3110 && contains(message(c, e), "input #0: data type 0x0226"), "validateOpConfig(bfloat16) -> %u '%s'", code(e), message(c, e).c_str());
  }

  // A context without graphs has nothing to serialize.
  Qnn_ContextHandle_t empty = newContext(c, s.backend);
  getBinary(c, empty, &st);
  CHECK(code(st) == QNN_CONTEXT_ERROR_GET_BINARY_SIZE_FAILED && contains(message(c, st), "no graphs"), "getBinarySize of an empty context -> %u", code(st));
  CHECK(c.fn<QnnContext_FreeFn_t>(abi::kContextFree)(empty, nullptr) == QNN_SUCCESS, "contextFree(empty)");

  // QNN_REFERENCE_CONTEXT_BINARY=unsupported: a backend that cannot serialize (QnnCpu).
  CHECK(finalize(c, other) != QNN_SUCCESS, "other still has no nodes");
  Qnn_ContextHandle_t one = newContext(c, s.backend);
  b.graph = newGraph(c, one, "one");
  uint32_t i1 = b.tensor("i", QNN_TENSOR_TYPE_APP_WRITE, QNN_DATATYPE_FLOAT_32, {4});
  uint32_t o1 = b.tensor("o", QNN_TENSOR_TYPE_APP_READ, QNN_DATATYPE_FLOAT_32, {4});
  b.node("relu", "Relu", {i1}, {o1});
  CHECK(finalize(c, b.graph) == QNN_SUCCESS, "graphFinalize(one)");
  setenv("QNN_REFERENCE_CONTEXT_BINARY", "unsupported", 1);
  Qnn_ContextBinarySize_t size = 0;
  REFUSED(c.fn<QnnContext_GetBinarySizeFn_t>(abi::kContextGetBinarySize)(one, &size), QNN_COMMON_ERROR_NOT_SUPPORTED, "cannot serialize contexts");
  std::vector<uint8_t> buf(4096);
  REFUSED(c.fn<QnnContext_GetBinaryFn_t>(abi::kContextGetBinary)(one, buf.data(), buf.size(), &size), QNN_COMMON_ERROR_NOT_SUPPORTED, "cannot serialize contexts");
  unsetenv("QNN_REFERENCE_CONTEXT_BINARY");
  CHECK(!getBinary(c, one).empty(), "serializes again without the knob");
  CHECK(c.fn<QnnContext_FreeFn_t>(abi::kContextFree)(one, nullptr) == QNN_SUCCESS, "contextFree(one)");
  close(s);
}
