#include "RpcMem.h"

#include <climits>
#include <map>
#include <mutex>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#endif

namespace qnn_node {
namespace {

// The names libcdsprpc is found by on each platform, in order (docs/shared-memory.md).
std::vector<std::string> DefaultCandidates() {
#if defined(_WIN32)
  std::vector<std::string> names;
  // The HTP stub usually has it loaded already (from the driver store): take that one.
  HMODULE loaded = GetModuleHandleW(L"libcdsprpc.dll");
  if (loaded) {
    wchar_t buf[MAX_PATH];
    DWORD n = GetModuleFileNameW(loaded, buf, MAX_PATH);
    if (n > 0 && n < MAX_PATH) {
      int len = WideCharToMultiByte(CP_UTF8, 0, buf, static_cast<int>(n), nullptr, 0, nullptr, nullptr);
      std::string utf8(static_cast<size_t>(len), '\0');
      WideCharToMultiByte(CP_UTF8, 0, buf, static_cast<int>(n), &utf8[0], len, nullptr, nullptr);
      names.push_back(utf8);
    }
  }
  names.push_back("libcdsprpc.dll");
  return names;
#elif defined(__APPLE__)
  return {};
#else
  return {"libcdsprpc.so", "/vendor/lib64/libcdsprpc.so"};
#endif
}

std::mutex g_openMutex;
// Opened libraries by requested path; never destroyed (blocks may be freed at exit).
std::map<std::string, std::shared_ptr<RpcMemLibrary>>& Opened() {
  static auto* opened = new std::map<std::string, std::shared_ptr<RpcMemLibrary>>();
  return *opened;
}

}  // namespace

std::shared_ptr<RpcMemLibrary> RpcMemLibrary::Open(const std::string& requested, std::string* reason) {
  std::lock_guard<std::mutex> lock(g_openMutex);
  auto found = Opened().find(requested);
  if (found != Opened().end()) return found->second;
  std::vector<std::string> candidates = requested.empty() ? DefaultCandidates() : std::vector<std::string>{requested};
  if (candidates.empty()) {
    *reason = "no libcdsprpc on this platform";
    return nullptr;
  }
  std::string errors;
  for (const std::string& path : candidates) {
    Library lib;
    std::string error;
    if (!lib.Open(path, &error)) {
      errors += (errors.empty() ? "" : "; ") + path + ": " + error;
      continue;
    }
    auto mem = std::make_shared<RpcMemLibrary>();
    mem->alloc_ = reinterpret_cast<void* (*)(int, uint32_t, int)>(lib.Symbol("rpcmem_alloc"));
    mem->alloc2_ = reinterpret_cast<void* (*)(int, uint32_t, size_t)>(lib.Symbol("rpcmem_alloc2"));
    mem->free_ = reinterpret_cast<void (*)(void*)>(lib.Symbol("rpcmem_free"));
    mem->toFd_ = reinterpret_cast<int (*)(void*)>(lib.Symbol("rpcmem_to_fd"));
    if (!mem->alloc_ || !mem->free_ || !mem->toFd_) {
      *reason = path + " lacks rpcmem_alloc / rpcmem_free / rpcmem_to_fd";
      return nullptr;
    }
    // rpcmem_init is needed only by the static rpcmem library; deinit is never called
    // (blocks may be freed during exit, after any deinit would have run).
    if (auto init = reinterpret_cast<void (*)()>(lib.Symbol("rpcmem_init"))) init();
    mem->path_ = lib.ResolvedPath();
    lib.Keep();
    Opened()[requested] = mem;
    return mem;
  }
  *reason = (requested.empty() ? "libcdsprpc not found (" : "cannot load the rpcmem library (") + errors + ")";
  return nullptr;
}

void* RpcMemLibrary::Alloc(size_t bytes) const {
  if (bytes == 0) return nullptr;
  if (bytes <= static_cast<size_t>(INT_MAX)) return alloc_(kSystemHeap, kDefaultFlags, static_cast<int>(bytes));
  return alloc2_ ? alloc2_(kSystemHeap, kDefaultFlags, bytes) : nullptr;
}

std::string RpcMemLibrary::Probe() const {
  void* p = Alloc(4096);
  if (!p) return "rpcmem_alloc failed (no DSP access)";
  int fd = toFd_(p);
  free_(p);
  if (fd < 0) return "rpcmem_to_fd failed (no DSP access)";
  return std::string();
}

}  // namespace qnn_node
