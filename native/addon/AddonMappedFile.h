// mapFile(path): a whole file as an ArrayBuffer over a private, copy-on-write memory
// mapping (FileMapping), unmapped by the buffer's finalizer when it is garbage-collected.
#pragma once

#include <napi.h>

namespace qnn_node {

// Returns { buffer: ArrayBuffer, byteLength: number, mapped: boolean }. `mapped` is false
// when the runtime refuses external buffers (napi_no_external_buffers_allowed, V8 sandbox
// builds): the bytes are then copied into an ordinary ArrayBuffer and the mapping closed.
// Throws ERR_INVALID_ARG (TypeError), FILE_NOT_FOUND, NOT_A_FILE, FILE_EMPTY or MAP_FAILED,
// each with details.path.
Napi::Value MapFile(const Napi::CallbackInfo& info);

}  // namespace qnn_node
