#include "RawCustomConfigs.h"

#include <cstring>

#include "Errors.h"
#include "RuntimeState.h"

namespace qnn_node {
namespace {

// Options whose union holds a pointer or a handle: bytes from JS cannot carry one safely.
bool CarriesPointer(ConfigFamily family, uint32_t option) {
  switch (family) {
    case ConfigFamily::kContext:
      return option == QnnNode_HtpCtxRegisterMultiContexts || option == QnnNode_HtpCtxRegisterConcurrentResourceSharing;
    case ConfigFamily::kGraph: return option == QnnNode_HtpGraphFinalizeConfig;
    default: return false;
  }
}

// The union's bytes in `backend`'s layout: the graph union is 8 bytes before SDK 2.43's
// 48-byte one (docs/qnn-abi.md); the other families' unions never changed size.
size_t UnionBytes(ConfigFamily family, size_t size, size_t at, const Version& backend) {
  if (family == ConfigFamily::kGraph && backend.minor < 43) return QnnNode_HtpGraphConfigSize225 - QnnNode_HtpGraphUnionOffset;
  return size - at;
}

}  // namespace

bool ParseRawCustomConfig(Napi::Env env, const Napi::Object& o, ConfigFamily family, const std::string& where, HtpCustomConfig* out) {
  Napi::Value raw = o.Get("raw");
  if (raw.IsUndefined()) return false;
  if (!raw.IsTypedArray() || raw.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowInvalidArg(env, "a Uint8Array", where + ".raw", raw);
  }
  Napi::Uint8Array bytes = raw.As<Napi::Uint8Array>();
  // 48 bytes is the largest union of any family and layout; BuildRawCustomConfig checks the exact one.
  if (bytes.ByteLength() == 0 || bytes.ByteLength() > 48) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected 1 to 48 bytes for " + where + ".raw but received " + std::to_string(bytes.ByteLength()) + " bytes");
  }
  Napi::Value option = o.Get("option");
  if (!option.IsNumber()) ThrowInvalidArg(env, "an integer from 0 to 4294967295", where + ".option", option);
  double d = option.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || static_cast<double>(static_cast<uint32_t>(d)) != d) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected an integer from 0 to 4294967295 for " + where + ".option but received " + DescribeValue(option));
  }
  out->option = static_cast<uint32_t>(d);
  if (CarriesPointer(family, out->option)) {
    ThrowCode(env, "UNSUPPORTED_OPTION", where + ".option " + std::to_string(out->option) + " cannot be sent raw: its " + FamilyName(family) +
                                             " config carries a pointer or handle");
  }
  out->raw.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
  out->name = "raw option " + std::to_string(out->option);
  return true;
}

std::vector<uint64_t> BuildRawCustomConfig(ConfigFamily family, const HtpCustomConfig& c, size_t size, size_t at, const Version& backend) {
  size_t room = UnionBytes(family, size, at, backend);
  if (c.raw.size() > room) {
    throw CoreError("UNSUPPORTED_OPTION", std::string("The raw HTP ") + FamilyName(family) + " custom config option " + std::to_string(c.option) +
                                              " has " + std::to_string(c.raw.size()) + " bytes; the union of the layout of backend API " +
                                              backend.str() + " has " + std::to_string(room))
        .Detail("option", c.name)
        .Detail("backendApiVersion", backend.str());
  }
  std::vector<uint64_t> block((size + 7) / 8, 0);
  std::memcpy(block.data(), &c.option, 4);
  std::memcpy(reinterpret_cast<uint8_t*>(block.data()) + at, c.raw.data(), c.raw.size());
  return block;
}

}  // namespace qnn_node
