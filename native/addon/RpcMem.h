// RpcMem: libcdsprpc's rpcmem API (DSP-shareable memory), loaded once per library path and
// kept for the life of the process (blocks may outlive every runtime). Free of Node-API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "Loader.h"

namespace qnn_node {

class RpcMemLibrary {
 public:
  // The system heap with the default (cached) flags: what every surveyed runtime passes.
  static constexpr int kSystemHeap = 25;
  static constexpr uint32_t kDefaultFlags = 1;

  // Opens `requested` (a path), or the platform's libcdsprpc when empty. Never unloaded.
  // Returns null with `reason` (one line) when it cannot be opened or lacks a symbol.
  static std::shared_ptr<RpcMemLibrary> Open(const std::string& requested, std::string* reason);

  // rpcmem_alloc (rpcmem_alloc2 above INT_MAX bytes when exported); null on failure.
  void* Alloc(size_t bytes) const;
  void Free(void* p) const { free_(p); }
  int ToFd(void* p) const { return toFd_(p); }
  const std::string& path() const { return path_; }
  // One real allocation (4 KiB) + rpcmem_to_fd + free; "" when it works, else why not.
  std::string Probe() const;

 private:
  std::string path_;
  void* (*alloc_)(int, uint32_t, int) = nullptr;
  void* (*alloc2_)(int, uint32_t, size_t) = nullptr;
  void (*free_)(void*) = nullptr;
  int (*toFd_)(void*) = nullptr;
};

}  // namespace qnn_node
