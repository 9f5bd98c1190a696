// QNN profiling of a context load or a graph run: the level asked for (run option
// `profile`, Context#setLoadProfile), a profile handle that lives for one call, and the
// events read back from it (recursively, with extended data where the backend has it).
// Off (the default) costs one branch: no handle is created and no profile function runs.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "qnn/qnn_api.h"

namespace qnn_node {

class RuntimeState;
struct RunOptions;

enum class ProfileLevel : uint8_t { kOff = 0, kBasic, kDetailed, kOptrace };

const char* ProfileLevelName(ProfileLevel level);

// One event as read from the backend. `value` is a double (a 64-bit count is exact up to
// 2^53; beyond that it rounds, like every JS number).
struct ProfileEvent {
  uint32_t type = 0;
  uint32_t unit = 0;
  double value = 0;
  std::string identifier;
  bool hasIdentifier = false;
  uint64_t timestamp = 0;
  bool hasTimestamp = false;  // extended event data only
  std::vector<ProfileEvent> children;
};

struct ProfileResult {
  ProfileLevel level = ProfileLevel::kOff;
  bool extended = false;  // read with profileGetExtendedEventData
  std::vector<ProfileEvent> events;
};

// Parses a level: undefined/null → kOff; 'basic' | 'detailed' | 'optrace' (ERR_INVALID_ARG
// naming `name` for anything else).
ProfileLevel ParseProfileLevel(Napi::Env env, const Napi::Value& value, const std::string& name);

// The run options' "profiling" section: reads `options.profile` (may run a getter).
void ParseProfilingRunOptions(Napi::Env env, const Napi::Object& options, RunOptions* out);

// A profile handle for one load or run. Create() throws CoreError (UNSUPPORTED_VERSION when
// the provider lacks what the level needs; QNN_ERROR when the backend refuses). The
// destructor frees the handle (profileFree), whatever happened in between.
class ScopedProfile {
 public:
  ScopedProfile() = default;
  ~ScopedProfile();
  ScopedProfile(const ScopedProfile&) = delete;
  ScopedProfile& operator=(const ScopedProfile&) = delete;

  void Create(RuntimeState& rt, ProfileLevel level, const char* what);
  Qnn_ProfileHandle_t handle() const { return handle_; }
  // Reads every event and its sub-events (depth-bounded). Throws CoreError on a failed call.
  ProfileResult Read();

 private:
  RuntimeState* rt_ = nullptr;
  ProfileLevel level_ = ProfileLevel::kOff;
  Qnn_ProfileHandle_t handle_ = nullptr;
};

// [{ type, unit, value, identifier?, timestamp?, children }] (the typed names are added in
// lib/profile; the addon hands back the raw numbers).
Napi::Value ProfileResultToJs(Napi::Env env, const ProfileResult& result);

}  // namespace qnn_node
