#include "model_log.h"
#include "model_table.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace qnn_model_kit {

namespace {
uint64_t nowMicros() {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}
}  // namespace

void ModelLog::emit(QnnLog_Level_t level, const char* fmt, va_list args) const {
  if (callback_) {
    if (uint32_t(level) <= maxLevel_) callback_(fmt, level, nowMicros(), args);
    return;
  }
  if (level == QNN_LOG_LEVEL_ERROR) {
    std::fputs("qnn-model: ", stderr);
    std::vfprintf(stderr, fmt, args);
    std::fputc('\n', stderr);
  }
}

#define QNN_MODEL_LOG_AT(name, level)        \
  void ModelLog::name(const char* fmt, ...) const { \
    va_list args;                            \
    va_start(args, fmt);                     \
    emit(level, fmt, args);                  \
    va_end(args);                            \
  }
QNN_MODEL_LOG_AT(error, QNN_LOG_LEVEL_ERROR)
QNN_MODEL_LOG_AT(warn, QNN_LOG_LEVEL_WARN)
QNN_MODEL_LOG_AT(info, QNN_LOG_LEVEL_INFO)
QNN_MODEL_LOG_AT(debug, QNN_LOG_LEVEL_DEBUG)
#undef QNN_MODEL_LOG_AT

namespace {
bool insideLoadedModule(const void* address) {
#if defined(_WIN32)
  HMODULE module = nullptr;
  return GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            static_cast<LPCSTR>(address), &module) != 0;
#else
  Dl_info info;
  return dladdr(address, &info) != 0 && info.dli_fname != nullptr;
#endif
}
}  // namespace

bool trailingArgumentsPlausible(uint8_t debug, const void* logCallback, uint32_t maxLogLevel, const char* entryPoint) {
  const char* problem = nullptr;
  if (debug > 1) problem = "debug is not 0 or 1";
  else if (maxLogLevel > QNN_LOG_LEVEL_DEBUG) problem = "maxLogLevel is beyond QNN_LOG_LEVEL_DEBUG (5)";
  else if (logCallback != nullptr && !insideLoadedModule(logCallback)) problem = "logCallback points into no loaded module";
  if (!problem) return true;
  // The callback itself is suspect: report on stderr only.
  std::fprintf(stderr,
               "qnn-model: %s: %s (debug=%u, logCallback=%p, maxLogLevel=%u): the caller's by-value interface table "
               "is probably not the %u-slot table of core API 2.%u this library was built for\n",
               entryPoint, problem, unsigned(debug), logCallback, maxLogLevel, unsigned(kTableSlots), unsigned(kTableCoreMinor));
  return false;
}

}  // namespace qnn_model_kit
