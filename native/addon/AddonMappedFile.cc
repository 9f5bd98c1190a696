#include "AddonMappedFile.h"

#include <cstring>
#include <memory>
#include <string>

#include "Errors.h"
#include "Mapping.h"

namespace qnn_node {
namespace {

// napi_no_external_buffers_allowed (Node-API status 22); spelled out so that older
// headers without the enumerator still compile.
constexpr int kNoExternalBuffersAllowed = 22;

void FinalizeMapping(napi_env /*env*/, void* /*data*/, void* hint) { delete static_cast<FileMapping*>(hint); }

[[noreturn]] void ThrowMapError(Napi::Env env, const std::string& code, const std::string& message, const std::string& path) {
  NativeError e;
  e.code = code;
  e.message = message;
  e.details.emplace_back("path", path);
  throw ToJsError(env, e);
}

}  // namespace

Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) ThrowInvalidArg(env, "a file path string", "path", info[0]);
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.empty() || path.find('\0') != std::string::npos)
    ThrowInvalidArg(env, "a non-empty file path without NUL characters", "path", info[0]);

  auto mapping = std::make_unique<FileMapping>();
  FileMapping::Failure failure = FileMapping::Failure::kNone;
  std::string error;
  if (!mapping->Open(path, &failure, &error)) {
    switch (failure) {
      case FileMapping::Failure::kNotFound:
        ThrowMapError(env, "FILE_NOT_FOUND", "File not found: " + path, path);
      case FileMapping::Failure::kNotRegular:
        ThrowMapError(env, "NOT_A_FILE", "Cannot map " + path + ": not a regular file (" + error + ")", path);
      case FileMapping::Failure::kEmpty:
        ThrowMapError(env, "FILE_EMPTY", "Cannot map " + path + ": the file is empty", path);
      default:
        ThrowMapError(env, "MAP_FAILED", "Cannot map " + path + ": " + error, path);
    }
  }

  uint8_t* data = mapping->data();
  size_t size = mapping->size();
  Napi::Object result = Napi::Object::New(env);
  napi_value buffer = nullptr;
  napi_status status = napi_create_external_arraybuffer(env, data, size, FinalizeMapping, mapping.get(), &buffer);
  if (status == napi_ok) {
    mapping.release();  // owned by the buffer's finalizer from here on
    result.Set("mapped", Napi::Boolean::New(env, true));
  } else if (static_cast<int>(status) == kNoExternalBuffersAllowed) {
    // The runtime forbids memory it does not own behind an ArrayBuffer: copy the bytes
    // (one read of the whole file through the mapping), then unmap.
    Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, size);
    std::memcpy(copy.Data(), data, size);
    mapping->Close();
    buffer = copy;
    result.Set("mapped", Napi::Boolean::New(env, false));
  } else {
    // Any other failure leaves a pending exception (or none): report it with the path.
    Napi::Error pending = env.IsExceptionPending() ? env.GetAndClearPendingException() : Napi::Error();
    std::string why = pending.IsEmpty() ? "napi_create_external_arraybuffer failed" : pending.Message();
    ThrowMapError(env, "MAP_FAILED", "Cannot map " + path + ": " + why, path);
  }
  result.Set("buffer", Napi::Value(env, buffer));
  result.Set("byteLength", Napi::Number::New(env, static_cast<double>(size)));
  return result;
}

}  // namespace qnn_node
