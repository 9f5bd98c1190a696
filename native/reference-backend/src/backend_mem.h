// libQnnReference: registered memory (memRegister / memDeRegister) and how graphExecute
// resolves a memhandle tensor to the bytes behind it (docs/reference-backend.md, "Shared
// memory").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "qnn/qnn_api.h"

namespace qnnref {

struct ContextImpl;

// The backend's own view of one shared allocation (the whole of it), as a DSP maps the
// buffer behind an fd. Kept alive by registrations and by executions using them.
struct SharedMapping {
  uint8_t* base = nullptr;
  uint64_t bytes = 0;
  uint64_t key = 0;     // identifies the allocation (Linux: the memfd's inode)
  bool owned = false;   // unmapped on destruction
  ~SharedMapping();
};

// One registration: a tensor-sized window of a shared allocation in one context.
struct MemImpl {
  ContextImpl* ctx = nullptr;
  std::shared_ptr<SharedMapping> map;
  uint64_t offset = 0;
  uint64_t bytes = 0;  // the registered shape's bytes
  Qnn_MemType_t memType = QNN_MEM_TYPE_UNDEFINED;
  int32_t fd = -1;
  uint32_t dataType = 0;         // the registered tensor's type and shape: an execute
  std::vector<uint32_t> dims;    // binding the handle to another tensor is refused
  uint32_t executing = 0;        // executions using it now (memDeRegister refuses meanwhile)
};

// A memhandle tensor resolved for one execution: where its bytes are, and the mapping that
// keeps them valid while the execution runs.
struct ResolvedMem {
  uint8_t* data = nullptr;
  std::shared_ptr<SharedMapping> map;
};

// The handles one execution uses: each counted as executing until this is destroyed (as
// the HTP holds a mapping for the graph's execute, a deregistration meanwhile is refused).
struct MemInUse {
  std::vector<MemImpl*> handles;
  ~MemInUse();
};

// Resolves `handle` for a tensor of `tensorBytes`, `dataType` and `dims` executed in
// context `ctx`, and counts it in `inUse`. On failure returns false and `why` (e.g. "was
// registered in another context", "was registered for other dims").
bool resolveMemHandle(ContextImpl* ctx, Qnn_MemHandle_t handle, uint64_t tensorBytes, uint32_t dataType,
                      const std::vector<uint32_t>& dims, ResolvedMem* out, MemInUse* inUse, std::string* why);

// contextFree: drops the context's remaining registrations; returns how many there were.
size_t releaseContextMem(ContextImpl* ctx);

Qnn_ErrorHandle_t memRegister(Qnn_ContextHandle_t context, const Qnn_MemDescriptor_t* memDescriptors, uint32_t numDescriptors, Qnn_MemHandle_t* memHandles);
Qnn_ErrorHandle_t memDeRegister(const Qnn_MemHandle_t* memHandles, uint32_t numHandles);

}  // namespace qnnref
