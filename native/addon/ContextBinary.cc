// A context serialized: ContextState::Serialize (contextGetBinarySize + contextGetBinary)
// and AddonContext::GetBinary, its JS entry (a worker; the bytes come back in a Buffer).
#include <chrono>

#include "qnn/qnn_abi_compat.h"

#include "AddonContext.h"
#include "Worker.h"

namespace qnn_node {
namespace {

constexpr uint32_t kNotSupported = 1000;  // QNN_COMMON_ERROR_NOT_SUPPORTED (QnnCpu's answer)

CoreError Unsupported(const RuntimeState& rt, const std::string& why) {
  return CoreError("BINARY_SERIALIZE_UNSUPPORTED", "The backend " + rt.backendPath + " (" + rt.provider.name + ", core API " +
                                                       rt.provider.core.str() + ") cannot serialize a context: " + why)
      .Detail("backendPath", rt.backendPath)
      .Detail("providerName", rt.provider.name)
      .Detail("coreApiVersion", rt.provider.core.str());
}

class GetBinaryWorker : public PromiseWorker {
 public:
  GetBinaryWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<ContextState> state)
      : PromiseWorker(env, "qnn-node:context.getBinary", owner), state_(std::move(state)) {}

 protected:
  void DoWork() override {
    ContextState::Busy busy(*state_);
    bytes_ = state_->Serialize(&ms_);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    auto* held = new std::vector<uint8_t>(std::move(bytes_));
    // Handed over without a copy where external buffers are allowed (else copied).
    Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::NewOrCopy(
        env, held->data(), held->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, held);
    o.Set("bytes", buf);
    o.Set("serializeMs", Napi::Number::New(env, ms_));
    return o;
  }

 private:
  std::shared_ptr<ContextState> state_;
  std::vector<uint8_t> bytes_;
  double ms_ = 0;
};

}  // namespace

std::vector<uint8_t> ContextState::Serialize(double* serializeMs) {
  if (freed_ || !context_) throw CoreError("DISPOSED", "the context has been disposed");
  RuntimeState& rt = *runtime_;
  auto t0 = std::chrono::steady_clock::now();
  const Version& v = rt.provider.core;
  abi::Version core{v.major, v.minor, v.patch};
  auto slot = [&](uint32_t index) { return rt.coreInterface && index < rt.coreSlots ? abi::readCoreSlot(rt.coreInterface, core, index) : nullptr; };
  auto getSize = reinterpret_cast<QnnContext_GetBinarySizeFn_t>(slot(abi::kContextGetBinarySize));
  auto get = reinterpret_cast<QnnContext_GetBinaryFn_t>(slot(abi::kContextGetBinary));
  if (!getSize || !get) throw Unsupported(rt, "its function table has no contextGetBinarySize / contextGetBinary");
  Qnn_ContextBinarySize_t size = 0;
  Qnn_ErrorHandle_t st = getSize(context_, &size);
  if ((st & 0xFFFF) == kNotSupported) throw Unsupported(rt, "contextGetBinarySize answers QNN_COMMON_ERROR_NOT_SUPPORTED (1000)");
  if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("contextGetBinarySize", st));
  if (size == 0) throw CoreError("QNN_ERROR", "contextGetBinarySize reported 0 bytes").Detail("apiFunction", "contextGetBinarySize");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  Qnn_ContextBinarySize_t written = 0;
  st = get(context_, bytes.data(), size, &written);
  if ((st & 0xFFFF) == kNotSupported) throw Unsupported(rt, "contextGetBinary answers QNN_COMMON_ERROR_NOT_SUPPORTED (1000)");
  if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("contextGetBinary", st));
  if (written == 0 || written > size) {
    throw CoreError("QNN_ERROR", "contextGetBinary wrote " + std::to_string(written) + " bytes into a buffer of " + std::to_string(size))
        .Detail("apiFunction", "contextGetBinary");
  }
  bytes.resize(static_cast<size_t>(written));
  *serializeMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return bytes;
}

Napi::Value AddonContext::GetBinary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<ContextState> state = Require(env);
  auto* worker = new GetBinaryWorker(env, Value(), std::move(state));
  worker->Queue();
  return worker->Promise();
}

}  // namespace qnn_node
