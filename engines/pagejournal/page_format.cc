#include "engines/pagejournal/page_format.h"

#include <cstdio>
#include <cstring>

#include "engines/pagejournal/kv_index.h"

namespace crashlab::pagejournal::format {
Status Damaged(PageNo n, const std::string& what) {
  return Status::Error("pagejournal index: page " + std::to_string(n) + ": " + what +
                       "; the index is damaged");
}

std::string TypeName(uint8_t type) {
  switch (type) {
    case kTypeMeta:
      return "meta";
    case kTypeBucket:
      return "bucket";
    case kTypeValue:
      return "value";
    case kTypeFree:
      return "free";
    default: {
      char name[16];
      std::snprintf(name, sizeof name, "type-0x%02x", type);
      return name;
    }
  }
}

Result<Meta> DecodeMeta(const uint8_t* page, std::size_t page_size, PageNo page_count) {
  if (page[0] != kTypeMeta) {
    return Damaged(0, "expected the meta page, found a " + TypeName(page[0]) + " page");
  }
  // A wrong magic, version or page size may be a healthy file opened the
  // wrong way, so those errors say how to open it rather than "damaged".
  if (std::memcmp(page + kMetaMagic, kMagic, sizeof kMagic) != 0) {
    return Status::Error(
        "pagejournal index: page 0: bad magic; this is not a pagejournal index, or its meta "
        "page is damaged");
  }
  const uint32_t version = Load32(page + kMetaVersion);
  if (version != kFormatVersion) {
    return Status::Error("pagejournal index: page 0: format version " + std::to_string(version) +
                         ", but this build reads only version " + std::to_string(kFormatVersion) +
                         "; open it with a matching build");
  }
  const uint32_t stored_page_size = Load32(page + kMetaPageSize);
  if (stored_page_size != page_size) {
    return Status::Error("pagejournal index: page 0: written with " +
                         std::to_string(stored_page_size) + "-byte pages but opened with " +
                         std::to_string(page_size) + "-byte pages; reopen it with page size " +
                         std::to_string(stored_page_size));
  }
  Meta meta;
  meta.bucket_count = Load32(page + kMetaBucketCount);
  if (meta.bucket_count == 0 || meta.bucket_count >= page_count) {
    return Damaged(0, "bucket count " + std::to_string(meta.bucket_count) +
                          " does not fit a store of " + std::to_string(page_count) + " pages");
  }
  meta.free_head = Load64(page + kMetaFreeHead);
  meta.entry_count = Load64(page + kMetaEntryCount);
  meta.free_count = Load64(page + kMetaFreeCount);
  return meta;
}

void InitMetaPage(uint8_t* page, std::size_t page_size, uint32_t bucket_count) {
  std::memset(page, 0, page_size);
  page[0] = kTypeMeta;
  std::memcpy(page + kMetaMagic, kMagic, sizeof kMagic);
  Store32(page + kMetaVersion, kFormatVersion);
  Store32(page + kMetaPageSize, static_cast<uint32_t>(page_size));
  Store32(page + kMetaBucketCount, bucket_count);
}

uint64_t Fnv1a64(std::string_view key) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : key) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

Result<std::vector<Entry>> DecodeBucketPage(const uint8_t* page, std::size_t page_size, PageNo n) {
  if (page[0] != kTypeBucket) {
    return Damaged(n, "expected a bucket page, found a " + TypeName(page[0]) + " page");
  }
  const std::size_t used = BucketUsed(page);
  if (used > page_size - kBucketHeaderBytes) {
    return Damaged(
        n, "bucket page claims " + std::to_string(used) + " used bytes, more than the page holds");
  }
  const std::size_t end = kBucketHeaderBytes + used;
  std::vector<Entry> entries;
  std::size_t pos = kBucketHeaderBytes;
  while (pos < end) {
    const std::string at =
        "entry " + std::to_string(entries.size()) + " at offset " + std::to_string(pos);
    if (end - pos < kEntryHeaderBytes) return Damaged(n, at + " is cut off by the used bytes");
    Entry e;
    e.offset = pos;
    const std::size_t key_len = Load16(page + pos + kEntryKeyLen);
    e.value_len = Load32(page + pos + kEntryValueLen);
    const uint8_t flags = page[pos + kEntryFlags];
    if (key_len == 0 || key_len > kMaxKeyBytes) {
      return Damaged(n, at + " has key length " + std::to_string(key_len));
    }
    if (e.value_len > kMaxValueBytes) {
      return Damaged(n, at + " has value length " + std::to_string(e.value_len));
    }
    if (flags != kFlagInline && flags != kFlagChained) {
      return Damaged(n, at + " has unknown flags " + std::to_string(flags));
    }
    e.chained = flags == kFlagChained;
    e.size = EntrySize(key_len, e.value_len, e.chained);
    if (e.size > end - pos) return Damaged(n, at + " runs past the page's used bytes");
    const char* key = reinterpret_cast<const char*>(page + pos + kEntryHeaderBytes);
    e.key = std::string_view(key, key_len);
    if (e.chained) {
      e.first_value_page = Load64(page + pos + kEntryHeaderBytes + key_len);
    } else {
      e.inline_value = std::string_view(key + key_len, e.value_len);
    }
    entries.push_back(e);
    pos += e.size;
  }
  if (entries.size() != BucketEntryCount(page)) {
    return Damaged(n, "bucket page claims " + std::to_string(BucketEntryCount(page)) +
                          " entries but its used bytes hold " + std::to_string(entries.size()));
  }
  return entries;
}

void InitBucketPage(uint8_t* page, std::size_t page_size) {
  std::memset(page, 0, page_size);
  page[0] = kTypeBucket;
}

void AppendEntry(uint8_t* page, std::string_view key, std::string_view value, bool chained,
                 PageNo first_value_page) {
  const uint32_t used = BucketUsed(page);
  uint8_t* p = page + kBucketHeaderBytes + used;
  Store16(p + kEntryKeyLen, static_cast<uint16_t>(key.size()));
  Store32(p + kEntryValueLen, static_cast<uint32_t>(value.size()));
  p[kEntryFlags] = chained ? kFlagChained : kFlagInline;
  std::memcpy(p + kEntryHeaderBytes, key.data(), key.size());
  uint8_t* after_key = p + kEntryHeaderBytes + key.size();
  if (chained) {
    Store64(after_key, first_value_page);
  } else if (!value.empty()) {
    std::memcpy(after_key, value.data(), value.size());
  }
  const std::size_t size = EntrySize(key.size(), value.size(), chained);
  Store32(page + kBucketEntryCount, BucketEntryCount(page) + 1);
  Store32(page + kBucketUsed, static_cast<uint32_t>(used + size));
}

void RemoveEntry(uint8_t* page, std::size_t offset, std::size_t size) {
  const std::size_t end = kBucketHeaderBytes + BucketUsed(page);
  std::memmove(page + offset, page + offset + size, end - offset - size);
  std::memset(page + end - size, 0, size);
  Store32(page + kBucketEntryCount, BucketEntryCount(page) - 1);
  Store32(page + kBucketUsed, static_cast<uint32_t>(BucketUsed(page) - size));
}

void InitValuePage(uint8_t* page, std::size_t page_size, std::string_view payload, PageNo next) {
  std::memset(page, 0, page_size);
  page[0] = kTypeValue;
  Store32(page + kValueUsed, static_cast<uint32_t>(payload.size()));
  Store64(page + kValueNext, next);
  if (!payload.empty()) std::memcpy(page + kValueHeaderBytes, payload.data(), payload.size());
}

void InitFreePage(uint8_t* page, std::size_t page_size, PageNo next) {
  // Zeroing drops the old contents, so a page's bytes depend only on its role.
  std::memset(page, 0, page_size);
  page[0] = kTypeFree;
  Store64(page + kFreeNext, next);
}

}  // namespace crashlab::pagejournal::format
