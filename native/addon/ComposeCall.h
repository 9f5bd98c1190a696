// ComposeCall: calls a model library's compose entry point (QnnModel_composeGraphs /
// QnnModel_composeGraphsFromDlc) with the backend's core function table BY VALUE, as a
// struct of exactly abi::coreSlotCount(reported core minor) pointers: the library was
// built against the backend's SDK and expects that size on the stack (SysV) or behind a
// pointer (Windows x64, AArch64). docs/qnn-abi.md ("Model libraries and DLC").
//
// The copy passed is interposed on four slots (graphCreate, graphAddNode,
// tensorCreateGraphTensor, backendValidateOpConfig): each forwards to the backend and
// records the last failing status, so a failed composition can report the backend's own
// message (errorGetMessage) for it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "qnn/qnn_model.h"

namespace qnn_node {

class ModelLibrary;

// What the compose entry point receives besides the table.
struct ComposeArgs {
  Qnn_BackendHandle_t backend = nullptr;
  Qnn_ContextHandle_t context = nullptr;
  const GraphConfigInfo_t** configs = nullptr;
  uint32_t numConfigs = 0;
  const char* dlcPath = nullptr;  // non-null: composeGraphsFromDlc
  QnnLog_Callback_t logCallback = nullptr;
  QnnLog_Level_t maxLogLevel = QNN_LOG_LEVEL_ERROR;
};

// The interposed table of one composition: live from before the compose call until the
// context is freed (generated code may keep the table it was given).
class ComposeSession {
 public:
  // `table` / `slotCount`: the provider's core table and its reported size.
  ComposeSession(const void* table, uint32_t slotCount, Qnn_BackendHandle_t backend, Qnn_ContextHandle_t context);
  ~ComposeSession();
  ComposeSession(const ComposeSession&) = delete;
  ComposeSession& operator=(const ComposeSession&) = delete;

  // Calls the library; `graphs` / `numGraphs` receive its answer.
  ModelError_t Call(const ModelLibrary& lib, const ComposeArgs& args, GraphInfo_t*** graphs, uint32_t* numGraphs);

  // The last status a forwarded call failed with (0: none) and the function's name.
  uint64_t lastFailure() const { return lastFailure_; }
  const std::string& lastFunction() const { return lastFunction_; }
  uint32_t slotCount() const { return static_cast<uint32_t>(slots_.size()); }

  // Internal (the forwarding functions): the session that owns a handle, or null.
  static ComposeSession* ForBackend(Qnn_BackendHandle_t backend);
  static ComposeSession* ForContext(Qnn_ContextHandle_t context);
  static ComposeSession* ForGraph(Qnn_GraphHandle_t graph);
  void Record(const char* function, Qnn_ErrorHandle_t status);
  void AddGraph(Qnn_GraphHandle_t graph);
  template <typename Fn>
  Fn Real(uint32_t slot) const {
    return reinterpret_cast<Fn>(const_cast<void*>(real_[slot]));
  }

 private:
  std::vector<const void*> slots_;  // what the library receives
  std::vector<const void*> real_;   // the provider's table
  Qnn_BackendHandle_t backend_;
  Qnn_ContextHandle_t context_;
  std::vector<Qnn_GraphHandle_t> graphs_;
  uint64_t lastFailure_ = 0;
  std::string lastFunction_;
};

// Whether the dispatcher has a by-value call for a table of `slotCount` pointers (every
// abi::coreSlotCount of the core minors the runtime accepts, 2.14 up).
bool ComposeSlotCountSupported(uint32_t slotCount);

// "MODEL_NODES_ERROR" for 3, "ModelError_t 42" for an unknown value.
std::string ModelErrorName(ModelError_t e);

}  // namespace qnn_node
