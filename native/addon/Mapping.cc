#include "Mapping.h"

#include <cerrno>
#include <cstdint>
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
    DWORD attributes = GetFileAttributesW(WidenPath(path).c_str());
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) {
      *failure = Failure::kNotFound;
    } else if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY)) {
      *failure = Failure::kNotRegular;
      *error = "a directory";
      return false;
    } else {
      *failure = Failure::kOther;
    }
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
  if (static_cast<uint64_t>(size.QuadPart) > static_cast<uint64_t>(SIZE_MAX)) {
    CloseHandle(file);
    *failure = Failure::kOther;
    *error = "the file is larger than the address space";
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
  // O_NONBLOCK: a FIFO must not block the open (it is refused as not regular below).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
    *failure = Failure::kNotRegular;
    *error = S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket";
    return false;
  }
  if (st.st_size == 0) {
    ::close(fd);
    *failure = Failure::kEmpty;
    *error = "the file is empty";
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > static_cast<uint64_t>(SIZE_MAX)) {
    ::close(fd);
    *failure = Failure::kOther;
    *error = "the file is larger than the address space";
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
