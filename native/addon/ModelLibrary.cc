#include "ModelLibrary.h"

#include "Errors.h"
#include "RuntimeState.h"

namespace qnn_node {
namespace {

constexpr uint32_t kHtpBackendId = 6;  // QNN_BACKEND_ID_HTP

#if defined(_WIN32)
constexpr const char* kHtpPrepareName = "QnnHtpPrepare.dll";
#else
constexpr const char* kHtpPrepareName = "libQnnHtpPrepare.so";
#endif

std::string Folder(const std::string& path) {
  size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

}  // namespace

void ModelLibrary::Resolve(const char* composeSymbol) {
  std::string err;
  void* fn = lib_.Symbol(composeSymbol, &err);
  void* freeFn = fn ? lib_.Symbol(QNN_NODE_MODEL_FREE_SYMBOL, &err) : nullptr;
  if (!fn || !freeFn) {
    const char* missing = fn ? QNN_NODE_MODEL_FREE_SYMBOL : composeSymbol;
    throw CoreError("MODEL_LIBRARY_INVALID", path + " does not export " + missing + " (" + err +
                                                 "): it is not a model library made by qnn-model-lib-generator" +
                                                 (composeSymbol == std::string(QNN_NODE_MODEL_COMPOSE_FROM_DLC_SYMBOL) ? " / libQnnModelDlc" : ""))
        .Detail("path", path)
        .Detail("symbol", missing);
  }
  if (composeSymbol == std::string(QNN_NODE_MODEL_COMPOSE_SYMBOL)) {
    compose = reinterpret_cast<ComposeGraphsFnHandleType_t>(fn);
  } else {
    composeFromDlc = reinterpret_cast<ComposeGraphsFromDlcFnHandleType_t>(fn);
  }
  freeGraphs = reinterpret_cast<FreeGraphInfoFnHandleType_t>(freeFn);
}

std::unique_ptr<ModelLibrary> ModelLibrary::OpenModel(const std::string& file) {
  std::unique_ptr<ModelLibrary> m(new ModelLibrary());
  std::string err;
  if (!m->lib_.Open(file, &err)) {
    throw CoreError("LIBRARY_LOAD_FAILED", "Could not load the model library " + file + ": " + err)
        .Detail("path", file)
        .Detail("loaderError", err)
        .Detail("library", "model");
  }
  m->path = m->lib_.ResolvedPath();
  m->Resolve(QNN_NODE_MODEL_COMPOSE_SYMBOL);
  return m;
}

std::unique_ptr<ModelLibrary> ModelLibrary::OpenDlc(const std::vector<LibraryCandidate>& candidates) {
  std::string tried;
  for (const auto& c : candidates) {
    std::unique_ptr<ModelLibrary> m(new ModelLibrary());
    std::string err;
    if (!m->lib_.Open(c.path, &err)) {
      tried += "\n  - " + c.path + " [" + c.origin + "]: " + err;
      continue;
    }
    m->path = m->lib_.ResolvedPath();
    m->Resolve(QNN_NODE_MODEL_COMPOSE_FROM_DLC_SYMBOL);
    return m;
  }
  CoreError e("MODEL_DLC_LIBRARY_MISSING",
              "Could not load libQnnModelDlc, which composes DLC files on the backend. Tried:" +
                  (tried.empty() ? std::string("\n  (no candidates)") : tried) +
                  "\nPossible fixes:\n  - pass its path: composeModel(path, { modelDlc: '/path/to/libQnnModelDlc.so' })"
                  "\n  - set QNN_SDK_ROOT to your QNN / QAIRT SDK folder (it ships lib/<platform>/libQnnModelDlc.so)"
                  "\n  - put it beside the backend library, or on the library search path");
  std::string paths;
  for (const auto& c : candidates) paths += (paths.empty() ? "" : "\n") + c.path;
  e.Detail("tried", paths);
  throw e;
}

void RequireHtpPrepare(const RuntimeState& rt) {
  if (rt.provider.backendId != kHtpBackendId) return;
  std::vector<std::string> candidates;
  std::string folder = Folder(rt.backendPath);
  if (!folder.empty()) candidates.push_back(folder + kHtpPrepareName);
  candidates.push_back(kHtpPrepareName);
  std::string tried;
  for (const auto& c : candidates) {
    Library lib;
    std::string err;
    if (lib.Open(c, &err)) {
      lib.Keep();  // stays loaded, like the backends (RuntimeState::~RuntimeState)
      return;
    }
    tried += "\n  - " + c + (c == kHtpPrepareName ? " [the library search path]" : " [beside the backend]") + ": " + err;
  }
  std::string paths;
  for (const auto& c : candidates) paths += (paths.empty() ? "" : "\n") + c;
  throw CoreError("HTP_PREPARE_MISSING",
                  std::string("Composing a model on the HTP backend prepares its graphs on this machine, which needs ") +
                      kHtpPrepareName + " (QNN SDK lib/<platform>, beside " + rt.backendPath + "). Tried:" + tried +
                      "\nCompose once where the SDK is installed and load the saved context binary (saveBinary) instead.")
      .Detail("file", kHtpPrepareName)
      .Detail("tried", paths);
}

}  // namespace qnn_node
