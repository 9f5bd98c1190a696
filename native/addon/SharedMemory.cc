// The runtime wrap's shared-tensor methods: rpcmem loading + probing at load, the
// sharedMemory info, allocShared / freeShared (external ArrayBuffers over SharedBlocks).
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "AddonRuntime.h"
#include "Errors.h"
#include "SharedBlocks.h"

namespace qnn_node {
namespace {

// napi_no_external_buffers_allowed (Node-API status 22), as in AddonMappedFile.cc.
constexpr int kNoExternalBuffersAllowed = 22;
const char kNoExternalBuffersReason[] =
    "this runtime forbids external ArrayBuffers (Node-API status 22: Electron's V8 memory cage)";

// Tests stand in for such a runtime with QNN_NODE_TEST_NO_EXTERNAL_BUFFERS=1.
bool ExternalBuffersForbiddenByTest() {
  const char* v = std::getenv("QNN_NODE_TEST_NO_EXTERNAL_BUFFERS");
  return v && std::strcmp(v, "1") == 0;
}

napi_status CreateExternal(napi_env env, void* data, size_t bytes, napi_finalize fin, void* hint, napi_value* out) {
  if (ExternalBuffersForbiddenByTest()) return static_cast<napi_status>(kNoExternalBuffersAllowed);
  return napi_create_external_arraybuffer(env, data, bytes, fin, hint, out);
}

struct FinalizeHint {
  void* base;
  uint64_t serial;
};

// The ArrayBuffer is gone (collected, or detached by freeShared): drop the table's hold.
void FinalizeShared(napi_env, void*, void* hint) {
  std::unique_ptr<FinalizeHint> h(static_cast<FinalizeHint*>(hint));
  SharedTable::Remove(h->base, h->serial);
}

}  // namespace

void LoadSharedMemory(AddonRuntime* wrap, const RuntimeState& rt, const std::string& path) {
  wrap->rpcmem.reset();
  if (!rt.fns.memRegister || !rt.fns.memDeRegister) {
    wrap->sharedMemoryReason = "the backend lacks memRegister (core API " + rt.provider.core.str() + ")";
    return;
  }
  std::string reason;
  std::shared_ptr<RpcMemLibrary> lib = RpcMemLibrary::Open(path, &reason);
  if (lib) reason = lib->Probe();
  if (!lib || !reason.empty()) {
    wrap->sharedMemoryReason = reason;
    return;
  }
  wrap->rpcmem = std::move(lib);
}

Napi::Object SharedMemoryInfoToJs(Napi::Env env, AddonRuntime* wrap) {
  if (wrap->rpcmem) {
    static uint8_t probeByte = 0;
    napi_value probe = nullptr;
    if (static_cast<int>(CreateExternal(env, &probeByte, 1, nullptr, nullptr, &probe)) == kNoExternalBuffersAllowed) {
      wrap->rpcmem.reset();
      wrap->sharedMemoryReason = kNoExternalBuffersReason;
    } else if (probe) {
      Napi::ArrayBuffer(env, probe).Detach();
    }
  }
  Napi::Object o = Napi::Object::New(env);
  bool ok = wrap->rpcmem != nullptr;
  o.Set("available", Napi::Boolean::New(env, ok));
  o.Set("reason", ok ? env.Null() : Napi::Value(Napi::String::New(env, wrap->sharedMemoryReason)));
  o.Set("library", ok ? Napi::Value(Napi::String::New(env, wrap->rpcmem->path())) : env.Null());
  o.Set("descriptor", ok ? Napi::Value(Napi::String::New(env, "shared-buffer")) : env.Null());
  wrap->lastSharedDescriptor_ = ok ? "shared-buffer" : "";
  return o;
}

// allocShared(bytes): one rpcmem block behind a new external ArrayBuffer (zero-filled).
Napi::Value AddonRuntime::AllocShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value arg = info.Length() > 0 ? info[0] : env.Undefined();
  double d = arg.IsNumber() ? arg.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 1 && d <= 9007199254740991.0) || std::floor(d) != d) {
    ThrowInvalidArg(env, "a positive integer byte count", "bytes", arg);
  }
  Require(env);
  if (!rpcmem) {
    NativeError e;
    e.code = sharedMemoryReason == kNoExternalBuffersReason ? "EXTERNAL_BUFFERS_FORBIDDEN" : "SHARED_MEMORY_UNAVAILABLE";
    e.message = "Cannot allocate shared memory: " + sharedMemoryReason;
    e.details.emplace_back("reason", sharedMemoryReason);
    throw ToJsError(env, e);
  }
  std::shared_ptr<SharedBlock> block;
  try {
    block = SharedTable::Allocate(rpcmem, static_cast<size_t>(d));
  } catch (const CoreError& e) {
    throw ToJsError(env, e.error());
  }
  std::memset(block->base, 0, block->bytes);
  auto* hint = new FinalizeHint{block->base, block->serial};
  napi_value buffer = nullptr;
  napi_status st = CreateExternal(env, block->base, block->bytes, FinalizeShared, hint, &buffer);
  if (st != napi_ok) {
    delete hint;  // not called on failure: the block (and its memory) is still ours
    if (static_cast<int>(st) == kNoExternalBuffersAllowed) {
      ThrowCode(env, "EXTERNAL_BUFFERS_FORBIDDEN", std::string("Cannot allocate shared memory: ") + kNoExternalBuffersReason);
    }
    if (env.IsExceptionPending()) throw env.GetAndClearPendingException();
    ThrowCode(env, "SHARED_ALLOC_FAILED", "napi_create_external_arraybuffer failed for a shared block");
  }
  SharedTable::Insert(block);
  Napi::Object out = Napi::Object::New(env);
  out.Set("buffer", Napi::Value(env, buffer));
  out.Set("fd", Napi::Number::New(env, block->fd));
  return out;
}

// freeShared(buffer): detaches the ArrayBuffer of a live block and drops the table's hold
// (a run in flight keeps the memory until it settles). false when it is no live block.
Napi::Value AddonRuntime::FreeShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value arg = info.Length() > 0 ? info[0] : env.Undefined();
  if (!arg.IsArrayBuffer()) ThrowInvalidArg(env, "an ArrayBuffer from allocShared", "buffer", arg);
  Napi::ArrayBuffer ab = arg.As<Napi::ArrayBuffer>();
  if (ab.IsDetached() || ab.ByteLength() == 0) return Napi::Boolean::New(env, false);
  std::shared_ptr<SharedBlock> block = SharedTable::Find(ab.Data(), ab.ByteLength());
  if (!block || block->base != ab.Data() || block->bytes != ab.ByteLength()) return Napi::Boolean::New(env, false);
  // Detaching makes every view empty at once; the finalizer then runs on a later turn
  // and finds the block already removed (the serial guards against a reused address).
  ab.Detach();
  SharedTable::Remove(block->base, block->serial);
  return Napi::Boolean::New(env, true);
}

Napi::Value AddonRuntime::SharedDescriptor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (state_) {
    unsigned used = state_->sharedDescriptorFallbacks.load();
    lastSharedDescriptor_ = !rpcmem ? "" : (used & 1u) ? "ion" : (used & 2u) ? "raw" : "shared-buffer";
  }
  if (lastSharedDescriptor_.empty()) return env.Null();
  return Napi::String::New(env, lastSharedDescriptor_);
}

}  // namespace qnn_node
