#include "SharedBlocks.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include "Errors.h"
#include "SharedRegistrations.h"

namespace qnn_node {
namespace {

// The table's mutex: held only for lookups and table edits (Find runs on every run with a
// live block), never with another lock or across a backend call.
std::mutex& TableMutex() {
  static auto* m = new std::mutex();
  return *m;
}
// Never destroyed: blocks still live at exit are left to the OS rather than released
// during static destruction, after the backend may be gone.
std::map<uintptr_t, std::shared_ptr<SharedBlock>>& Live() {
  static auto* live = new std::map<uintptr_t, std::shared_ptr<SharedBlock>>();
  return *live;
}
std::atomic<size_t> g_liveCount{0};
std::atomic<uint64_t> g_nextSerial{1};

}  // namespace

std::mutex& SharedHoldersMutex() {
  static auto* m = new std::mutex();
  return *m;
}

// The last owner: every cache holding a handle of this block gives them up (under the
// holders mutex, so no cache can be freed meanwhile); the backend calls come after it,
// each cache counting the call in progress so that its DeregisterAll waits for it.
SharedBlock::~SharedBlock() {
  struct Pending {
    SharedRegistrations* holder;
    std::vector<Qnn_MemHandle_t> handles;
    QnnMem_DeRegisterFn_t deRegister;
  };
  std::vector<Pending> pending;
  {
    std::lock_guard<std::mutex> lock(SharedHoldersMutex());
    for (SharedRegistrations* h : holders) {
      Pending p{h, {}, nullptr};
      p.handles = h->TakeBlockLocked(this, &p.deRegister);
      if (!p.handles.empty()) pending.push_back(std::move(p));
    }
    holders.clear();
  }
  for (Pending& p : pending) {
    for (Qnn_MemHandle_t handle : p.handles)
      if (p.deRegister) p.deRegister(&handle, 1);
    p.holder->EndBackendCall();
  }
  if (base && lib) lib->Free(base);
}

namespace SharedTable {

std::shared_ptr<SharedBlock> Allocate(std::shared_ptr<RpcMemLibrary> lib, size_t bytes) {
  void* p = lib->Alloc(bytes);
  if (!p) {
    throw CoreError("SHARED_ALLOC_FAILED", "rpcmem_alloc could not allocate " + std::to_string(bytes) + " bytes (" + lib->path() + ")")
        .Detail("bytes", std::to_string(bytes));
  }
  int fd = lib->ToFd(p);
  if (fd < 0) {
    lib->Free(p);
    throw CoreError("SHARED_ALLOC_FAILED", "rpcmem_to_fd returned " + std::to_string(fd) + " for a new allocation of " +
                                               std::to_string(bytes) + " bytes (" + lib->path() + ")")
        .Detail("bytes", std::to_string(bytes));
  }
  auto block = std::make_shared<SharedBlock>();
  block->serial = g_nextSerial.fetch_add(1);
  block->base = static_cast<uint8_t*>(p);
  block->bytes = bytes;
  block->fd = fd;
  block->lib = std::move(lib);
  return block;
}

void Insert(const std::shared_ptr<SharedBlock>& block) {
  std::lock_guard<std::mutex> lock(TableMutex());
  Live()[reinterpret_cast<uintptr_t>(block->base)] = block;
  g_liveCount.store(Live().size());
}

std::shared_ptr<SharedBlock> Find(const void* p, size_t size) {
  if (g_liveCount.load(std::memory_order_relaxed) == 0 || !p) return nullptr;
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  std::lock_guard<std::mutex> lock(TableMutex());
  auto& live = Live();
  auto it = live.upper_bound(a);
  if (it == live.begin()) return nullptr;
  --it;
  const SharedBlock& b = *it->second;
  if (a - it->first > b.bytes || size > b.bytes - (a - it->first)) return nullptr;
  return it->second;
}

void Remove(const void* base, uint64_t serial) {
  std::shared_ptr<SharedBlock> dropped;  // released after the lock (its destructor takes it)
  {
    std::lock_guard<std::mutex> lock(TableMutex());
    auto it = Live().find(reinterpret_cast<uintptr_t>(base));
    if (it == Live().end() || it->second->serial != serial) return;
    dropped = std::move(it->second);
    Live().erase(it);
    g_liveCount.store(Live().size());
  }
}

size_t LiveCount() { return g_liveCount.load(); }

}  // namespace SharedTable

}  // namespace qnn_node
