#include "Errors.h"

#include "AddonData.h"

namespace qnn_node {

Napi::Error ToJsError(Napi::Env env, const NativeError& e) {
  Napi::Error err = e.isTypeError ? Napi::Error(env, Napi::TypeError::New(env, e.message).Value())
                                  : Napi::Error::New(env, e.message);
  Napi::Object obj = err.Value();
  obj.Set("code", Napi::String::New(env, e.code.empty() ? std::string("QNN_ERROR") : e.code));
  if (e.hasStatus) {
    obj.Set("status", Napi::BigInt::New(env, e.status));
    obj.Set("statusName", Napi::String::New(env, e.statusName));
    obj.Set("apiFunction", Napi::String::New(env, e.apiFunction));
    if (e.hasBackendMessage) obj.Set("backendMessage", Napi::String::New(env, e.backendMessage));
  }
  if (!e.details.empty() || !e.listDetails.empty()) {
    Napi::Object details = Napi::Object::New(env);
    for (const auto& kv : e.details) details.Set(kv.first, Napi::String::New(env, kv.second));
    for (const auto& kv : e.listDetails) {
      Napi::Array list = Napi::Array::New(env, kv.second.size());
      for (size_t i = 0; i < kv.second.size(); ++i) list.Set(static_cast<uint32_t>(i), Napi::String::New(env, kv.second[i]));
      details.Set(kv.first, list);
    }
    obj.Set("details", details);
  }
  return err;
}

std::string DescribeValue(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return std::string("boolean ") + (value.As<Napi::Boolean>().Value() ? "true" : "false");
    case napi_number: return "number " + Napi::Value(value).ToString().Utf8Value();
    case napi_string: {
      std::string s = value.As<Napi::String>().Utf8Value();
      if (s.size() > 80) s = s.substr(0, 77) + "...";
      return "\"" + s + "\"";
    }
    case napi_symbol: return "symbol";
    case napi_function: return "function";
    case napi_bigint: return "bigint";
    case napi_external: return "external";
    default: break;
  }
  if (value.IsArray()) return "array";
  if (value.IsTypedArray()) return "typed array";
  if (value.IsArrayBuffer()) return "ArrayBuffer";
  return "object";
}

bool BufferBytes(Napi::Env env, const Napi::Value& value, uint8_t** data, size_t* size) {
  *data = nullptr;
  *size = 0;
  void* ptr = nullptr;
  if (value.IsTypedArray()) {
    napi_typedarray_type type;
    size_t length = 0;
    if (napi_get_typedarray_info(env, value, &type, &length, &ptr, nullptr, nullptr) != napi_ok) return false;
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1; break;
    }
    *size = ptr ? length * elem : 0;
  } else if (value.IsDataView()) {
    size_t length = 0;
    if (napi_get_dataview_info(env, value, &length, &ptr, nullptr, nullptr) != napi_ok) return false;
    *size = ptr ? length : 0;
  } else if (value.IsArrayBuffer()) {
    size_t length = 0;
    if (napi_get_arraybuffer_info(env, value, &ptr, &length) != napi_ok) return false;
    *size = ptr ? length : 0;
  } else {
    return false;
  }
  *data = static_cast<uint8_t*>(ptr);
  return true;
}

namespace {
bool CallFlagGetter(napi_env env, const Napi::FunctionReference& ref, napi_value recv, bool* out) {
  if (ref.IsEmpty()) return false;
  napi_value result = nullptr;
  if (napi_call_function(env, recv, ref.Value(), 0, nullptr, &result) != napi_ok) {
    napi_value ignored = nullptr;
    napi_get_and_clear_last_exception(env, &ignored);
    return false;
  }
  bool b = false;
  if (napi_get_value_bool(env, result, &b) != napi_ok) return false;
  *out = b;
  return true;
}
}  // namespace

bool IsResizableBuffer(Napi::Env env, const Napi::Value& value) {
  napi_value buffer = nullptr;
  if (value.IsTypedArray()) {
    if (napi_get_typedarray_info(env, value, nullptr, nullptr, nullptr, &buffer, nullptr) != napi_ok) return false;
  } else if (value.IsDataView()) {
    if (napi_get_dataview_info(env, value, nullptr, nullptr, &buffer, nullptr) != napi_ok) return false;
  } else {
    buffer = value;
  }
  if (!buffer) return false;
  AddonData* data = GetAddonData(env);
  bool isArrayBuffer = false;
  napi_is_arraybuffer(env, buffer, &isArrayBuffer);
  bool flag = false;
  if (isArrayBuffer) {
    if (CallFlagGetter(env, data->resizableGetter, buffer, &flag)) return flag;
    return CallFlagGetter(env, data->growableGetter, buffer, &flag) && flag;
  }
  if (CallFlagGetter(env, data->growableGetter, buffer, &flag)) return flag;
  return CallFlagGetter(env, data->resizableGetter, buffer, &flag) && flag;
}

void ThrowCode(Napi::Env env, const std::string& code, const std::string& message, bool typeError) {
  NativeError e;
  e.code = code;
  e.message = message;
  e.isTypeError = typeError;
  throw ToJsError(env, e);
}

void ThrowInvalidArg(Napi::Env env, const std::string& what, const std::string& name, const Napi::Value& value) {
  ThrowCode(env, "ERR_INVALID_ARG", "Expected " + what + " for " + name + " but received " + DescribeValue(value), true);
}

}  // namespace qnn_node
