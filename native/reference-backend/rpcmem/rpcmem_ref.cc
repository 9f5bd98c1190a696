// The reference rpcmem stand-in: built as rpcmem/libcdsprpc.so (Windows
// rpcmem/libcdsprpc.dll) and exporting exactly the rpcmem functions of Qualcomm's
// libcdsprpc, with the same signatures, over memory another component can map by fd:
// Linux memfd_create + mmap(MAP_SHARED) (the fd is a real descriptor, as the dma-buf fd of
// the real library is), other POSIX shm_open, Windows an unnamed file mapping (the "fd" is
// a small number this library hands out; qnnref_rpcmem_lookup resolves it).
// QNN_REFERENCE_RPCMEM_FAIL_ALLOC=1 makes every allocation return NULL ("no DSP access").
// With QNN_REFERENCE_JOURNAL=<file> each call appends one JSON line (heap id, flags, size).
#include "rpcmem_ref.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#if defined(_WIN32)
#include <windows.h>
#define QNNREF_RPCMEM_EXPORT extern "C" __declspec(dllexport)
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define QNNREF_RPCMEM_EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace {

struct Block {
  int fd = -1;
  size_t bytes = 0;
#if defined(_WIN32)
  HANDLE mapping = nullptr;
#endif
};

std::mutex g_mu;
// Never freed: rpcmem calls may come from static destructors after this library's own.
auto* const g_blocks = new std::map<void*, Block>();  // base -> block
#if defined(_WIN32)
int g_nextFd = 3;
#endif

bool failAlloc() {
  const char* v = std::getenv("QNN_REFERENCE_RPCMEM_FAIL_ALLOC");
  return v && std::strcmp(v, "1") == 0;
}

void journal(const char* call, const std::string& fields) {
  const char* path = std::getenv("QNN_REFERENCE_JOURNAL");
  if (!path || !*path) return;
  std::string line = std::string("{\"call\":\"") + call + "\"" + fields + "}\n";
  std::lock_guard<std::mutex> lock(g_mu);
  if (FILE* f = std::fopen(path, "ab")) {
    std::fwrite(line.data(), 1, line.size(), f);
    std::fclose(f);
  }
}

// A shared, zero-filled mapping of `bytes` and the descriptor behind it.
void* mapShared(size_t bytes, Block* b) {
#if defined(_WIN32)
  HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, DWORD(uint64_t(bytes) >> 32), DWORD(bytes & 0xFFFFFFFFu), nullptr);
  if (!h) return nullptr;
  void* p = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, bytes);
  if (!p) {
    CloseHandle(h);
    return nullptr;
  }
  b->mapping = h;
  return p;
#else
#if defined(__linux__)
  int fd = memfd_create("rpcmem", MFD_CLOEXEC);
#else
  std::string name = "/qnnref-rpcmem-" + std::to_string(getpid()) + "-" + std::to_string(reinterpret_cast<uintptr_t>(b));
  int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd >= 0) shm_unlink(name.c_str());
#endif
  if (fd < 0) return nullptr;
  if (ftruncate(fd, off_t(bytes)) != 0) {
    close(fd);
    return nullptr;
  }
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    close(fd);
    return nullptr;
  }
  b->fd = fd;
  return p;
#endif
}

void unmapShared(void* p, const Block& b) {
#if defined(_WIN32)
  UnmapViewOfFile(p);
  CloseHandle(b.mapping);
#else
  munmap(p, b.bytes);
  close(b.fd);
#endif
}

void* allocate(const char* call, int heapid, uint32_t flags, size_t size) {
  void* p = nullptr;
  bool refused = failAlloc();
  if (!refused && size > 0) {
    Block b;
    b.bytes = size;
    p = mapShared(size, &b);
    if (p) {
      std::lock_guard<std::mutex> lock(g_mu);
#if defined(_WIN32)
      b.fd = g_nextFd++;
#endif
      (*g_blocks)[p] = b;
    }
  }
  journal(call, ",\"heapid\":" + std::to_string(heapid) + ",\"flags\":" + std::to_string(flags) + ",\"size\":" + std::to_string(size) +
                    ",\"ok\":" + (p ? "true" : "false"));
  return p;
}

}  // namespace

QNNREF_RPCMEM_EXPORT void rpcmem_init(void) {}
QNNREF_RPCMEM_EXPORT void rpcmem_deinit(void) {}

// `size` is an int as in libcdsprpc: 0 or negative sizes get NULL.
QNNREF_RPCMEM_EXPORT void* rpcmem_alloc(int heapid, uint32_t flags, int size) {
  return allocate("rpcmem_alloc", heapid, flags, size > 0 ? size_t(size) : 0);
}

QNNREF_RPCMEM_EXPORT void* rpcmem_alloc2(int heapid, uint32_t flags, size_t size) { return allocate("rpcmem_alloc2", heapid, flags, size); }

// Pointers it did not hand out (including interior pointers) are ignored.
QNNREF_RPCMEM_EXPORT void rpcmem_free(void* po) {
  Block b;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto it = g_blocks->find(po);
    if (it == g_blocks->end()) return;
    b = it->second;
    g_blocks->erase(it);
  }
  unmapShared(po, b);
  journal("rpcmem_free", ",\"fd\":" + std::to_string(b.fd) + ",\"size\":" + std::to_string(b.bytes));
}

// The fd of an allocation's base pointer; -1 for anything else.
QNNREF_RPCMEM_EXPORT int rpcmem_to_fd(void* po) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_blocks->find(po);
  return it == g_blocks->end() ? -1 : it->second.fd;
}

QNNREF_RPCMEM_EXPORT int qnnref_rpcmem_lookup(int fd, void** base, size_t* bytes) {
  std::lock_guard<std::mutex> lock(g_mu);
  for (const auto& [p, b] : *g_blocks) {
    if (b.fd == fd) {
      if (base) *base = p;
      if (bytes) *bytes = b.bytes;
      return 0;
    }
  }
  return -1;
}
