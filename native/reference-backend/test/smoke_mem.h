// The smoke test's shared-memory checks (smoke.cc includes this after smoke_support.h): the
// rpcmem stand-in (rpcmem/libcdsprpc.so), memRegister / memDeRegister of ION and HTP
// SHARED_BUFFER descriptors, memhandle tensors at graphExecute, and the journal's copy
// counters. Header-only, like smoke_support.h.
#pragma once

#include <sys/mman.h>

#include <chrono>
#include <thread>

#include "smoke_support.h"

struct RpcMem {
  void* (*alloc)(int, uint32_t, int) = nullptr;
  void* (*alloc2)(int, uint32_t, size_t) = nullptr;
  void (*free)(void*) = nullptr;
  int (*toFd)(void*) = nullptr;
  void (*init)() = nullptr;
  void (*deinit)() = nullptr;
};

static std::vector<std::string> journalLines(const std::string& path, const char* call) {
  std::vector<std::string> out;
  std::ifstream f(path);
  std::string line;
  std::string want = std::string("\"call\":\"") + call + "\"";
  while (std::getline(f, line))
    if (line.find(want) != std::string::npos) out.push_back(line);
  return out;
}

static bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

struct MemFns {
  QnnMem_RegisterFn_t reg;
  QnnMem_DeRegisterFn_t dereg;
};

static Qnn_MemDescriptor_t memDesc(const TensorDesc& t, Qnn_MemType_t type, std::vector<uint32_t>& dims) {
  Qnn_MemDescriptor_t d;
  std::memset(&d, 0, sizeof d);
  dims = t.dims;
  d.memShape.numDim = uint32_t(dims.size());
  d.memShape.dimSize = dims.data();
  d.memShape.shapeConfig = nullptr;
  d.dataType = static_cast<Qnn_DataType_t>(t.dataType);
  d.memType = type;
  return d;
}

static Qnn_MemHandle_t registerIon(const MemFns& m, Qnn_ContextHandle_t ctx, const TensorDesc& t, int fd, Qnn_ErrorHandle_t* status = nullptr) {
  std::vector<uint32_t> dims;
  Qnn_MemDescriptor_t d = memDesc(t, QNN_MEM_TYPE_ION, dims);
  d.ionInfo.fd = fd;
  Qnn_MemHandle_t h = reinterpret_cast<Qnn_MemHandle_t>(uintptr_t(1));
  Qnn_ErrorHandle_t e = m.reg(ctx, &d, 1, &h);
  if (status) *status = e;
  else CHECK(e == QNN_SUCCESS && h, "memRegister ION fd %d -> %s", fd, qnn_node_status_name(code(e)));
  return h;
}

static Qnn_MemHandle_t registerShared(const MemFns& m, Qnn_ContextHandle_t ctx, const TensorDesc& t, int fd, uint64_t offset, uint64_t total,
                                      Qnn_ErrorHandle_t* status = nullptr, QnnHtpMem_Type_t htpType = QNN_HTP_MEM_SHARED_BUFFER, const char* shapeConfig = nullptr) {
  std::vector<uint32_t> dims;
  Qnn_MemDescriptor_t d = memDesc(t, QNN_MEM_TYPE_CUSTOM, dims);
  d.memShape.shapeConfig = shapeConfig;
  QnnMemHtp_Descriptor_t htp;
  std::memset(&htp, 0, sizeof htp);
  htp.type = htpType;
  htp.size = total;
  htp.sharedBufferConfig.fd = fd;
  htp.sharedBufferConfig.offset = offset;
  d.customInfo = &htp;
  Qnn_MemHandle_t h = nullptr;
  Qnn_ErrorHandle_t e = m.reg(ctx, &d, 1, &h);
  if (status) *status = e;
  else CHECK(e == QNN_SUCCESS && h, "memRegister SHARED_BUFFER fd %d offset %llu -> %s", fd, (unsigned long long)offset, qnn_node_status_name(code(e)));
  return h;
}

// Executes a one-input one-output graph; a non-null handle makes that tensor MEMHANDLE.
static Qnn_ErrorHandle_t execMem(const Session& s, const GraphDesc& g, Qnn_MemHandle_t inH, std::vector<uint8_t>* inRaw, Qnn_MemHandle_t outH,
                                 std::vector<uint8_t>* outRaw) {
  size_t stride = abi::tensorStride(s.c.core);
  TensorArray in(stride), out(stride);
  Qnn_TensorV1_t& ti = in.add(g.inputs[0], inRaw ? inRaw->data() : nullptr, inRaw ? uint32_t(inRaw->size()) : 0);
  if (inH) {
    ti.memType = QNN_TENSORMEMTYPE_MEMHANDLE;
    ti.memHandle = inH;
  }
  Qnn_TensorV1_t& to = out.add(g.outputs[0], outRaw ? outRaw->data() : nullptr, outRaw ? uint32_t(outRaw->size()) : 0);
  if (outH) {
    to.memType = QNN_TENSORMEMTYPE_MEMHANDLE;
    to.memHandle = outH;
  }
  return s.c.fn<QnnGraph_ExecuteFn_t>(abi::kGraphExecute)(retrieve(s, g.name.c_str()), in.ptr(), 1, out.ptr(), 1, nullptr, nullptr);
}

static void testRpcmemStandIn(const RpcMem& r) {
  setenv("QNN_REFERENCE_RPCMEM_FAIL_ALLOC", "1", 1);
  CHECK(r.alloc(25, 1, 4096) == nullptr && r.alloc2(25, 1, 4096) == nullptr, "FAIL_ALLOC=1: allocations return NULL");
  unsetenv("QNN_REFERENCE_RPCMEM_FAIL_ALLOC");
  r.init();
  CHECK(r.alloc(25, 1, 0) == nullptr && r.alloc(25, 1, -5) == nullptr, "sizes <= 0 return NULL");
  auto* p = static_cast<uint8_t*>(r.alloc(25, 1, 10000));
  CHECK(p != nullptr, "rpcmem_alloc(25, 1, 10000)");
  if (!p) return;
  int fd = r.toFd(p);
  CHECK(fd >= 0, "rpcmem_to_fd gives an fd (%d)", fd);
  CHECK(r.toFd(p + 8) == -1 && r.toFd(nullptr) == -1, "rpcmem_to_fd of an interior / NULL pointer is -1");
  p[9999] = 0x5A;
  // The memory is shared: a second mapping of the fd (what the DSP / backend does) sees it.
  void* view = mmap(nullptr, 10000, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(view != MAP_FAILED && static_cast<uint8_t*>(view)[9999] == 0x5A, "the fd maps the same memory");
  if (view != MAP_FAILED) munmap(view, 10000);
  r.free(p + 8);  // ignored: not an allocation
  CHECK(r.toFd(p) == fd, "freeing an interior pointer is ignored");
  r.free(p);
  CHECK(r.toFd(p) == -1, "freed: rpcmem_to_fd is -1");
  void* big = r.alloc2(25, 1, size_t(1) << 20);
  CHECK(big && r.toFd(big) >= 0, "rpcmem_alloc2 1 MiB");
  r.free(big);
  r.deinit();
}

static void testSharedMemory(const std::string& dir, const char* rpcmemPath) {
  void* lib = dlopen(rpcmemPath, RTLD_NOW | RTLD_LOCAL);
  CHECK(lib != nullptr, "dlopen %s: %s", rpcmemPath, lib ? "" : dlerror());
  if (!lib) return;
  RpcMem r;
  r.alloc = reinterpret_cast<decltype(r.alloc)>(dlsym(lib, "rpcmem_alloc"));
  r.alloc2 = reinterpret_cast<decltype(r.alloc2)>(dlsym(lib, "rpcmem_alloc2"));
  r.free = reinterpret_cast<decltype(r.free)>(dlsym(lib, "rpcmem_free"));
  r.toFd = reinterpret_cast<decltype(r.toFd)>(dlsym(lib, "rpcmem_to_fd"));
  r.init = reinterpret_cast<decltype(r.init)>(dlsym(lib, "rpcmem_init"));
  r.deinit = reinterpret_cast<decltype(r.deinit)>(dlsym(lib, "rpcmem_deinit"));
  CHECK(r.alloc && r.alloc2 && r.free && r.toFd && r.init && r.deinit, "the stand-in exports the six rpcmem functions");
  if (!(r.alloc && r.alloc2 && r.free && r.toFd && r.init && r.deinit)) return;
  testRpcmemStandIn(r);

  // memRegister / memDeRegister are in every supported table (core >= 2.9: slots 35/36).
  for (const VersionCase& vc : kCases) {
    if (vc.coreMinor < abi::kAppendOnlySinceMinor) continue;
    Core c = getCore(vc.env);
    CHECK(c.fn<QnnMem_RegisterFn_t>(abi::kMemRegister) && c.fn<QnnMem_DeRegisterFn_t>(abi::kMemDeRegister), "mem slots on core %s", vc.env);
  }
  setenv("QNN_REFERENCE_NULL_SLOTS", "memRegister,memDeRegister", 1);
  CHECK(!getCore(kCases[0].env).fn<QnnMem_RegisterFn_t>(abi::kMemRegister), "QNN_REFERENCE_NULL_SLOTS=memRegister leaves the slot NULL");
  unsetenv("QNN_REFERENCE_NULL_SLOTS");

  std::vector<uint8_t> opsBin = readFile(dir + "/ops.bin");
  std::string journal = dir + "/mem-journal.jsonl";
  for (const VersionCase* vc : {&kCases[0], &kCases[5]}) {  // V2 tensors (2.32) and V1-only (2.10)
    Core c = getCore(vc->env);
    System s = getSystem(vc->env);
    Info info = describe(s, opsBin, c.core, uint32_t(std::atoi(std::strstr(vc->env, "backend=5.") + 10)), true);
    const GraphDesc& g = graphNamed(info, "softmax");  // x [2,4] fp32 -> out [2,4] fp32
    const TensorDesc& x = g.inputs[0];
    const TensorDesc& y = g.outputs[0];
    MemFns m{c.fn<QnnMem_RegisterFn_t>(abi::kMemRegister), c.fn<QnnMem_DeRegisterFn_t>(abi::kMemDeRegister)};
    Session sess, other;
    CHECK(open(sess, c, opsBin) == QNN_SUCCESS && open(other, c, opsBin) == QNN_SUCCESS, "two contexts on ops.bin");

    const std::vector<float> xv{1, 2, 3, 4, -1, 0, 1, 2};
    std::vector<uint8_t> xRaw = bytes(xv), yRaw(32, 0xCD);
    std::remove(journal.c_str());
    setenv("QNN_REFERENCE_JOURNAL", journal.c_str(), 1);
    CHECK(execMem(sess, g, nullptr, &xRaw, nullptr, &yRaw) == QNN_SUCCESS, "raw softmax");
    const std::vector<uint8_t> want = yRaw;

    // One pool block: x at 0 (SHARED_BUFFER), out at 256 (SHARED_BUFFER); a second block via ION.
    const int kPool = 4096;
    auto* pool = static_cast<uint8_t*>(r.alloc(25, 1, kPool));
    auto* ion = static_cast<uint8_t*>(r.alloc(25, 1, 64));
    int poolFd = r.toFd(pool), ionFd = r.toFd(ion);
    std::memcpy(pool, xRaw.data(), 32);
    std::memcpy(ion, xRaw.data(), 32);
    Qnn_MemHandle_t hx = registerShared(m, sess.ctx, x, poolFd, 0, kPool);
    Qnn_MemHandle_t hy = registerShared(m, sess.ctx, y, poolFd, 256, kPool);
    Qnn_MemHandle_t hIon = registerIon(m, sess.ctx, x, ionFd);
    Qnn_ErrorHandle_t e = execMem(sess, g, hx, nullptr, hy, nullptr);
    CHECK(e == QNN_SUCCESS && std::memcmp(pool + 256, want.data(), 32) == 0, "all-memhandle softmax writes its output in place (%s)", message(c, e).c_str());
    std::memset(yRaw.data(), 0, 32);
    CHECK(execMem(sess, g, hIon, nullptr, nullptr, &yRaw) == QNN_SUCCESS && yRaw == want, "ION input, RAW output (mixed)");
    // One handle as input and output: computed through scratch, so the input is read intact.
    std::memcpy(pool, xRaw.data(), 32);
    CHECK(execMem(sess, g, hx, nullptr, hx, nullptr) == QNN_SUCCESS && std::memcmp(pool, want.data(), 32) == 0, "in-place softmax on one handle");
    auto execs = journalLines(journal, "graphExecute");
    CHECK(execs.size() == 4, "one journal entry per graphExecute (%zu)", execs.size());
    if (execs.size() == 4) {
      CHECK(has(execs[0], "\"graph\":\"softmax\",\"rawBytesIn\":32,\"rawBytesOut\":32,\"memHandleTensors\":0"), "raw run: %s", execs[0].c_str());
      CHECK(has(execs[1], "\"rawBytesIn\":0,\"rawBytesOut\":0,\"memHandleTensors\":2"), "shared run copies nothing: %s", execs[1].c_str());
      CHECK(has(execs[2], "\"rawBytesIn\":0,\"rawBytesOut\":32,\"memHandleTensors\":1"), "mixed run: %s", execs[2].c_str());
      CHECK(has(execs[3], "\"rawBytesIn\":0,\"rawBytesOut\":0,\"memHandleTensors\":2"), "in-place run: %s", execs[3].c_str());
    }
    auto regs = journalLines(journal, "memRegister");
    CHECK(regs.size() == 3 && has(regs[1], "\"memType\":\"custom\"") && has(regs[1], "\"htpType\":1,\"offset\":256,\"size\":4096") &&
              has(regs[1], "\"dims\":[2,4]") && has(regs[2], "\"memType\":\"ion\""),
          "memRegister journals its descriptors: %s", regs.size() > 1 ? regs[1].c_str() : "(none)");
    auto allocs = journalLines(journal, "rpcmem_alloc");
    CHECK(allocs.size() == 2 && has(allocs[0], "\"heapid\":25,\"flags\":1,\"size\":4096"), "rpcmem_alloc journals heap, flags, size");

    // Refusals at registration.
    auto refuse = [&](Qnn_ErrorHandle_t got, uint32_t want, const char* what) {
      CHECK(code(got) == want, "%s: got %s, expected %s (%s)", what, qnn_node_status_name(code(got)), qnn_node_status_name(want), message(c, got).c_str());
    };
    Qnn_ErrorHandle_t st;
    registerShared(m, sess.ctx, x, poolFd, 0, kPool, &st);
    refuse(st, QNN_MEM_ERROR_ALREADY_REGISTERED, "same (fd, offset) twice in one context");
    CHECK(registerShared(m, other.ctx, x, poolFd, 0, kPool, &st) && st == QNN_SUCCESS, "the same memory in another context");
    registerShared(m, sess.ctx, x, poolFd, kPool - 16, kPool, &st);
    refuse(st, QNN_MEM_ERROR_INVALID_ARGUMENT, "offset + tensor bytes beyond the allocation");
    registerShared(m, sess.ctx, x, poolFd, 512, kPool / 2, &st);
    refuse(st, QNN_MEM_ERROR_INVALID_ARGUMENT, "SHARED_BUFFER size other than the allocation's");
    registerShared(m, sess.ctx, x, poolFd, 512, kPool, &st, QNN_HTP_MEM_QURT);
    refuse(st, QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE, "HTP QURT descriptor");
    registerShared(m, sess.ctx, x, poolFd, 512, kPool, &st, QNN_HTP_MEM_SHARED_BUFFER, "DATA_FORMAT_UBWC_NV12");
    refuse(st, QNN_MEM_ERROR_INVALID_SHAPE, "non-NULL shapeConfig");
    registerIon(m, sess.ctx, x, 987654, &st);
    refuse(st, QNN_MEM_ERROR_MAPPING, "unknown fd");
    registerIon(m, nullptr, x, ionFd, &st);
    refuse(st, QNN_MEM_ERROR_INVALID_HANDLE, "NULL context");
    {
      std::vector<uint32_t> dims;
      Qnn_MemDescriptor_t d = memDesc(x, QNN_MEM_TYPE_DMA_BUF, dims);
      d.dmaBufInfo.fd = ionFd;
      Qnn_MemHandle_t h = nullptr;
      refuse(m.reg(sess.ctx, &d, 1, &h), QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE, "DMA_BUF");
      // All or nothing: a batch with one bad descriptor registers none.
      std::vector<uint32_t> d1, d2;
      Qnn_MemDescriptor_t batch[2] = {memDesc(x, QNN_MEM_TYPE_ION, d1), memDesc(x, QNN_MEM_TYPE_ION, d2)};
      int freshFd = r.toFd(r.alloc(25, 1, 64));
      batch[0].ionInfo.fd = freshFd;
      batch[1].ionInfo.fd = -1;
      Qnn_MemHandle_t hs[2] = {pool, pool};
      refuse(m.reg(sess.ctx, batch, 2, hs), QNN_MEM_ERROR_MAPPING, "batch with a bad fd");
      CHECK(hs[0] == nullptr && hs[1] == nullptr, "failed batch: handles NULL");
      Qnn_MemHandle_t again = registerIon(m, sess.ctx, x, freshFd, &st);
      CHECK(st == QNN_SUCCESS, "failed batch registered nothing (%s)", qnn_node_status_name(code(st)));
      CHECK(m.dereg(&again, 1) == QNN_SUCCESS, "deregister");
    }

    // Refusals at execute: another context's handle, a freed handle, a too-small buffer.
    // (Messages are checked where the table has errorGetMessage: core 2.11 on.)
    auto says = [&](Qnn_ErrorHandle_t err, const char* a, const char* b) {
      return !c.fn<QnnError_GetMessageFn_t>(abi::kErrorGetMessage) || (has(message(c, err), a) && has(message(c, err), b));
    };
    std::vector<uint8_t> sink(32);
    Qnn_MemHandle_t foreign = registerShared(m, other.ctx, y, poolFd, 256, kPool);
    e = execMem(sess, g, hx, nullptr, foreign, nullptr);
    CHECK(code(e) == QNN_GRAPH_ERROR_INVALID_TENSOR && says(e, "'out'", "another context"), "foreign handle: %s", message(c, e).c_str());
    TensorDesc small = x;
    small.dims = {1, 4};
    Qnn_MemHandle_t hSmall = registerShared(m, sess.ctx, small, poolFd, 1024, kPool);
    e = execMem(sess, g, hSmall, nullptr, nullptr, &sink);
    CHECK(code(e) == QNN_GRAPH_ERROR_INVALID_TENSOR && says(e, "'x'", "too small"), "too small: %s", message(c, e).c_str());
    // A handle registered for other dims (the same bytes) is refused: the HTP binds a
    // registration to its tensor's shape.
    TensorDesc flat = x;
    flat.dims = {8};
    Qnn_MemHandle_t hFlat = registerShared(m, sess.ctx, flat, poolFd, 1536, kPool);
    e = execMem(sess, g, hFlat, nullptr, nullptr, &sink);
    CHECK(code(e) == QNN_GRAPH_ERROR_INVALID_TENSOR && says(e, "'x'", "registered as dataType"), "other dims: %s", message(c, e).c_str());
    CHECK(m.dereg(&hFlat, 1) == QNN_SUCCESS, "deregister the flat handle");
    // A handle an executing graph uses cannot be deregistered meanwhile.
    {
      Qnn_MemHandle_t hBusy = registerShared(m, sess.ctx, x, poolFd, 2048, kPool);
      std::vector<uint8_t> busySink(32);
      setenv("QNN_REFERENCE_EXECUTE_HOLD_MS", "400", 1);
      Qnn_ErrorHandle_t busyRun = QNN_SUCCESS;
      std::thread runner([&] { busyRun = execMem(sess, g, hBusy, nullptr, nullptr, &busySink); });
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      refuse(m.dereg(&hBusy, 1), QNN_COMMON_ERROR_RESOURCE_UNAVAILABLE, "deregistering a handle in use by an executing graph");
      runner.join();
      unsetenv("QNN_REFERENCE_EXECUTE_HOLD_MS");
      CHECK(busyRun == QNN_SUCCESS, "the execute using the busy handle succeeds (%s)", message(c, busyRun).c_str());
      auto busyDeregs = journalLines(journal, "memDeRegister");
      CHECK(!busyDeregs.empty() && has(busyDeregs.back(), "\"count\":1,\"invalid\":0,\"busy\":1"), "memDeRegister journals busy handles");
      CHECK(m.dereg(&hBusy, 1) == QNN_SUCCESS, "deregistered once the execute returned");
    }
    CHECK(m.dereg(&hIon, 1) == QNN_SUCCESS, "memDeRegister");
    e = execMem(sess, g, hIon, nullptr, nullptr, &sink);
    CHECK(code(e) == QNN_GRAPH_ERROR_INVALID_TENSOR && says(e, "'x'", "not registered"), "freed handle: %s", message(c, e).c_str());
    refuse(m.dereg(&hIon, 1), QNN_MEM_ERROR_INVALID_HANDLE, "deregistering twice");
    Qnn_MemHandle_t mixed[2] = {hSmall, hIon};
    refuse(m.dereg(mixed, 2), QNN_MEM_ERROR_INVALID_HANDLE, "batch with a freed handle");
    refuse(m.dereg(&hSmall, 1), QNN_MEM_ERROR_INVALID_HANDLE, "the valid handle of that batch was deregistered");
    auto deregs = journalLines(journal, "memDeRegister");
    CHECK(!deregs.empty() && has(deregs.back(), "\"count\":1,\"invalid\":1,\"busy\":0"), "memDeRegister journals counts");

    // The registration keeps the memory mapped after rpcmem_free (as the DSP mapping does).
    std::memcpy(pool, xRaw.data(), 32);
    r.free(pool);
    std::memset(yRaw.data(), 0, 32);
    CHECK(execMem(sess, g, hx, nullptr, nullptr, &yRaw) == QNN_SUCCESS && yRaw == want, "registered memory outlives rpcmem_free");
    unsetenv("QNN_REFERENCE_JOURNAL");

    // contextFree drops what is still registered; the handles are then invalid.
    close(sess);
    refuse(m.dereg(&hx, 1), QNN_MEM_ERROR_INVALID_HANDLE, "handle of a freed context");
    close(other);
    r.free(ion);
  }
  std::remove(journal.c_str());
}
