// SharedBlocks: rpcmem allocations behind JS ArrayBuffers, found again by pointer at run
// time. Their QNN registrations are cached per context in SharedRegistrations.h. Free of
// Node-API.
//
// Lifetime: a block is owned by shared_ptrs: the live-block table (until freed or its
// ArrayBuffer is collected) and every run in flight that uses it (pins). The last owner
// deregisters its handles in every context (SharedRegistrations.h) and returns the memory
// to rpcmem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "RpcMem.h"

namespace qnn_node {

class SharedRegistrations;

class SharedBlock {
 public:
  ~SharedBlock();
  uint64_t serial = 0;
  uint8_t* base = nullptr;
  size_t bytes = 0;
  int fd = -1;
  std::shared_ptr<RpcMemLibrary> lib;
  // Registration caches holding at least one entry of this block (guarded by
  // SharedHoldersMutex(); a cache unlinks itself when its last entry of the block goes).
  std::vector<SharedRegistrations*> holders;
};

// Guards every block's `holders` and, taken before a cache's own mutex, every insertion or
// removal of a cache entry (so a block and a cache never see each other half-linked).
// Never held across a backend call.
std::mutex& SharedHoldersMutex();

// The process-wide table of live blocks, keyed by base address.
namespace SharedTable {
// rpcmem_alloc + rpcmem_to_fd; throws CoreError (SHARED_ALLOC_FAILED) on failure.
std::shared_ptr<SharedBlock> Allocate(std::shared_ptr<RpcMemLibrary> lib, size_t bytes);
void Insert(const std::shared_ptr<SharedBlock>& block);
// The live block holding [p, p + size), or null. Costs one atomic load when none is live.
std::shared_ptr<SharedBlock> Find(const void* p, size_t size);
// Drops the table's hold on the block at `base` if it is still block `serial`.
void Remove(const void* base, uint64_t serial);
size_t LiveCount();
}  // namespace SharedTable

}  // namespace qnn_node
