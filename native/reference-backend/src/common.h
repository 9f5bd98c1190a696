// Shared infrastructure of the two reference libraries: version emulation settings,
// guarded memory for tables, error handles and messages, logging.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "qnn/qnn_api.h"
#include "qnn/qnn_abi_compat.h"

#if defined(_WIN32)
#define QNNREF_EXPORT extern "C" __declspec(dllexport)
#else
#define QNNREF_EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace qnnref {

using qnn_node::abi::Version;

constexpr const char* kReferenceVersion = "0.1.0";
constexpr uint32_t kBackendId = 0x4E52;

struct Emulation {
  Version core{2, 32, 0};
  Version system{1, 7, 0};
  Version backend{5, 43, 0};
  int binaryInfoVersion = 0;  // 0 = by system version
};

// The path this library was loaded from (dladdr / GetModuleFileName), "" if unknown.
std::string ownLibraryPath();
// QNN_REFERENCE_KNOBS_FOR=<text>: the knobs (API_VERSION, FAIL, DELAY_MS, NO_DSP) apply
// only to a copy of the library whose path contains <text>, so one process can load a
// misbehaving "libQnnHtp.so" copy and a well-behaved reference backend side by side.
bool knobsApply();
// QNN_REFERENCE_BACKEND_ID=<n>: the backend id the provider reports (default kBackendId,
// which qnn-node treats as HTP), to emulate a backend that is not HTP.
uint32_t emulatedBackendId();

// Parses QNN_REFERENCE_API_VERSION (unset/empty = defaults). False + message if invalid
// or unsupported.
bool readEmulation(Emulation* out, std::string* error);
std::string versionString(const Version& v);

// ---- guarded memory ---------------------------------------------------------------------
// `size` bytes whose end abuts an inaccessible page (where the platform allows), so
// reading past the end faults. Zero-filled.
struct GuardedBlock {
  void* base = nullptr;
  size_t length = 0;
  void* ptr = nullptr;
};
GuardedBlock guardedAlloc(size_t size);
void guardedFree(GuardedBlock& block);

// ---- logging -----------------------------------------------------------------------------
struct Logger {
  QnnLog_Callback_t callback = nullptr;
  QnnLog_Level_t level = QNN_LOG_LEVEL_ERROR;
};
void logf(const Logger* logger, QnnLog_Level_t level, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

// ---- errors ------------------------------------------------------------------------------
// Records `message` and returns a unique error handle carrying `code` in its low 16 bits
// (bare code when QNN_REFERENCE_PLAIN_ERRORS=1). Also logs it at ERROR.
Qnn_ErrorHandle_t makeError(const Logger* logger, uint32_t code, const std::string& message);
// Looks up a message by handle; false if unknown.
bool findErrorMessage(Qnn_ErrorHandle_t handle, std::string* message);

// QNN_REFERENCE_FAIL injection: true (and *code) if `function` must fail.
bool injectedFailure(const char* function, uint32_t* code);
// QNN_REFERENCE_DELAY_MS=<function>=<ms>[,...]: sleeps that long when `function` is called
// (backendCreate, deviceCreate, contextCreateFromBinary): a vendor call that stalls.
void injectedDelay(const char* function);
// QNN_REFERENCE_NO_DSP=1: the HTP on a machine without a reachable DSP (deviceCreate and
// device-less contextCreateFromBinary fail with QNN_DEVICE_ERROR_INVALID_CONFIG, 14001).
bool noDspEmulated();

std::string formatString(const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

}  // namespace qnnref
