// SharedBlocks: rpcmem allocations behind JS ArrayBuffers, found again by pointer at run
// time, and their QNN registrations (memRegister), cached per context. Free of Node-API.
//
// Lifetime: a block is owned by shared_ptrs: the live-block table (until freed or its
// ArrayBuffer is collected) and every run in flight that uses it (pins). The last owner
// deregisters its handles in every context and returns the memory to rpcmem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "RpcMem.h"
#include "TensorMeta.h"
#include "qnn/qnn_api.h"

namespace qnn_node {

class RuntimeState;
class SharedRegistrations;

class SharedBlock {
 public:
  ~SharedBlock();
  uint64_t serial = 0;
  uint8_t* base = nullptr;
  size_t bytes = 0;
  int fd = -1;
  std::shared_ptr<RpcMemLibrary> lib;
  // Registration caches holding a handle of this block (guarded by the table's mutex).
  std::vector<SharedRegistrations*> holders;
};

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

// One context's registrations: (block, offset) -> handle, registered on first use.
class SharedRegistrations {
 public:
  ~SharedRegistrations() { DeregisterAll(); }
  // The handle of `block` at `offset` for a tensor `meta` in `context`, registering it
  // (QNN_MEM_TYPE_CUSTOM shared buffer; ION when the backend refuses the custom type at
  // offset 0). Throws CoreError with apiFunction "memRegister".
  Qnn_MemHandle_t Get(RuntimeState& rt, Qnn_ContextHandle_t context, SharedBlock& block, size_t offset,
                      const TensorMeta& meta);
  // memDeRegister of every handle (before contextFree). Idempotent.
  void DeregisterAll();
  size_t size() const { return entries_.size(); }

 private:
  friend class SharedBlock;
  struct Entry {
    Qnn_MemHandle_t handle = nullptr;
    uint32_t dataType = 0;
    std::vector<uint32_t> dims;
    SharedBlock* block = nullptr;
  };
  // Deregisters and forgets this cache's handles of `block` (block release; lock held).
  void DropBlockLocked(SharedBlock* block);
  void DeregisterLocked(Entry& e);
  std::map<std::pair<uint64_t, size_t>, Entry> entries_;
  QnnMem_DeRegisterFn_t deRegister_ = nullptr;
};

}  // namespace qnn_node
