#include "common.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <thread>
#include <utility>

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#else
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace qnnref {

std::string formatString(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

std::string versionString(const Version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}

namespace {

bool parseVersion(const std::string& s, Version* v) {
  unsigned a = 0, b = 0, c = 0;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%u.%u.%u%n", &a, &b, &c, &consumed) == 3 && size_t(consumed) == s.size()) {
    *v = Version{a, b, c};
    return true;
  }
  consumed = 0;
  if (std::sscanf(s.c_str(), "%u.%u%n", &a, &b, &consumed) == 2 && size_t(consumed) == s.size()) {
    *v = Version{a, b, 0};
    return true;
  }
  return false;
}

}  // namespace

std::string ownLibraryPath() {
#if defined(_WIN32)
  HMODULE module = nullptr;
  if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          reinterpret_cast<LPCSTR>(&ownLibraryPath), &module)) {
    return std::string();
  }
  char buf[MAX_PATH];
  DWORD n = GetModuleFileNameA(module, buf, MAX_PATH);
  return std::string(buf, n);
#else
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&ownLibraryPath), &info) && info.dli_fname) return info.dli_fname;
  return std::string();
#endif
}

bool knobsApply() {
  const char* only = std::getenv("QNN_REFERENCE_KNOBS_FOR");
  if (!only || !*only) return true;
  return ownLibraryPath().find(only) != std::string::npos;
}

bool readEmulation(Emulation* out, std::string* error) {
  Emulation e;
  const char* env = knobsApply() ? std::getenv("QNN_REFERENCE_API_VERSION") : nullptr;
  std::string s = env ? env : "";
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      *error = "QNN_REFERENCE_API_VERSION: expected key=value, got '" + item + "'";
      return false;
    }
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "binaryinfo") {
      if (value != "1" && value != "2" && value != "3") {
        *error = "QNN_REFERENCE_API_VERSION: binaryinfo must be 1, 2 or 3";
        return false;
      }
      e.binaryInfoVersion = value[0] - '0';
      continue;
    }
    Version v;
    if (!parseVersion(value, &v)) {
      *error = "QNN_REFERENCE_API_VERSION: '" + value + "' is not a version (major.minor[.patch])";
      return false;
    }
    if (key == "core") e.core = v;
    else if (key == "system") e.system = v;
    else if (key == "backend") e.backend = v;
    else {
      *error = "QNN_REFERENCE_API_VERSION: unknown key '" + key + "' (core, system, backend, binaryinfo)";
      return false;
    }
  }
  if (e.core.major != 2 || e.core.minor < 7 || e.core.minor > 32) {
    *error = "QNN_REFERENCE_API_VERSION: core " + versionString(e.core) + " not emulated (2.7 - 2.32)";
    return false;
  }
  if (e.system.major != 1 || e.system.minor > 7) {
    *error = "QNN_REFERENCE_API_VERSION: system " + versionString(e.system) + " not emulated (1.0 - 1.7)";
    return false;
  }
  if (e.binaryInfoVersion == 3 && e.system.minor < 2) {
    *error = "QNN_REFERENCE_API_VERSION: BinaryInfo V3 needs system >= 1.2";
    return false;
  }
  *out = e;
  return true;
}

// ---- guarded memory ---------------------------------------------------------------------

GuardedBlock guardedAlloc(size_t size) {
  GuardedBlock b;
#if defined(_WIN32)
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  size_t page = size_t(info.dwPageSize);
#else
  size_t page = size_t(sysconf(_SC_PAGESIZE));
#endif
  size_t dataPages = (size + page - 1) / page;
  if (dataPages == 0) dataPages = 1;
  size_t length = (dataPages + 1) * page;
#if defined(_WIN32)
  void* base = VirtualAlloc(nullptr, length, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  if (base == nullptr) return b;
  uint8_t* guard = static_cast<uint8_t*>(base) + dataPages * page;
  DWORD previous = 0;
  if (!VirtualProtect(guard, page, PAGE_NOACCESS, &previous)) {
    VirtualFree(base, 0, MEM_RELEASE);
    return b;
  }
#else
  void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return b;
  uint8_t* guard = static_cast<uint8_t*>(base) + dataPages * page;
  if (mprotect(guard, page, PROT_NONE) != 0) {
    munmap(base, length);
    return b;
  }
#endif
  b.base = base;
  b.length = length;
  b.ptr = guard - size;
  return b;
}

void guardedFree(GuardedBlock& b) {
  if (!b.base) return;
#if defined(_WIN32)
  VirtualFree(b.base, 0, MEM_RELEASE);
#else
  munmap(b.base, b.length);
#endif
  b = GuardedBlock();
}

// ---- logging -----------------------------------------------------------------------------

namespace {
const auto kStart = std::chrono::steady_clock::now();

void callLog(QnnLog_Callback_t cb, QnnLog_Level_t level, uint64_t ts, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cb(fmt, level, ts, ap);
  va_end(ap);
}
}  // namespace

void logf(const Logger* logger, QnnLog_Level_t level, const char* fmt, ...) {
  if (!logger || !logger->callback || level > logger->level) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  uint64_t ts = uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - kStart).count());
  // The client gets a format and a va_list, as from a real backend.
  callLog(logger->callback, level, ts, "QnnReference: %s", buf);
}

// ---- errors ------------------------------------------------------------------------------

namespace {
std::mutex g_errorMutex;
std::deque<std::pair<Qnn_ErrorHandle_t, std::string>> g_errors;
uint64_t g_errorSerial = 0;
constexpr size_t kMaxErrors = 256;
}  // namespace

Qnn_ErrorHandle_t makeError(const Logger* logger, uint32_t code, const std::string& message) {
  const char* plain = std::getenv("QNN_REFERENCE_PLAIN_ERRORS");
  bool bare = plain && plain[0] == '1';
  Qnn_ErrorHandle_t handle;
  {
    std::lock_guard<std::mutex> lock(g_errorMutex);
    ++g_errorSerial;
    handle = bare ? Qnn_ErrorHandle_t(code & 0xFFFF) : ((Qnn_ErrorHandle_t(g_errorSerial) << 32) | (code & 0xFFFF));
    g_errors.emplace_back(handle, message);
    if (g_errors.size() > kMaxErrors) g_errors.pop_front();
  }
  logf(logger, QNN_LOG_LEVEL_ERROR, "%s", message.c_str());
  return handle;
}

bool findErrorMessage(Qnn_ErrorHandle_t handle, std::string* message) {
  std::lock_guard<std::mutex> lock(g_errorMutex);
  for (auto it = g_errors.rbegin(); it != g_errors.rend(); ++it) {
    if (it->first == handle) {
      *message = it->second;
      return true;
    }
  }
  return false;
}

namespace {
// The value of `function=<n>` in a comma-separated knob (QNN_REFERENCE_FAIL, _DELAY_MS).
bool knobValue(const char* envName, const char* function, unsigned long* value) {
  if (!knobsApply()) return false;
  const char* env = std::getenv(envName);
  if (!env || !*env) return false;
  std::string s = env;
  std::string key = std::string(function) + "=";
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(pos, end - pos);
    if (item.compare(0, key.size(), key) == 0) {
      *value = std::strtoul(item.c_str() + key.size(), nullptr, 10);
      return true;
    }
    pos = end + 1;
  }
  return false;
}
}  // namespace

bool injectedFailure(const char* function, uint32_t* code) {
  unsigned long v = 0;
  if (!knobValue("QNN_REFERENCE_FAIL", function, &v)) return false;
  *code = uint32_t(v);
  return *code != 0;
}

void injectedDelay(const char* function) {
  unsigned long ms = 0;
  if (knobValue("QNN_REFERENCE_DELAY_MS", function, &ms) && ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
}

uint32_t emulatedBackendId() {
  const char* env = knobsApply() ? std::getenv("QNN_REFERENCE_BACKEND_ID") : nullptr;
  if (!env || !*env) return kBackendId;
  return uint32_t(std::strtoul(env, nullptr, 0));
}

bool noDspEmulated() {
  if (!knobsApply()) return false;
  const char* env = std::getenv("QNN_REFERENCE_NO_DSP");
  return env && env[0] == '1';
}

}  // namespace qnnref
