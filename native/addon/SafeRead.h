// SafeRead: copies memory that a QNN library handed back without trusting its pointers.
// A wild or dangling pointer in QnnSystem's answer must become BINARY_INVALID, not a
// SIGSEGV in the addon: every read goes through the kernel (a pipe on POSIX,
// ReadProcessMemory on Windows), which reports an unreadable address instead of faulting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace qnn_node {

// The 32 bits of an enum field as the library wrote them. Loading the field as its enum
// type is undefined behaviour when the value is not an enumerator (0xBEBEBEBE from
// uninitialised memory), so the bytes are copied instead.
template <typename Enum>
uint32_t RawEnum(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(uint32_t), "QNN enums are 32-bit");
  uint32_t value;
  std::memcpy(&value, &field, sizeof value);
  return value;
}

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
