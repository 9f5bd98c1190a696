// qnn-bench-harness: the floor for qnn-node's binding overhead and load path.
//
// A small C++ program that dlopens a QNN backend (the reference backend in CI) and its
// System library and calls the same QNN C API the addon calls, with nothing in between:
// what `graph.runSync()` / `qnn.loadContext()` cost on top of this is the binding's
// overhead. It also evicts files from the page cache for cold-cache load benchmarks.
//
//   qnn-bench-harness exec --backend <lib> --system <lib> --binary <ctx.bin>
//                          [--graph <name>] [--count N] [--warmup N] [--batch N]
//       load the context (timing map / create / retrieve), then time graphExecute: each
//       call on its own (distribution), then `count` calls in batches of N (default 1000)
//       without a clock per call (batchMedianUs: median over batches of the per-call mean).
//   qnn-bench-harness read <file>       read the file into memory (the load floor)
//   qnn-bench-harness evict <file>      posix_fadvise(DONTNEED) after fdatasync; reports
//                                       the resident fraction (mincore) before and after
//   qnn-bench-harness resident <file>   the resident fraction only
//
// Output: one JSON object on stdout. Errors: a JSON object {"error": "..."} and exit 1.
// Supports libraries reporting core API >= 2.14 and System API >= 1.2 (the layouts of
// native/qnn; older layouts are the addon's business, see native/qnn/qnn_abi_compat.h).
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "qnn/qnn_abi_compat.h"
#include "qnn/qnn_api.h"

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

[[noreturn]] void fail(const std::string& message) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  std::printf("{\"error\":\"%s\"}\n", escaped.c_str());
  std::exit(1);
}

void check(Qnn_ErrorHandle_t status, const char* what) {
  if (status != QNN_SUCCESS) fail(std::string(what) + " failed with status " + std::to_string(QNN_GET_ERROR_CODE(status)));
}

long peakRssBytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss * 1024L;
}

// ---- page cache ------------------------------------------------------------------------

double residentFraction(int fd, size_t size) {
  if (size == 0) return 0;
  void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) fail(std::string("mmap: ") + std::strerror(errno));
  long page = sysconf(_SC_PAGESIZE);
  size_t pages = (size + page - 1) / page;
  std::vector<unsigned char> vec(pages);
  if (mincore(p, size, vec.data()) != 0) fail(std::string("mincore: ") + std::strerror(errno));
  munmap(p, size);
  size_t resident = 0;
  for (unsigned char v : vec) resident += v & 1;
  return static_cast<double>(resident) / pages;
}

int openOrFail(const char* path, size_t* size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) fail(std::string("open ") + path + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) fail(std::string("fstat: ") + std::strerror(errno));
  *size = static_cast<size_t>(st.st_size);
  return fd;
}

int cmdEvict(const char* path, bool evict) {
  size_t size = 0;
  int fd = openOrFail(path, &size);
  double before = residentFraction(fd, size);
  if (!evict) {
    std::printf("{\"resident\":%.6f}\n", before);
    close(fd);
    return 0;
  }
  fdatasync(fd);  // dirty pages cannot be dropped
  int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  if (rc != 0) fail(std::string("posix_fadvise: ") + std::strerror(rc));
  double after = residentFraction(fd, size);
  close(fd);
  std::printf("{\"method\":\"fadvise\",\"residentBefore\":%.6f,\"residentAfter\":%.6f}\n", before, after);
  return 0;
}

int cmdRead(const char* path) {
  auto t0 = Clock::now();
  size_t size = 0;
  int fd = openOrFail(path, &size);
  char* buf = static_cast<char*>(std::malloc(size ? size : 1));
  if (!buf) fail("out of memory");
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, buf + done, std::min<size_t>(size - done, 1u << 30));
    if (n < 0) fail(std::string("read: ") + std::strerror(errno));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  double ms = msSince(t0);
  volatile char sink = size ? buf[size - 1] : 0;
  (void)sink;
  std::free(buf);
  std::printf("{\"bytes\":%zu,\"readMs\":%.6f,\"peakRssBytes\":%ld}\n", done, ms, peakRssBytes());
  return 0;
}

// ---- exec ------------------------------------------------------------------------------

size_t bitsOf(Qnn_DataType_t type) {
  uint32_t low = static_cast<uint32_t>(type) & 0xff;  // "hex-looking decimal": 0x32 = 32 bits
  return (low >> 4) * 10 + (low & 0xf);
}

size_t bytesOf(const Qnn_TensorV1_t& t) {
  size_t n = 1;
  for (uint32_t i = 0; i < t.rank; i++) n *= t.dimensions[i];
  return (n * bitsOf(t.dataType) + 7) / 8;
}

struct Stats {
  double min, median, mean, p95, p99, max;
};

Stats summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto q = [&](double p) {
    double pos = (v.size() - 1) * p;
    size_t lo = static_cast<size_t>(std::floor(pos)), hi = static_cast<size_t>(std::ceil(pos));
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
  };
  double sum = 0;
  for (double x : v) sum += x;
  return {v.front(), q(0.5), sum / v.size(), q(0.95), q(0.99), v.back()};
}

const char* argValue(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 2; i + 1 < argc; i++)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

void* openLibrary(const char* path) {
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) fail(std::string("dlopen ") + path + ": " + dlerror());
  return lib;
}

int cmdExec(int argc, char** argv) {
  const char* backendPath = argValue(argc, argv, "--backend", nullptr);
  const char* systemPath = argValue(argc, argv, "--system", nullptr);
  const char* binaryPath = argValue(argc, argv, "--binary", nullptr);
  const char* graphName = argValue(argc, argv, "--graph", nullptr);
  long count = std::atol(argValue(argc, argv, "--count", "10000"));
  long warmup = std::atol(argValue(argc, argv, "--warmup", "100"));
  long batch = std::atol(argValue(argc, argv, "--batch", "1000"));
  if (!backendPath || !systemPath || !binaryPath) fail("exec needs --backend, --system and --binary");
  if (count < 1 || warmup < 0 || batch < 1) fail("--count and --batch must be >= 1, --warmup >= 0");

  // Libraries and providers.
  void* backendLib = openLibrary(backendPath);
  void* systemLib = openLibrary(systemPath);
  auto getProviders = reinterpret_cast<QnnNode_InterfaceGetProvidersFn_t>(dlsym(backendLib, QNN_NODE_INTERFACE_GET_PROVIDERS_SYMBOL));
  auto getSystemProviders =
      reinterpret_cast<QnnNode_SystemInterfaceGetProvidersFn_t>(dlsym(systemLib, QNN_NODE_SYSTEM_INTERFACE_GET_PROVIDERS_SYMBOL));
  if (!getProviders || !getSystemProviders) fail("provider symbols not found");
  const QnnInterface_t** providers = nullptr;
  uint32_t numProviders = 0;
  check(getProviders(&providers, &numProviders), "QnnInterface_getProviders");
  if (numProviders == 0) fail("no providers");
  const QnnInterface_t* iface = providers[0];
  const Qnn_Version_t core = iface->apiVersion.coreApiVersion;
  if (core.major != 2 || core.minor < 14) fail("core API " + std::to_string(core.major) + "." + std::to_string(core.minor) + " < 2.14");
  const auto& api = iface->QNN_INTERFACE_VER_NAME;
  const QnnSystemInterface_t** sysProviders = nullptr;
  uint32_t numSys = 0;
  check(getSystemProviders(&sysProviders, &numSys), "QnnSystemInterface_getProviders");
  if (numSys == 0) fail("no system providers");
  const Qnn_Version_t sysVersion = sysProviders[0]->systemApiVersion;
  if (sysVersion.major != 1 || sysVersion.minor < 2) fail("System API < 1.2");
  const auto& sys = sysProviders[0]->QNN_SYSTEM_INTERFACE_VER_NAME;

  Qnn_BackendHandle_t backend = nullptr;
  check(api.backendCreate(nullptr, nullptr, &backend), "backendCreate");

  // Load: map, binary info, create, retrieve.
  auto t0 = Clock::now();
  size_t size = 0;
  int fd = openOrFail(binaryPath, &size);
  void* mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapped == MAP_FAILED) fail(std::string("mmap: ") + std::strerror(errno));
  close(fd);
  double mapMs = msSince(t0);

  auto t1 = Clock::now();
  QnnSystemContext_Handle_t sysCtx = nullptr;
  check(sys.systemContextCreate(&sysCtx), "systemContextCreate");
  const QnnSystemContext_BinaryInfo_t* info = nullptr;
  Qnn_ContextBinarySize_t infoSize = 0;
  check(sys.systemContextGetBinaryInfo(sysCtx, mapped, size, &info, &infoSize), "systemContextGetBinaryInfo");
  uint32_t numGraphs = 0;
  const QnnSystemContext_GraphInfo_t* graphs = nullptr;
  switch (static_cast<uint32_t>(info->version)) {
    case QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_1:
      numGraphs = info->contextBinaryInfoV1.numGraphs, graphs = info->contextBinaryInfoV1.graphs;
      break;
    case QNN_SYSTEM_CONTEXT_BINARY_INFO_VERSION_2:
      numGraphs = info->contextBinaryInfoV2.numGraphs, graphs = info->contextBinaryInfoV2.graphs;
      break;
    case qnn_node::abi::kBinaryInfoVersion3: {
      // By offset: SDK headers before System 1.2 do not declare the V3 member.
      const auto* bytes = reinterpret_cast<const uint8_t*>(info) + qnn_node::abi::kBinaryInfoUnionOffset;
      std::memcpy(&numGraphs, bytes + qnn_node::abi::kBinaryInfoV3NumGraphs, sizeof numGraphs);
      std::memcpy(&graphs, bytes + qnn_node::abi::kBinaryInfoV3Graphs, sizeof graphs);
      break;
    }
    default:
      fail("unknown binary info version");
  }
  const QnnSystemContext_GraphInfoV1_t* graphInfo = nullptr;  // V1 fields lead V2 and V3
  const auto* graphBytes = reinterpret_cast<const uint8_t*>(graphs);
  for (uint32_t i = 0; i < numGraphs; i++) {
    // System >= 1.2 (checked above) lays GraphInfo out with the 88-byte stride, whatever
    // sizeof(QnnSystemContext_GraphInfo_t) is in the headers this was compiled with.
    const auto* g = reinterpret_cast<const QnnSystemContext_GraphInfoV1_t*>(
        graphBytes + i * qnn_node::abi::kGraphInfoStrideV3 + offsetof(QnnSystemContext_GraphInfo_t, graphInfoV1));
    if (!graphName || std::strcmp(g->graphName, graphName) == 0) {
      graphInfo = g;
      break;
    }
  }
  if (!graphInfo) fail(std::string("no graph named ") + (graphName ? graphName : "(any)"));
  double infoMs = msSince(t1);

  auto t2 = Clock::now();
  Qnn_ContextHandle_t context = nullptr;
  check(api.contextCreateFromBinary(backend, nullptr, nullptr, mapped, size, &context, nullptr), "contextCreateFromBinary");
  double createMs = msSince(t2);
  auto t3 = Clock::now();
  Qnn_GraphHandle_t graph = nullptr;
  check(api.graphRetrieve(context, graphInfo->graphName, &graph), "graphRetrieve");
  double retrieveMs = msSince(t3);

  // Tensors: the binary's declarations with client buffers attached.
  std::vector<std::vector<uint8_t>> buffers;
  // Zero-filled buffers: a valid value of every dtype (and a valid index for Gather).
  auto prepare = [&](const Qnn_Tensor_t* src, uint32_t n) {
    std::vector<Qnn_Tensor_t> out(src, src + n);
    for (auto& t : out) {
      Qnn_TensorV1_t& v1 = t.v1;
      buffers.emplace_back(bytesOf(v1), 0);
      auto& b = buffers.back();
      v1.memType = QNN_TENSORMEMTYPE_RAW;
      v1.clientBuf.data = b.data();
      v1.clientBuf.dataSize = static_cast<uint32_t>(b.size());
    }
    return out;
  };
  buffers.reserve(graphInfo->numGraphInputs + graphInfo->numGraphOutputs);  // stable data pointers
  std::vector<Qnn_Tensor_t> inputs = prepare(graphInfo->graphInputs, graphInfo->numGraphInputs);
  std::vector<Qnn_Tensor_t> outputs = prepare(graphInfo->graphOutputs, graphInfo->numGraphOutputs);

  auto execute = [&]() {
    check(api.graphExecute(graph, inputs.data(), static_cast<uint32_t>(inputs.size()), outputs.data(),
                           static_cast<uint32_t>(outputs.size()), nullptr, nullptr),
          "graphExecute");
  };
  auto f0 = Clock::now();
  execute();
  double firstExecuteMs = msSince(f0);
  for (long i = 0; i < warmup; i++) execute();
  std::vector<double> us(static_cast<size_t>(count));
  auto loop0 = Clock::now();
  for (long i = 0; i < count; i++) {
    auto a = Clock::now();
    execute();
    us[static_cast<size_t>(i)] = std::chrono::duration<double, std::micro>(Clock::now() - a).count();
  }
  double loopUs = std::chrono::duration<double, std::micro>(Clock::now() - loop0).count();
  Stats s = summarize(us);
  // The same calls in batches without a clock read around each call: per-call mean of
  // each batch, then the median over batches (what the JS benchmark does, and robust to
  // the odd preemption on a shared machine).
  std::vector<double> batchMeans;
  for (long done = 0; done < count; done += batch) {
    long n = std::min(batch, count - done);
    auto b0 = Clock::now();
    for (long i = 0; i < n; i++) execute();
    batchMeans.push_back(std::chrono::duration<double, std::micro>(Clock::now() - b0).count() / n);
  }
  Stats batchStats = summarize(batchMeans);

  std::printf(
      "{\"graph\":\"%s\",\"fileBytes\":%zu,\"coreApi\":\"%u.%u.%u\",\"mapMs\":%.6f,\"binaryInfoMs\":%.6f,\"createMs\":%.6f,"
      "\"retrieveMs\":%.6f,\"firstExecuteMs\":%.6f,\"count\":%ld,\"warmup\":%ld,\"us\":{\"min\":%.4f,\"median\":%.4f,"
      "\"mean\":%.4f,\"p95\":%.4f,\"p99\":%.4f,\"max\":%.4f},\"loopMeanUs\":%.4f,\"batch\":%ld,\"batchMedianUs\":%.4f,\"batchMinUs\":%.4f,\"peakRssBytes\":%ld}\n",
      graphInfo->graphName, size, core.major, core.minor, core.patch, mapMs, infoMs, createMs, retrieveMs, firstExecuteMs,
      count, warmup, s.min, s.median, s.mean, s.p95, s.p99, s.max, loopUs / count, batch, batchStats.median, batchStats.min, peakRssBytes());

  api.contextFree(context, nullptr);
  sys.systemContextFree(sysCtx);
  api.backendFree(backend);
  munmap(mapped, size);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr,
                 "usage: qnn-bench-harness exec --backend <lib> --system <lib> --binary <ctx.bin> [--graph <name>] [--count N] "
                 "[--warmup N] [--batch N]\n"
                 "       qnn-bench-harness read|evict|resident <file>\n");
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  if (cmd == "exec") return cmdExec(argc, argv);
  if (argc < 3) fail(cmd + " needs a file");
  if (cmd == "read") return cmdRead(argv[2]);
  if (cmd == "evict") return cmdEvict(argv[2], true);
  if (cmd == "resident") return cmdEvict(argv[2], false);
  fail("unknown command " + cmd);
}
