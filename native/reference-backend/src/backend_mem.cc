// libQnnReference: memRegister / memDeRegister (backend_mem.h). A descriptor names a shared
// allocation by fd — QNN_MEM_TYPE_ION (the whole allocation from offset 0) or
// QNN_MEM_TYPE_CUSTOM with an HTP SHARED_BUFFER descriptor {fd, offset, size = the whole
// allocation's bytes}. The backend maps the memory behind the fd itself, as the DSP does:
// Linux/POSIX mmap of the fd (the rpcmem stand-in hands out memfd descriptors), Windows the
// stand-in's lookup export (its "fd" is its own number).
#include "backend_mem.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "backend_api.h"
#include "backend_journal.h"
#include "backend_registry.h"
#include "../rpcmem/rpcmem_ref.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/mman.h>
#include <sys/stat.h>
#endif

namespace qnnref {
namespace {

// (context, allocation, offset) -> registration: the same window twice in one context is
// refused (QNN_MEM_ERROR_ALREADY_REGISTERED), which makes clients cache their handles.
using MemKey = std::tuple<ContextImpl*, uint64_t, uint64_t>;
std::map<MemKey, MemImpl*> g_memByKey;                         // guarded by g_mu
std::map<uint64_t, std::weak_ptr<SharedMapping>> g_mappings;  // guarded by g_mu

// The mapping of the allocation behind `fd`, shared by every registration of it. Caller
// holds g_mu.
std::shared_ptr<SharedMapping> mapFd(int32_t fd, std::string* why) {
#if defined(_WIN32)
  HMODULE lib = GetModuleHandleW(L"libcdsprpc.dll");
  auto lookupFd = lib ? reinterpret_cast<QnnRefRpcmemLookupFn>(reinterpret_cast<void*>(GetProcAddress(lib, QNNREF_RPCMEM_LOOKUP_SYMBOL))) : nullptr;
  void* base = nullptr;
  size_t bytes = 0;
  if (!lookupFd || lookupFd(fd, &base, &bytes) != 0) {
    *why = lookupFd ? "is not a live rpcmem allocation" : "cannot be resolved (libcdsprpc.dll with " QNNREF_RPCMEM_LOOKUP_SYMBOL " is not loaded)";
    return nullptr;
  }
  uint64_t key = uint64_t(uint32_t(fd)) | (uint64_t(reinterpret_cast<uintptr_t>(base)) << 20);
  if (auto live = g_mappings[key].lock()) return live;
  auto m = std::make_shared<SharedMapping>();
  m->base = static_cast<uint8_t*>(base);
  m->bytes = bytes;
  m->key = key;
  g_mappings[key] = m;
  return m;
#else
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
    *why = "is not an open shared-memory descriptor";
    return nullptr;
  }
  uint64_t key = (uint64_t(st.st_dev) << 40) ^ uint64_t(st.st_ino);
  if (auto live = g_mappings[key].lock()) return live;
  void* p = mmap(nullptr, size_t(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    *why = "could not be mapped";
    return nullptr;
  }
  auto m = std::make_shared<SharedMapping>();
  m->base = static_cast<uint8_t*>(p);
  m->bytes = uint64_t(st.st_size);
  m->key = key;
  m->owned = true;
  g_mappings[key] = m;
  return m;
#endif
}

const char* memTypeName(Qnn_MemType_t t) {
  switch (t) {
    case QNN_MEM_TYPE_ION: return "ion";
    case QNN_MEM_TYPE_CUSTOM: return "custom";
    case QNN_MEM_TYPE_DMA_BUF: return "dma_buf";
    default: return "unknown";
  }
}

struct Checked {
  MemImpl mem;
  std::string journal;  // this descriptor as journal JSON
};

// Validates one descriptor and maps its allocation. Caller holds g_mu.
Qnn_ErrorHandle_t checkDescriptor(ContextImpl* c, const Qnn_MemDescriptor_t& d, uint32_t i, Checked* out, std::string* msg) {
  JournalEntry j("descriptor");  // only its fields are used (json() minus the call)
  j.str("memType", memTypeName(d.memType)).num("dataType", d.dataType);
  std::string dims = "[";
  for (uint32_t k = 0; d.memShape.dimSize && k < d.memShape.numDim && k < 16; ++k) dims += (k ? "," : "") + std::to_string(d.memShape.dimSize[k]);
  j.raw("dims", dims + "]").boolean("shapeConfig", d.memShape.shapeConfig != nullptr);
  auto finish = [&]() { out->journal = "{" + j.json().substr(j.json().find(',') + 1); };
  std::string what = formatString("memRegister: descriptor #%u", i);

  // QNN_REFERENCE_MEM_TYPES=ion: a backend without the HTP custom descriptor (ION only).
  const char* types = std::getenv("QNN_REFERENCE_MEM_TYPES");
  if (types && std::strcmp(types, "ion") == 0 && d.memType == QNN_MEM_TYPE_CUSTOM) {
    finish();
    *msg = what + " is CUSTOM; this backend (QNN_REFERENCE_MEM_TYPES=ion) registers ION memory only";
    return QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE;
  }
  if (d.memType != QNN_MEM_TYPE_ION && d.memType != QNN_MEM_TYPE_CUSTOM) {
    finish();
    *msg = formatString("%s has memType %u (%s); the reference backend registers ION (1) and CUSTOM (2) memory", what.c_str(), unsigned(d.memType), memTypeName(d.memType));
    return QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE;
  }
  int32_t fd = -1;
  uint64_t offset = 0, declaredSize = 0;
  if (d.memType == QNN_MEM_TYPE_ION) {
    fd = d.ionInfo.fd;
  } else {
    const auto* htp = static_cast<const QnnMemHtp_Descriptor_t*>(d.customInfo);
    if (!htp) {
      finish();
      *msg = what + " is CUSTOM with a NULL customInfo (expected a QnnMemHtp_Descriptor_t)";
      return QNN_MEM_ERROR_INVALID_ARGUMENT;
    }
    j.num("htpType", htp->type);
    if (htp->type != QNN_HTP_MEM_SHARED_BUFFER) {
      finish();
      *msg = formatString("%s has an HTP descriptor of type %u; the reference backend registers SHARED_BUFFER (1)", what.c_str(), unsigned(htp->type));
      return QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE;
    }
    fd = htp->sharedBufferConfig.fd;
    offset = htp->sharedBufferConfig.offset;
    declaredSize = htp->size;
    j.u64("offset", offset).u64("size", declaredSize);
  }
  j.num("fd", fd);
  finish();
  if (d.memShape.shapeConfig) {
    *msg = what + " has a shapeConfig; the reference backend registers plain tensors only (shapeConfig NULL)";
    return QNN_MEM_ERROR_INVALID_SHAPE;
  }
  if (d.memShape.numDim == 0 || !d.memShape.dimSize) {
    *msg = formatString("%s has numDim %u and %s dimSize", what.c_str(), d.memShape.numDim, d.memShape.dimSize ? "a" : "a NULL");
    return QNN_MEM_ERROR_INVALID_SHAPE;
  }
  uint64_t elements = 1;
  for (uint32_t k = 0; k < d.memShape.numDim; ++k) {
    uint32_t dim = d.memShape.dimSize[k];
    if (dim == 0 || elements > (uint64_t(1) << 48) / dim) {
      *msg = formatString("%s has dimension %u = %u", what.c_str(), k, dim);
      return QNN_MEM_ERROR_INVALID_SHAPE;
    }
    elements *= dim;
  }
  if (!dtypeBits(d.dataType)) {
    *msg = formatString("%s has an unknown dataType 0x%04x", what.c_str(), unsigned(d.dataType));
    return QNN_MEM_ERROR_INVALID_ARGUMENT;
  }
  uint64_t bytes = byteSizeOf(d.dataType, elements);
  std::string why;
  auto map = mapFd(fd, &why);
  if (!map) {
    *msg = formatString("%s: fd %d %s", what.c_str(), fd, why.c_str());
    return QNN_MEM_ERROR_MAPPING;
  }
  if (d.memType == QNN_MEM_TYPE_CUSTOM && declaredSize != map->bytes) {
    *msg = formatString("%s declares size %llu but the allocation behind fd %d has %llu bytes (SHARED_BUFFER size is the whole allocation's)", what.c_str(),
                        (unsigned long long)declaredSize, fd, (unsigned long long)map->bytes);
    return QNN_MEM_ERROR_INVALID_ARGUMENT;
  }
  if (offset > map->bytes || bytes > map->bytes - offset) {
    *msg = formatString("%s: offset %llu + %llu tensor bytes is beyond the %llu-byte allocation behind fd %d", what.c_str(), (unsigned long long)offset,
                        (unsigned long long)bytes, (unsigned long long)map->bytes, fd);
    return QNN_MEM_ERROR_INVALID_ARGUMENT;
  }
  if (g_memByKey.count(MemKey{c, map->key, offset})) {
    *msg = formatString("%s: fd %d at offset %llu is already registered in this context (reuse its handle)", what.c_str(), fd, (unsigned long long)offset);
    return QNN_MEM_ERROR_ALREADY_REGISTERED;
  }
  out->mem = MemImpl{c, std::move(map), offset, bytes, d.memType, fd, uint32_t(d.dataType),
                     std::vector<uint32_t>(d.memShape.dimSize, d.memShape.dimSize + d.memShape.numDim), 0};
  return QNN_SUCCESS;
}

}  // namespace

SharedMapping::~SharedMapping() {
#if !defined(_WIN32)
  if (owned && base) munmap(base, size_t(bytes));
#endif
}

Qnn_ErrorHandle_t memRegister(Qnn_ContextHandle_t context, const Qnn_MemDescriptor_t* descs, uint32_t n, Qnn_MemHandle_t* handles) {
  ContextImpl* c = lookup<ContextImpl>(context, Kind::Context);
  Logger* log = c ? c->logger.get() : anyLogger();
  {
    uint32_t injected = 0;  // journaled too: tests count the registrations a client attempts
    if (injectedFailure("memRegister", &injected)) {
      JournalEntry("memRegister").num("count", n).raw("descriptors", "[]").num("status", double(injected)).boolean("injected", true).write();
      return fail(log, injected, "memRegister: failure injected by QNN_REFERENCE_FAIL");
    }
  }
  if (!c) return fail(log, QNN_MEM_ERROR_INVALID_HANDLE, "memRegister: invalid context handle");
  if (!descs || !handles || n == 0) return fail(log, QNN_MEM_ERROR_INVALID_ARGUMENT, "memRegister: NULL descriptors or handles, or no descriptors");
  for (uint32_t i = 0; i < n; ++i) handles[i] = nullptr;
  // QNN_REFERENCE_MEM_DELAY_MS: a slow registration (as a first DSP mapping can be).
  if (const char* delay = std::getenv("QNN_REFERENCE_MEM_DELAY_MS")) {
    long ms = std::strtol(delay, nullptr, 10);
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }

  // All or nothing: every descriptor is checked before any is registered.
  std::vector<Checked> checked(n);
  Qnn_ErrorHandle_t status = QNN_SUCCESS;
  std::string msg;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    for (uint32_t i = 0; i < n && status == QNN_SUCCESS; ++i) {
      status = checkDescriptor(c, descs[i], i, &checked[i], &msg);
      for (uint32_t k = 0; k < i && status == QNN_SUCCESS; ++k) {
        if (checked[k].mem.map == checked[i].mem.map && checked[k].mem.offset == checked[i].mem.offset) {
          status = QNN_MEM_ERROR_ALREADY_REGISTERED;
          msg = formatString("memRegister: descriptors #%u and #%u name the same memory (fd %d, offset %llu)", k, i, checked[i].mem.fd, (unsigned long long)checked[i].mem.offset);
        }
      }
    }
    if (status == QNN_SUCCESS) {
      for (uint32_t i = 0; i < n; ++i) {
        auto* m = new MemImpl(std::move(checked[i].mem));
        g_handles[m] = Kind::Mem;
        g_memByKey[MemKey{c, m->map->key, m->offset}] = m;
        handles[i] = m;
      }
    }
  }
  if (journalOn()) {
    std::string list = "[";
    for (uint32_t i = 0; i < n && !checked[i].journal.empty(); ++i) list += (i ? "," : "") + checked[i].journal;
    JournalEntry("memRegister").num("count", n).raw("descriptors", list + "]").num("status", double(status)).write();
  }
  if (status != QNN_SUCCESS) return fail(log, uint32_t(status), msg);
  logf(log, QNN_LOG_LEVEL_DEBUG, "memRegister: %u descriptor(s) registered", n);
  return QNN_SUCCESS;
}

Qnn_ErrorHandle_t memDeRegister(const Qnn_MemHandle_t* handles, uint32_t n) {
  Logger* log = anyLogger();
  QNNREF_INJECT("memDeRegister", log);
  if (!handles && n) return fail(log, QNN_MEM_ERROR_INVALID_ARGUMENT, "memDeRegister: NULL handle array");
  // Every valid handle is deregistered even when others are not valid; a handle an
  // executing graph uses is refused (kept registered).
  uint32_t invalid = 0, firstInvalid = 0, busy = 0, firstBusy = 0;
  std::vector<std::unique_ptr<MemImpl>> dropped;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    for (uint32_t i = 0; i < n; ++i) {
      auto* m = static_cast<MemImpl*>(handles[i]);
      if (!isHandle(m, Kind::Mem)) {
        if (invalid++ == 0) firstInvalid = i;
        continue;
      }
      if (m->executing) {
        if (busy++ == 0) firstBusy = i;
        continue;
      }
      g_handles.erase(m);
      g_memByKey.erase(MemKey{m->ctx, m->map->key, m->offset});
      dropped.emplace_back(m);
    }
    dropped.clear();  // unmaps allocations no longer used, under g_mu (g_mappings)
  }
  JournalEntry("memDeRegister").num("count", n).num("invalid", invalid).num("busy", busy).write();
  if (busy)
    return fail(log, QNN_COMMON_ERROR_RESOURCE_UNAVAILABLE,
                formatString("memDeRegister: %u of %u handle(s) are in use by an executing graph (the first is #%u); they stay registered", busy, n, firstBusy));
  if (invalid)
    return fail(log, QNN_MEM_ERROR_INVALID_HANDLE,
                formatString("memDeRegister: %u of %u handle(s) were not registered (the first is #%u: freed, never registered or its context freed)", invalid, n, firstInvalid));
  return QNN_SUCCESS;
}

MemInUse::~MemInUse() {
  if (handles.empty()) return;
  std::lock_guard<std::mutex> lock(g_mu);
  for (MemImpl* m : handles) --m->executing;
}

bool resolveMemHandle(ContextImpl* ctx, Qnn_MemHandle_t handle, uint64_t tensorBytes, uint32_t dataType,
                      const std::vector<uint32_t>& dims, ResolvedMem* out, MemInUse* inUse, std::string* why) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto* m = static_cast<MemImpl*>(handle);
  if (!isHandle(m, Kind::Mem)) {
    *why = formatString("has memHandle %p, which is not registered (deregistered, never registered, or its context was freed)", handle);
    return false;
  }
  if (m->ctx != ctx) {
    *why = formatString("has memHandle %p, which was registered in another context (register the memory in each context that uses it)", handle);
    return false;
  }
  if (m->bytes < tensorBytes) {
    *why = formatString("has memHandle %p registered for %llu bytes, too small for the tensor's %llu", handle, (unsigned long long)m->bytes, (unsigned long long)tensorBytes);
    return false;
  }
  if (m->dataType != dataType || m->dims != dims) {
    auto dimsText = [](const std::vector<uint32_t>& d) {
      std::string t = "[";
      for (size_t k = 0; k < d.size(); ++k) t += (k ? "," : "") + std::to_string(d[k]);
      return t + "]";
    };
    *why = formatString("has memHandle %p registered as dataType 0x%04x dims %s, not the tensor's 0x%04x %s (register the memory for this tensor)", handle,
                        unsigned(m->dataType), dimsText(m->dims).c_str(), unsigned(dataType), dimsText(dims).c_str());
    return false;
  }
  out->data = m->map->base + m->offset;
  out->map = m->map;
  ++m->executing;
  inUse->handles.push_back(m);
  return true;
}

size_t releaseContextMem(ContextImpl* ctx) {
  std::vector<std::unique_ptr<MemImpl>> dropped;
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_memByKey.lower_bound(MemKey{ctx, 0, 0});
  while (it != g_memByKey.end() && std::get<0>(it->first) == ctx) {
    g_handles.erase(it->second);
    dropped.emplace_back(it->second);
    it = g_memByKey.erase(it);
  }
  size_t n = dropped.size();
  dropped.clear();
  return n;
}

}  // namespace qnnref
