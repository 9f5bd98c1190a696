// ConfigsFromJs: parses the config plans lib/backend/qnn/htp-configs.ts builds (priorities,
// HTP custom configs as {option, value}, spill-fill groups, per-graph configs) into the
// plain structs of ContextConfigs.h, on the main thread. Any JS value gets a typed error.
#pragma once

#include <string>
#include <vector>

#include <napi.h>

#include "ContextConfigs.h"

namespace qnn_node {

// The load(…, configs) argument: undefined/null → empty. A spill-fill group's first
// context (configs.group.first, a Context wrap) lands in `groupFirst` (left empty
// otherwise); the caller checks and pins it (AddonContext::PinGroupFirst).
ContextConfigSpec ParseContextConfigs(Napi::Env env, const Napi::Value& value, Napi::Object* groupFirst);
// A list of {option, value} HTP custom configs for `family` (Qnn.load's backend and
// device configs, a context's and a graph's).
std::vector<HtpCustomConfig> ParseCustomConfigs(Napi::Env env, const Napi::Value& value, ConfigFamily family,
                                                const std::string& where);

}  // namespace qnn_node
