// Per-run options of Graph#run / runSync (the third argument), converted on the main thread
// into a plain struct the worker reads, and what a run hands back besides its outputs.
// Every field's default means "nothing extra": a run without options pays one branch per
// feature and no allocation.
#pragma once

#include <napi.h>

#include "PowerVotes.h"
#include "Profiling.h"

namespace qnn_node {

struct RunOptions {
  // ---- power (PowerVotes.h) ----
  PerfProfile perfProfile = PerfProfile::kUnset;  // options.perfProfile
  bool restorePerfProfile = false;                // options.restorePerfProfile

  // ---- profiling (Profiling.h) ----
  ProfileLevel profile = ProfileLevel::kOff;
};

struct RunResult {
  // ---- profiling (Profiling.h) ----
  ProfileResult profile;  // level kOff: the run was not profiled
};

// `value`: undefined/null → defaults; otherwise a plain object (ERR_INVALID_ARG for anything
// else, naming `options`). May run user JS (getters): call it before taking buffer pointers.
RunOptions ParseRunOptions(Napi::Env env, Napi::Value value);

// What the run's promise resolves to / runSync returns: undefined when the run produced
// nothing besides its outputs.
Napi::Value RunResultToJs(Napi::Env env, const RunResult& result);

}  // namespace qnn_node
