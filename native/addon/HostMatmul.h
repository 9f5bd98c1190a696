// hostMatmul: a dense f32 matmul for host ops (the Qwen3-VL card's host patch-embed,
// [1024 × 1536] · [1536 × 1024] + bias), off the main thread and on several cores.
#pragma once

#include <napi.h>

#include <cstddef>

namespace qnn_node {

// Columns per packed weight panel: the weight is packed once into panels of this many
// columns (PackedWeightLength), each panel k-major, so the kernel streams it contiguously.
constexpr size_t kMatmulPanel = 16;

// Elements of a packed [k × n] weight: ceil(n / kMatmulPanel) panels of k × kMatmulPanel
// (the last panel zero-padded).
inline size_t PackedWeightLength(size_t k, size_t n) { return (n + kMatmulPanel - 1) / kMatmulPanel * kMatmulPanel * k; }

// C[m × n] = A[m × k] · B[k × n] (+ bias[n]) for rows [row0, row1), B packed (see above).
// Plain loops the compiler vectorizes; summation order per output: bias, then k ascending in blocks.
void MatmulRows(const float* a, const float* packedB, const float* bias, float* c, size_t row0, size_t row1, size_t k,
                size_t n);

// hostMatmulWeight(packed, k, n) -> weight: copies a packed [k × n] Float32Array into
// native memory, owned by the returned (frozen, type-tagged) object and by any matmul
// still using it; the Float32Array is free to reuse or transfer afterwards.
Napi::Value HostMatmulWeight(const Napi::CallbackInfo& info);

// hostMatmul(a, weight, bias | null, out, m, k, n[, threads]) -> Promise<void>. a, bias, out
// Float32Array (fixed-length, not detached), sizes exact. a and bias are copied at the call
// (they may change or be transferred right after); the result is computed into native
// memory and copied into out when the work is done, on the main thread: out detached by
// then rejects with BUFFER_DETACHED. threads: 1..64, default min(hardware threads, 8).
Napi::Value HostMatmul(const Napi::CallbackInfo& info);

}  // namespace qnn_node
