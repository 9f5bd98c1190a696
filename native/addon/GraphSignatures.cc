#include "GraphSignatures.h"

#include <cmath>

#include "Errors.h"

namespace qnn_node {
namespace {

constexpr uint32_t kMaxArgTensors = 1u << 16;

uint32_t ToUint32(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsNumber()) ThrowInvalidArg(env, "an integer", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || std::floor(d) != d) {
    ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected an integer from 0 to 4294967295 for " + name + " but received " + DescribeValue(v));
  }
  return static_cast<uint32_t>(d);
}

std::string ToStr(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsString()) ThrowInvalidArg(env, "a string", name, v);
  return v.As<Napi::String>().Utf8Value();
}

// {name, id?, dataType, dims, quant?: {scale, offset} | {axis, scales, offsets}, bitwidth?}
TensorMeta ParseTensor(Napi::Env env, const Napi::Value& v, const std::string& where, bool input) {
  if (!v.IsObject()) ThrowInvalidArg(env, "a tensor signature object", where, v);
  Napi::Object o = v.As<Napi::Object>();
  TensorMeta m;
  m.version = QNN_TENSOR_VERSION_1;
  m.name = ToStr(env, o.Get("name"), where + ".name");
  Napi::Value id = o.Get("id");
  if (!id.IsUndefined() && !id.IsNull()) m.id = ToUint32(env, id, where + ".id");
  m.dataType = ToUint32(env, o.Get("dataType"), where + ".dataType");
  m.type = input ? QNN_TENSOR_TYPE_APP_WRITE : QNN_TENSOR_TYPE_APP_READ;
  Napi::Value dims = o.Get("dims");
  if (!dims.IsArray()) ThrowInvalidArg(env, "an array of integers", where + ".dims", dims);
  Napi::Array arr = dims.As<Napi::Array>();
  if (arr.Length() > 64) ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected at most 64 dimensions for " + where + ".dims");
  for (uint32_t i = 0; i < arr.Length(); ++i) m.dims.push_back(ToUint32(env, arr.Get(i), where + ".dims[" + std::to_string(i) + "]"));
  Napi::Value q = o.Get("quant");
  if (q.IsObject()) {
    Napi::Object qo = q.As<Napi::Object>();
    Napi::Value bw = qo.Get("bitwidth");
    uint32_t bitwidth = bw.IsUndefined() ? 0 : ToUint32(env, bw, where + ".quant.bitwidth");
    m.quant.definition = QNN_DEFINITION_DEFINED;
    Napi::Value scales = qo.Get("scales");
    if (scales.IsUndefined()) {
      Napi::Value s = qo.Get("scale"), off = qo.Get("offset");
      if (!s.IsNumber()) ThrowInvalidArg(env, "a number", where + ".quant.scale", s);
      if (!off.IsNumber()) ThrowInvalidArg(env, "a number", where + ".quant.offset", off);
      m.quant.scale = s.As<Napi::Number>().FloatValue();
      m.quant.offset = off.As<Napi::Number>().Int32Value();
      m.quant.bitwidth = bitwidth;
      m.quant.encoding = bitwidth ? QNN_QUANTIZATION_ENCODING_BW_SCALE_OFFSET : QNN_QUANTIZATION_ENCODING_SCALE_OFFSET;
    } else {
      Napi::Value offsets = qo.Get("offsets");
      if (!scales.IsArray()) ThrowInvalidArg(env, "an array of numbers", where + ".quant.scales", scales);
      if (!offsets.IsArray()) ThrowInvalidArg(env, "an array of numbers", where + ".quant.offsets", offsets);
      Napi::Array sa = scales.As<Napi::Array>(), oa = offsets.As<Napi::Array>();
      if (sa.Length() != oa.Length() || sa.Length() > (1u << 24)) {
        ThrowCode(env, "ERR_INVALID_ARG", "Expected quant.scales and quant.offsets of the same length for " + where, true);
      }
      m.quant.axis = static_cast<int32_t>(ToUint32(env, qo.Get("axis"), where + ".quant.axis"));
      for (uint32_t i = 0; i < sa.Length(); ++i) {
        Napi::Value s = sa.Get(i), off = oa.Get(i);
        if (!s.IsNumber() || !off.IsNumber()) ThrowInvalidArg(env, "numbers", where + ".quant.scales/offsets", s);
        m.quant.scales.push_back(s.As<Napi::Number>().FloatValue());
        m.quant.offsets.push_back(off.As<Napi::Number>().Int32Value());
      }
      m.quant.bitwidth = bitwidth;
      m.quant.encoding = bitwidth ? QNN_QUANTIZATION_ENCODING_BW_AXIS_SCALE_OFFSET : QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET;
    }
  } else if (!q.IsUndefined() && !q.IsNull()) {
    ThrowInvalidArg(env, "a quantization object", where + ".quant", q);
  }
  m.byteSize = TensorByteSize(m.dataType, m.dims);
  return m;
}

Napi::Object TensorToJs(Napi::Env env, const TensorMeta& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", t.name);
  o.Set("id", Napi::Number::New(env, t.id));
  o.Set("type", Napi::Number::New(env, t.type));
  o.Set("dataType", Napi::Number::New(env, t.dataType));
  o.Set("tensorVersion", Napi::Number::New(env, t.version));
  Napi::Array dims = Napi::Array::New(env, t.dims.size());
  for (size_t i = 0; i < t.dims.size(); ++i) dims.Set(static_cast<uint32_t>(i), Napi::Number::New(env, t.dims[i]));
  o.Set("dims", dims);
  o.Set("byteSize", Napi::Number::New(env, static_cast<double>(t.byteSize)));
  if (t.quant.definition == QNN_DEFINITION_DEFINED && t.quant.encoding != QNN_QUANTIZATION_ENCODING_UNDEFINED) {
    Napi::Object q = Napi::Object::New(env);
    q.Set("encoding", Napi::Number::New(env, t.quant.encoding));
    if (t.quant.bitwidth) q.Set("bitwidth", Napi::Number::New(env, t.quant.bitwidth));
    if (t.quant.encoding == QNN_QUANTIZATION_ENCODING_AXIS_SCALE_OFFSET ||
        t.quant.encoding == QNN_QUANTIZATION_ENCODING_BW_AXIS_SCALE_OFFSET) {
      q.Set("axis", Napi::Number::New(env, t.quant.axis));
      Napi::Array s = Napi::Array::New(env, t.quant.scales.size()), off = Napi::Array::New(env, t.quant.offsets.size());
      for (size_t i = 0; i < t.quant.scales.size(); ++i) {
        s.Set(static_cast<uint32_t>(i), Napi::Number::New(env, t.quant.scales[i]));
        off.Set(static_cast<uint32_t>(i), Napi::Number::New(env, t.quant.offsets[i]));
      }
      q.Set("scales", s);
      q.Set("offsets", off);
    } else {
      q.Set("scale", Napi::Number::New(env, t.quant.scale));
      q.Set("offset", Napi::Number::New(env, t.quant.offset));
    }
    o.Set("quant", q);
  }
  return o;
}

}  // namespace

std::vector<GraphMeta> ParseGraphs(Napi::Env env, const Napi::Value& v) {
  std::vector<GraphMeta> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsArray()) ThrowInvalidArg(env, "an array of graph signatures", "graphs", v);
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() > 4096) ThrowCode(env, "ERR_OUT_OF_RANGE", "Expected at most 4096 graphs");
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    std::string where = "graphs[" + std::to_string(i) + "]";
    Napi::Value g = arr.Get(i);
    if (!g.IsObject()) ThrowInvalidArg(env, "a graph signature object", where, g);
    Napi::Object go = g.As<Napi::Object>();
    GraphMeta m;
    m.name = ToStr(env, go.Get("name"), where + ".name");
    for (const char* key : {"inputs", "outputs"}) {
      Napi::Value list = go.Get(key);
      if (!list.IsArray()) ThrowInvalidArg(env, "an array of tensor signatures", where + "." + key, list);
      Napi::Array la = list.As<Napi::Array>();
      if (la.Length() > kMaxArgTensors) ThrowCode(env, "ERR_OUT_OF_RANGE", "too many tensors in " + where);
      bool input = std::string(key) == "inputs";
      for (uint32_t j = 0; j < la.Length(); ++j) {
        TensorMeta t = ParseTensor(env, la.Get(j), where + "." + key + "[" + std::to_string(j) + "]", input);
        (input ? m.inputs : m.outputs).push_back(std::move(t));
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

// A graph's name and tensor metadata as JS (the context's graphs and readBinaryInfo).
Napi::Object GraphToJs(Napi::Env env, const GraphMeta& m) {
  Napi::Object g = Napi::Object::New(env);
  g.Set("name", m.name);
  Napi::Array in = Napi::Array::New(env, m.inputs.size()), out = Napi::Array::New(env, m.outputs.size());
  for (size_t j = 0; j < m.inputs.size(); ++j) in.Set(static_cast<uint32_t>(j), TensorToJs(env, m.inputs[j]));
  for (size_t j = 0; j < m.outputs.size(); ++j) out.Set(static_cast<uint32_t>(j), TensorToJs(env, m.outputs[j]));
  g.Set("inputs", in);
  g.Set("outputs", out);
  return g;
}

}  // namespace qnn_node
