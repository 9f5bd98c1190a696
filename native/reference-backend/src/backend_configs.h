// libQnnReference: the configs clients pass to backendCreate, deviceCreate,
// contextCreateFromBinary and graphSetConfig — decoded field by field (HTP custom configs
// in the layout of the emulated backend API version), journaled, and refused the way the
// HTP refuses them (an option the emulated version lacks, a malformed layout, an option
// that only applies before a graph is finalized). Also the spill-fill groups that
// REGISTER_MULTI_CONTEXTS builds across contexts.
#pragma once

#include <cstdint>
#include <string>

#include "backend_registry.h"

namespace qnnref {

// Checks and journals backendCreate's / deviceCreate's configs. QNN_SUCCESS or a failure.
Qnn_ErrorHandle_t takeBackendConfigs(const Logger* log, const Emulation& emu, const QnnBackend_Config_t** config);
Qnn_ErrorHandle_t takeDeviceConfigs(const Logger* log, const Emulation& emu, const QnnDevice_Config_t** config);

// What contextCreateFromBinary's configs ask for.
struct ContextConfigRequest {
  bool zeroCopy = false;
  bool hasPriority = false;
  uint32_t priority = 0;
  bool group = false;
  void* groupFirst = nullptr;  // firstGroupHandle as passed (NULL: a new group)
  uint64_t groupBytes = 0;     // maxSpillFillBuffer
  std::string journal;         // the decoded configs, a JSON array
};
Qnn_ErrorHandle_t readContextConfigs(const char* fn, const Logger* log, const Emulation& emu, const QnnContext_Config_t** config,
                                     ContextConfigRequest* out);
// Joins `ctx` (created, not yet registered as a handle) to the group `req` names; checks
// the group's buffer covers the binary's spill-fill need. Journals the group.
Qnn_ErrorHandle_t joinSpillFillGroup(const char* fn, const Logger* log, ContextImpl* ctx, const ContextConfigRequest& req);
// contextFree: leaves its group (the allocation goes with the last member).
void leaveSpillFillGroup(ContextImpl* ctx);

// Checks and decodes graph configs (graphSetConfig, graphCreate) into a JSON array for the
// journal. Prepare-time HTP options are refused on a `finalized` graph (6024).
Qnn_ErrorHandle_t readGraphConfigs(const char* fn, const Logger* log, const Emulation& emu, const QnnGraph_Config_t** config, bool finalized,
                                   std::string* journal);
Qnn_ErrorHandle_t graphSetConfig(Qnn_GraphHandle_t graph, const QnnGraph_Config_t** config);

}  // namespace qnnref
