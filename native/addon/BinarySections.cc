#include "BinarySections.h"

#include <chrono>
#include <cstddef>
#include <cmath>
#include <memory>
#include <mutex>
#include <vector>

#include "AddonContext.h"
#include "Worker.h"
#include "qnn/qnn_abi_compat.h"

namespace qnn_node {
namespace {

constexpr uint32_t kSectionsSinceCoreMinor = 18;

// The project's mirror of QnnContext_Buffer_t (docs/qnn-abi.md): version 1, RAW memory.
// Own types here, so this file also compiles against SDK headers older than core 2.18
// (QNN_SDK_ROOT builds), which lack the section declarations.
struct SectionBuffer {
  uint32_t version;     // QNN_CONTEXT_BUFFER_VERSION_1
  uint32_t reserved0;
  uint32_t memType;     // QNN_CONTEXTMEMTYPE_RAW
  uint32_t reserved1;
  void* data;
  uint64_t dataSize;
};
static_assert(sizeof(SectionBuffer) == 32 && offsetof(SectionBuffer, memType) == 8 && offsetof(SectionBuffer, data) == 16 &&
                  offsetof(SectionBuffer, dataSize) == 24,
              "SectionBuffer is QnnContext_Buffer_t's layout");
#if !QNN_NODE_HEADERS_FROM_SDK || QNN_API_VERSION_MINOR >= 18
static_assert(sizeof(SectionBuffer) == sizeof(QnnContext_Buffer_t) && offsetof(QnnContext_Buffer_t, v1) + offsetof(QnnContext_BufferV1_t, binaryBuf) ==
                  offsetof(SectionBuffer, data),
              "SectionBuffer matches the declared QnnContext_Buffer_t");
#endif
constexpr uint32_t kBufferVersion1 = 1;
constexpr uint32_t kMemTypeRaw = 0;
constexpr uint32_t kSectionUpdatable = 1;  // QNN_CONTEXT_SECTION_UPDATABLE
// The slots' signatures with the section type as its 32-bit value.
using ApplySectionFn = Qnn_ErrorHandle_t (*)(Qnn_ContextHandle_t, Qnn_GraphHandle_t, uint32_t, const SectionBuffer*, Qnn_ProfileHandle_t,
                                             Qnn_SignalHandle_t);
using GetSectionSizeFn = Qnn_ErrorHandle_t (*)(Qnn_ContextHandle_t, Qnn_GraphHandle_t, uint32_t, Qnn_ContextBinarySize_t*);
using GetSectionFn = Qnn_ErrorHandle_t (*)(Qnn_ContextHandle_t, Qnn_GraphHandle_t, uint32_t, const SectionBuffer*, Qnn_ContextBinarySize_t*,
                                           Qnn_ProfileHandle_t, Qnn_SignalHandle_t);

SectionBuffer RawBuffer(void* data, uint64_t size) {
  SectionBuffer b{};
  b.version = kBufferVersion1;
  b.memType = kMemTypeRaw;
  b.data = data;
  b.dataSize = size;
  return b;
}

// Every graph's execute lock, in index order (a run takes only its own), so a section
// never changes weights under a running graph of this context.
class AllGraphsLocked {
 public:
  explicit AllGraphsLocked(ContextState& s) {
    for (auto& g : s.graphs()) locks_.emplace_back(g->executeMutex);
  }

 private:
  std::vector<std::unique_lock<std::mutex>> locks_;
};

// The optional graph argument: -1 (whole context) or an index into the context's graphs.
int64_t GraphArg(Napi::Env env, const Napi::CallbackInfo& info, size_t at, ContextState& s) {
  Napi::Value v = info.Length() > at ? info[at] : env.Undefined();
  if (v.IsUndefined() || v.IsNull()) return -1;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d < static_cast<double>(s.graphs().size())) || std::floor(d) != d) {
    ThrowInvalidArg(env, "a graph index from 0 to " + std::to_string(s.graphs().size() - 1), "graph", v);
  }
  return static_cast<int64_t>(d);
}

void MapSection(FileMapping& mapping, const std::string& path) {
  FileMapping::Failure failure = FileMapping::Failure::kNone;
  std::string err;
  if (mapping.Open(path, &failure, &err)) return;
  switch (failure) {
    case FileMapping::Failure::kNotFound:
      throw CoreError("FILE_NOT_FOUND", "Binary section not found: " + path).Detail("path", path);
    case FileMapping::Failure::kEmpty:
      throw CoreError("FILE_EMPTY", "Binary section is empty: " + path).Detail("path", path);
    case FileMapping::Failure::kNotRegular:
      throw CoreError("NOT_A_FILE", "Binary section is not a regular file: " + path).Detail("path", path);
    default:
      throw CoreError("MAP_FAILED", "Could not map the binary section " + path + ": " + err).Detail("path", path);
  }
}

class ApplySectionWorker : public PromiseWorker {
 public:
  ApplySectionWorker(Napi::Env env, Napi::Object owner, AddonContext* wrap, std::shared_ptr<ContextState> state,
                     ApplySectionFn fn, std::string path, const void* data, size_t size, int64_t graph)
      : PromiseWorker(env, "qnn-node:context.applyBinarySection", owner), wrap_(wrap), state_(std::move(state)), fn_(fn),
        path_(std::move(path)), data_(data), size_(size), graph_(graph) {}
  // In-memory bytes stay pinned until the promise settles (and longer when retained).
  void PinSource(Napi::Object source) { source_ = Napi::Persistent(source); }

 protected:
  void DoWork() override {
    ContextState::Busy busy(*state_);
    const bool persistent = state_->persistent();
    std::unique_ptr<FileMapping> mapping;
    FileMapping* mapped = nullptr;
    if (!path_.empty()) {
      mapped = persistent ? state_->RetainedSection(path_) : nullptr;
      if (!mapped) {
        mapping = std::make_unique<FileMapping>();
        MapSection(*mapping, path_);
        mapped = mapping.get();
      }
      data_ = mapped->data();
      size_ = mapped->size();
    }
    SectionBuffer buffer = RawBuffer(const_cast<void*>(data_), size_);
    Qnn_GraphHandle_t graph = graph_ >= 0 ? state_->graphs()[static_cast<size_t>(graph_)]->handle : nullptr;
    auto t0 = std::chrono::steady_clock::now();
    Qnn_ErrorHandle_t st;
    {
      AllGraphsLocked locked(*state_);
      st = fn_(state_->handle(), graph, kSectionUpdatable, &buffer, nullptr, nullptr);
    }
    applyMs_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (st != QNN_SUCCESS) {
      std::string what = graph_ >= 0 ? "graph '" + state_->graphs()[static_cast<size_t>(graph_)]->meta.name + "'" : "the whole context";
      state_->runtime().ThrowStatus("contextApplyBinarySection", st, what);
    }
    sectionBytes_ = size_;
    wasMapped_ = !path_.empty();
    // The backend may keep pointers into a section applied to a persistent context.
    retained_ = persistent;
    if (persistent && mapping) state_->RetainSection(path_, std::move(mapping));
  }
  void Settle(Napi::Env env) override {
    if (!failed_ && retained_ && !source_.IsEmpty()) wrap_->RetainSectionSource(source_.Value());
    wrap_->EndRun(env);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    r.Set("applyMs", Napi::Number::New(env, applyMs_));
    r.Set("sectionBytes", Napi::Number::New(env, static_cast<double>(sectionBytes_)));
    r.Set("mapped", Napi::Boolean::New(env, wasMapped_));
    r.Set("retained", Napi::Boolean::New(env, retained_));
    return r;
  }

 private:
  AddonContext* wrap_;
  std::shared_ptr<ContextState> state_;
  ApplySectionFn fn_;
  std::string path_;
  const void* data_;
  size_t size_;
  int64_t graph_;
  Napi::ObjectReference source_;
  double applyMs_ = 0;
  uint64_t sectionBytes_ = 0;
  bool wasMapped_ = false, retained_ = false;
};

class ReadSectionWorker : public PromiseWorker {
 public:
  ReadSectionWorker(Napi::Env env, Napi::Object owner, AddonContext* wrap, std::shared_ptr<ContextState> state,
                    GetSectionSizeFn sizeFn, GetSectionFn getFn, int64_t graph)
      : PromiseWorker(env, "qnn-node:context.readBinarySection", owner), wrap_(wrap), state_(std::move(state)), sizeFn_(sizeFn),
        getFn_(getFn), graph_(graph) {}

 protected:
  void DoWork() override {
    ContextState::Busy busy(*state_);
    Qnn_GraphHandle_t graph = graph_ >= 0 ? state_->graphs()[static_cast<size_t>(graph_)]->handle : nullptr;
    AllGraphsLocked locked(*state_);
    Qnn_ContextBinarySize_t size = 0;
    Qnn_ErrorHandle_t st = sizeFn_(state_->handle(), graph, kSectionUpdatable, &size);
    if (st != QNN_SUCCESS) state_->runtime().ThrowStatus("contextGetBinarySectionSize", st);
    if (size == 0 || size > (uint64_t{1} << 40)) {
      throw CoreError("QNN_ERROR", "contextGetBinarySectionSize reported " + std::to_string(size) + " bytes").Detail("apiFunction", "contextGetBinarySectionSize");
    }
    bytes_.resize(static_cast<size_t>(size));
    SectionBuffer buffer = RawBuffer(bytes_.data(), size);
    Qnn_ContextBinarySize_t written = 0;
    st = getFn_(state_->handle(), graph, kSectionUpdatable, &buffer, &written, nullptr, nullptr);
    if (st != QNN_SUCCESS) state_->runtime().ThrowStatus("contextGetBinarySection", st);
    if (written > size) throw CoreError("QNN_ERROR", "contextGetBinarySection wrote " + std::to_string(written) + " bytes into " + std::to_string(size));
    bytes_.resize(static_cast<size_t>(written));
  }
  void Settle(Napi::Env env) override { wrap_->EndRun(env); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(env, bytes_.data(), bytes_.size());
    return out;
  }

 private:
  AddonContext* wrap_;
  std::shared_ptr<ContextState> state_;
  GetSectionSizeFn sizeFn_;
  GetSectionFn getFn_;
  int64_t graph_;
  std::vector<uint8_t> bytes_;
};

}  // namespace

void* RequireSectionSlot(RuntimeState& rt, uint32_t slot, const char* function) {
  const Version& v = rt.provider.core;
  std::string reported = v.str();
  if (v.major != abi::kCoreMajor || v.minor < kSectionsSinceCoreMinor) {
    throw CoreError("UNSUPPORTED_FEATURE", std::string(function) + " is not available: the backend reports core API " + reported +
                                               " and binary sections need core API 2.18 or newer (QNN SDK 2.25+)")
        .Detail("function", function)
        .Detail("coreApiVersion", reported)
        .Detail("minimumCoreApi", "2.18.0");
  }
  abi::Version core{v.major, v.minor, v.patch};
  void* fn = rt.coreInterface && slot < rt.coreSlots ? abi::readCoreSlot(rt.coreInterface, core, slot) : nullptr;
  if (!fn) {
    throw CoreError("UNSUPPORTED_FEATURE", std::string(function) + " is not available: the backend reports core API " + reported +
                                               " but leaves its slot (" + std::to_string(slot) + ") NULL")
        .Detail("function", function)
        .Detail("coreApiVersion", reported)
        .Detail("slot", std::to_string(slot));
  }
  return fn;
}

Napi::Value ApplyBinarySectionJs(AddonContext* wrap, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<ContextState> state = wrap->Require(env);
  Napi::Value src = info.Length() > 0 ? info[0] : env.Undefined();
  std::string path;
  if (src.IsString()) {
    path = src.As<Napi::String>().Utf8Value();
    if (path.empty() || path.find('\0') != std::string::npos) ThrowInvalidArg(env, "a file path", "source", src);
  } else if (!(src.IsTypedArray() || src.IsDataView() || src.IsArrayBuffer())) {
    ThrowInvalidArg(env, "a file path or a Uint8Array", "source", src);
  }
  int64_t graph = GraphArg(env, info, 1, *state);
  void* fn;
  try {
    fn = RequireSectionSlot(state->runtime(), abi::kContextApplyBinarySection, "contextApplyBinarySection");
  } catch (const CoreError& e) {
    throw ToJsError(env, e.error());
  }
  // The bytes' pointer is taken last (nothing after this runs JS).
  const void* data = nullptr;
  size_t size = 0;
  bool inMemory = path.empty();
  if (inMemory) {
    uint8_t* bytes = nullptr;
    BufferBytes(env, src, &bytes, &size);
    if (IsResizableBuffer(env, src)) ThrowInvalidArg(env, "a fixed-length ArrayBuffer", "source", src);
    if (!bytes || size == 0) ThrowCode(env, "ERR_INVALID_ARG", "The binary section is empty (or its buffer was detached)", true);
    data = bytes;
  }
  wrap->BeginRun();  // a dispose meanwhile waits for the apply
  auto* worker = new ApplySectionWorker(env, wrap->Value(), wrap, std::move(state), reinterpret_cast<ApplySectionFn>(fn),
                                        std::move(path), data, size, graph);
  if (inMemory) worker->PinSource(src.As<Napi::Object>());
  worker->Queue();
  return worker->Promise();
}

Napi::Value ReadBinarySectionJs(AddonContext* wrap, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<ContextState> state = wrap->Require(env);
  int64_t graph = GraphArg(env, info, 0, *state);
  void *sizeFn, *getFn;
  try {
    sizeFn = RequireSectionSlot(state->runtime(), abi::kContextGetBinarySectionSize, "contextGetBinarySectionSize");
    getFn = RequireSectionSlot(state->runtime(), abi::kContextGetBinarySection, "contextGetBinarySection");
  } catch (const CoreError& e) {
    throw ToJsError(env, e.error());
  }
  wrap->BeginRun();
  auto* worker = new ReadSectionWorker(env, wrap->Value(), wrap, std::move(state),
                                       reinterpret_cast<GetSectionSizeFn>(sizeFn),
                                       reinterpret_cast<GetSectionFn>(getFn), graph);
  worker->Queue();
  return worker->Promise();
}

}  // namespace qnn_node
