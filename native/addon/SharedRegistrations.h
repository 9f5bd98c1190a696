// SharedRegistrations: one context's memRegister handles of shared blocks, cached per
// (block, offset), registered lazily at a tensor's first run (docs/shared-memory.md).
//
// Rules (why: graphs of one context run concurrently, one per graph at a time):
// - A handle bound for a run is "in use" until the run's graphExecute returned; a handle in
//   use is never deregistered.
// - The backend takes one registration per (fd, offset) per context, so a place holds one
//   handle. Another tensor at a busy place (a concurrent run, or an input and an output of
//   one run viewing the same bytes with other dims) is bound RAW for that run: the bytes
//   are ordinary host memory, so the results are the same, only copied.
// - A place whose tensor alternates between metas it had before (two graphs sharing a
//   buffer with different dims) becomes "contested": the registration in place stays and
//   the other metas go RAW, instead of a deregister + register per run.
// - At most kMaxEntries places per context: beyond, the least recently used idle one is
//   deregistered (KV views at moving offsets would otherwise grow the cache per step).
// - A backend without memRegister, or one answering NOT_SUPPORTED / UNSUPPORTED_MEMTYPE,
//   makes the context bind every shared tensor RAW from then on (rawReason()).
//
// Locking: a mutex per cache, never held across a backend call (a "registering" entry
// marks a call in progress; others wanting that place wait for it). SharedHoldersMutex()
// is taken before it whenever an entry is inserted or erased.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "SharedBlocks.h"
#include "TensorMeta.h"
#include "qnn/qnn_api.h"

namespace qnn_node {

class RuntimeState;

// How one shared tensor is bound for a run: a handle (Release(token) after the run), or
// `raw` (its bytes go as a client buffer; the reason is in Status().lastRawReason).
struct SharedBinding {
  Qnn_MemHandle_t handle = nullptr;
  void* token = nullptr;
  bool raw = false;
};

// What a context reports about its registrations (AddonContext sharedStatus()).
struct SharedRegistrationStatus {
  size_t handles = 0;
  uint64_t rawBindings = 0;
  std::string rawReason;   // context-wide: every shared tensor goes RAW
  std::string lastRawReason;  // the latest RAW binding's reason
  bool ion = false;        // some handle was registered as ION (the custom descriptor refused)
  uint64_t evictions = 0;  // idle places deregistered to stay within kMaxEntries
};

class SharedRegistrations {
 public:
  static constexpr size_t kMaxEntries = 256;

  ~SharedRegistrations() { DeregisterAll(); }
  // Binds `block` at `offset` for tensor `meta` in `context`: the cached handle, a new
  // registration (QNN_MEM_TYPE_CUSTOM shared buffer; ION when the backend refuses the
  // custom type at offset 0), or RAW (see above). Throws CoreError with apiFunction
  // "memRegister" when the backend refuses the registration for another reason.
  SharedBinding Acquire(RuntimeState& rt, Qnn_ContextHandle_t context, SharedBlock& block, size_t offset,
                        const TensorMeta& meta);
  // The run that acquired `token` has executed.
  void Release(void* token);
  // memDeRegister of every handle (before contextFree), after any backend call in
  // progress. Idempotent. The caller makes sure nothing runs in this context.
  void DeregisterAll();
  SharedRegistrationStatus Status();
  size_t size();

  // Block release (~SharedBlock, SharedHoldersMutex held): takes this cache's entries of
  // `block` out; the caller deregisters the returned handles with the returned function
  // outside the lock, then calls EndBackendCall().
  std::vector<Qnn_MemHandle_t> TakeBlockLocked(SharedBlock* block, QnnMem_DeRegisterFn_t* deRegister);
  void EndBackendCall();

 private:
  struct Meta {
    uint32_t dataType = 0;
    std::vector<uint32_t> dims;
    bool operator==(const Meta& o) const { return dataType == o.dataType && dims == o.dims; }
  };
  struct Entry {
    Qnn_MemHandle_t handle = nullptr;
    Meta meta;
    std::vector<Meta> history;  // metas registered here before (the last few)
    SharedBlock* block = nullptr;
    int inUse = 0;
    bool registering = false;
    bool contested = false;
    uint64_t lastUse = 0;
  };
  using Key = std::pair<uint64_t, size_t>;  // (block serial, offset)

  SharedBinding Raw(const std::string& reason);  // mu_ held
  // The registering entry at (block, offset) gets its handle (no lock held on entry; the
  // backend call counted in backendCalls_): evicts `evicted` first, registers, and settles
  // the entry (bound, erased + RAW, or erased + thrown).
  SharedBinding Settle(RuntimeState& rt, Qnn_ContextHandle_t context, SharedBlock& block, size_t offset, const Meta& want,
                       const std::string& name, bool skipCustom, QnnMem_DeRegisterFn_t evictWith,
                       Qnn_MemHandle_t evicted = nullptr);
  // memRegister (no lock held): the custom shared-buffer descriptor, then ION at offset 0
  // when the custom type is refused (`customRefused`). QNN_SUCCESS or the status.
  Qnn_ErrorHandle_t Register(RuntimeState& rt, Qnn_ContextHandle_t context, SharedBlock& block, size_t offset,
                             const Meta& meta, bool skipCustom, Qnn_MemHandle_t* handle, bool* ion, bool* customRefused);
  // Erases `it` and unlinks from its block when it was the block's last entry (holders
  // mutex and mu_ held).
  void EraseLocked(std::map<Key, Entry>::iterator it);
  bool BlockHasEntriesLocked(uint64_t serial) const;
  // Over kMaxEntries: takes the least recently used idle entry out (holders mutex + mu_).
  Qnn_MemHandle_t EvictOneLocked();

  std::mutex mu_;
  std::condition_variable changed_;  // a registering entry settled, or a backend call ended
  std::map<Key, Entry> entries_;
  int backendCalls_ = 0;  // calls in progress without mu_ (registration, block release)
  uint64_t tick_ = 0;
  QnnMem_DeRegisterFn_t deRegister_ = nullptr;
  std::string rawReason_;
  std::string lastRawReason_;
  uint64_t rawBindings_ = 0;
  uint64_t evictions_ = 0;
  bool customRefused_ = false;  // the backend answered UNSUPPORTED_MEMTYPE for the custom descriptor
  bool ion_ = false;
};

}  // namespace qnn_node
