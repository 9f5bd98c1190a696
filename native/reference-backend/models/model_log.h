// Logging of a model library: through the caller's QnnLog callback when it gave one (only
// levels up to its maxLogLevel), else errors to stderr as generated model code prints them.
#pragma once

#include <cstdint>

#include "qnn/qnn_api.h"

namespace qnn_model_kit {

class ModelLog {
 public:
  ModelLog(QnnLog_Callback_t callback, uint32_t maxLevel) : callback_(callback), maxLevel_(maxLevel) {}
  void error(const char* fmt, ...) const;
  void warn(const char* fmt, ...) const;
  void info(const char* fmt, ...) const;
  void debug(const char* fmt, ...) const;

 private:
  void emit(QnnLog_Level_t level, const char* fmt, va_list args) const;
  QnnLog_Callback_t callback_;
  uint32_t maxLevel_;
};

// The trailing compose arguments as they arrived. On x86_64 SysV they sit on the stack right
// after the by-value table, so a caller passing a table of another size shifts them: garbage
// there means the table size was wrong. Returns false (after logging why) when any is
// implausible: debug not 0/1, maxLogLevel beyond 5, a callback that is not inside a loaded
// module.
bool trailingArgumentsPlausible(uint8_t debug, const void* logCallback, uint32_t maxLogLevel, const char* entryPoint);

}  // namespace qnn_model_kit
