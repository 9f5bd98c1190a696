// LogBridge: QNN log callbacks (any thread, no user-data pointer) → a JS function.
// QnnLog_Callback_t carries no context, so each live log handle gets one of a fixed set of
// trampolines (a "slot"); the slot formats the message on the calling thread and hands
// it to a thread-safe function that is unref'd (logging never keeps the process alive).
#pragma once

#include <napi.h>

#include <cstdarg>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "qnn/qnn_api.h"

namespace qnn_node {

using LogCallbackFn = QnnLog_Callback_t;

// The level up to which lines are captured (LogCapture): errors and warnings.
constexpr int kCaptureLevel = QNN_LOG_LEVEL_WARN;

class LogChannel {
 public:
  // Takes a slot; returns nullptr when every slot is in use (logging is then off).
  // `onLog` empty (or `maxLevel` 0): a capture-only channel, delivering nothing to JS, so
  // that the backend's errors and warnings can be captured (LogCapture) without a handler.
  static std::shared_ptr<LogChannel> Create(Napi::Env env, Napi::Function onLog, int maxLevel);
  ~LogChannel();
  // The trampoline to hand to logCreate (and to a model library's compose call).
  LogCallbackFn callback() const;
  // The level lines reach JS up to (0: none).
  int maxLevel() const { return maxLevel_; }
  bool delivers() const { return maxLevel_ > 0; }
  // Stops delivery and releases the thread-safe function; call after logFree. Idempotent.
  void Close();

 private:
  LogChannel() = default;
  friend class LogCapture;
  int slot_ = -1;
  uint64_t generation_ = 0;
  int maxLevel_ = 0;
};

// Collects the channel's error and warning lines ("error: …", "warning: …") from any
// thread while it lives (a model composition: the backend's validateOpConfig complaints).
// Several captures of one channel each get every line. A null channel captures nothing.
class LogCapture {
 public:
  explicit LogCapture(LogChannel* channel);
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  // The lines so far (at most kMaxLines; later ones are counted in `dropped`).
  std::vector<std::string> Lines() const;
  static constexpr size_t kMaxLines = 64;

 private:
  friend void AppendCaptured(LogCapture* capture, int level, const std::string& text);
  int slot_ = -1;
  uint64_t generation_ = 0;
  std::vector<std::string> lines_;  // guarded by the slot's mutex
  size_t dropped_ = 0;
};

// LogBridge.cc: appends one delivered line (under the slot's lock).
void AppendCaptured(LogCapture* capture, int level, const std::string& text);

}  // namespace qnn_node
