#include "Loader.h"

#include <cstdlib>
#include <utility>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#include <climits>
#if defined(__linux__) && !defined(__ANDROID__)
#include <link.h>
#define QNN_NODE_HAVE_DLINFO 1
#endif
#endif

namespace qnn_node {

#ifdef _WIN32
namespace {
std::wstring Widen(const std::string& s) {
  if (s.empty()) return std::wstring();
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring w(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), &w[0], n);
  return w;
}
std::string Narrow(const std::wstring& w) {
  if (w.empty()) return std::string();
  int n = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0, nullptr, nullptr);
  std::string s(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), &s[0], n, nullptr, nullptr);
  return s;
}
std::string LastErrorText() {
  DWORD code = GetLastError();
  wchar_t* buf = nullptr;
  DWORD len = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                             nullptr, code, 0, reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
  std::string text = len ? Narrow(std::wstring(buf, len)) : std::string("unknown error");
  if (buf) LocalFree(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text + " (Windows error " + std::to_string(code) + ")";
}
bool IsAbsoluteOrRelativePath(const std::string& p) {
  return p.find('\\') != std::string::npos || p.find('/') != std::string::npos;
}
}  // namespace
#endif

Library::~Library() { Close(); }

Library::Library(Library&& other) noexcept : handle_(other.handle_), path_(std::move(other.path_)) {
  other.handle_ = nullptr;
}

Library& Library::operator=(Library&& other) noexcept {
  if (this != &other) {
    Close();
    handle_ = other.handle_;
    path_ = std::move(other.path_);
    other.handle_ = nullptr;
  }
  return *this;
}

bool Library::Open(const std::string& path, std::string* error) {
  Close();
  path_ = path;
#ifdef _WIN32
  std::wstring wide = Widen(path);
  HMODULE h = nullptr;
  if (IsAbsoluteOrRelativePath(path)) {
    // LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR needs a fully qualified path.
    std::vector<wchar_t> full(32768);
    DWORD n = GetFullPathNameW(wide.c_str(), static_cast<DWORD>(full.size()), full.data(), nullptr);
    if (n > 0 && n < full.size()) wide.assign(full.data(), n);
    h = LoadLibraryExW(wide.c_str(), nullptr, LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
  } else {
    h = LoadLibraryExW(wide.c_str(), nullptr, 0);  // the classic search path (PATH, app dir…)
  }
  if (!h) {
    if (error) *error = LastErrorText();
    return false;
  }
  handle_ = reinterpret_cast<void*>(h);
#else
  dlerror();
  // RTLD_LOCAL: two QNN SDKs' symbols never collide; RTLD_NOW: missing dependencies fail
  // here, with the loader's text, instead of at the first call.
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    if (error) *error = e ? e : "unknown dlopen error";
    return false;
  }
  handle_ = h;
#endif
  return true;
}

void* Library::Symbol(const char* name, std::string* error) const {
  if (!handle_) {
    if (error) *error = "library not open";
    return nullptr;
  }
#ifdef _WIN32
  void* p = reinterpret_cast<void*>(GetProcAddress(reinterpret_cast<HMODULE>(handle_), name));
  if (!p && error) *error = LastErrorText();
  return p;
#else
  dlerror();
  void* p = dlsym(handle_, name);
  if (!p && error) {
    const char* e = dlerror();
    *error = e ? e : std::string("symbol ") + name + " is NULL";
  }
  return p;
#endif
}

std::string Library::ResolvedPath() const {
  if (!handle_) return path_;
#ifdef _WIN32
  std::vector<wchar_t> buf(32768);
  DWORD n = GetModuleFileNameW(reinterpret_cast<HMODULE>(handle_), buf.data(), static_cast<DWORD>(buf.size()));
  if (n == 0 || n >= buf.size()) return path_;
  return Narrow(std::wstring(buf.data(), n));
#elif defined(QNN_NODE_HAVE_DLINFO)
  struct link_map* map = nullptr;
  if (dlinfo(handle_, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0]) {
    char real[PATH_MAX];
    if (realpath(map->l_name, real)) return std::string(real);
    return std::string(map->l_name);
  }
  return path_;
#else
  return path_;
#endif
}

void Library::Close() {
  if (!handle_) return;
#ifdef _WIN32
  FreeLibrary(reinterpret_cast<HMODULE>(handle_));
#else
  dlclose(handle_);
#endif
  handle_ = nullptr;
}

void SetAdspLibraryPath(const std::string& value) {
#ifdef _WIN32
  _putenv_s("ADSP_LIBRARY_PATH", value.c_str());
#else
  setenv("ADSP_LIBRARY_PATH", value.c_str(), 1);
#endif
}

}  // namespace qnn_node
