#include "SharedBlocks.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "Errors.h"
#include "RuntimeState.h"

namespace qnn_node {
namespace {

// One mutex for the table, every block's holders and every registration cache: blocks and
// contexts die on different threads (finalizers, runs, dispose), and registration is rare.
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

std::string BlockName(const SharedBlock& b) { return "shared block (fd " + std::to_string(b.fd) + ", " + std::to_string(b.bytes) + " bytes)"; }

}  // namespace

SharedBlock::~SharedBlock() {
  {
    std::lock_guard<std::mutex> lock(TableMutex());
    for (SharedRegistrations* h : holders) h->DropBlockLocked(this);
    holders.clear();
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

Qnn_MemHandle_t SharedRegistrations::Get(RuntimeState& rt, Qnn_ContextHandle_t context, SharedBlock& block,
                                         size_t offset, const TensorMeta& meta) {
  std::lock_guard<std::mutex> lock(TableMutex());
  auto key = std::make_pair(block.serial, offset);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (e.dataType == meta.dataType && e.dims == meta.dims) return e.handle;
    // Another tensor at the same place (a reset pool): the backend refuses a second
    // registration of one (fd, offset), so the old one goes first.
    DeregisterLocked(e);
    entries_.erase(it);
  }
  if (!rt.fns.memRegister || !rt.fns.memDeRegister) {
    throw CoreError("SHARED_MEMORY_UNAVAILABLE", "the backend's core API " + rt.provider.core.str() + " lacks memRegister");
  }
  Entry e;
  e.dataType = meta.dataType;
  e.dims = meta.dims;
  e.block = &block;
  QnnMemHtp_Descriptor_t htp{};
  htp.type = QNN_HTP_MEM_SHARED_BUFFER;
  htp.size = block.bytes;
  htp.sharedBufferConfig.fd = block.fd;
  htp.sharedBufferConfig.offset = offset;
  Qnn_MemDescriptor_t d{};
  d.memShape.numDim = static_cast<uint32_t>(e.dims.size());
  d.memShape.dimSize = e.dims.empty() ? nullptr : e.dims.data();
  d.memShape.shapeConfig = nullptr;
  d.dataType = static_cast<Qnn_DataType_t>(meta.dataType);
  d.memType = QNN_MEM_TYPE_CUSTOM;
  d.customInfo = &htp;
  Qnn_ErrorHandle_t st = rt.fns.memRegister(context, &d, 1, &e.handle);
  if (st != QNN_SUCCESS && offset == 0 && (static_cast<uint32_t>(st) & 0xFFFFu) == 8005u) {
    // QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE: a backend without the HTP custom descriptor may
    // still take the whole allocation as ION.
    d.memType = QNN_MEM_TYPE_ION;
    d.ionInfo.fd = block.fd;
    e.handle = nullptr;
    st = rt.fns.memRegister(context, &d, 1, &e.handle);
  }
  if (st != QNN_SUCCESS || !e.handle) {
    NativeError err = rt.StatusError("memRegister", st,
                                     "for tensor \"" + meta.name + "\" at offset " + std::to_string(offset) + " of the " + BlockName(block));
    if (st == QNN_SUCCESS) {
      err.code = "QNN_ERROR";
      err.message = "memRegister returned success but no handle for tensor \"" + meta.name + "\"";
    }
    throw CoreError(err);
  }
  deRegister_ = rt.fns.memDeRegister;
  entries_.emplace(key, std::move(e));
  if (std::find(block.holders.begin(), block.holders.end(), this) == block.holders.end()) block.holders.push_back(this);
  return entries_[key].handle;
}

void SharedRegistrations::DeregisterLocked(Entry& e) {
  if (e.handle && deRegister_) deRegister_(&e.handle, 1);
  e.handle = nullptr;
}

void SharedRegistrations::DropBlockLocked(SharedBlock* block) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.block == block) {
      DeregisterLocked(it->second);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void SharedRegistrations::DeregisterAll() {
  std::lock_guard<std::mutex> lock(TableMutex());
  for (auto& kv : entries_) {
    DeregisterLocked(kv.second);
    auto& h = kv.second.block->holders;
    h.erase(std::remove(h.begin(), h.end(), this), h.end());
  }
  entries_.clear();
}

}  // namespace qnn_node
