// The on-page formats of pagejournal's index (kv_index.h), in one place so the
// index, its checker and the tests that damage pages agree on every offset.
//
// Every integer is little-endian and written byte by byte, so a database is
// the same bytes on every platform. Byte 0 of every page is its type, so a
// pointer to the wrong kind of page is caught instead of being misread.
//
//   page            offset  field
//   meta (page 0)   0       u8 type 'M'
//                   8       u8[8] magic "pjindex\0"
//                   16      u32 format version (1)
//                   20      u32 page size
//                   24      u32 bucket count
//                   32      u64 free-list head, 0 = empty
//                   40      u64 entry count
//                   48      u64 free page count
//   bucket          0       u8 type 'B'
//   (1..buckets,    4       u32 entry count
//    overflow)      8       u32 used bytes, after the header
//                   16      u64 next overflow page, 0 = none
//                   24      entries, packed in insertion order
//   entry           +0      u16 key length (1..1024)
//                   +2      u32 value length (0..65536)
//                   +6      u8 flags: 0 inline, 1 chained
//                   +7      key bytes, then the value bytes (inline) or
//                           the u64 first value page (chained)
//   value           0       u8 type 'V'
//                   4       u32 used bytes of payload
//                   8       u64 next value page, 0 = last
//                   16      payload
//   free            0       u8 type 'F'
//                   8       u64 next free page, 0 = end of the list
//
// Bytes not listed are zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engines/pagejournal/page_store.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal::format {

inline uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
inline uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
inline uint64_t Load64(const uint8_t* p) {
  return static_cast<uint64_t>(Load32(p)) | static_cast<uint64_t>(Load32(p + 4)) << 32;
}
inline void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Byte 0 of every page. ASCII letters, so a hex dump shows what a page is; a
// page fresh from PageStore::Extend() has type 0, which is none of these.
inline constexpr uint8_t kTypeMeta = 'M';
inline constexpr uint8_t kTypeBucket = 'B';
inline constexpr uint8_t kTypeValue = 'V';
inline constexpr uint8_t kTypeFree = 'F';
// "meta", "bucket", "value", "free", or "type-0x07" for any other byte, for
// error messages.
std::string TypeName(uint8_t type);

inline constexpr std::size_t kMinPageSize = 1024;
// The page size and byte counts inside a page are stored as u32.
inline constexpr std::size_t kMaxPageSize = UINT32_MAX;

// Meta page.
inline constexpr char kMagic[8] = {'p', 'j', 'i', 'n', 'd', 'e', 'x', '\0'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr std::size_t kMetaMagic = 8;
inline constexpr std::size_t kMetaVersion = 16;
inline constexpr std::size_t kMetaPageSize = 20;
inline constexpr std::size_t kMetaBucketCount = 24;
inline constexpr std::size_t kMetaFreeHead = 32;
inline constexpr std::size_t kMetaEntryCount = 40;
inline constexpr std::size_t kMetaFreeCount = 48;

// Bucket page.
inline constexpr std::size_t kBucketEntryCount = 4;
inline constexpr std::size_t kBucketUsed = 8;
inline constexpr std::size_t kBucketNext = 16;
inline constexpr std::size_t kBucketHeaderBytes = 24;

// Entry, at its offset in a bucket page.
inline constexpr std::size_t kEntryKeyLen = 0;
inline constexpr std::size_t kEntryValueLen = 2;
inline constexpr std::size_t kEntryFlags = 6;
inline constexpr std::size_t kEntryHeaderBytes = 7;
inline constexpr uint8_t kFlagInline = 0;
inline constexpr uint8_t kFlagChained = 1;

// Value page.
inline constexpr std::size_t kValueUsed = 4;
inline constexpr std::size_t kValueNext = 8;
inline constexpr std::size_t kValueHeaderBytes = 16;

// Free page.
inline constexpr std::size_t kFreeNext = 8;

// The meta page's fields, decoded.
struct Meta {
  uint32_t bucket_count = 0;
  PageNo free_head = 0;
  uint64_t entry_count = 0;
  uint64_t free_count = 0;
};

// Decodes page 0 of a store of `page_count` pages (>= 1) and `page_size`.
// Errors: wrong type or magic, another format version, a page size that is
// not the store's, no buckets, or bucket pages beyond the store.
[[nodiscard]] Result<Meta> DecodeMeta(const uint8_t* page, std::size_t page_size,
                                      PageNo page_count);
// Writes a meta page for an index with no entries and an empty free list.
void InitMetaPage(uint8_t* page, std::size_t page_size, uint32_t bucket_count);

// The error for a damaged page: "pagejournal index: page <n>: <what>; ...".
[[nodiscard]] Status Damaged(PageNo n, const std::string& what);

// FNV-1a 64 of `key`: fixed by the format, since it decides where keys live.
uint64_t Fnv1a64(std::string_view key);
// The bucket head page of `key` in an index of `bucket_count` buckets.
inline PageNo BucketPageOf(std::string_view key, uint32_t bucket_count) {
  return 1 + Fnv1a64(key) % bucket_count;
}

// Bytes an entry takes in a bucket page.
inline std::size_t EntrySize(std::size_t key_len, std::size_t value_len, bool chained) {
  return kEntryHeaderBytes + key_len + (chained ? 8 : value_len);
}

// One decoded entry. The views point into the page they were decoded from and
// share its lifetime (until the next PageStore::Write or Extend).
struct Entry {
  std::size_t offset = 0;  // from the start of the page
  std::size_t size = 0;    // EntrySize()
  std::string_view key;
  uint32_t value_len = 0;
  bool chained = false;
  std::string_view inline_value;  // when !chained
  PageNo first_value_page = 0;    // when chained
};

// Decodes bucket page `n`. Errors name the page and what is malformed: wrong
// type, a used-bytes or entry count that disagrees with the entries, a key or
// value length outside the limits, an unknown flag.
[[nodiscard]] Result<std::vector<Entry>> DecodeBucketPage(const uint8_t* page,
                                                          std::size_t page_size, PageNo n);

// Header fields of a bucket page already known to be one.
inline uint32_t BucketEntryCount(const uint8_t* page) { return Load32(page + kBucketEntryCount); }
inline uint32_t BucketUsed(const uint8_t* page) { return Load32(page + kBucketUsed); }
inline PageNo BucketNext(const uint8_t* page) { return Load64(page + kBucketNext); }
inline void SetBucketNext(uint8_t* page, PageNo next) { Store64(page + kBucketNext, next); }
inline std::size_t BucketFreeBytes(const uint8_t* page, std::size_t page_size) {
  return page_size - kBucketHeaderBytes - BucketUsed(page);
}

// Makes `page` an empty bucket page with no overflow page.
void InitBucketPage(uint8_t* page, std::size_t page_size);
// Appends an entry; the caller has checked BucketFreeBytes() >= EntrySize().
// `value` is the inline value, or ignored (only its length is stored) when
// `chained`, in which case `first_value_page` is stored instead.
void AppendEntry(uint8_t* page, std::string_view key, std::string_view value, bool chained,
                 PageNo first_value_page);
// Removes the entry at [offset, offset + size) and slides the later entries
// down, zeroing the bytes it frees so a page's bytes depend only on its
// entries.
void RemoveEntry(uint8_t* page, std::size_t offset, std::size_t size);

// Makes `page` a value page holding `payload` (at most page_size -
// kValueHeaderBytes bytes), followed by `next` (0 = last).
void InitValuePage(uint8_t* page, std::size_t page_size, std::string_view payload, PageNo next);
inline uint32_t ValueUsed(const uint8_t* page) { return Load32(page + kValueUsed); }
inline PageNo ValueNext(const uint8_t* page) { return Load64(page + kValueNext); }

// Makes `page` a free page that links to `next` (0 = end of the list).
void InitFreePage(uint8_t* page, std::size_t page_size, PageNo next);
inline PageNo FreeNext(const uint8_t* page) { return Load64(page + kFreeNext); }

}  // namespace crashlab::pagejournal::format
