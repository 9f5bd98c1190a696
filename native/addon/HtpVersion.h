// HtpVersion: the one gate every HTP option goes through (power configs, backend / device /
// context / graph custom configs, spill-fill group registration). An HTP option needs a
// backend that speaks the HTP API (libQnnHtp, id 6, or the reference backend that plays
// it), at backend API major 5 (the only major whose layouts qnn-node knows) and at least
// the minor that introduced the option. Refusals are UNSUPPORTED_OPTION with details
// { option, backendApiVersion, requiredBackendApiVersion } (docs/errors.md).
#pragma once

#include <cstdint>
#include <string>

namespace qnn_node {

struct ProviderInfo;

constexpr uint32_t kHtpBackendId = 6;
constexpr uint32_t kReferenceBackendId = 0x4E52;  // native/reference-backend plays HTP
constexpr uint32_t kHtpApiMajor = 5;

bool IsHtpBackend(uint32_t backendId);

// True when `provider` is an HTP backend reporting backend API 5.x with x >= sinceMinor.
bool HtpHasOption(const ProviderInfo& provider, uint32_t sinceMinor);

// Throws UNSUPPORTED_OPTION unless HtpHasOption(provider, sinceMinor). `what` introduces
// the option in the message ("The HTP context option", "The power config option").
void RequireHtpOption(const ProviderInfo& provider, const std::string& what, const std::string& option,
                      uint32_t sinceMinor);

}  // namespace qnn_node
