#include "ProcessLimits.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "Errors.h"

#if defined(__linux__)
#include <signal.h>
#include <sys/prctl.h>
#endif
#if !defined(_WIN32)
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace qnn_node {
namespace {

double OptionalNumber(Napi::Env env, Napi::Object o, const char* key, double max) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return -1;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 1 && d <= max) || std::floor(d) != d) {
    ThrowInvalidArg(env, "an integer from 1 to " + std::to_string(static_cast<uint64_t>(max)), std::string("options.") + key, v);
  }
  return d;
}

#if defined(__linux__)
// The address space in use now (VmSize), from /proc/self/statm.
uint64_t CurrentAddressSpace() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long pages = 0;
  int n = std::fscanf(f, "%llu", &pages);
  std::fclose(f);
  return n == 1 ? pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}
#endif

}  // namespace

Napi::Value LimitProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value arg = info.Length() > 0 ? info[0] : env.Undefined();
  if (!arg.IsObject()) ThrowInvalidArg(env, "an options object", "options", arg);
  Napi::Object o = arg.As<Napi::Object>();
  double memory = OptionalNumber(env, o, "memoryBytes", 9007199254740991.0);
  double cpu = OptionalNumber(env, o, "cpuSeconds", 86400);
  double parentPid = OptionalNumber(env, o, "parentPid", 4194304);

  Napi::Object applied = Napi::Object::New(env);
  applied.Set("addressSpaceBytes", env.Null());
  applied.Set("cpuSeconds", env.Null());
  applied.Set("dieWithParent", Napi::Boolean::New(env, false));
  (void)memory;  // applied on Linux only
  (void)cpu;     // and these two on POSIX only
  (void)parentPid;
#if defined(__linux__)
  if (memory > 0) {
    uint64_t base = CurrentAddressSpace();
    if (base > 0) {
      rlimit rl;
      rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(base + static_cast<uint64_t>(memory));
      if (setrlimit(RLIMIT_AS, &rl) == 0) applied.Set("addressSpaceBytes", Napi::Number::New(env, static_cast<double>(rl.rlim_cur)));
    }
  }
#endif
#if !defined(_WIN32)
  if (cpu > 0) {
    // SIGXCPU at the soft limit, SIGKILL one second later: a spinning library stops even
    // when nobody is left to kill it.
    rlimit rl;
    rl.rlim_cur = static_cast<rlim_t>(cpu);
    rl.rlim_max = static_cast<rlim_t>(cpu) + 1;
    if (setrlimit(RLIMIT_CPU, &rl) == 0) applied.Set("cpuSeconds", Napi::Number::New(env, cpu));
  }
#endif
#if defined(__linux__)
  if (parentPid > 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == 0) {
    applied.Set("dieWithParent", Napi::Boolean::New(env, true));
    if (getppid() != static_cast<pid_t>(parentPid)) raise(SIGKILL);  // the parent is already gone
  }
#else
  (void)parentPid;
#endif
  return applied;
}

}  // namespace qnn_node
