#include "SafeRead.h"

#include <cstdint>
#include <cstring>

#include "Errors.h"

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#else
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <unistd.h>
#endif

namespace qnn_node {
namespace {

#if defined(_WIN32)
constexpr size_t kChunk = 4096;
#else
// Writes of at most PIPE_BUF bytes to an empty pipe are all-or-nothing, whatever the
// pipe's capacity (Linux shrinks it to one page for users with many pipes).
constexpr size_t kChunk = PIPE_BUF < 4096 ? PIPE_BUF : 4096;
#endif

// How far one kernel copy of a string may reach. Reading to the end of the page past the
// NUL is harmless (the kernel checks every byte), but AddressSanitizer reports the bytes
// beyond the string's allocation as an overflow: under it, strings go a byte at a time.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kStringStep = 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr size_t kStringStep = 1;
#else
constexpr size_t kStringStep = kChunk;
#endif
#else
constexpr size_t kStringStep = kChunk;
#endif

}  // namespace

SafeReader::SafeReader() {
#if !defined(_WIN32)
#if defined(__linux__) || defined(__ANDROID__)
  // Atomically close-on-exec: the main thread may be spawning a child meanwhile.
  if (pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw CoreError("QNN_ERROR", std::string("Cannot check QnnSystem's answer: pipe2() failed: ") + std::strerror(errno));
  }
#else
  if (pipe(fds_) != 0) {
    throw CoreError("QNN_ERROR", std::string("Cannot check QnnSystem's answer: pipe() failed: ") + std::strerror(errno));
  }
  for (int fd : fds_) {
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
#endif
#endif
}

SafeReader::~SafeReader() {
#if !defined(_WIN32)
  for (int fd : fds_)
    if (fd >= 0) close(fd);
#endif
}

bool SafeReader::CopyChunk(void* dst, const void* src, size_t n) {
#if defined(_WIN32)
  SIZE_T got = 0;
  return ReadProcessMemory(GetCurrentProcess(), src, dst, n, &got) && got == n;
#else
  // The kernel copies from `src` into the pipe and answers EFAULT for an address that
  // is unmapped or protected; the bytes are then read back into `dst`.
  ssize_t w;
  do {
    w = write(fds_[1], src, n);
  } while (w < 0 && errno == EINTR);
  if (w <= 0) return false;
  size_t done = 0;
  while (done < static_cast<size_t>(w)) {
    ssize_t r = read(fds_[0], static_cast<uint8_t*>(dst) + done, static_cast<size_t>(w) - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return static_cast<size_t>(w) == n;
#endif
}

bool SafeReader::Copy(void* dst, const void* src, size_t n) {
  if (n == 0) return true;
  if (!src) return false;
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  if (reinterpret_cast<uintptr_t>(s) + n < reinterpret_cast<uintptr_t>(s)) return false;  // wraps around
  for (size_t off = 0; off < n;) {
    size_t len = n - off < kChunk ? n - off : kChunk;
    if (!CopyChunk(d + off, s + off, len)) return false;
    off += len;
  }
  return true;
}

SafeReader::StringStatus SafeReader::CopyString(const char* src, size_t cap, std::string* out) {
  out->clear();
  if (!src) return StringStatus::kNull;
  // Aligned chunks never cross a page: a string may end just before an unreadable page.
  uintptr_t p = reinterpret_cast<uintptr_t>(src);
  char buf[kChunk];
  while (true) {
    size_t len = kChunk - static_cast<size_t>(p % kChunk);
    if (len > kStringStep) len = kStringStep;
    if (!CopyChunk(buf, reinterpret_cast<const void*>(p), len)) return StringStatus::kUnreadable;
    const void* nul = std::memchr(buf, 0, len);
    size_t take = nul ? static_cast<size_t>(static_cast<const char*>(nul) - buf) : len;
    if (out->size() + take > cap) return StringStatus::kTooLong;
    out->append(buf, take);
    if (nul) return StringStatus::kOk;
    p += len;
  }
}

}  // namespace qnn_node
