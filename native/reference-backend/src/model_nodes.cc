// Load-time checks of each node of a "QNNREF01" binary (model_nodes.h).
#include "model_nodes.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace qnnref {
namespace {

// What validateNode reports through (the parser's error string).
struct Errors {
  std::string* err;
  bool fail(const std::string& msg) {
    *err = msg;
    return false;
  }
};

const Param* findParam(const Node& n, const char* name) {
  for (const Param& p : n.params) if (p.name == name) return &p;
  return nullptr;
}

bool paramInt(const Param* p, int64_t* v) {
  if (!p) return false;
  if ((p->kind == kParamInt32 || p->kind == kParamBool) && p->ints.size() == 1) { *v = p->ints[0]; return true; }
  if (p->kind == kParamFloat32 && p->floats.size() == 1 && std::floor(p->floats[0]) == p->floats[0] && std::fabs(p->floats[0]) < 2147483648.f) { *v = static_cast<int64_t>(p->floats[0]); return true; }
  return false;
}

bool paramFloat(const Param* p, float* v) {
  if (!p) return false;
  if (p->kind == kParamFloat32 && p->floats.size() == 1) { *v = p->floats[0]; return true; }
  if ((p->kind == kParamInt32 || p->kind == kParamBool) && p->ints.size() == 1) { *v = static_cast<float>(p->ints[0]); return true; }
  return false;
}

bool isIndexType(uint32_t t) {
  return t == 0x0032 || t == 0x0064 || t == 0x0132 || t == 0x0008 || t == 0x0016 || t == 0x0108 || t == 0x0116 || t == 0x0164;
}


}  // namespace

bool checkParamNames(const Node& n, const std::string& where, std::string* error) {
  std::vector<const char*> known;
  switch (n.op) {
    case Op::MatMul: known = {"transpose_in0", "transpose_in1"}; break;
    case Op::Gather: case Op::Concat: known = {"axis"}; break;
    case Op::Softmax: known = {"axis", "beta"}; break;
    case Op::Transpose: known = {"perm"}; break;
    // QNN's StridedSlice also defines four masks; the reference slices without them.
    case Op::StridedSlice: known = {"ranges", "begin_mask", "end_mask", "shrink_axes", "new_axes_mask"}; break;
    case Op::ReduceMean: known = {"axes", "keep_dims"}; break;
    case Op::RmsNorm: known = {"epsilon", "axes"}; break;
    default: break;
  }
  for (const Param& p : n.params) {
    bool ok = false;
    for (const char* k : known) ok = ok || p.name == k;
    if (ok && n.op == Op::StridedSlice && p.name != "ranges") {
      bool zero = (p.kind == kParamInt32 || p.kind == kParamBool) && p.ints.size() == 1 && p.ints[0] == 0;
      if (!zero) {
        *error = where + ": StridedSlice param '" + p.name + "' must be 0 (the reference backend slices without masks)";
        return false;
      }
    }
    if (ok) continue;
    std::string list;
    for (const char* k : known) list += (list.empty() ? "'" : ", '") + std::string(k) + "'";
    *error = where + ": " + n.opName + " has no param '" + p.name + "' (" + (list.empty() ? std::string("it takes none") : "it takes " + list) + ")";
    return false;
  }
  return true;
}

bool validateNode(const Model& m, Node& n, const std::string& where, std::string* error) {
  Errors c{error};
  auto T = [&](uint32_t idx) -> const TensorInfo& { return m.tensors[idx]; };
  auto arity = [&](size_t minIn, size_t maxIn, size_t outs) {
    if (n.inputs.size() < minIn || n.inputs.size() > maxIn || n.outputs.size() != outs)
      return c.fail(where + ": " + n.opName + " takes " + std::to_string(minIn) + (maxIn != minIn ? ".." + (maxIn > 1000 ? std::string("n") : std::to_string(maxIn)) : std::string()) + " inputs and " + std::to_string(outs) + " output(s), got " + std::to_string(n.inputs.size()) + " and " + std::to_string(n.outputs.size()));
    return true;
  };
  auto sameDims = [&](uint32_t a, uint32_t b) {
    if (T(a).dims != T(b).dims) return c.fail(where + ": " + n.opName + " needs '" + T(b).name + "' " + dimsToString(T(b).dims) + " to have the dims of '" + T(a).name + "' " + dimsToString(T(a).dims));
    return true;
  };
  auto axisParam = [&](const char* name, int64_t def, uint32_t rank, int* out) {
    int64_t v = def;
    const Param* p = findParam(n, name);
    if (p && !paramInt(p, &v)) return c.fail(where + ": param '" + name + "' must be an integer");
    if (v < 0) v += rank;
    if (v < 0 || v >= int64_t(rank)) return c.fail(where + ": param '" + name + "' = " + std::to_string(v) + " out of range for rank " + std::to_string(rank));
    *out = static_cast<int>(v);
    return true;
  };
  // An int array (or one int) of distinct axes of a rank-`rank` tensor, negative counting
  // from the end; stored normalized and ascending. `def` is used when the param is absent
  // (an empty `def` makes the param mandatory).
  auto axesParam = [&](uint32_t rank, const std::vector<uint32_t>& def, std::vector<uint32_t>* out) {
    const Param* p = findParam(n, "axes");
    if (!p) {
      if (def.empty()) return c.fail(where + ": " + n.opName + " needs an int array param 'axes'");
      *out = def;
      return true;
    }
    if (p->kind != kParamInt32Array && p->kind != kParamInt32) return c.fail(where + ": " + n.opName + " param 'axes' must be an int array");
    if (p->ints.empty()) return c.fail(where + ": " + n.opName + " param 'axes' is empty");
    std::vector<bool> seen(rank, false);
    out->clear();
    for (int32_t v : p->ints) {
      int64_t a = v < 0 ? int64_t(v) + rank : int64_t(v);
      if (a < 0 || a >= int64_t(rank)) return c.fail(where + ": " + n.opName + " param 'axes' has " + std::to_string(v) + ", out of range for rank " + std::to_string(rank));
      if (seen[size_t(a)]) return c.fail(where + ": " + n.opName + " param 'axes' names axis " + std::to_string(a) + " twice");
      seen[size_t(a)] = true;
    }
    for (uint32_t a = 0; a < rank; ++a)
      if (seen[a]) out->push_back(a);
    return true;
  };
  const TensorInfo* out0 = n.outputs.empty() ? nullptr : &T(n.outputs[0]);

  switch (n.op) {
    case Op::Add: case Op::Subtract: case Op::Multiply: case Op::Divide: {
      if (!arity(2, 2, 1)) return false;
      const auto& a = T(n.inputs[0]).dims;
      const auto& b = T(n.inputs[1]).dims;
      size_t rank = std::max(a.size(), b.size());
      std::vector<uint32_t> dims(rank);
      for (size_t i = 0; i < rank; ++i) {
        uint32_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        uint32_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da != db && da != 1 && db != 1) return c.fail(where + ": cannot broadcast " + dimsToString(a) + " with " + dimsToString(b));
        dims[i] = std::max(da, db);
      }
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      return true;
    }
    case Op::MatMul: {
      if (!arity(2, 3, 1)) return false;
      int64_t t0 = 0, t1 = 0;
      const Param* p0 = findParam(n, "transpose_in0");
      const Param* p1 = findParam(n, "transpose_in1");
      if (p0 && !paramInt(p0, &t0)) return c.fail(where + ": param 'transpose_in0' must be a bool");
      if (p1 && !paramInt(p1, &t1)) return c.fail(where + ": param 'transpose_in1' must be a bool");
      n.transpose0 = t0 != 0;
      n.transpose1 = t1 != 0;
      const auto& a = T(n.inputs[0]).dims;
      const auto& b = T(n.inputs[1]).dims;
      if (a.size() < 2 || b.size() < 2) return c.fail(where + ": MatMul inputs need rank >= 2");
      uint32_t M = a[a.size() - 2], K = a[a.size() - 1];
      if (n.transpose0) std::swap(M, K);
      uint32_t K2 = b[b.size() - 2], N = b[b.size() - 1];
      if (n.transpose1) std::swap(K2, N);
      if (K != K2) return c.fail(where + ": MatMul inner dims differ: " + dimsToString(a) + " x " + dimsToString(b));
      std::vector<uint32_t> batchA(a.begin(), a.end() - 2), batchB(b.begin(), b.end() - 2);
      if (!batchB.empty() && batchB != batchA) return c.fail(where + ": MatMul batch dims differ: " + dimsToString(a) + " x " + dimsToString(b));
      std::vector<uint32_t> dims = batchA;
      dims.push_back(M);
      dims.push_back(N);
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      if (n.inputs.size() == 3) {
        const auto& bias = T(n.inputs[2]).dims;
        if (bias.size() != 1 || bias[0] != N) return c.fail(where + ": MatMul bias must have dims [" + std::to_string(N) + "]");
      }
      return true;
    }
    case Op::Gather: {
      if (!arity(2, 2, 1)) return false;
      const TensorInfo& table = T(n.inputs[0]);
      const TensorInfo& idx = T(n.inputs[1]);
      if (table.dims.empty()) return c.fail(where + ": Gather table must have rank >= 1");
      if (!axisParam("axis", 0, uint32_t(table.dims.size()), &n.axis)) return false;
      if (!isIndexType(idx.dataType)) return c.fail(where + ": Gather indices '" + idx.name + "' must be an integer tensor, not " + dtypeName(idx.dataType));
      if (out0->dataType != table.dataType) return c.fail(where + ": Gather output '" + out0->name + "' must have the table's dtype " + dtypeName(table.dataType));
      std::vector<uint32_t> dims(table.dims.begin(), table.dims.begin() + n.axis);
      dims.insert(dims.end(), idx.dims.begin(), idx.dims.end());
      dims.insert(dims.end(), table.dims.begin() + n.axis + 1, table.dims.end());
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      return true;
    }
    case Op::Softmax: {
      if (!arity(1, 1, 1) || !sameDims(n.inputs[0], n.outputs[0])) return false;
      uint32_t rank = uint32_t(T(n.inputs[0]).dims.size());
      if (rank == 0) return c.fail(where + ": Softmax needs rank >= 1");
      if (!axisParam("axis", int64_t(rank) - 1, rank, &n.axis)) return false;
      const Param* pb = findParam(n, "beta");
      if (pb && !paramFloat(pb, &n.beta)) return c.fail(where + ": param 'beta' must be a number");
      return true;
    }
    case Op::Relu: case Op::Gelu: case Op::Cast: case Op::Sigmoid: case Op::Tanh:
    case Op::Rsqrt: case Op::SquareRoot: case Op::Exp: case Op::Neg: case Op::Sin: case Op::Cos:
      return arity(1, 1, 1) && sameDims(n.inputs[0], n.outputs[0]);
    case Op::ReduceMean: {
      if (!arity(1, 1, 1)) return false;
      const auto& in = T(n.inputs[0]).dims;
      if (in.empty()) return c.fail(where + ": ReduceMean needs rank >= 1");
      if (!axesParam(uint32_t(in.size()), {}, &n.axes)) return false;
      int64_t keep = 0;
      const Param* pk = findParam(n, "keep_dims");
      if (pk && !paramInt(pk, &keep)) return c.fail(where + ": ReduceMean param 'keep_dims' must be a bool");
      n.keepDims = keep != 0;
      std::vector<uint32_t> dims;
      for (uint32_t d = 0; d < in.size(); ++d) {
        bool reduced = std::find(n.axes.begin(), n.axes.end(), d) != n.axes.end();
        if (!reduced) dims.push_back(in[d]);
        else if (n.keepDims) dims.push_back(1);
      }
      // Every axis reduced without keep_dims: a scalar, stored as rank 0 or as [1].
      bool scalarOk = dims.empty() && out0->dims == std::vector<uint32_t>{1};
      if (out0->dims != dims && !scalarOk)
        return c.fail(where + ": ReduceMean output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims) +
                      " (input " + dimsToString(in) + ", keep_dims " + (n.keepDims ? "true" : "false") + ")");
      return true;
    }
    case Op::RmsNorm: {
      if (!arity(2, 3, 1) || !sameDims(n.inputs[0], n.outputs[0])) return false;
      const auto& x = T(n.inputs[0]).dims;
      uint32_t rank = uint32_t(x.size());
      if (rank == 0) return c.fail(where + ": RmsNorm needs rank >= 1");
      if (!axesParam(rank, {rank - 1}, &n.axes)) return false;
      // As QNN's RmsNorm: the normalized axes are the trailing ones.
      if (n.axes.front() != rank - n.axes.size())
        return c.fail(where + ": RmsNorm param 'axes' must be the trailing axes of the rank-" + std::to_string(rank) + " input (e.g. [" + std::to_string(rank - 1) + "])");
      std::vector<uint32_t> normDims(x.end() - n.axes.size(), x.end());
      for (size_t k = 1; k < n.inputs.size(); ++k) {
        const TensorInfo& t = T(n.inputs[k]);
        if (t.dims != normDims)
          return c.fail(where + ": RmsNorm " + (k == 1 ? "gamma" : "beta") + " '" + t.name + "' has dims " + dimsToString(t.dims) + ", expected the normalized dims " + dimsToString(normDims));
      }
      const Param* pe = findParam(n, "epsilon");
      if (pe && !paramFloat(pe, &n.epsilon)) return c.fail(where + ": RmsNorm param 'epsilon' must be a number");
      if (!std::isfinite(n.epsilon) || n.epsilon < 0) return c.fail(where + ": RmsNorm param 'epsilon' must be finite and >= 0, got " + std::to_string(n.epsilon));
      return true;
    }
    case Op::StridedSlice: {
      if (!arity(1, 1, 1)) return false;
      const TensorInfo& in = T(n.inputs[0]);
      size_t rank = in.dims.size();
      const Param* p = findParam(n, "ranges");
      if (!p || p->kind != kParamInt32Array || p->ints.size() != rank * 3)
        return c.fail(where + ": StridedSlice needs an int array param 'ranges' of " + std::to_string(rank * 3) + " values (begin, end, stride per dim)");
      std::vector<uint32_t> dims;
      for (size_t d = 0; d < rank; ++d) {
        int64_t len = in.dims[d], b = p->ints[3 * d], e = p->ints[3 * d + 1], st = p->ints[3 * d + 2];
        if (st <= 0) return c.fail(where + ": StridedSlice strides must be positive");
        if (b < 0) b += len;
        if (e < 0) e += len;
        b = std::min(std::max<int64_t>(b, 0), len);
        e = std::min(std::max<int64_t>(e, 0), len);
        int64_t count = e > b ? (e - b + st - 1) / st : 0;
        if (count == 0) return c.fail(where + ": StridedSlice selects nothing along dim " + std::to_string(d));
        n.sliceBegin.push_back(b);
        n.sliceStride.push_back(st);
        dims.push_back(uint32_t(count));
      }
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      if (in.dataType != out0->dataType) return c.fail(where + ": StridedSlice cannot change the dtype");
      return true;
    }
    case Op::Quantize:
      if (!arity(1, 1, 1) || !sameDims(n.inputs[0], n.outputs[0])) return false;
      if (!dtypeIsQuantized(out0->dataType)) return c.fail(where + ": Quantize output '" + out0->name + "' must be quantized");
      return true;
    case Op::Dequantize:
      if (!arity(1, 1, 1) || !sameDims(n.inputs[0], n.outputs[0])) return false;
      if (!dtypeIsQuantized(T(n.inputs[0]).dataType)) return c.fail(where + ": Dequantize input must be quantized");
      if (!dtypeIsFloat(out0->dataType)) return c.fail(where + ": Dequantize output must be a float type");
      return true;
    case Op::Concat: {
      if (!arity(1, 1u << 20, 1)) return false;
      uint32_t rank = uint32_t(out0->dims.size());
      if (rank == 0) return c.fail(where + ": Concat needs rank >= 1");
      if (!axisParam("axis", int64_t(rank) - 1, rank, &n.axis)) return false;
      uint64_t sum = 0;
      for (uint32_t in : n.inputs) {
        const auto& d = T(in).dims;
        if (d.size() != rank) return c.fail(where + ": Concat input '" + T(in).name + "' has rank " + std::to_string(d.size()) + ", expected " + std::to_string(rank));
        for (uint32_t i = 0; i < rank; ++i)
          if (int(i) != n.axis && d[i] != out0->dims[i]) return c.fail(where + ": Concat input '" + T(in).name + "' " + dimsToString(d) + " does not match output " + dimsToString(out0->dims));
        sum += d[n.axis];
      }
      if (sum != out0->dims[n.axis]) return c.fail(where + ": Concat inputs sum to " + std::to_string(sum) + " along axis " + std::to_string(n.axis) + ", output has " + std::to_string(out0->dims[n.axis]));
      return true;
    }
    case Op::Reshape: {
      if (!arity(1, 1, 1)) return false;
      const TensorInfo& in = T(n.inputs[0]);
      if (in.elements != out0->elements) return c.fail(where + ": Reshape from " + dimsToString(in.dims) + " to " + dimsToString(out0->dims) + " changes the element count");
      if (in.dataType != out0->dataType) return c.fail(where + ": Reshape cannot change the dtype");
      return true;
    }
    case Op::Transpose: {
      if (!arity(1, 1, 1)) return false;
      const TensorInfo& in = T(n.inputs[0]);
      const Param* p = findParam(n, "perm");
      if (!p || p->kind != kParamInt32Array || p->ints.size() != in.dims.size()) return c.fail(where + ": Transpose needs an int array param 'perm' of length " + std::to_string(in.dims.size()));
      std::vector<bool> seen(in.dims.size(), false);
      std::vector<uint32_t> dims;
      for (int32_t v : p->ints) {
        if (v < 0 || size_t(v) >= in.dims.size() || seen[v]) return c.fail(where + ": Transpose 'perm' is not a permutation");
        seen[v] = true;
        n.perm.push_back(uint32_t(v));
        dims.push_back(in.dims[v]);
      }
      if (out0->dims != dims) return c.fail(where + ": output '" + out0->name + "' has dims " + dimsToString(out0->dims) + ", expected " + dimsToString(dims));
      if (in.dataType != out0->dataType) return c.fail(where + ": Transpose cannot change the dtype");
      return true;
    }
  }
  return c.fail(where + ": unknown op");
}

}  // namespace qnnref
