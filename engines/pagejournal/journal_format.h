// The byte format of one journal record (docs/engines/pagejournal.md, "Journal
// record"): a 64-byte header, then one image per changed page (its 8-byte page
// number and the page), zero-padded to a multiple of 4 KiB so that it can be
// written with O_DIRECT. All integers are little-endian. The CRC-32C covers
// the header (with the checksum field zero) and every image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engines/pagejournal/file_util.h"
#include "engines/pagejournal/page_store.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal {

inline constexpr uint64_t kRecordMagic = 0x0000314345524A50ull;  // "PJREC1\0\0"
inline constexpr std::size_t kRecordHeaderBytes = 64;
inline constexpr std::size_t kRecordAlign = 4096;

struct RecordHeader {
  uint64_t txn = 0;          // transaction id, from 1, consecutive
  uint64_t page_count = 0;   // logical pages of the store after this transaction
  uint32_t image_count = 0;  // page images that follow the header
  uint32_t page_size = 0;
  uint64_t length = 0;  // header and images, without the padding
  uint32_t checksum = 0;
};

// One changed page, as given to EncodeRecord.
struct PageImage {
  PageNo page;
  const uint8_t* bytes;  // page_size bytes
};

// Bytes of a record with `images` images, without and with padding.
uint64_t RecordLength(uint64_t images, uint32_t page_size);
uint64_t PaddedLength(uint64_t length);

// The record for transaction `txn`, zero-padded to PaddedLength, in a buffer
// aligned for O_DIRECT.
AlignedBuffer EncodeRecord(uint64_t txn, uint64_t page_count, uint32_t page_size,
                           const std::vector<PageImage>& images);

// Parses the header in the first kRecordHeaderBytes of `bytes` and checks what
// it alone can tell: the magic, the page size, a length that matches the image
// count and, padded, fits in the `room` bytes the journal file has left. The
// error says which check failed.
[[nodiscard]] Result<RecordHeader> ParseRecordHeader(const uint8_t* bytes, uint64_t room,
                                                     uint32_t page_size);

// Whether the CRC-32C over the header.length bytes at `bytes` matches.
bool ChecksumMatches(const uint8_t* bytes, const RecordHeader& header);

// A record read back from a journal.
struct Record {
  RecordHeader header;
  std::vector<uint8_t> bytes;  // header.length bytes
  PageNo page_no(std::size_t i) const;
  const uint8_t* page(std::size_t i) const;
  uint64_t padded_length() const { return PaddedLength(header.length); }
};

enum class Verify { kChecksum, kHeaderOnly };

// Decodes the record at `bytes` (`size` bytes available, `room` left in its
// journal file): header checks, then (kChecksum) the checksum, then every
// image's page number below the record's page count. An error says why the
// bytes are not a valid record; replay stops there.
[[nodiscard]] Result<Record> DecodeRecord(const uint8_t* bytes, std::size_t size, uint64_t room,
                                          uint32_t page_size, Verify verify);

}  // namespace crashlab::pagejournal
