// libQnnReference: the call journal. With QNN_REFERENCE_JOURNAL=<file>, calls that carry
// configurations (power votes, context/graph configs, profiles, binary sections) append
// one JSON object per line, so tests can assert exactly what reached the backend.
#pragma once

#include <cstdint>
#include <string>

namespace qnnref {

// Builds one journal line: {"call":"<call>", ...fields}. Fields are added in order.
class JournalEntry {
 public:
  explicit JournalEntry(const char* call);
  JournalEntry& str(const char* key, const std::string& value);
  JournalEntry& num(const char* key, double value);
  JournalEntry& u64(const char* key, uint64_t value);
  JournalEntry& boolean(const char* key, bool value);
  // `json` must already be valid JSON (an object or array built with JournalEntry/jsonArray).
  JournalEntry& raw(const char* key, const std::string& json);
  // Appends the line to the journal file (no-op when the journal is off).
  void write();
  std::string json() const { return body_ + "}"; }

 private:
  void key(const char* k);
  std::string body_;
};

// True when QNN_REFERENCE_JOURNAL names a file (read on every call: tests switch files).
bool journalOn();
std::string jsonString(const std::string& s);

}  // namespace qnnref
