#include "ConfigsFromJs.h"

#include <cfloat>
#include <cmath>

#include "AddonContext.h"
#include "ContextState.h"
#include "Errors.h"
#include "RawCustomConfigs.h"

namespace qnn_node {
namespace {

bool Absent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

uint32_t U32(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsNumber()) ThrowInvalidArg(env, "an integer from 0 to 4294967295", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || std::floor(d) != d) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected an integer from 0 to 4294967295 for " + name + " but received " + DescribeValue(v));
  }
  return static_cast<uint32_t>(d);
}

uint64_t U64(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected an unsigned 64-bit integer for " + name + " but received " + DescribeValue(v));
    return u;
  }
  if (!v.IsNumber()) ThrowInvalidArg(env, "a non-negative integer or bigint", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 9007199254740991.0) || std::floor(d) != d) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected a safe non-negative integer for " + name + " but received " + DescribeValue(v));
  }
  return static_cast<uint64_t>(d);
}

float F32(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsNumber()) ThrowInvalidArg(env, "a finite number", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) ThrowInvalidArg(env, "a finite number", name, v);
  // A finite double beyond the float range has no float value (the conversion is undefined).
  if (std::fabs(d) > static_cast<double>(FLT_MAX)) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected a finite 32-bit float (magnitude at most " + std::to_string(FLT_MAX) + ") for " + name +
                                           " but received " + DescribeValue(v));
  }
  return static_cast<float>(d);
}

bool Bool(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsBoolean()) ThrowInvalidArg(env, "a boolean", name, v);
  return v.As<Napi::Boolean>().Value();
}

Napi::Array Tuple(Napi::Env env, const Napi::Value& v, uint32_t n, const std::string& name) {
  if (!v.IsArray() || v.As<Napi::Array>().Length() != n) {
    ThrowInvalidArg(env, "an array of " + std::to_string(n) + " values", name, v);
  }
  return v.As<Napi::Array>();
}

HtpCustomConfig ParseOne(Napi::Env env, const Napi::Value& v, ConfigFamily family, const std::string& where) {
  if (!v.IsObject() || v.IsArray()) ThrowInvalidArg(env, "an {option, value} object", where, v);
  Napi::Object o = v.As<Napi::Object>();
  HtpCustomConfig c;
  if (ParseRawCustomConfig(env, o, family, where, &c)) return c;
  c.option = U32(env, o.Get("option"), where + ".option");
  ValueKind kind = KindOf(family, c.option);
  if (kind == ValueKind::kNone) {
    ThrowCode(env, "ERR_INVALID_ARG",
              std::string("Expected an HTP ") + FamilyName(family) + " custom config option qnn-node can send for " + where +
                  ".option but received " + std::to_string(c.option),
              true);
  }
  Napi::Value name = o.Get("name"), since = o.Get("since");
  if (name.IsString()) c.name = name.As<Napi::String>().Utf8Value();
  if (!Absent(since)) c.sinceBackendMinor = U32(env, since, where + ".since");
  if (c.name.empty()) c.name = "#" + std::to_string(c.option);
  Napi::Value value = o.Get("value");
  std::string vn = where + ".value";
  switch (kind) {
    case ValueKind::kBool: c.u64 = Bool(env, value, vn) ? 1 : 0; break;
    case ValueKind::kU32: c.u64 = U32(env, value, vn); break;
    case ValueKind::kU64: c.u64 = U64(env, value, vn); break;
    case ValueKind::kU32F32: {
      Napi::Array t = Tuple(env, value, 2, vn);
      c.words[0] = U32(env, t.Get(0u), vn + "[0]");
      c.floats[0] = F32(env, t.Get(1u), vn + "[1]");
      break;
    }
    case ValueKind::kU32Pair: {
      Napi::Array t = Tuple(env, value, 2, vn);
      c.words[0] = U32(env, t.Get(0u), vn + "[0]");
      c.words[1] = U32(env, t.Get(1u), vn + "[1]");
      break;
    }
    case ValueKind::kU32Bool: {
      Napi::Array t = Tuple(env, value, 2, vn);
      c.words[0] = U32(env, t.Get(0u), vn + "[0]");
      c.words[1] = Bool(env, t.Get(1u), vn + "[1]") ? 1 : 0;
      break;
    }
    case ValueKind::kF32Pair: {
      Napi::Array t = Tuple(env, value, 2, vn);
      c.floats[0] = F32(env, t.Get(0u), vn + "[0]");
      c.floats[1] = F32(env, t.Get(1u), vn + "[1]");
      break;
    }
    case ValueKind::kParallel: {
      Napi::Array t = Tuple(env, value, 4, vn);
      for (uint32_t i = 0; i < 4; ++i) c.words[i] = U32(env, t.Get(i), vn + "[" + std::to_string(i) + "]");
      break;
    }
    case ValueKind::kNone: break;
  }
  return c;
}

uint32_t Priority(Napi::Env env, const Napi::Value& v, const std::string& name) {
  uint32_t p = U32(env, v, name);
  if (p != QNN_PRIORITY_LOW && p != QNN_PRIORITY_NORMAL && p != QNN_PRIORITY_NORMAL_HIGH && p != QNN_PRIORITY_HIGH) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected a Qnn_Priority_t value (0, 100, 150 or 200) for " + name + " but received " + DescribeValue(v));
  }
  return p;
}

}  // namespace

std::vector<HtpCustomConfig> ParseCustomConfigs(Napi::Env env, const Napi::Value& value, ConfigFamily family,
                                                const std::string& where) {
  std::vector<HtpCustomConfig> out;
  if (Absent(value)) return out;
  if (!value.IsArray()) ThrowInvalidArg(env, "an array of {option, value} objects", where, value);
  Napi::Array arr = value.As<Napi::Array>();
  // The length is read once: an element getter that grows the array cannot pass the cap.
  const uint32_t length = arr.Length();
  if (length > 64) ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected at most 64 custom configs for " + where);
  for (uint32_t i = 0; i < length; ++i) out.push_back(ParseOne(env, arr.Get(i), family, where + "[" + std::to_string(i) + "]"));
  return out;
}

ContextConfigSpec ParseContextConfigs(Napi::Env env, const Napi::Value& value, Napi::Object* groupFirst) {
  ContextConfigSpec spec;
  if (Absent(value)) return spec;
  if (!value.IsObject() || value.IsArray()) ThrowInvalidArg(env, "a context config object", "configs", value);
  Napi::Object o = value.As<Napi::Object>();
  Napi::Value priority = o.Get("priority");
  if (!Absent(priority)) {
    spec.hasPriority = true;
    spec.priority = Priority(env, priority, "configs.priority");
  }
  spec.custom = ParseCustomConfigs(env, o.Get("custom"), ConfigFamily::kContext, "configs.custom");
  Napi::Value group = o.Get("group");
  if (!Absent(group)) {
    if (!group.IsObject() || group.IsArray()) ThrowInvalidArg(env, "a {first, maxSpillFill} object", "configs.group", group);
    Napi::Object g = group.As<Napi::Object>();
    spec.group = true;
    spec.groupMaxSpillFill = U64(env, g.Get("maxSpillFill"), "configs.group.maxSpillFill");
    Napi::Value first = g.Get("first");
    if (!Absent(first)) {
      if (!AddonContext::IsInstance(env, first)) ThrowInvalidArg(env, "a loaded Context", "configs.group.first", first);
      // Checked (loaded, same runtime) and pinned by the caller once every getter has run.
      *groupFirst = first.As<Napi::Object>();
    }
  }
  Napi::Value graphs = o.Get("graphs");
  if (!Absent(graphs)) {
    if (!graphs.IsArray()) ThrowInvalidArg(env, "an array of graph configs", "configs.graphs", graphs);
    Napi::Array arr = graphs.As<Napi::Array>();
    const uint32_t length = arr.Length();  // once: a getter growing the array cannot pass the cap
    if (length > 4096) ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected at most 4096 graph configs");
    for (uint32_t i = 0; i < length; ++i) {
      std::string where = "configs.graphs[" + std::to_string(i) + "]";
      Napi::Value gv = arr.Get(i);
      if (!gv.IsObject() || gv.IsArray()) ThrowInvalidArg(env, "a graph config object", where, gv);
      Napi::Object go = gv.As<Napi::Object>();
      GraphConfigSpec g;
      Napi::Value name = go.Get("name");
      if (!Absent(name)) {
        if (!name.IsString() || name.As<Napi::String>().Utf8Value().empty()) ThrowInvalidArg(env, "a graph name", where + ".name", name);
        g.name = name.As<Napi::String>().Utf8Value();
      }
      Napi::Value p = go.Get("priority");
      if (!Absent(p)) {
        g.hasPriority = true;
        g.priority = Priority(env, p, where + ".priority");
      }
      g.custom = ParseCustomConfigs(env, go.Get("custom"), ConfigFamily::kGraph, where + ".custom");
      if (!g.empty()) spec.graphs.push_back(std::move(g));
    }
  }
  return spec;
}

}  // namespace qnn_node
