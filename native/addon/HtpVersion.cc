#include "HtpVersion.h"

#include "Errors.h"
#include "RuntimeState.h"

namespace qnn_node {

bool IsHtpBackend(uint32_t backendId) { return backendId == kHtpBackendId || backendId == kReferenceBackendId; }

bool HtpHasOption(const ProviderInfo& provider, uint32_t sinceMinor) {
  return IsHtpBackend(provider.backendId) && provider.backend.major == kHtpApiMajor && provider.backend.minor >= sinceMinor;
}

void RequireHtpOption(const ProviderInfo& provider, const std::string& what, const std::string& option,
                      uint32_t sinceMinor) {
  if (HtpHasOption(provider, sinceMinor)) return;
  std::string required = std::to_string(kHtpApiMajor) + "." + std::to_string(sinceMinor);
  std::string reported = provider.backend.str();
  std::string why;
  if (!IsHtpBackend(provider.backendId)) {
    why = " is an HTP option; the loaded backend \"" + provider.name + "\" reports backend id " +
          std::to_string(provider.backendId) + ", not libQnnHtp (" + std::to_string(kHtpBackendId) + ")";
  } else if (provider.backend.major != kHtpApiMajor) {
    why = " is laid out for HTP backend API " + std::to_string(kHtpApiMajor) + ".x; the loaded backend reports " + reported +
          ", a major qnn-node does not know";
  } else {
    why = " needs backend API " + required + " (QNN SDK 2." + std::to_string(sinceMinor) +
          ") or newer; the loaded backend reports " + reported;
  }
  throw CoreError("UNSUPPORTED_OPTION", what + " " + option + why)
      .Detail("option", option)
      .Detail("backendApiVersion", reported)
      .Detail("requiredBackendApiVersion", required);
}

}  // namespace qnn_node
