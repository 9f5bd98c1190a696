#include "Profiling.h"

#include <cstring>

#include "Errors.h"
#include "RunOptions.h"
#include "RuntimeState.h"

namespace qnn_node {
namespace {

// QNN_PROFILE_CONFIG_OPTION_ENABLE_OPTRACE: declared by the SDK 2.25 headers (core API
// 2.18), the oldest this project has read; older cores are refused rather than guessed.
constexpr uint32_t kOptraceSinceCoreMinor = 18;
// Bounds on what a backend may hand back: nesting, events in total, identifier length.
constexpr int kMaxDepth = 8;
constexpr size_t kMaxEvents = 1u << 20;
constexpr size_t kMaxIdentifier = 4096;

CoreError Unsupported(const RuntimeState& rt, const std::string& what) {
  NativeError e;
  e.code = "UNSUPPORTED_VERSION";
  e.message = what + " (backend " + rt.provider.name + ", core API " + rt.provider.core.str() + ", backend API " +
              rt.provider.backend.str() + ")";
  e.details.emplace_back("coreApiVersion", rt.provider.core.str());
  e.details.emplace_back("backendApiVersion", rt.provider.backend.str());
  return CoreError(e);
}

double ScalarValue(const Qnn_Scalar_t& s) {
  switch (s.dataType) {
    case QNN_DATATYPE_INT_8: return s.int8Value;
    case QNN_DATATYPE_INT_16: return s.int16Value;
    case QNN_DATATYPE_INT_32: return s.int32Value;
    case QNN_DATATYPE_INT_64: return static_cast<double>(s.int64Value);
    case QNN_DATATYPE_UINT_8:
    case QNN_DATATYPE_BOOL_8: return s.uint8Value;
    case QNN_DATATYPE_UINT_16: return s.uint16Value;
    case QNN_DATATYPE_UINT_32: return s.uint32Value;
    case QNN_DATATYPE_FLOAT_32: return s.floatValue;
    case QNN_DATATYPE_FLOAT_64: return s.doubleValue;
    default: return static_cast<double>(s.uint64Value);  // UINT_64 and anything unknown
  }
}

void SetIdentifier(ProfileEvent* ev, const char* id) {
  if (!id) return;
  ev->hasIdentifier = true;
  ev->identifier.assign(id, strnlen(id, kMaxIdentifier));
}

struct Reader {
  RuntimeState& rt;
  bool extended;
  size_t total = 0;

  ProfileEvent ReadOne(QnnProfile_EventId_t id, int depth) {
    ProfileEvent ev;
    bool done = false;
    if (extended) {
      QnnProfile_ExtendedEventData_t x;
      std::memset(&x, 0, sizeof x);
      if (rt.fns.profileGetExtendedEventData(id, &x) == QNN_SUCCESS && x.version == QNN_PROFILE_DATA_VERSION_1) {
        ev.type = x.v1.type;
        ev.unit = x.v1.unit;
        ev.value = x.v1.unit == QNN_PROFILE_EVENTUNIT_OBJECT ? static_cast<double>(x.v1.backendOpaqueObject.opaqueObject.len)
                                                             : ScalarValue(x.v1.value);
        ev.timestamp = x.v1.timestamp;
        ev.hasTimestamp = true;
        SetIdentifier(&ev, x.v1.identifier);
        done = true;
      } else {
        extended = false;  // the backend does not answer it: plain event data from here on
      }
    }
    if (!done) {
      QnnProfile_EventData_t d;
      std::memset(&d, 0, sizeof d);
      Qnn_ErrorHandle_t st = rt.fns.profileGetEventData(id, &d);
      if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("profileGetEventData", st));
      ev.type = d.type;
      ev.unit = d.unit;
      ev.value = static_cast<double>(d.value);
      SetIdentifier(&ev, d.identifier);
    }
    if (depth < kMaxDepth) {
      const QnnProfile_EventId_t* subs = nullptr;
      uint32_t n = 0;
      Qnn_ErrorHandle_t st = rt.fns.profileGetSubEvents(id, &subs, &n);
      if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("profileGetSubEvents", st));
      if (n && subs) ReadList(subs, n, depth + 1, &ev.children);
    }
    return ev;
  }

  void ReadList(const QnnProfile_EventId_t* ids, uint32_t n, int depth, std::vector<ProfileEvent>* out) {
    // Refused before copying: a backend reporting billions of ids would otherwise have
    // the copy allocate (and read) that many.
    if (n > kMaxEvents - total) throw CoreError("LIMIT_EXCEEDED", "the profile holds more than " + std::to_string(kMaxEvents) + " events");
    // The id array belongs to the backend and may be reused by the next call: copy it.
    std::vector<QnnProfile_EventId_t> copy(ids, ids + n);
    out->reserve(copy.size());
    for (QnnProfile_EventId_t id : copy) {
      if (++total > kMaxEvents) throw CoreError("LIMIT_EXCEEDED", "the profile holds more than " + std::to_string(kMaxEvents) + " events");
      out->push_back(ReadOne(id, depth));
    }
  }
};

Napi::Array EventsToJs(Napi::Env env, const std::vector<ProfileEvent>& events) {
  Napi::Array arr = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const ProfileEvent& e = events[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", Napi::Number::New(env, e.type));
    o.Set("unit", Napi::Number::New(env, e.unit));
    o.Set("value", Napi::Number::New(env, e.value));
    if (e.hasIdentifier) o.Set("identifier", Napi::String::New(env, e.identifier));
    if (e.hasTimestamp) o.Set("timestamp", Napi::Number::New(env, static_cast<double>(e.timestamp)));
    o.Set("children", EventsToJs(env, e.children));
    arr.Set(static_cast<uint32_t>(i), o);
  }
  return arr;
}

}  // namespace

const char* ProfileLevelName(ProfileLevel level) {
  switch (level) {
    case ProfileLevel::kBasic: return "basic";
    case ProfileLevel::kDetailed: return "detailed";
    case ProfileLevel::kOptrace: return "optrace";
    default: return "off";
  }
}

ProfileLevel ParseProfileLevel(Napi::Env env, const Napi::Value& value, const std::string& name) {
  if (value.IsUndefined() || value.IsNull()) return ProfileLevel::kOff;
  if (value.IsString()) {
    std::string s = value.As<Napi::String>().Utf8Value();
    if (s == "basic") return ProfileLevel::kBasic;
    if (s == "detailed") return ProfileLevel::kDetailed;
    if (s == "optrace") return ProfileLevel::kOptrace;
  }
  ThrowInvalidArg(env, "'basic', 'detailed' or 'optrace'", name, value);
}

void ParseProfilingRunOptions(Napi::Env env, const Napi::Object& options, RunOptions* out) {
  out->profile = ParseProfileLevel(env, options.Get("profile"), "options.profile");
}

void ScopedProfile::Create(RuntimeState& rt, ProfileLevel level, const char* what) {
  const CoreFns& f = rt.fns;
  std::string option = std::string("profile '") + ProfileLevelName(level) + "' of " + what;
  if (!f.profileCreate || !f.profileGetEvents || !f.profileGetSubEvents || !f.profileGetEventData || !f.profileFree) {
    throw Unsupported(rt, "The backend does not provide the QNN profile functions, which " + option + " needs");
  }
  if (level == ProfileLevel::kOptrace) {
    if (!(rt.provider.core.major == 2 && rt.provider.core.minor >= kOptraceSinceCoreMinor)) {
      throw Unsupported(rt, option + " needs core API 2." + std::to_string(kOptraceSinceCoreMinor) +
                                " or newer (QNN_PROFILE_CONFIG_OPTION_ENABLE_OPTRACE)");
    }
    if (!f.profileSetConfig) throw Unsupported(rt, "The backend does not provide profileSetConfig, which " + option + " needs");
  }
  QnnProfile_Level_t qnnLevel = level == ProfileLevel::kBasic ? QNN_PROFILE_LEVEL_BASIC : QNN_PROFILE_LEVEL_DETAILED;
  Qnn_ProfileHandle_t h = nullptr;
  Qnn_ErrorHandle_t st = f.profileCreate(rt.backendHandle, qnnLevel, &h);
  if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("profileCreate", st, "for " + option));
  rt_ = &rt;
  handle_ = h;
  level_ = level;
  if (level == ProfileLevel::kOptrace) {
    QnnProfile_Config_t config;
    std::memset(&config, 0, sizeof config);
    config.option = QNN_PROFILE_CONFIG_OPTION_ENABLE_OPTRACE;
    config.enableOptrace = 1;
    const QnnProfile_Config_t* configs[] = {&config, nullptr};
    st = f.profileSetConfig(h, configs);
    if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("profileSetConfig", st, "for " + option));
  }
}

ProfileResult ScopedProfile::Read() {
  ProfileResult result;
  result.level = level_;
  if (!handle_) return result;
  RuntimeState& rt = *rt_;
  Reader reader{rt, rt.fns.profileGetExtendedEventData != nullptr};
  const QnnProfile_EventId_t* ids = nullptr;
  uint32_t n = 0;
  Qnn_ErrorHandle_t st = rt.fns.profileGetEvents(handle_, &ids, &n);
  if (st != QNN_SUCCESS) throw CoreError(rt.StatusError("profileGetEvents", st));
  if (n && ids) reader.ReadList(ids, n, 0, &result.events);
  result.extended = reader.extended;
  return result;
}

ScopedProfile::~ScopedProfile() {
  if (handle_ && rt_->fns.profileFree) rt_->fns.profileFree(handle_);
}

Napi::Value ProfileResultToJs(Napi::Env env, const ProfileResult& result) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("level", Napi::String::New(env, ProfileLevelName(result.level)));
  o.Set("extended", Napi::Boolean::New(env, result.extended));
  o.Set("events", EventsToJs(env, result.events));
  return o;
}

}  // namespace qnn_node
