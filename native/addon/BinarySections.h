// Binary sections (core API 2.18+, slots 59-61): applying a section — LoRA adapter
// weights, say — to a loaded context, and reading the current updatable section back.
//   ctx.applyBinarySection(source, graphIndex?) -> Promise<{ applyMs, sectionBytes, mapped, retained }>
//   ctx.readBinarySection(graphIndex?) -> Promise<Uint8Array>
// A path is memory-mapped for the call; bytes are pinned for the call. On a context
// created with the persistent-binary config the backend may keep pointers into the
// section until contextFree, so the mapping / pin is kept until the context is freed.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "ContextState.h"

namespace qnn_node {

class AddonContext;

// The section function of `slot` (abi::kContextApplyBinarySection…), or throws
// UNSUPPORTED_FEATURE naming the function and the reported core version (older than
// 2.18, or a NULL slot). Main thread or worker.
void* RequireSectionSlot(RuntimeState& rt, uint32_t slot, const char* function);

Napi::Value ApplyBinarySectionJs(AddonContext* wrap, const Napi::CallbackInfo& info);
Napi::Value ReadBinarySectionJs(AddonContext* wrap, const Napi::CallbackInfo& info);

}  // namespace qnn_node
