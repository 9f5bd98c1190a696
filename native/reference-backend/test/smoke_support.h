// The smoke test's client harness (smoke.cc): the libraries loaded with dlopen, binary
// info deep-copied as a client must, sessions, tensor arrays laid out with the emulated
// version's stride, and value helpers. Header-only: smoke.cc is its one includer, and the
// cross build (scripts/cross/verify.cjs) compiles smoke.cc alone.
#pragma once

#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <chrono>
#include <vector>

#include "qnn/qnn_abi_compat.h"
#include "qnn/qnn_api.h"
#include "qnn/qnn_status_names.h"


namespace abi = qnn_node::abi;

static std::atomic<int> g_failures{0};
static std::atomic<int> g_checks{0};
#define CHECK(cond, ...)                                                     \
  do {                                                                       \
    ++g_checks;                                                              \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
      std::fprintf(stderr, __VA_ARGS__);                                     \
      std::fputc('\n', stderr);                                              \
      ++g_failures;                                                          \
    }                                                                        \
  } while (0)

static uint32_t code(Qnn_ErrorHandle_t e) { return uint32_t(e & 0xFFFF); }

static std::vector<uint8_t> readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

static uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

static void fixChecksum(std::vector<uint8_t>& b) {
  if (b.size() < 128) return;
  uint32_t meta;
  std::memcpy(&meta, b.data() + 32, 4);
  if (meta < 28 || meta > b.size()) return;
  std::memset(b.data() + 24, 0, 4);
  uint32_t c = crc32(b.data(), meta);
  std::memcpy(b.data() + 24, &c, 4);
}

// Returns true if f() dies of SIGSEGV/SIGBUS in a child process.
static bool faults(const std::function<void()>& f) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    f();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
}

// ---- libraries ------------------------------------------------------------------------------

static void* g_backendLib = nullptr;
static void* g_systemLib = nullptr;

struct Core {
  const QnnInterface_t* iface = nullptr;
  abi::Version core{0, 0, 0};
  template <typename F>
  F fn(uint32_t slot) const {
    return reinterpret_cast<F>(abi::readCoreSlot(iface, core, slot));
  }
};

struct System {
  const QnnSystemInterface_t* iface = nullptr;
  abi::Version version{0, 0, 0};
};

static Core getCore(const char* env) {
  setenv("QNN_REFERENCE_API_VERSION", env, 1);
  auto get = reinterpret_cast<QnnNode_InterfaceGetProvidersFn_t>(dlsym(g_backendLib, QNN_NODE_INTERFACE_GET_PROVIDERS_SYMBOL));
  Core c;
  const QnnInterface_t** list = nullptr;
  uint32_t n = 0;
  Qnn_ErrorHandle_t e = get(&list, &n);
  CHECK(e == QNN_SUCCESS && n == 1 && list && list[0], "getProviders(%s) -> %llu", env, (unsigned long long)e);
  if (e != QNN_SUCCESS || !n) std::exit(1);
  c.iface = list[0];
  c.core = abi::Version{c.iface->apiVersion.coreApiVersion.major, c.iface->apiVersion.coreApiVersion.minor, c.iface->apiVersion.coreApiVersion.patch};
  return c;
}

static System getSystem(const char* env) {
  setenv("QNN_REFERENCE_API_VERSION", env, 1);
  auto get = reinterpret_cast<QnnNode_SystemInterfaceGetProvidersFn_t>(dlsym(g_systemLib, QNN_NODE_SYSTEM_INTERFACE_GET_PROVIDERS_SYMBOL));
  System s;
  const QnnSystemInterface_t** list = nullptr;
  uint32_t n = 0;
  Qnn_ErrorHandle_t e = get(&list, &n);
  CHECK(e == QNN_SUCCESS && n == 1, "system getProviders(%s) -> %llu", env, (unsigned long long)e);
  if (e != QNN_SUCCESS || !n) std::exit(1);
  s.iface = list[0];
  s.version = abi::Version{s.iface->systemApiVersion.major, s.iface->systemApiVersion.minor, s.iface->systemApiVersion.patch};
  return s;
}

// ---- binary info, deep-copied as a client must --------------------------------------------

struct TensorDesc {
  uint32_t id;
  std::string name;
  uint32_t dataType;
  std::vector<uint32_t> dims;
  uint32_t encoding;
  float scale;
  int32_t offset;
};
struct GraphDesc {
  std::string name;
  std::vector<TensorDesc> inputs, outputs;
};
struct Info {
  uint32_t version = 0;
  uint32_t graphInfoVersion = 0;
  std::string buildId;
  std::vector<GraphDesc> graphs;
};

static std::vector<TensorDesc> copyTensors(const uint8_t* base, uint32_t n, size_t stride) {
  std::vector<TensorDesc> out;
  for (uint32_t i = 0; i < n; ++i) {
    Qnn_TensorV1_t t;
    std::memcpy(&t, base + i * stride + 8, sizeof t);
    TensorDesc d{t.id, t.name ? t.name : "", uint32_t(t.dataType), std::vector<uint32_t>(t.dimensions, t.dimensions + t.rank),
                 uint32_t(t.quantizeParams.quantizationEncoding), t.quantizeParams.scaleOffsetEncoding.scale, t.quantizeParams.scaleOffsetEncoding.offset};
    out.push_back(d);
  }
  return out;
}

static Info describe(const System& s, std::vector<uint8_t>& bytes, abi::Version core, uint32_t backendMinor, bool quiet = false) {
  Info info;
  auto& t = s.iface->QNN_SYSTEM_INTERFACE_VER_NAME;
  QnnSystemContext_Handle_t h = nullptr;
  CHECK(t.systemContextCreate(&h) == QNN_SUCCESS, "systemContextCreate");
  const QnnSystemContext_BinaryInfo_t* bi = nullptr;
  Qnn_ContextBinarySize_t size = 0;
  Qnn_ErrorHandle_t e = t.systemContextGetBinaryInfo(h, bytes.data(), bytes.size(), &bi, &size);
  if (!quiet) CHECK(e == QNN_SUCCESS && bi && size == 144, "getBinaryInfo -> %llu", (unsigned long long)e);
  if (e != QNN_SUCCESS) {
    t.systemContextFree(h);
    return info;
  }
  info.version = bi->version;
  const auto* raw = reinterpret_cast<const uint8_t*>(bi) + abi::kBinaryInfoUnionOffset;
  uint32_t numGraphs;
  const uint8_t* graphs;
  if (bi->version == QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_3) {
    std::memcpy(&numGraphs, raw + abi::kBinaryInfoV3NumGraphs, 4);
    std::memcpy(&graphs, raw + abi::kBinaryInfoV3Graphs, sizeof graphs);
    info.buildId = bi->contextBinaryInfoV3.buildId;
  } else {
    std::memcpy(&numGraphs, raw + abi::kBinaryInfoV1V2NumGraphs, 4);
    std::memcpy(&graphs, raw + abi::kBinaryInfoV1V2Graphs, sizeof graphs);
    info.buildId = bi->contextBinaryInfoV1.buildId;
  }
  size_t gStride = abi::graphInfoStride(s.version, backendMinor);
  size_t tStride = abi::tensorStride(core);
  for (uint32_t g = 0; g < numGraphs; ++g) {
    const uint8_t* gi = graphs + g * gStride;
    std::memcpy(&info.graphInfoVersion, gi, 4);
    QnnSystemContext_GraphInfoV1_t v1;
    std::memcpy(&v1, gi + 8, sizeof v1);
    GraphDesc d;
    d.name = v1.graphName;
    d.inputs = copyTensors(reinterpret_cast<const uint8_t*>(v1.graphInputs), v1.numGraphInputs, tStride);
    d.outputs = copyTensors(reinterpret_cast<const uint8_t*>(v1.graphOutputs), v1.numGraphOutputs, tStride);
    info.graphs.push_back(d);
  }
  // Reading one GraphInfo past the array faults (guard page).
  if (!quiet)
    CHECK(faults([&] {
            volatile uint8_t x = graphs[numGraphs * gStride];
            (void)x;
          }),
          "GraphInfo array over-read did not fault");
  CHECK(t.systemContextFree(h) == QNN_SUCCESS, "systemContextFree");
  return info;
}

static const GraphDesc& graphNamed(const Info& info, const std::string& name) {
  for (const auto& g : info.graphs)
    if (g.name == name) return g;
  std::fprintf(stderr, "no graph %s in binary info\n", name.c_str());
  std::exit(1);
}

// ---- execution helpers ----------------------------------------------------------------------

static std::vector<std::string> g_logs;
static void logCallback(const char* fmt, QnnLog_Level_t level, uint64_t, va_list args) {
  char buf[2048];
  std::vsnprintf(buf, sizeof buf, fmt, args);
  g_logs.push_back(std::to_string(int(level)) + " " + buf);
}

struct Session {
  Core c;
  Qnn_LogHandle_t log = nullptr;
  Qnn_BackendHandle_t backend = nullptr;
  Qnn_ContextHandle_t ctx = nullptr;
};

static Qnn_ErrorHandle_t open(Session& s, const Core& c, const std::vector<uint8_t>& bytes, const QnnContext_Config_t** cfg = nullptr) {
  s.c = c;
  CHECK(c.fn<QnnLog_CreateFn_t>(abi::kLogCreate)(logCallback, QNN_LOG_LEVEL_DEBUG, &s.log) == QNN_SUCCESS, "logCreate");
  CHECK(c.fn<QnnBackend_CreateFn_t>(abi::kBackendCreate)(s.log, nullptr, &s.backend) == QNN_SUCCESS, "backendCreate");
  return c.fn<QnnContext_CreateFromBinaryFn_t>(abi::kContextCreateFromBinary)(s.backend, nullptr, cfg, bytes.data(), bytes.size(), &s.ctx, nullptr);
}

static void close(Session& s) {
  if (s.ctx) CHECK(s.c.fn<QnnContext_FreeFn_t>(abi::kContextFree)(s.ctx, nullptr) == QNN_SUCCESS, "contextFree");
  CHECK(s.c.fn<QnnBackend_FreeFn_t>(abi::kBackendFree)(s.backend) == QNN_SUCCESS, "backendFree");
  CHECK(s.c.fn<QnnLog_FreeFn_t>(abi::kLogFree)(s.log) == QNN_SUCCESS, "logFree");
  s = Session();
}

static std::string message(const Core& c, Qnn_ErrorHandle_t e) {
  auto get = c.fn<QnnError_GetMessageFn_t>(abi::kErrorGetMessage);
  if (!get) return "";
  const char* m = nullptr;
  if (get(e, &m) != QNN_SUCCESS || !m) return "";
  return m;
}

// An array of Qnn_Tensor_t with the stride of the emulated version.
struct TensorArray {
  size_t stride;
  std::vector<uint8_t> storage;
  std::vector<std::vector<uint32_t>> dims;
  explicit TensorArray(size_t s) : stride(s) {}
  Qnn_TensorV1_t& add(const TensorDesc& d, void* data, uint32_t size, uint32_t version = 0) {
    dims.reserve(16);
    dims.push_back(d.dims);
    size_t at = storage.size();
    storage.resize(at + stride, 0);
    uint32_t v = version ? version : (stride == abi::kTensorStrideV1Era ? 1 : 2);
    std::memcpy(storage.data() + at, &v, 4);
    Qnn_TensorV1_t t;
    std::memset(&t, 0, sizeof t);
    t.id = d.id;
    t.name = nullptr;
    t.type = QNN_TENSOR_TYPE_APP_WRITE;
    t.dataType = static_cast<Qnn_DataType_t>(d.dataType);
    t.quantizeParams.encodingDefinition = QNN_DEFINITION_UNDEFINED;
    t.quantizeParams.quantizationEncoding = QNN_QUANTIZATION_ENCODING_UNDEFINED;
    t.rank = uint32_t(d.dims.size());
    t.dimensions = dims.back().data();
    t.memType = QNN_TENSORMEMTYPE_RAW;
    t.clientBuf.data = data;
    t.clientBuf.dataSize = size;
    std::memcpy(storage.data() + at + 8, &t, sizeof t);
    return *reinterpret_cast<Qnn_TensorV1_t*>(storage.data() + at + 8);
  }
  uint32_t count() const { return uint32_t(storage.size() / stride); }
  Qnn_Tensor_t* ptr() { return reinterpret_cast<Qnn_Tensor_t*>(storage.data()); }
};

static Qnn_GraphHandle_t retrieve(const Session& s, const char* name) {
  Qnn_GraphHandle_t g = nullptr;
  Qnn_ErrorHandle_t e = s.c.fn<QnnGraph_RetrieveFn_t>(abi::kGraphRetrieve)(s.ctx, name, &g);
  CHECK(e == QNN_SUCCESS && g, "graphRetrieve(%s) -> %u", name, code(e));
  return g;
}

static size_t bytesOf(uint32_t dt, const std::vector<uint32_t>& dims) {
  size_t n = 1;
  for (auto d : dims) n *= d;
  uint32_t bits = dt & 0xFF;
  if (bits == 0x04) return (n + 1) / 2;
  uint32_t b = bits == 0x08 ? 1 : bits == 0x16 ? 2 : bits == 0x32 ? 4 : bits == 0x64 ? 8 : 0;
  return n * b;
}

// Runs a graph with named inputs (given in `order` of the binary info unless reversed);
// returns outputs by name.
static std::map<std::string, std::vector<uint8_t>> run(const Session& s, const GraphDesc& g, std::map<std::string, std::vector<uint8_t>> in,
                                                       Qnn_ErrorHandle_t* status = nullptr, bool reverse = false,
                                                       Qnn_ProfileHandle_t profile = nullptr) {
  size_t stride = abi::tensorStride(s.c.core);
  TensorArray inputs(stride), outputs(stride);
  std::vector<const TensorDesc*> order;
  for (const auto& t : g.inputs) order.push_back(&t);
  if (reverse) std::reverse(order.begin(), order.end());
  for (const TensorDesc* t : order) inputs.add(*t, in[t->name].data(), uint32_t(in[t->name].size()));
  std::map<std::string, std::vector<uint8_t>> out;
  for (const auto& t : g.outputs) out[t.name].assign(bytesOf(t.dataType, t.dims), 0xCD);
  for (const auto& t : g.outputs) outputs.add(t, out[t.name].data(), uint32_t(out[t.name].size()));
  Qnn_GraphHandle_t h = retrieve(s, g.name.c_str());
  Qnn_ErrorHandle_t e = s.c.fn<QnnGraph_ExecuteFn_t>(abi::kGraphExecute)(h, inputs.ptr(), inputs.count(), outputs.ptr(), outputs.count(), profile, nullptr);
  if (status) *status = e;
  else CHECK(e == QNN_SUCCESS, "graphExecute(%s) -> %u: %s", g.name.c_str(), code(e), message(s.c, e).c_str());
  return out;
}

template <typename T>
static std::vector<uint8_t> bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

static std::vector<float> floats(const std::vector<uint8_t>& b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

static void expectNear(const std::vector<float>& got, const std::vector<float>& want, float tol, const char* what) {
  CHECK(got.size() == want.size(), "%s: %zu values, expected %zu", what, got.size(), want.size());
  for (size_t i = 0; i < got.size() && i < want.size(); ++i)
    CHECK(std::fabs(got[i] - want[i]) <= tol * (1 + std::fabs(want[i])), "%s[%zu] = %.7g, expected %.7g", what, i, got[i], want[i]);
}

static std::vector<float> mlpExpected(const std::vector<float>& x) {
  std::vector<float> out(3);
  const float b[3] = {0.5f, -1.f, 2.f};
  for (int j = 0; j < 3; ++j) {
    float acc = 0;
    for (int i = 0; i < 4; ++i) acc += x[i] * float(3 * i + j + 1);
    out[j] = std::max(0.f, acc + b[j]);
  }
  return out;
}
