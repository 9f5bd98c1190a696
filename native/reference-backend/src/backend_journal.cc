// libQnnReference: the call journal (backend_journal.h).
#include "backend_journal.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "common.h"

namespace qnnref {
namespace {
std::mutex g_journalMu;

const char* journalPath() {
  if (!knobsApply()) return nullptr;
  const char* path = std::getenv("QNN_REFERENCE_JOURNAL");
  return path && *path ? path : nullptr;
}
}  // namespace

bool journalOn() { return journalPath() != nullptr; }

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

JournalEntry::JournalEntry(const char* call) : body_("{\"call\":" + jsonString(call)) {}

void JournalEntry::key(const char* k) { body_ += "," + jsonString(k) + ":"; }

JournalEntry& JournalEntry::str(const char* k, const std::string& value) {
  key(k);
  body_ += jsonString(value);
  return *this;
}

JournalEntry& JournalEntry::num(const char* k, double value) {
  key(k);
  if (!std::isfinite(value)) {
    body_ += jsonString(std::isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    return *this;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  body_ += buf;
  return *this;
}

JournalEntry& JournalEntry::u64(const char* k, uint64_t value) {
  key(k);
  // Above 2^53 a JSON number loses digits: write those as strings.
  if (value > (uint64_t(1) << 53)) {
    body_ += jsonString(std::to_string(value));
  } else {
    body_ += std::to_string(value);
  }
  return *this;
}

JournalEntry& JournalEntry::boolean(const char* k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

JournalEntry& JournalEntry::raw(const char* k, const std::string& json) {
  key(k);
  body_ += json;
  return *this;
}

void JournalEntry::write() {
  const char* path = journalPath();
  if (!path) return;
  std::string line = json() + "\n";
  std::lock_guard<std::mutex> lock(g_journalMu);
  if (FILE* f = std::fopen(path, "ab")) {
    std::fwrite(line.data(), 1, line.size(), f);
    std::fclose(f);
  }
}

}  // namespace qnnref
