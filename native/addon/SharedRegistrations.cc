#include "SharedRegistrations.h"

#include <algorithm>

#include "Errors.h"
#include "RuntimeState.h"

namespace qnn_node {
namespace {

constexpr size_t kHistory = 4;  // metas remembered per place (alternation detection)

std::string BlockName(const SharedBlock& b) {
  return "shared block (fd " + std::to_string(b.fd) + ", " + std::to_string(b.bytes) + " bytes)";
}

const char* RefusalName(uint32_t code) {
  return code == 8005u ? "QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE" : "QNN_MEM_ERROR_NOT_SUPPORTED";
}

}  // namespace

SharedBinding SharedRegistrations::Raw(const std::string& reason) {
  ++rawBindings_;
  lastRawReason_ = reason;
  SharedBinding b;
  b.raw = true;
  return b;
}

SharedBinding SharedRegistrations::Acquire(RuntimeState& rt, Qnn_ContextHandle_t context, SharedBlock& block,
                                           size_t offset, const TensorMeta& tensor) {
  Meta want{tensor.dataType, tensor.dims};
  Key key{block.serial, offset};
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (!rawReason_.empty()) return Raw(rawReason_);
    if (!rt.fns.memRegister || !rt.fns.memDeRegister) {
      rawReason_ = "the backend lacks memRegister (core API " + rt.provider.core.str() + "): shared tensors run as raw buffers";
      rt.sharedDescriptorFallbacks.fetch_or(2u);
      return Raw(rawReason_);
    }
    if (customRefused_ && offset != 0) {
      return Raw("the backend refuses the HTP shared-buffer descriptor and ION registers whole blocks only: tensor \"" +
                 tensor.name + "\" at offset " + std::to_string(offset) + " runs as a raw buffer");
    }
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      Entry& e = it->second;
      if (e.registering) {
        changed_.wait(lock);
        continue;
      }
      if (e.meta == want) {
        ++e.inUse;
        e.lastUse = ++tick_;
        return SharedBinding{e.handle, &e, false};
      }
      if (e.inUse > 0) {
        return Raw("tensor \"" + tensor.name + "\" views a place of the " + BlockName(block) + " (offset " + std::to_string(offset) +
                   ") registered with other dtype/dims and in use by a run in flight: it runs as a raw buffer");
      }
      if (e.contested || std::find(e.history.begin(), e.history.end(), want) != e.history.end()) {
        e.contested = true;
        return Raw("tensor \"" + tensor.name + "\" views a place of the " + BlockName(block) + " (offset " + std::to_string(offset) +
                   ") that alternates between dtypes/dims: the registration in place stays and this one runs as a raw buffer");
      }
      // An idle place reused with a new dtype/dims (a reset pool): registered again.
      Qnn_MemHandle_t old = e.handle;
      e.handle = nullptr;
      e.registering = true;
      e.history.push_back(e.meta);
      if (e.history.size() > kHistory) e.history.erase(e.history.begin());
      e.meta = want;
      ++backendCalls_;
      QnnMem_DeRegisterFn_t deRegister = deRegister_;
      bool skipCustom = customRefused_;
      lock.unlock();
      if (old && deRegister) deRegister(&old, 1);
      return Settle(rt, context, block, offset, want, tensor.name, skipCustom, nullptr);
    }
    // A new place: a registering entry first (holders mutex before ours).
    lock.unlock();
    bool inserted = false;
    Qnn_MemHandle_t evicted = nullptr;
    {
      std::lock_guard<std::mutex> holders(SharedHoldersMutex());
      lock.lock();
      if (entries_.find(key) == entries_.end() && rawReason_.empty()) {
        if (entries_.size() >= kMaxEntries) evicted = EvictOneLocked();
        Entry& e = entries_[key];
        e.meta = want;
        e.block = &block;
        e.registering = true;
        if (std::find(block.holders.begin(), block.holders.end(), this) == block.holders.end()) block.holders.push_back(this);
        ++backendCalls_;
        inserted = true;
      }
    }
    if (!inserted) continue;
    QnnMem_DeRegisterFn_t deRegister = deRegister_;
    bool skipCustom = customRefused_;
    lock.unlock();
    return Settle(rt, context, block, offset, want, tensor.name, skipCustom, evicted ? deRegister : nullptr, evicted);
  }
}

SharedBinding SharedRegistrations::Settle(RuntimeState& rt, Qnn_ContextHandle_t context, SharedBlock& block, size_t offset,
                                          const Meta& want, const std::string& name, bool skipCustom,
                                          QnnMem_DeRegisterFn_t evictWith, Qnn_MemHandle_t evicted) {
  if (evicted && evictWith) evictWith(&evicted, 1);
  Qnn_MemHandle_t handle = nullptr;
  bool ion = false, customRefused = false;
  Qnn_ErrorHandle_t st = Register(rt, context, block, offset, want, skipCustom, &handle, &ion, &customRefused);
  uint32_t code = static_cast<uint32_t>(st) & 0xFFFFu;
  Key key{block.serial, offset};
  bool orphan = false;
  {
    std::lock_guard<std::mutex> holders(SharedHoldersMutex());
    std::lock_guard<std::mutex> lock(mu_);
    --backendCalls_;
    changed_.notify_all();
    if (customRefused) customRefused_ = true;
    auto it = entries_.find(key);
    if (st == QNN_SUCCESS && handle && it != entries_.end()) {
      Entry& e = it->second;
      deRegister_ = rt.fns.memDeRegister;
      e.handle = handle;
      e.registering = false;
      e.inUse = 1;
      e.lastUse = ++tick_;
      if (ion) {
        ion_ = true;
        rt.sharedDescriptorFallbacks.fetch_or(1u);
      }
      return SharedBinding{handle, &e, false};
    }
    if (it != entries_.end()) EraseLocked(it);
    orphan = st == QNN_SUCCESS && handle;
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (orphan) {
    // The block was released meanwhile (it cannot be while a run pins it): undo.
    lock.unlock();
    rt.fns.memDeRegister(&handle, 1);
    lock.lock();
    return Raw("the " + BlockName(block) + " was released during its registration");
  }
  if (st != QNN_SUCCESS && (code == 1000u || code == 8005u) && (code == 1000u || offset == 0)) {
    rawReason_ = std::string("the backend refused memRegister (") + RefusalName(code) +
                 "): shared tensors run as raw buffers in this context";
    rt.sharedDescriptorFallbacks.fetch_or(2u);
    return Raw(rawReason_);
  }
  if (st != QNN_SUCCESS && code == 8005u) {
    return Raw("the backend refuses the HTP shared-buffer descriptor and ION registers whole blocks only: tensor \"" + name +
               "\" at offset " + std::to_string(offset) + " runs as a raw buffer");
  }
  NativeError err = rt.StatusError("memRegister", st, "for tensor \"" + name + "\" at offset " + std::to_string(offset) + " of the " + BlockName(block));
  if (st == QNN_SUCCESS) {
    err.code = "QNN_ERROR";
    err.message = "memRegister returned success but no handle for tensor \"" + name + "\"";
  }
  throw CoreError(err);
}

Qnn_ErrorHandle_t SharedRegistrations::Register(RuntimeState& rt, Qnn_ContextHandle_t context, SharedBlock& block, size_t offset,
                                                const Meta& meta, bool skipCustom, Qnn_MemHandle_t* handle, bool* ion,
                                                bool* customRefused) {
  std::vector<uint32_t> dims = meta.dims;
  QnnMemHtp_Descriptor_t htp{};
  htp.type = QNN_HTP_MEM_SHARED_BUFFER;
  htp.size = block.bytes;
  htp.sharedBufferConfig.fd = block.fd;
  htp.sharedBufferConfig.offset = offset;
  Qnn_MemDescriptor_t d{};
  d.memShape.numDim = static_cast<uint32_t>(dims.size());
  d.memShape.dimSize = dims.empty() ? nullptr : dims.data();
  d.memShape.shapeConfig = nullptr;
  d.dataType = static_cast<Qnn_DataType_t>(meta.dataType);
  Qnn_ErrorHandle_t st = QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE;
  if (!skipCustom) {
    d.memType = QNN_MEM_TYPE_CUSTOM;
    d.customInfo = &htp;
    st = rt.fns.memRegister(context, &d, 1, handle);
    if (st == QNN_SUCCESS) return st;
    if ((static_cast<uint32_t>(st) & 0xFFFFu) != 8005u) return st;
    *customRefused = true;
  }
  if (offset != 0) return st;
  // QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE: a backend without the HTP custom descriptor may
  // still take the whole allocation as ION.
  d.memType = QNN_MEM_TYPE_ION;
  d.ionInfo.fd = block.fd;
  *handle = nullptr;
  st = rt.fns.memRegister(context, &d, 1, handle);
  if (st == QNN_SUCCESS) *ion = true;
  return st;
}

void SharedRegistrations::Release(void* token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto* e = static_cast<Entry*>(token);
  if (e->inUse > 0) --e->inUse;
}

bool SharedRegistrations::BlockHasEntriesLocked(uint64_t serial) const {
  auto it = entries_.lower_bound(Key{serial, 0});
  return it != entries_.end() && it->first.first == serial;
}

void SharedRegistrations::EraseLocked(std::map<Key, Entry>::iterator it) {
  SharedBlock* block = it->second.block;
  uint64_t serial = it->first.first;
  entries_.erase(it);
  if (!BlockHasEntriesLocked(serial)) {
    auto& h = block->holders;
    h.erase(std::remove(h.begin(), h.end(), this), h.end());
  }
}

Qnn_MemHandle_t SharedRegistrations::EvictOneLocked() {
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const Entry& e = it->second;
    if (e.inUse || e.registering || !e.handle) continue;
    if (victim == entries_.end() || e.lastUse < victim->second.lastUse) victim = it;
  }
  if (victim == entries_.end()) return nullptr;
  Qnn_MemHandle_t h = victim->second.handle;
  EraseLocked(victim);
  ++evictions_;
  return h;
}

std::vector<Qnn_MemHandle_t> SharedRegistrations::TakeBlockLocked(SharedBlock* block, QnnMem_DeRegisterFn_t* deRegister) {
  std::vector<Qnn_MemHandle_t> handles;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.lower_bound(Key{block->serial, 0});
  while (it != entries_.end() && it->first.first == block->serial) {
    if (it->second.handle) handles.push_back(it->second.handle);
    it = entries_.erase(it);
  }
  *deRegister = deRegister_;
  if (!handles.empty()) ++backendCalls_;
  return handles;
}

void SharedRegistrations::EndBackendCall() {
  std::lock_guard<std::mutex> lock(mu_);
  --backendCalls_;
  changed_.notify_all();
}

void SharedRegistrations::DeregisterAll() {
  std::vector<Qnn_MemHandle_t> handles;
  QnnMem_DeRegisterFn_t deRegister = nullptr;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] { return backendCalls_ == 0; });
    }
    std::lock_guard<std::mutex> holders(SharedHoldersMutex());
    std::lock_guard<std::mutex> lock(mu_);
    if (backendCalls_ != 0) continue;  // a block release began in between
    for (auto& kv : entries_) {
      if (kv.second.handle) handles.push_back(kv.second.handle);
      auto& h = kv.second.block->holders;
      h.erase(std::remove(h.begin(), h.end(), this), h.end());
    }
    entries_.clear();
    deRegister = deRegister_;
    break;
  }
  for (Qnn_MemHandle_t h : handles)
    if (deRegister) deRegister(&h, 1);
}

SharedRegistrationStatus SharedRegistrations::Status() {
  std::lock_guard<std::mutex> lock(mu_);
  SharedRegistrationStatus s;
  for (const auto& kv : entries_)
    if (kv.second.handle) ++s.handles;
  s.rawBindings = rawBindings_;
  s.rawReason = rawReason_;
  s.lastRawReason = lastRawReason_;
  s.ion = ion_;
  s.evictions = evictions_;
  return s;
}

size_t SharedRegistrations::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace qnn_node
