// The reference DLC-like container ("QNNRDLC1", docs/reference-backend.md "Reference DLC
// files"): a 64-byte header, then a reference model ("QNNREF01") as its body. It is the
// project's own format for testing the DLC path; real .dlc files are parsed by Qualcomm's
// libQnnModelDlc, never by this project.
#pragma once

#include <cstdint>
#include <string>

#include "model.h"

namespace qnn_model_kit {

constexpr char kDlcMagic[8] = {'Q', 'N', 'N', 'R', 'D', 'L', 'C', '1'};
constexpr uint32_t kDlcContainerVersion = 1;
constexpr uint32_t kDlcHeaderSize = 64;

// Header fields (little-endian).
struct DlcHeaderOffsets {
  static constexpr size_t magic = 0;
  static constexpr size_t version = 8;       // u32, kDlcContainerVersion
  static constexpr size_t headerSize = 12;   // u32, 64
  static constexpr size_t bodyOffset = 16;   // u64, 64 (keeps the body's 64-byte data alignment)
  static constexpr size_t bodySize = 24;     // u64
  static constexpr size_t bodyCrc = 32;      // u32, CRC-32 of the body
  static constexpr size_t graphCount = 36;   // u32, graphs in the body
  // 40..63 reserved, zero
};

struct DlcParseError {
  uint64_t offset = 0;  // file offset the problem was found at
  std::string message;
};

// Parses and validates a whole file held in memory (never reads outside [data, data+size)).
// On success `model` describes the body; its data offsets are relative to `*bodyStart`.
bool parseDlc(const uint8_t* data, uint64_t size, qnnref::Model* model, uint64_t* bodyStart, DlcParseError* error);

}  // namespace qnn_model_kit
