// Errors that cross from native code to JS: a stable string `code` (lib/errors.ts), a
// message, and for QNN failures the status, its name, the API function and the
// backend's own message. Core code throws CoreError; the wraps turn it into a JS Error.
#pragma once

#include <napi.h>

#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace qnn_node {

struct NativeError {
  std::string code;
  std::string message;
  bool isTypeError = false;
  bool hasStatus = false;
  uint64_t status = 0;
  std::string statusName;
  std::string apiFunction;
  std::string backendMessage;
  bool hasBackendMessage = false;
  // Extra string facts (paths, versions) copied onto error.details.
  std::vector<std::pair<std::string, std::string>> details;
  // String lists copied onto error.details as arrays (e.g. backendMessages).
  std::vector<std::pair<std::string, std::vector<std::string>>> listDetails;
};

class CoreError : public std::exception {
 public:
  explicit CoreError(NativeError e) : error_(std::move(e)) {}
  CoreError(std::string code, std::string message) {
    error_.code = std::move(code);
    error_.message = std::move(message);
  }
  CoreError& Detail(std::string key, std::string value) {
    error_.details.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  const char* what() const noexcept override { return error_.message.c_str(); }
  const NativeError& error() const { return error_; }

 private:
  NativeError error_;
};

// Builds the JS error object (Error or TypeError) with code/status/… properties.
Napi::Error ToJsError(Napi::Env env, const NativeError& e);
// Throws a TypeError with a code, in the house format
// "Expected <what> for <name> but received <description>".
[[noreturn]] void ThrowInvalidArg(Napi::Env env, const std::string& what, const std::string& name,
                                  const Napi::Value& value);
[[noreturn]] void ThrowCode(Napi::Env env, const std::string& code, const std::string& message, bool typeError = false);
std::string DescribeValue(const Napi::Value& value);

// The bytes of a typed array, DataView or ArrayBuffer (SharedArrayBuffer-backed views
// included). Returns false for anything else; a detached buffer gives {nullptr, 0}.
bool BufferBytes(Napi::Env env, const Napi::Value& value, uint8_t** data, size_t* size);
// True when a typed array / DataView / ArrayBuffer sits on a resizable ArrayBuffer or a
// growable SharedArrayBuffer (its memory can move or shrink under a run). Runs no user JS.
bool IsResizableBuffer(Napi::Env env, const Napi::Value& value);

}  // namespace qnn_node
