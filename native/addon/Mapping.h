// A private (copy-on-write) memory mapping of a whole file (mmap / MapViewOfFile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace qnn_node {

class FileMapping {
 public:
  FileMapping() = default;
  ~FileMapping();
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;

  // kNotRegular: a directory, device or pipe. kOther: any other OS failure (permissions,
  // address space); `error` has the OS's text.
  enum class Failure { kNone, kNotFound, kEmpty, kNotRegular, kOther };
  // Maps `path` read/write copy-on-write (writes through data() land in private pages; the
  // file itself is never written). On failure returns false with `failure` and `error` set.
  bool Open(const std::string& path, Failure* failure, std::string* error);
  void Close();
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
#ifdef _WIN32
  void* file_ = nullptr;
  void* mapping_ = nullptr;
#endif
};

}  // namespace qnn_node
