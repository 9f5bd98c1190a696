#include "HostMatmul.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cmath>
#include <memory>
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

namespace {

#if defined(__GNUC__) || defined(__clang__)
#define ROWS_INLINE inline __attribute__((always_inline))  // compiled into each target's copy below
#else
#define ROWS_INLINE inline
#endif

ROWS_INLINE void RowsBody(const float* a, const float* packedB, const float* bias, float* c, size_t row0, size_t row1,
                          size_t k, size_t n) {
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

using RowsFn = void (*)(const float*, const float*, const float*, float*, size_t, size_t, size_t, size_t);

void RowsBaseline(const float* a, const float* b, const float* bias, float* c, size_t r0, size_t r1, size_t k, size_t n) {
  RowsBody(a, b, bias, c, r0, r1, k, n);
}

// x86-64 Linux with GCC: copies for AVX2+FMA and AVX2-only CPUs next to the baseline
// (SSE2) one, picked once at run time, so a portable build still runs 8-wide where the CPU
// can (~30x faster here). The FMA copy fuses `acc += a * b` (GCC contracts it by
// default outside ISO mode): one rounding per step instead of two, at the same speed here
// (38-40 ms CPU for the patch-embed matmul on one thread either way). target_clones cannot express "avx2 and fma" as one clone, and its
// "arch=x86-64-v3" also requires LZCNT, which some AVX2+FMA VMs do not report.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target("avx2,fma"))) void RowsAvx2Fma(const float* a, const float* b, const float* bias, float* c, size_t r0,
                                                    size_t r1, size_t k, size_t n) {
  RowsBody(a, b, bias, c, r0, r1, k, n);
}
__attribute__((target("avx2"))) void RowsAvx2(const float* a, const float* b, const float* bias, float* c, size_t r0,
                                             size_t r1, size_t k, size_t n) {
  RowsBody(a, b, bias, c, r0, r1, k, n);
}
RowsFn PickRows() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return RowsAvx2Fma;
  if (__builtin_cpu_supports("avx2")) return RowsAvx2;
  return RowsBaseline;
}
#else
RowsFn PickRows() { return RowsBaseline; }
#endif

}  // namespace

void MatmulRows(const float* a, const float* packedB, const float* bias, float* c, size_t row0, size_t row1, size_t k,
                size_t n) {
  static const RowsFn rows = PickRows();
  rows(a, packedB, bias, c, row0, row1, k, n);
}

namespace {

struct F32Buffer {
  float* data = nullptr;
  size_t length = 0;
};

// A weight made by hostMatmulWeight: the packed panels in native memory, shared with every
// worker that uses them, so JS can neither transfer nor free them under a running matmul.
struct PackedWeight {
  size_t k = 0, n = 0;
  std::vector<float> panels;
};
using WeightPtr = std::shared_ptr<const PackedWeight>;

// Tags the weight objects: only an object this file made passes (no user JS runs to check).
constexpr napi_type_tag kMatmulWeightTag = {0x4d61746d756c5774ull, 0x8c2f1e7a3b5d9064ull};

bool IsDetachedTypedArray(Napi::Env env, const Napi::Value& v) {
  napi_value buffer = nullptr;
  if (napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, &buffer, nullptr) != napi_ok) return false;
  bool detached = false;
  return napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && detached;
}

NativeError DetachedError(const std::string& name, bool inFlight) {
  NativeError e;
  e.code = "BUFFER_DETACHED";
  e.message = "The ArrayBuffer of " + name + " of hostMatmul " +
              (inFlight ? "was detached (transferred) while the matmul was in flight: its result is lost. Do not "
                          "transfer out until the promise settles"
                        : "is detached (transferred): it has no data");
  e.isTypeError = !inFlight;
  e.details.emplace_back("buffer", name);
  return e;
}

F32Buffer Float32Arg(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    ThrowInvalidArg(env, "a Float32Array", name, v);
  if (IsResizableBuffer(env, v)) ThrowInvalidArg(env, "a Float32Array on a fixed-length ArrayBuffer", name, v);
  if (IsDetachedTypedArray(env, v)) throw ToJsError(env, DetachedError(name, false));
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

// Element counts as 64-bit products: on a 32-bit size_t they must not wrap onto a small buffer.
void CheckProducts(Napi::Env env, size_t m, size_t k, size_t n) {
  const unsigned long long limit = static_cast<unsigned long long>(SIZE_MAX / sizeof(float));
  if (1ull * m * k > limit || 1ull * m * n > limit || 1ull * PackedWeightLength(1, n) * k > limit) {
    ThrowOutOfRange(env, "Expected m, k and n whose products fit this platform's memory but received m = " +
                             std::to_string(m) + ", k = " + std::to_string(k) + ", n = " + std::to_string(n));
  }
}

void CheckLength(Napi::Env env, size_t actual, size_t expected, const char* name, const std::string& what) {
  if (actual == expected) return;
  NativeError e;
  e.code = "SIZE_MISMATCH";
  e.message = "Expected " + std::to_string(expected) + " elements (" + what + ") for " + name + " but received " +
              std::to_string(actual);
  e.details.emplace_back("buffer", name);
  e.details.emplace_back("expected", std::to_string(expected));
  e.details.emplace_back("actual", std::to_string(actual));
  throw ToJsError(env, e);
}

WeightPtr WeightArg(Napi::Env env, const Napi::Value& v) {
  bool tagged = false;
  void* raw = nullptr;
  if (!v.IsObject() || napi_check_object_type_tag(env, v, &kMatmulWeightTag, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, v, &raw) != napi_ok || !raw) {
    ThrowInvalidArg(env, "a weight made by hostMatmulWeight", "weight", v);
  }
  return *static_cast<WeightPtr*>(raw);
}

std::unique_ptr<float[]> CopyOf(const F32Buffer& b) {
  std::unique_ptr<float[]> copy(new float[b.length]);
  std::memcpy(copy.get(), b.data, b.length * sizeof(float));
  return copy;
}

// Runs on copies only: a and bias copied at the call, the weight shared (native-owned), the
// result computed into native memory and copied into `out` on the main thread when done.
// No JS-owned memory is touched off the main thread, so transferring or collecting any
// buffer meanwhile cannot free memory under the worker.
class MatmulWorker : public Napi::AsyncWorker {
 public:
  MatmulWorker(Napi::Env env, std::unique_ptr<float[]> a, WeightPtr weight, std::unique_ptr<float[]> bias,
               const Napi::Value& out, size_t m, size_t threads)
      : Napi::AsyncWorker(env, "qnn-node:hostMatmul"),
        deferred_(Napi::Promise::Deferred::New(env)),
        a_(std::move(a)), weight_(std::move(weight)), bias_(std::move(bias)),
        c_(new float[m * weight_->n]), out_(Napi::Persistent(out.As<Napi::Object>())), m_(m), threads_(threads) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const size_t k = weight_->k, n = weight_->n;
    const float* a = a_.get();
    const float* b = weight_->panels.data();
    const float* bias = bias_.get();
    float* c = c_.get();
    // Row blocks of whole tiles per thread; the calling pool thread takes the first.
    size_t threads = std::max<size_t>(1, std::min(threads_, (m_ + kRowsPerTile - 1) / kRowsPerTile));
    size_t per = (m_ + threads - 1) / threads;
    per = (per + kRowsPerTile - 1) / kRowsPerTile * kRowsPerTile;
    std::vector<std::thread> pool;
    size_t next = per;
    try {
      for (; next < m_; next += per) {
        size_t r0 = next, r1 = std::min(m_, next + per);
        pool.emplace_back([=] { MatmulRows(a, b, bias, c, r0, r1, k, n); });
      }
    } catch (const std::system_error&) {
      // No more threads: this thread does the rest.
      MatmulRows(a, b, bias, c, next, m_, k, n);
    }
    MatmulRows(a, b, bias, c, 0, std::min(per, m_), k, n);
    for (auto& t : pool) t.join();
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Value out = out_.Value();
    out_.Reset();
    // Re-read out's memory now: it may have been transferred (detached) meanwhile.
    void* data = nullptr;
    size_t length = 0;
    if (IsDetachedTypedArray(env, out) ||
        napi_get_typedarray_info(env, out, nullptr, &length, &data, nullptr, nullptr) != napi_ok ||
        length != m_ * weight_->n || !data) {
      deferred_.Reject(ToJsError(env, DetachedError("out", true)).Value());
      return;
    }
    std::memcpy(data, c_.get(), length * sizeof(float));
    deferred_.Resolve(env.Undefined());
  }

  void OnError(const Napi::Error& e) override {
    out_.Reset();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<float[]> a_;
  WeightPtr weight_;
  std::unique_ptr<float[]> bias_;
  std::unique_ptr<float[]> c_;
  Napi::ObjectReference out_;  // read only on the main thread, in OnOK
  size_t m_, threads_;
};

}  // namespace

Napi::Value HostMatmulWeight(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t k = DimArg(env, info[1], "k");
  size_t n = DimArg(env, info[2], "n");
  CheckProducts(env, 1, k, n);
  F32Buffer packed = Float32Arg(env, info[0], "packed");
  CheckLength(env, packed.length, PackedWeightLength(k, n), "packed",
              "k x n packed in panels of " + std::to_string(kMatmulPanel) + " columns");
  auto weight = std::make_shared<PackedWeight>();
  weight->k = k;
  weight->n = n;
  try {
    weight->panels.assign(packed.data, packed.data + packed.length);
  } catch (const std::bad_alloc&) {
    ThrowOutOfRange(env, "Expected k and n whose weight fits in memory but received k = " + std::to_string(k) +
                             ", n = " + std::to_string(n));
  }
  Napi::Object handle = Napi::Object::New(env);
  handle.DefineProperties({Napi::PropertyDescriptor::Value("k", Napi::Number::New(env, static_cast<double>(k)), napi_enumerable),
                           Napi::PropertyDescriptor::Value("n", Napi::Number::New(env, static_cast<double>(n)), napi_enumerable)});
  // The panels are megabytes behind a tiny object: tell V8 (and untell it at finalization),
  // or dropped weights would wait for an unrelated collection.
  const int64_t bytes = static_cast<int64_t>(weight->panels.size() * sizeof(float));
  auto* owner = new WeightPtr(std::move(weight));
  napi_status status = napi_wrap(
      env, handle, owner,
      [](napi_env finalizeEnv, void* data, void*) {
        auto* p = static_cast<WeightPtr*>(data);
        int64_t unused = 0;
        napi_adjust_external_memory(finalizeEnv, -static_cast<int64_t>((*p)->panels.size() * sizeof(float)), &unused);
        delete p;
      },
      nullptr, nullptr);
  if (status != napi_ok) {
    delete owner;
    NAPI_THROW(Napi::Error::New(env, "hostMatmulWeight: could not attach the weight"), Napi::Value());
  }
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, handle, &kMatmulWeightTag), Napi::Value());
  handle.Freeze();
  return handle;
}

Napi::Value HostMatmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Numbers first (they run no user code), then the buffers: nothing between reading a
  // buffer's pointer and copying it can run JS.
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
  CheckProducts(env, m, k, n);
  F32Buffer a = Float32Arg(env, info[0], "a");
  WeightPtr weight = WeightArg(env, info[1]);
  bool hasBias = !(info[2].IsNull() || info[2].IsUndefined());
  F32Buffer bias = hasBias ? Float32Arg(env, info[2], "bias") : F32Buffer{};
  F32Buffer out = Float32Arg(env, info[3], "out");
  CheckLength(env, a.length, m * k, "a", "m x k = " + std::to_string(m) + " x " + std::to_string(k));
  CheckLength(env, weight->k, k, "weight", "its k");
  CheckLength(env, weight->n, n, "weight", "its n");
  if (hasBias) CheckLength(env, bias.length, n, "bias", "n");
  CheckLength(env, out.length, m * n, "out", "m x n = " + std::to_string(m) + " x " + std::to_string(n));

  MatmulWorker* worker = nullptr;
  try {
    worker = new MatmulWorker(env, CopyOf(a), std::move(weight), hasBias ? CopyOf(bias) : nullptr, info[3], m, threads);
  } catch (const std::bad_alloc&) {
    ThrowOutOfRange(env, "Expected m, k and n whose copies fit in memory but received m = " + std::to_string(m) +
                             ", k = " + std::to_string(k) + ", n = " + std::to_string(n));
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace qnn_node
