// LogBridge: QNN log callbacks (any thread, no user-data pointer) → a JS function.
// QnnLog_Callback_t carries no context, so each live log handle gets one of a fixed set of
// trampolines (a "slot"); the slot formats the message on the calling thread and hands
// it to a thread-safe function that is unref'd (logging never keeps the process alive).
#pragma once

#include <napi.h>

#include <cstdarg>
#include <cstdint>
#include <memory>

#include "qnn/qnn_api.h"

namespace qnn_node {

using LogCallbackFn = QnnLog_Callback_t;

class LogChannel {
 public:
  // Takes a slot; returns nullptr when every slot is in use (logging is then off).
  static std::shared_ptr<LogChannel> Create(Napi::Env env, Napi::Function onLog, int maxLevel);
  ~LogChannel();
  // The trampoline to hand to logCreate.
  LogCallbackFn callback() const;
  int maxLevel() const { return maxLevel_; }
  // Stops delivery and releases the thread-safe function; call after logFree. Idempotent.
  void Close();

 private:
  LogChannel() = default;
  int slot_ = -1;
  uint64_t generation_ = 0;
  int maxLevel_ = 0;
};

}  // namespace qnn_node
