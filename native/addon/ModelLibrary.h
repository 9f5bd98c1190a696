// ModelLibrary: a model library made by qnn-model-lib-generator (QnnModel_composeGraphs)
// or libQnnModelDlc (QnnModel_composeGraphsFromDlc), opened with its entry points
// resolved; and the HTP prepare library on-device composition needs. Free of Node-API;
// throws CoreError. docs/native-runtime.md ("Composing models").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qnn/qnn_model.h"

#include "Loader.h"

namespace qnn_node {

class RuntimeState;

// One place to look for a library: what goes to the loader, and where it came from.
struct LibraryCandidate {
  std::string path;
  std::string origin;
};

class ModelLibrary {
 public:
  // A model library: QnnModel_composeGraphs + QnnModel_freeGraphsInfo. LIBRARY_LOAD_FAILED
  // when the loader refuses the file, MODEL_LIBRARY_INVALID naming a missing symbol.
  static std::unique_ptr<ModelLibrary> OpenModel(const std::string& path);
  // libQnnModelDlc: the first candidate that loads (QnnModel_composeGraphsFromDlc +
  // QnnModel_freeGraphsInfo). MODEL_DLC_LIBRARY_MISSING listing every candidate and why
  // it failed; MODEL_LIBRARY_INVALID when the one that loads lacks a symbol.
  static std::unique_ptr<ModelLibrary> OpenDlc(const std::vector<LibraryCandidate>& candidates);

  ComposeGraphsFnHandleType_t compose = nullptr;
  ComposeGraphsFromDlcFnHandleType_t composeFromDlc = nullptr;
  FreeGraphInfoFnHandleType_t freeGraphs = nullptr;
  // The file the loader opened.
  std::string path;

 private:
  ModelLibrary() = default;
  void Resolve(const char* composeSymbol);
  Library lib_;
};

// The HTP backend (backend id 6) composes on the host through libQnnHtpPrepare.so /
// QnnHtpPrepare.dll: it must load from the backend's folder or by name from the loader's
// search path, else HTP_PREPARE_MISSING naming the files tried. Other backends: nothing.
// The library stays loaded (the backend loads it again for graphFinalize).
void RequireHtpPrepare(const RuntimeState& rt);

}  // namespace qnn_node
