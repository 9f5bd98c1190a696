#include "Mapping.h"

#include <cerrno>
#include <cstring>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace qnn_node {

FileMapping::~FileMapping() { Close(); }

#ifdef _WIN32
namespace {
std::wstring WidenPath(const std::string& s) {
  if (s.empty()) return std::wstring();
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring w(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), &w[0], n);
  return w;
}
}  // namespace

bool FileMapping::Open(const std::string& path, Failure* failure, std::string* error) {
  Close();
  HANDLE file = CreateFileW(WidenPath(path).c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    *failure = (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) ? Failure::kNotFound : Failure::kOther;
    *error = "CreateFile failed (Windows error " + std::to_string(code) + ")";
    return false;
  }
  LARGE_INTEGER size;
  if (!GetFileSizeEx(file, &size)) {
    CloseHandle(file);
    *failure = Failure::kOther;
    *error = "GetFileSizeEx failed";
    return false;
  }
  if (size.QuadPart == 0) {
    CloseHandle(file);
    *failure = Failure::kEmpty;
    *error = "the file is empty";
    return false;
  }
  HANDLE mapping = CreateFileMappingW(file, nullptr, PAGE_WRITECOPY, 0, 0, nullptr);
  if (!mapping) {
    CloseHandle(file);
    *failure = Failure::kOther;
    *error = "CreateFileMapping failed (Windows error " + std::to_string(GetLastError()) + ")";
    return false;
  }
  void* view = MapViewOfFile(mapping, FILE_MAP_COPY, 0, 0, 0);
  if (!view) {
    CloseHandle(mapping);
    CloseHandle(file);
    *failure = Failure::kOther;
    *error = "MapViewOfFile failed (Windows error " + std::to_string(GetLastError()) + ")";
    return false;
  }
  file_ = file;
  mapping_ = mapping;
  data_ = static_cast<uint8_t*>(view);
  size_ = static_cast<size_t>(size.QuadPart);
  return true;
}

void FileMapping::Close() {
  if (data_) UnmapViewOfFile(data_);
  if (mapping_) CloseHandle(mapping_);
  if (file_) CloseHandle(file_);
  data_ = nullptr;
  mapping_ = nullptr;
  file_ = nullptr;
  size_ = 0;
}
#else
bool FileMapping::Open(const std::string& path, Failure* failure, std::string* error) {
  Close();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    *failure = (e == ENOENT || e == ENOTDIR) ? Failure::kNotFound : Failure::kOther;
    *error = std::strerror(e);
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    *failure = Failure::kOther;
    *error = std::strerror(e);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    *failure = Failure::kOther;
    *error = "not a regular file";
    return false;
  }
  if (st.st_size == 0) {
    ::close(fd);
    *failure = Failure::kEmpty;
    *error = "the file is empty";
    return false;
  }
  // Copy-on-write: some QNN entry points take a non-const buffer; a write (none is
  // expected) lands in a private page and never reaches the file.
  void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  int e = errno;
  ::close(fd);  // the mapping keeps the file referenced
  if (p == MAP_FAILED) {
    *failure = Failure::kOther;
    *error = std::string("mmap failed: ") + std::strerror(e);
    return false;
  }
  data_ = static_cast<uint8_t*>(p);
  size_ = static_cast<size_t>(st.st_size);
  return true;
}

void FileMapping::Close() {
  if (data_) munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}
#endif

}  // namespace qnn_node
