// limitProcess(): resource limits a throwaway child process puts on itself before it hands
// untrusted bytes to a vendor library (the isolated binary reader,
// lib/backend/qnn/isolated-reader.ts). A Node worker is no isolation: a SIGSEGV inside the
// library kills the whole process, so the reader is a child process and these limits bound
// what the library can take before it is stopped.
#pragma once

#include <napi.h>

namespace qnn_node {

// limitProcess({ memoryBytes?, cpuSeconds?, parentPid? }) → what was applied:
// { addressSpaceBytes: number | null, cpuSeconds: number | null, dieWithParent: boolean }.
// memoryBytes is added to the address space the process already uses (Node reserves a lot
// of it at start-up), so it bounds what the library may still allocate. parentPid: the
// process dies with its parent (Linux), which must still be that pid. Limits the platform
// lacks are reported as null / false (Windows: none; macOS: CPU only).
Napi::Value LimitProcess(const Napi::CallbackInfo& info);

}  // namespace qnn_node
