// AnswerDecoder: deep-copies and checks graphs and tensors a QNN library handed back
// (QnnSystem's binary info, a model library's GraphInfo_t), never dereferencing its
// pointers directly: every read goes through SafeReader, every enum, count, rank and
// string is bounded, and a violation is an `Invalid` naming the graph, tensor and field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "qnn/qnn_abi_compat.h"
#include "qnn/qnn_api.h"

#include "SafeRead.h"
#include "TensorMeta.h"

namespace qnn_node {

constexpr uint32_t kMaxGraphs = 4096;

// A field of a library's answer outside sane bounds.
struct Invalid {
  std::string graph;   // "graph \"simple\"" / "graph info 1"; "" for the binary info itself
  std::string tensor;  // "inputs[0] \"x\"" or ""
  std::string field;
  std::string problem;

  std::string Where() const {
    std::string w = graph;
    if (!tensor.empty()) w += (w.empty() ? "" : " ") + tensor;
    return w.empty() ? field : w + ": " + field;
  }
  std::string Text() const { return Where() + " " + problem; }
};

// "5 (0x5)": a raw value in messages.
std::string Value(uint32_t v);

class Decoder {
 public:
  // `tensorStride`: the Qnn_Tensor_t stride of the library's core API
  // (abi::tensorStride: 144 from core 2.14, 120 before).
  explicit Decoder(SafeReader& mem, size_t tensorStride = abi::kTensorStrideV2Era) : mem_(mem), tensorStride_(tensorStride) {}

  // Graph `index` of a QnnSystem GraphInfo array at `base` read with `stride`; GraphInfo
  // versions 1..maxVersion are valid in that layout.
  GraphMeta Graph(const uint8_t* base, uint32_t index, size_t stride, uint32_t maxVersion);
  // Every graph of the array; graph names must be unique.
  std::vector<GraphMeta> Graphs(const uint8_t* base, uint32_t count, size_t stride, uint32_t maxVersion);
  // One graph given field by field (a model library's GraphInfo_t, already copied).
  GraphMeta GraphFromFields(const char* name, const Qnn_Tensor_t* inputs, uint32_t numInputs, const Qnn_Tensor_t* outputs,
                            uint32_t numOutputs, const std::string& where);

 private:
  std::string Name(const char* p, Invalid at, bool required);
  void Tensors(const Qnn_Tensor_t* array, uint32_t count, const std::string& graph, const std::string& list,
               std::vector<TensorMeta>* out);
  TensorMeta Tensor(const Qnn_Tensor_t& t, const std::string& graph, const std::string& slot);
  void Quant(const Qnn_QuantizeParams_t& q, const std::string& graph, const std::string& tensor, TensorMeta* m);

  SafeReader& mem_;
  size_t tensorStride_;
};

}  // namespace qnn_node
