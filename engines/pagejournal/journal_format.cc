#include "engines/pagejournal/journal_format.h"

#include <cstring>
#include <string>

#include "engines/pagejournal/checksum.h"
#include "engines/pagejournal/endian.h"

namespace crashlab::pagejournal {
namespace {

// Header layout (offsets in bytes).
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kTxnAt = 8;
constexpr std::size_t kPageCountAt = 16;
constexpr std::size_t kImageCountAt = 24;
constexpr std::size_t kPageSizeAt = 28;
constexpr std::size_t kLengthAt = 32;
constexpr std::size_t kChecksumAt = 40;  // bytes 44..63 are reserved, zero

uint32_t ComputeChecksum(const uint8_t* bytes, uint64_t length) {
  uint8_t header[kRecordHeaderBytes];
  std::memcpy(header, bytes, kRecordHeaderBytes);
  Store32(header + kChecksumAt, 0);
  const uint32_t crc = Crc32c(header, kRecordHeaderBytes);
  return Crc32c(bytes + kRecordHeaderBytes, length - kRecordHeaderBytes, crc);
}

}  // namespace

uint64_t RecordLength(uint64_t images, uint32_t page_size) {
  return kRecordHeaderBytes + images * (8 + uint64_t{page_size});
}

uint64_t PaddedLength(uint64_t length) {
  return (length + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
}

AlignedBuffer EncodeRecord(uint64_t txn, uint64_t page_count, uint32_t page_size,
                           const std::vector<PageImage>& images) {
  const uint64_t length = RecordLength(images.size(), page_size);
  AlignedBuffer buffer(PaddedLength(length));
  uint8_t* p = buffer.data();
  Store64(p + kMagicAt, kRecordMagic);
  Store64(p + kTxnAt, txn);
  Store64(p + kPageCountAt, page_count);
  Store32(p + kImageCountAt, static_cast<uint32_t>(images.size()));
  Store32(p + kPageSizeAt, page_size);
  Store64(p + kLengthAt, length);
  uint8_t* out = p + kRecordHeaderBytes;
  for (const PageImage& image : images) {
    Store64(out, image.page);
    std::memcpy(out + 8, image.bytes, page_size);
    out += 8 + page_size;
  }
  Store32(p + kChecksumAt, ComputeChecksum(p, length));
  return buffer;
}

Result<RecordHeader> ParseRecordHeader(const uint8_t* bytes, uint64_t room, uint32_t page_size) {
  if (room < kRecordHeaderBytes) return Status::Error("no room for a record header");
  if (Load64(bytes + kMagicAt) != kRecordMagic) return Status::Error("no record magic");
  RecordHeader h;
  h.txn = Load64(bytes + kTxnAt);
  h.page_count = Load64(bytes + kPageCountAt);
  h.image_count = Load32(bytes + kImageCountAt);
  h.page_size = Load32(bytes + kPageSizeAt);
  h.length = Load64(bytes + kLengthAt);
  h.checksum = Load32(bytes + kChecksumAt);
  if (h.page_size != page_size)
    return Status::Error("record page size " + std::to_string(h.page_size) + ", store uses " +
                         std::to_string(page_size));
  if (h.image_count == 0 || h.length != RecordLength(h.image_count, page_size))
    return Status::Error("record length " + std::to_string(h.length) + " does not match " +
                         std::to_string(h.image_count) + " page images");
  if (PaddedLength(h.length) > room)
    return Status::Error("record of " + std::to_string(h.length) + " bytes overruns the journal");
  return h;
}

bool ChecksumMatches(const uint8_t* bytes, const RecordHeader& header) {
  return ComputeChecksum(bytes, header.length) == header.checksum;
}

PageNo Record::page_no(std::size_t i) const {
  return Load64(bytes.data() + kRecordHeaderBytes + i * (8 + std::size_t{header.page_size}));
}

const uint8_t* Record::page(std::size_t i) const {
  return bytes.data() + kRecordHeaderBytes + i * (8 + std::size_t{header.page_size}) + 8;
}

Result<Record> DecodeRecord(const uint8_t* bytes, std::size_t size, uint64_t room,
                            uint32_t page_size, Verify verify) {
  if (size < kRecordHeaderBytes) return Status::Error("record header cut short");
  Result<RecordHeader> header = ParseRecordHeader(bytes, room, page_size);
  if (!header.ok()) return header.status();
  if (header->length > size) return Status::Error("record cut short");
  if (verify == Verify::kChecksum && !ChecksumMatches(bytes, *header))
    return Status::Error("record checksum mismatch (torn or stale bytes)");
  Record record;
  record.header = *header;
  record.bytes.assign(bytes, bytes + header->length);
  for (std::size_t i = 0; i < header->image_count; ++i) {
    if (record.page_no(i) >= header->page_count)
      return Status::Error("record image of page " + std::to_string(record.page_no(i)) +
                           " beyond its page count " + std::to_string(header->page_count));
  }
  return record;
}

}  // namespace crashlab::pagejournal
