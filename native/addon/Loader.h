// Loader: the one place that opens shared libraries and looks up symbols. Failures come
// back as text (dlerror / FormatMessage), never printed; the TS layer builds the
// "tried: …; fix: …" message from them.
#pragma once

#include <string>

namespace qnn_node {

class Library {
 public:
  Library() = default;
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  Library(Library&& other) noexcept;
  Library& operator=(Library&& other) noexcept;

  // Opens `path` (a full path or a bare file name resolved through the platform's search
  // path). On Windows the library's own folder is searched for its dependencies.
  // Returns false and fills `error` with the loader's text.
  bool Open(const std::string& path, std::string* error);
  // The address of `name`, or nullptr (with `error` filled when given).
  void* Symbol(const char* name, std::string* error = nullptr) const;
  // The absolute path the platform actually loaded (falls back to the requested path).
  std::string ResolvedPath() const;
  void Close();
  // Forgets the handle without unloading: the library stays mapped for the life of the
  // process (see RuntimeState::~RuntimeState for why).
  void Keep() { handle_ = nullptr; }
  bool IsOpen() const { return handle_ != nullptr; }
  const std::string& RequestedPath() const { return path_; }

 private:
  void* handle_ = nullptr;
  std::string path_;
};

// Android: the DSP side of libQnnHtp finds its skel libraries through ADSP_LIBRARY_PATH;
// it must be set before the backend is loaded. Other platforms: a harmless env var.
void SetAdspLibraryPath(const std::string& value);

}  // namespace qnn_node
