// SafeRead: copies memory that a QNN library handed back without trusting its pointers.
// A wild or dangling pointer in QnnSystem's answer must become BINARY_INVALID, not a
// SIGSEGV in the addon: every read goes through the kernel (a pipe on POSIX,
// ReadProcessMemory on Windows), which reports an unreadable address instead of faulting.
#pragma once

#include <cstddef>
#include <string>

namespace qnn_node {

class SafeReader {
 public:
  SafeReader();
  ~SafeReader();
  SafeReader(const SafeReader&) = delete;
  SafeReader& operator=(const SafeReader&) = delete;

  // Copies n bytes from src to dst; false (dst partly written) if any byte is unreadable.
  bool Copy(void* dst, const void* src, size_t n);

  enum class StringStatus { kOk, kNull, kUnreadable, kTooLong };
  // The NUL-terminated string at src, at most `cap` bytes before the NUL.
  StringStatus CopyString(const char* src, size_t cap, std::string* out);

 private:
  bool CopyChunk(void* dst, const void* src, size_t n);
#if !defined(_WIN32)
  int fds_[2] = {-1, -1};
#endif
};

}  // namespace qnn_node
