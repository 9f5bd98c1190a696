// RawCustomConfigs: the expert escape hatch of the HTP custom configs — an option number
// plus the bytes of the config's union, copied as given into the custom config struct of
// the reported version's layout (lib/backend/qnn/raw-custom-configs.ts validates first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <napi.h>

#include "ContextConfigs.h"

namespace qnn_node {

// Fills `out` from an {option, raw: Uint8Array} object and returns true; false (nothing
// read) when the object has no `raw`. Any other JS value gets a typed error.
bool ParseRawCustomConfig(Napi::Env env, const Napi::Object& o, ConfigFamily family, const std::string& where, HtpCustomConfig* out);

// The custom config block of `size` bytes with the option at 0 and the raw bytes at `at`.
// Throws UNSUPPORTED_OPTION when the bytes do not fit the union of `backend`'s layout.
std::vector<uint64_t> BuildRawCustomConfig(ConfigFamily family, const HtpCustomConfig& c, size_t size, size_t at, const Version& backend);

}  // namespace qnn_node
