#include "dlc_container.h"

#include <cstring>

namespace qnn_model_kit {

namespace {
template <typename T>
T readLe(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= T(p[i]) << (8 * i);
  return v;
}

bool fail(DlcParseError* e, uint64_t offset, std::string message) {
  e->offset = offset;
  e->message = std::move(message);
  return false;
}
}  // namespace

bool parseDlc(const uint8_t* data, uint64_t size, qnnref::Model* model, uint64_t* bodyStart, DlcParseError* error) {
  using H = DlcHeaderOffsets;
  if (size < kDlcHeaderSize) return fail(error, size, "file of " + std::to_string(size) + " bytes is shorter than the 64-byte QNNRDLC1 header");
  if (std::memcmp(data, kDlcMagic, sizeof kDlcMagic) != 0) return fail(error, 0, "magic is not QNNRDLC1");
  uint32_t version = readLe<uint32_t>(data + H::version);
  if (version != kDlcContainerVersion)
    return fail(error, H::version, "container version " + std::to_string(version) + " (this reader knows 1)");
  uint32_t headerSize = readLe<uint32_t>(data + H::headerSize);
  if (headerSize != kDlcHeaderSize) return fail(error, H::headerSize, "header size " + std::to_string(headerSize) + " (expected 64)");
  uint64_t bodyOffset = readLe<uint64_t>(data + H::bodyOffset);
  uint64_t bodySize = readLe<uint64_t>(data + H::bodySize);
  if (bodyOffset != kDlcHeaderSize) return fail(error, H::bodyOffset, "body offset " + std::to_string(bodyOffset) + " (expected 64)");
  if (bodySize != size - bodyOffset)
    return fail(error, H::bodySize, "body size " + std::to_string(bodySize) + " but the file has " + std::to_string(size - bodyOffset) + " bytes after the header");
  for (size_t i = 40; i < kDlcHeaderSize; ++i)
    if (data[i] != 0) return fail(error, i, "reserved header byte is not zero");
  const uint8_t* body = data + bodyOffset;
  uint32_t crc = qnnref::crc32(body, size_t(bodySize));
  if (crc != readLe<uint32_t>(data + H::bodyCrc)) return fail(error, H::bodyCrc, "body CRC-32 mismatch (file damaged)");
  std::string why;
  if (qnnref::parseModel(body, bodySize, model, &why) != qnnref::ParseStatus::kOk)
    return fail(error, bodyOffset, "body (reference model) is invalid: " + why);
  uint32_t graphs = readLe<uint32_t>(data + H::graphCount);
  if (graphs != model->graphs.size())
    return fail(error, H::graphCount, "header says " + std::to_string(graphs) + " graphs, the body has " + std::to_string(model->graphs.size()));
  *bodyStart = bodyOffset;
  return true;
}

}  // namespace qnn_model_kit
