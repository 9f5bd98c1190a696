// The core function table a model library receives BY VALUE (docs/qnn-abi.md, "Model
// libraries and DLC"). Its size is fixed when the library is compiled: generated model code
// takes the table of the SDK it was generated with. QNN_NODE_TEST_MODEL_CORE_MINOR selects
// that SDK's core API minor (default: the newest layout qnn_interface.h declares), so one
// source builds both the current library and the copy for an older table.
#pragma once

#include <cstdint>
#include <cstring>

#include "qnn/qnn_abi_compat.h"
#include "qnn/qnn_api.h"

#ifndef QNN_NODE_TEST_MODEL_CORE_MINOR
#define QNN_NODE_TEST_MODEL_CORE_MINOR 32
#endif

namespace qnn_model_kit {

namespace abi = qnn_node::abi;

constexpr uint32_t kTableCoreMinor = QNN_NODE_TEST_MODEL_CORE_MINOR;
constexpr uint32_t kTableSlots = abi::coreSlotCount(kTableCoreMinor);
static_assert(kTableCoreMinor >= abi::kMinSupportedCoreMinor && kTableCoreMinor <= abi::kNewestKnownCoreMinor,
              "QNN_NODE_TEST_MODEL_CORE_MINOR must be a 2.x minor between 14 and the newest known layout");

// The by-value parameter type. For the newest layout it IS QNN_INTERFACE_VER_TYPE (so the
// entry points have exactly the qnn_model.h function types); older layouts are the first
// kTableSlots pointers of it (the 2.9+ table only appends).
#if QNN_NODE_TEST_MODEL_CORE_MINOR == 32
using InterfaceByValue = QNN_INTERFACE_VER_TYPE;
static_assert(abi::kNewestKnownCoreMinor == 32, "update the newest-layout branch above");
#else
struct InterfaceByValue {
  void* slots[kTableSlots];
};
#endif
static_assert(sizeof(InterfaceByValue) == kTableSlots * abi::kSlotSize,
              "the by-value table must be exactly coreSlotCount(minor) pointers");

// Typed access to the slots of the table this library was given.
class Table {
 public:
  explicit Table(const InterfaceByValue& t) { std::memcpy(slots_, &t, sizeof slots_); }

  template <typename Fn>
  Fn fn(uint32_t slot) const {
    Fn f = nullptr;
    if (slot < kTableSlots) std::memcpy(&f, &slots_[slot], sizeof f);
    return f;
  }
  QnnGraph_CreateFn_t graphCreate() const { return fn<QnnGraph_CreateFn_t>(abi::kGraphCreate); }
  QnnTensor_CreateGraphTensorFn_t tensorCreateGraphTensor() const {
    return fn<QnnTensor_CreateGraphTensorFn_t>(abi::kTensorCreateGraphTensor);
  }
  QnnGraph_AddNodeFn_t graphAddNode() const { return fn<QnnGraph_AddNodeFn_t>(abi::kGraphAddNode); }
  QnnBackend_ValidateOpConfigFn_t backendValidateOpConfig() const {
    return fn<QnnBackend_ValidateOpConfigFn_t>(abi::kBackendValidateOpConfig);
  }

 private:
  void* slots_[kTableSlots];
};

}  // namespace qnn_model_kit
