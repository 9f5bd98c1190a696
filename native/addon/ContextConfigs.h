// ContextConfigs: the context, graph, backend and device configs a client asks for
// (priorities, HTP custom configs, spill-fill group registration), parsed from JS on the
// main thread into plain structs, and turned into the NULL-terminated config arrays the
// core API takes — custom configs laid out for the reported backend API version — on the
// worker thread (free of Node-API; ConfigsFromJs.h parses). The JS layer
// (lib/backend/qnn/htp-configs.ts) validates names, values and versions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "qnn/qnn_api.h"

namespace qnn_node {

class ContextState;
class RuntimeState;
struct GraphState;
struct Version;
struct ProviderInfo;

// Which core config struct a custom config goes into.
enum class ConfigFamily { kBackend, kDevice, kContext, kGraph };

// How an option's value sits in the custom config's union (kNone: qnn-node does not send
// that option in that family).
enum class ValueKind { kNone, kBool, kU32, kU64, kU32F32, kU32Pair, kU32Bool, kF32Pair, kParallel };
ValueKind KindOf(ConfigFamily family, uint32_t option);
const char* FamilyName(ConfigFamily family);

// One HTP custom config: its option number and its value, already typed.
struct HtpCustomConfig {
  uint32_t option = 0;
  uint64_t u64 = 0;       // bool / u32 / u64 values
  uint32_t words[4] = {};  // pairs and the parallel-execution config
  float floats[2] = {};
  // The JS option name and the backend API minor that introduced it (0: no gate): for
  // configs sent before the JS layer knows the reported version (backend/device).
  std::string name;
  uint32_t sinceBackendMinor = 0;
  // Non-empty: a raw config (RawCustomConfigs.h), these bytes are the union as given.
  std::vector<uint8_t> raw;
};

// Throws UNSUPPORTED_OPTION (HtpVersion.h) unless the provider is an HTP backend at API
// 5.x that has every config's option (sinceBackendMinor): custom configs are HTP structs.
void CheckVersionGates(const std::vector<HtpCustomConfig>& custom, const ProviderInfo& provider, const char* family);

struct GraphConfigSpec {
  std::string name;  // empty: every graph without a named entry
  bool hasPriority = false;
  uint32_t priority = 0;
  std::vector<HtpCustomConfig> custom;
  bool empty() const { return !hasPriority && custom.empty(); }
};

// What contextCreateFromBinary and graphSetConfig receive for one context.
struct ContextConfigSpec {
  bool hasPriority = false;
  uint32_t priority = 0;
  std::vector<HtpCustomConfig> custom;
  // REGISTER_MULTI_CONTEXTS: join (or, with no first context, open) a spill-fill group.
  bool group = false;
  // The first context's QNN handle (null: this context opens the group), read on the main
  // thread when the load is queued, while the first context's wrap is pinned.
  Qnn_ContextHandle_t groupFirstHandle = nullptr;
  uint64_t groupMaxSpillFill = 0;
  std::vector<GraphConfigSpec> graphs;
  bool hasGraphConfigs() const { return !graphs.empty(); }
};

// Owns the bytes of one NULL-terminated config array and the custom configs it points to.
class ConfigArray {
 public:
  // Appends a core config with option `option` whose union starts with `value` (4 bytes).
  void AddWord(uint32_t option, uint32_t value);
  // Appends a core config with option `option` (0 = CUSTOM) pointing to `block`.
  void AddCustom(std::vector<uint64_t> block);
  // Appends an already-built core config (16 bytes).
  void AddRaw(const void* config16);
  bool empty() const { return configs_.empty(); }
  size_t size() const { return configs_.size(); }
  // The NULL-terminated array of pointers (valid until the next Add).
  template <typename T>
  const T** Get() {
    static_assert(sizeof(T) == kConfigSize, "core config structs are 16 bytes");
    pointers_.clear();
    for (auto& c : configs_) pointers_.push_back(c.data());
    pointers_.push_back(nullptr);
    return reinterpret_cast<const T**>(pointers_.data());
  }

 private:
  static constexpr size_t kConfigSize = 16;
  std::vector<std::vector<uint64_t>> configs_;  // 16 bytes each (8-aligned)
  std::vector<std::vector<uint64_t>> blocks_;   // custom configs
  std::vector<const void*> pointers_;
};

// The HTP custom config block for `c` in the layout of backend API `backend`.
std::vector<uint64_t> BuildHtpCustomConfig(ConfigFamily family, const HtpCustomConfig& c, const Version& backend);
// The group registration block (REGISTER_MULTI_CONTEXTS).
std::vector<uint64_t> BuildGroupRegistration(Qnn_ContextHandle_t first, uint64_t maxSpillFill);

// Adds `custom` to `array` as CUSTOM core configs for `family`.
void AddCustomConfigs(ConfigArray& array, ConfigFamily family, const std::vector<HtpCustomConfig>& custom,
                      const Version& backend);

// Throws UNKNOWN_GRAPH when a named graph config names no graph of the context.
void CheckGraphConfigNames(const ContextConfigSpec& spec, const std::vector<std::unique_ptr<GraphState>>& graphs);
// graphSetConfig for a retrieved graph: its named entry, else the unnamed one, if any.
// Throws UNSUPPORTED_OPTION when the core table has no graphSetConfig, QNN_ERROR when the
// backend refuses.
void ApplyGraphConfigs(RuntimeState& rt, const ContextConfigSpec& spec, GraphState& graph);

}  // namespace qnn_node
