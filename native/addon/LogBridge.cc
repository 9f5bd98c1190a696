#include "LogBridge.h"

#include <array>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace qnn_node {
namespace {

constexpr int kSlots = 32;

struct LogMessage {
  int level;
  std::string text;
};

void CallJs(Napi::Env env, Napi::Function fn, std::nullptr_t*, LogMessage* msg) {
  std::unique_ptr<LogMessage> owned(msg);
  if (env == nullptr || fn.IsEmpty()) return;  // the environment is going away
  try {
    fn.Call({Napi::Number::New(env, owned->level), Napi::String::New(env, owned->text)});
  } catch (const Napi::Error&) {
    // A throwing log handler must not take the process down; the TS layer reports it.
  }
}

using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, LogMessage, CallJs>;

struct Slot {
  std::mutex mutex;
  bool active = false;
  uint64_t generation = 0;  // tells a late finalizer of an old TSFN from the current one
  int maxLevel = 0;         // 0: nothing goes to JS (capture-only channel)
  bool hasTsfn = false;
  Tsfn tsfn;
  std::vector<LogCapture*> captures;
};

struct FinalizeTag {
  int slot;
  uint64_t generation;
};

std::array<Slot, kSlots>& Slots() {
  static auto* slots = new std::array<Slot, kSlots>();  // never destroyed: callbacks may race exit
  return *slots;
}
std::mutex& AllocMutex() {
  static auto* m = new std::mutex();
  return *m;
}

void Deliver(int index, const char* fmt, int level, va_list args) {
  Slot& slot = Slots()[static_cast<size_t>(index)];
  std::lock_guard<std::mutex> lock(slot.mutex);
  if (!slot.active || fmt == nullptr) return;
  const bool toJs = slot.hasTsfn && slot.maxLevel > 0 && level <= slot.maxLevel;
  const bool toCapture = !slot.captures.empty() && level <= kCaptureLevel;
  if (!toJs && !toCapture) return;
  char stack[1024];
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(stack, sizeof stack, fmt, copy);
  va_end(copy);
  std::string text;
  if (n < 0) {
    text = fmt;
  } else if (static_cast<size_t>(n) < sizeof stack) {
    text.assign(stack, static_cast<size_t>(n));
  } else {
    std::vector<char> heap(static_cast<size_t>(n) + 1);
    va_copy(copy, args);
    std::vsnprintf(heap.data(), heap.size(), fmt, copy);
    va_end(copy);
    text.assign(heap.data(), static_cast<size_t>(n));
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (toCapture)
    for (LogCapture* c : slot.captures) AppendCaptured(c, level, text);
  if (!toJs) return;
  auto* msg = new LogMessage{level, std::move(text)};
  if (slot.tsfn.NonBlockingCall(msg) != napi_ok) delete msg;
}

// Runs on the main thread once the TSFN is gone — after our Release(), or when the
// environment tears it down at exit before our own cleanup ran. Either way nothing may
// touch it any more.
void OnTsfnFinalized(Napi::Env, FinalizeTag* tag, std::nullptr_t*) {
  std::unique_ptr<FinalizeTag> owned(tag);
  Slot& slot = Slots()[static_cast<size_t>(tag->slot)];
  std::lock_guard<std::mutex> lock(slot.mutex);
  if (slot.generation == tag->generation && slot.active && slot.hasTsfn) {
    // The environment tore the function down: JS delivery ends, capture goes on.
    slot.hasTsfn = false;
    slot.tsfn = Tsfn();
  }
}

template <int N>
void Trampoline(const char* fmt, QnnLog_Level_t level, uint64_t /*timestamp*/, va_list args) {
  Deliver(N, fmt, static_cast<int>(level), args);
}

template <int... I>
constexpr std::array<LogCallbackFn, sizeof...(I)> MakeTable(std::integer_sequence<int, I...>) {
  return {{&Trampoline<I>...}};
}
constexpr auto kTrampolines = MakeTable(std::make_integer_sequence<int, kSlots>{});

}  // namespace

std::shared_ptr<LogChannel> LogChannel::Create(Napi::Env env, Napi::Function onLog, int maxLevel) {
  std::lock_guard<std::mutex> alloc(AllocMutex());
  for (int i = 0; i < kSlots; ++i) {
    Slot& slot = Slots()[static_cast<size_t>(i)];
    std::lock_guard<std::mutex> lock(slot.mutex);
    if (slot.active) continue;
    ++slot.generation;
    const bool toJs = !onLog.IsEmpty() && maxLevel > 0;
    if (toJs) {
      auto* tag = new FinalizeTag{i, slot.generation};
      slot.tsfn = Tsfn::New(env, onLog, "qnn-node:log", 0, 1, nullptr, OnTsfnFinalized, tag);
      slot.tsfn.Unref(env);
    }
    slot.hasTsfn = toJs;
    slot.maxLevel = toJs ? maxLevel : 0;
    slot.captures.clear();
    slot.active = true;
    std::shared_ptr<LogChannel> channel(new LogChannel());
    channel->slot_ = i;
    channel->generation_ = slot.generation;
    channel->maxLevel_ = slot.maxLevel;
    return channel;
  }
  return nullptr;
}

LogChannel::~LogChannel() { Close(); }

LogCallbackFn LogChannel::callback() const {
  return slot_ >= 0 ? kTrampolines[static_cast<size_t>(slot_)] : nullptr;
}

void LogChannel::Close() {
  if (slot_ < 0) return;
  std::lock_guard<std::mutex> alloc(AllocMutex());
  Slot& slot = Slots()[static_cast<size_t>(slot_)];
  {
    std::lock_guard<std::mutex> lock(slot.mutex);
    if (slot.active && slot.generation == generation_) {
      if (slot.hasTsfn) slot.tsfn.Release();
      slot.tsfn = Tsfn();
      slot.hasTsfn = false;
      slot.captures.clear();
      slot.active = false;
    }
  }
  slot_ = -1;
}

void AppendCaptured(LogCapture* capture, int level, const std::string& text) {
  if (capture->lines_.size() >= LogCapture::kMaxLines) {
    ++capture->dropped_;
    return;
  }
  capture->lines_.push_back((level <= QNN_LOG_LEVEL_ERROR ? "error: " : "warning: ") + text);
}

LogCapture::LogCapture(LogChannel* channel) {
  if (!channel || channel->slot_ < 0) return;
  std::lock_guard<std::mutex> alloc(AllocMutex());
  Slot& slot = Slots()[static_cast<size_t>(channel->slot_)];
  std::lock_guard<std::mutex> lock(slot.mutex);
  if (!slot.active || slot.generation != channel->generation_) return;
  slot.captures.push_back(this);
  slot_ = channel->slot_;
  generation_ = channel->generation_;
}

LogCapture::~LogCapture() {
  if (slot_ < 0) return;
  Slot& slot = Slots()[static_cast<size_t>(slot_)];
  std::lock_guard<std::mutex> lock(slot.mutex);
  if (slot.generation != generation_) return;
  for (auto it = slot.captures.begin(); it != slot.captures.end(); ++it) {
    if (*it == this) {
      slot.captures.erase(it);
      break;
    }
  }
}

std::vector<std::string> LogCapture::Lines() const {
  std::vector<std::string> out;
  if (slot_ >= 0) {
    Slot& slot = Slots()[static_cast<size_t>(slot_)];
    std::lock_guard<std::mutex> lock(slot.mutex);
    out = lines_;
  } else {
    out = lines_;
  }
  if (dropped_ > 0) out.push_back("(" + std::to_string(dropped_) + " more lines not kept)");
  return out;
}

}  // namespace qnn_node
