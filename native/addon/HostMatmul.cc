#include "HostMatmul.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cmath>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "Errors.h"

namespace qnn_node {
namespace {

constexpr size_t kRowsPerTile = 4;  // rows of A per register tile (4 × 16 accumulators)
constexpr size_t kDepthBlock = 256;  // k per block: a packed panel block (256 × 16 floats) stays in L1
constexpr size_t kMaxThreads = 64;

#if defined(__GNUC__) || defined(__clang__)
// 8 floats as one value: GCC and Clang emit one AVX register where the target has it
// (the haswell clone below), two SSE / NEON registers elsewhere. Written as vectors
// because leaving the 4 × 16 accumulator array to the auto-vectorizer spilled it to the stack.
typedef float Vec8 __attribute__((vector_size(32)));

// One tile: MR rows × 16 columns accumulated over `depth` in registers, then added into C.
// Forced inline so each cloned MatmulRows compiles it for its own target.
template <size_t MR>
inline __attribute__((always_inline)) void Tile(const float* __restrict a, size_t lda, const float* __restrict panel,
                                                size_t depth, float* __restrict c, size_t ldc, size_t cols) {
  static_assert(kMatmulPanel == 16, "the tile holds two 8-float vectors per row");
  Vec8 lo[MR], hi[MR];
  for (size_t r = 0; r < MR; ++r) lo[r] = hi[r] = Vec8{};
  for (size_t k = 0; k < depth; ++k) {
    Vec8 b0, b1;  // unaligned loads (a Vec8 returned by value would warn about the AVX ABI)
    std::memcpy(&b0, panel + k * kMatmulPanel, sizeof b0);
    std::memcpy(&b1, panel + k * kMatmulPanel + 8, sizeof b1);
    for (size_t r = 0; r < MR; ++r) {
      const float av = a[r * lda + k];
      lo[r] += av * b0;
      hi[r] += av * b1;
    }
  }
  for (size_t r = 0; r < MR; ++r) {
    float acc[kMatmulPanel];
    std::memcpy(acc, &lo[r], sizeof lo[r]);
    std::memcpy(acc + 8, &hi[r], sizeof hi[r]);
    for (size_t j = 0; j < cols; ++j) c[r * ldc + j] += acc[j];
  }
}
#else
// Plain loops for compilers without vector extensions (MSVC): auto-vectorized as they can.
template <size_t MR>
inline void Tile(const float* a, size_t lda, const float* panel, size_t depth, float* c, size_t ldc, size_t cols) {
  float acc[MR][kMatmulPanel] = {};
  for (size_t k = 0; k < depth; ++k) {
    const float* b = panel + k * kMatmulPanel;
    for (size_t r = 0; r < MR; ++r) {
      const float av = a[r * lda + k];
      for (size_t j = 0; j < kMatmulPanel; ++j) acc[r][j] += av * b[j];
    }
  }
  for (size_t r = 0; r < MR; ++r)
    for (size_t j = 0; j < cols; ++j) c[r * ldc + j] += acc[r][j];
}
#endif

}  // namespace

// x86-64 Linux with GCC: one copy for AVX2 machines and a baseline (SSE2) one, picked at
// load (ifunc on __builtin_cpu_supports), so a portable build still runs 8-wide where the
// CPU can: ~30x faster here. ("arch=haswell" would dispatch on the CPU *being* a Haswell.)
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx2", "default")))
#endif
void MatmulRows(const float* a, const float* packedB, const float* bias, float* c, size_t row0, size_t row1, size_t k,
                size_t n) {
  for (size_t r = row0; r < row1; ++r) {
    float* row = c + r * n;
    if (bias) std::copy(bias, bias + n, row);
    else std::fill(row, row + n, 0.0f);
  }
  const size_t panels = (n + kMatmulPanel - 1) / kMatmulPanel;
  for (size_t k0 = 0; k0 < k; k0 += kDepthBlock) {
    const size_t depth = std::min(kDepthBlock, k - k0);
    for (size_t p = 0; p < panels; ++p) {
      const float* panel = packedB + (p * k + k0) * kMatmulPanel;
      const size_t col0 = p * kMatmulPanel;
      const size_t cols = std::min(kMatmulPanel, n - col0);
      size_t r = row0;
      for (; r + kRowsPerTile <= row1; r += kRowsPerTile) Tile<kRowsPerTile>(a + r * k + k0, k, panel, depth, c + r * n + col0, n, cols);
      for (; r < row1; ++r) Tile<1>(a + r * k + k0, k, panel, depth, c + r * n + col0, n, cols);
    }
  }
}

namespace {

struct F32Buffer {
  float* data = nullptr;
  size_t length = 0;
};

bool IsDetachedTypedArray(Napi::Env env, const Napi::Value& v) {
  napi_value buffer = nullptr;
  if (napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, &buffer, nullptr) != napi_ok) return false;
  bool detached = false;
  return napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && detached;
}

[[noreturn]] void ThrowDetached(Napi::Env env, const std::string& name, bool inFlight) {
  NativeError e;
  e.code = "BUFFER_DETACHED";
  e.message = "The ArrayBuffer of " + name + " of hostMatmul " +
              (inFlight ? "was detached (transferred) while the matmul was in flight: its result is lost. Do not "
                          "transfer a matmul's buffers until its promise settles"
                        : "is detached (transferred): it has no data");
  e.isTypeError = !inFlight;
  e.details.emplace_back("buffer", name);
  throw ToJsError(env, e);
}

F32Buffer Float32Arg(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    ThrowInvalidArg(env, "a Float32Array", name, v);
  if (IsResizableBuffer(env, v)) ThrowInvalidArg(env, "a Float32Array on a fixed-length ArrayBuffer", name, v);
  if (IsDetachedTypedArray(env, v)) ThrowDetached(env, name, false);
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok) ThrowInvalidArg(env, "a Float32Array", name, v);
  return F32Buffer{static_cast<float*>(data), length};
}

[[noreturn]] void ThrowOutOfRange(Napi::Env env, const std::string& message) {
  Napi::RangeError err = Napi::RangeError::New(env, message);
  err.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  throw err;
}

size_t DimArg(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) ThrowInvalidArg(env, "a whole number from 1 to 2147483647", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 1 && d <= 2147483647.0) || std::floor(d) != d) {
    ThrowOutOfRange(env, "Expected a whole number from 1 to 2147483647 for " + std::string(name) + " but received " + DescribeValue(v));
  }
  return static_cast<size_t>(d);
}

void CheckLength(Napi::Env env, const F32Buffer& b, size_t expected, const char* name, const std::string& what) {
  if (b.length == expected) return;
  NativeError e;
  e.code = "SIZE_MISMATCH";
  e.message = "Expected " + std::to_string(expected) + " elements (" + what + ") for " + name + " but received " +
              std::to_string(b.length);
  e.details.emplace_back("buffer", name);
  e.details.emplace_back("expected", std::to_string(expected));
  e.details.emplace_back("actual", std::to_string(b.length));
  throw ToJsError(env, e);
}

bool Overlaps(const F32Buffer& x, const F32Buffer& y) {
  if (!x.data || !y.data) return false;
  return x.data < y.data + y.length && y.data < x.data + x.length;
}

class MatmulWorker : public Napi::AsyncWorker {
 public:
  MatmulWorker(Napi::Env env, F32Buffer a, F32Buffer b, F32Buffer bias, F32Buffer out, size_t m, size_t k, size_t n,
               size_t threads)
      : Napi::AsyncWorker(env, "qnn-node:hostMatmul"),
        deferred_(Napi::Promise::Deferred::New(env)),
        a_(a), b_(b), bias_(bias), out_(out), m_(m), k_(k), n_(n), threads_(threads) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Pin(const Napi::Value& v, const char* name) {
    pins_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    names_.push_back(name);
  }

 protected:
  void Execute() override {
    // Row blocks of whole tiles per thread; the calling pool thread takes the first.
    size_t threads = std::max<size_t>(1, std::min(threads_, (m_ + kRowsPerTile - 1) / kRowsPerTile));
    size_t per = (m_ + threads - 1) / threads;
    per = (per + kRowsPerTile - 1) / kRowsPerTile * kRowsPerTile;
    std::vector<std::thread> pool;
    size_t next = per;
    try {
      for (; next < m_; next += per) {
        size_t r0 = next, r1 = std::min(m_, next + per);
        pool.emplace_back([this, r0, r1] { MatmulRows(a_.data, b_.data, bias_.data, out_.data, r0, r1, k_, n_); });
      }
    } catch (const std::system_error&) {
      // No more threads: this thread does the rest.
      MatmulRows(a_.data, b_.data, bias_.data, out_.data, next, m_, k_, n_);
    }
    MatmulRows(a_.data, b_.data, bias_.data, out_.data, 0, std::min(per, m_), k_, n_);
    for (auto& t : pool) t.join();
  }

  void OnOK() override { Settle(); }
  void OnError(const Napi::Error& e) override { Settle(&e); }

 private:
  void Settle(const Napi::Error* error = nullptr) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (size_t i = 0; i < pins_.size(); ++i) {
      if (!IsDetachedTypedArray(env, pins_[i].Value())) continue;
      pins_.clear();
      try {
        ThrowDetached(env, names_[i], true);
      } catch (const Napi::Error& e) {
        deferred_.Reject(e.Value());
      }
      return;
    }
    pins_.clear();
    if (error) deferred_.Reject(error->Value());
    else deferred_.Resolve(env.Undefined());
  }

  Napi::Promise::Deferred deferred_;
  F32Buffer a_, b_, bias_, out_;
  size_t m_, k_, n_, threads_;
  std::vector<Napi::ObjectReference> pins_;  // every buffer stays alive until the promise settles
  std::vector<std::string> names_;
};

}  // namespace

Napi::Value HostMatmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Numbers first (they run no user code), then the buffers' pointers: nothing between
  // taking a pointer and queuing the work can run JS.
  size_t m = DimArg(env, info[4], "m");
  size_t k = DimArg(env, info[5], "k");
  size_t n = DimArg(env, info[6], "n");
  size_t threads = std::min<size_t>(kMaxThreads, std::max(1u, std::min(8u, std::thread::hardware_concurrency())));
  if (info.Length() > 7 && !info[7].IsUndefined()) {
    if (!info[7].IsNumber()) ThrowInvalidArg(env, "a whole number from 1 to 64", "threads", info[7]);
    double t = info[7].As<Napi::Number>().DoubleValue();
    if (!(t >= 1 && t <= static_cast<double>(kMaxThreads)) || std::floor(t) != t) {
      ThrowOutOfRange(env, "Expected a whole number from 1 to 64 for threads but received " + DescribeValue(info[7]));
    }
    threads = static_cast<size_t>(t);
  }
  // Element counts as 64-bit products: on a 32-bit size_t they must not wrap onto a small buffer.
  const unsigned long long limit = static_cast<unsigned long long>(SIZE_MAX / sizeof(float));
  if (1ull * m * k > limit || 1ull * m * n > limit || 1ull * PackedWeightLength(1, n) * k > limit) {
    ThrowOutOfRange(env, "Expected m, k and n whose products fit this platform's memory but received m = " +
                             std::to_string(m) + ", k = " + std::to_string(k) + ", n = " + std::to_string(n));
  }
  F32Buffer a = Float32Arg(env, info[0], "a");
  F32Buffer b = Float32Arg(env, info[1], "packedB");
  bool hasBias = !(info[2].IsNull() || info[2].IsUndefined());
  F32Buffer bias = hasBias ? Float32Arg(env, info[2], "bias") : F32Buffer{};
  F32Buffer out = Float32Arg(env, info[3], "out");
  CheckLength(env, a, m * k, "a", "m x k = " + std::to_string(m) + " x " + std::to_string(k));
  CheckLength(env, b, PackedWeightLength(k, n), "packedB",
              "k x n packed in panels of " + std::to_string(kMatmulPanel) + " columns");
  if (hasBias) CheckLength(env, bias, n, "bias", "n");
  CheckLength(env, out, m * n, "out", "m x n = " + std::to_string(m) + " x " + std::to_string(n));
  if (Overlaps(out, a) || Overlaps(out, b) || (hasBias && Overlaps(out, bias)))
    ThrowInvalidArg(env, "a Float32Array that shares no memory with a, packedB or bias", "out", info[3]);

  auto* worker = new MatmulWorker(env, a, b, bias, out, m, k, n, threads);
  worker->Pin(info[0], "a");
  worker->Pin(info[1], "packedB");
  if (hasBias) worker->Pin(info[2], "bias");
  worker->Pin(info[3], "out");
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace qnn_node
