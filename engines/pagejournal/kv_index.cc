// KvIndex's reads and writes. The on-page formats are in page_format.h; Check
// is in kv_index_check.cc.
//
// Page pointers from PageStore::Read and Write die at the next Write or
// Extend, so no pointer here outlives a call that writes: each step re-reads
// the page it needs.
#include "engines/pagejournal/kv_index.h"

#include <algorithm>
#include <string>
#include <vector>

#include "engines/pagejournal/page_format.h"

namespace crashlab::pagejournal {
namespace {

using format::Entry;

Status ValidateKey(std::string_view key) {
  if (key.empty()) return Status::Error("pagejournal index: empty key; keys are 1 to 1024 bytes");
  if (key.size() > kMaxKeyBytes) {
    return Status::Error("pagejournal index: key of " + std::to_string(key.size()) +
                         " bytes; keys are 1 to 1024 bytes");
  }
  return Status::Ok();
}

// True when the value sits in the bucket page after its key. A quarter page
// at most keeps several entries per bucket page, so a bucket of small values
// does not become a chain of nearly empty overflow pages; the choice depends
// only on the sizes, so the same puts always give the same bytes.
bool StoresInline(std::size_t page_size, std::size_t key_len, std::size_t value_len) {
  return value_len <= page_size / 4 &&
         format::EntrySize(key_len, value_len, false) <= page_size - format::kBucketHeaderBytes;
}

// Where Find saw a key. The view dies with the page pointer it came from.
struct Location {
  bool found = false;
  PageNo page = 0;
  PageNo prev = 0;  // the page linking to `page`; 0 when `page` is the bucket head
  std::size_t offset = 0;
  std::size_t size = 0;
  uint32_t value_len = 0;
  bool chained = false;
  std::string_view inline_value;
  PageNo first_value_page = 0;
};

// One bucket chain's pages as the walker hands them out.
using PageVisitor = std::function<Status(PageNo n, PageNo prev, const uint8_t* page,
                                         const std::vector<Entry>& entries, bool* stop)>;

// The index of one transaction's store, with its meta page decoded.
class Index {
 public:
  static Result<Index> Open(PageStore& store) {
    if (store.page_count() == 0) {
      return Status::Error("pagejournal index: the store has no pages; run KvIndex::Format first");
    }
    Result<format::Meta> meta =
        format::DecodeMeta(store.Read(0), store.page_size(), store.page_count());
    if (!meta.ok()) return meta.status();
    return Index(store, meta->bucket_count);
  }

  std::size_t page_size() const { return page_size_; }

  // Calls `visit` for each page of the bucket chain starting at `head` until
  // it sets *stop. Errors: a damaged bucket page, a link out of the store, a
  // chain longer than the store (a loop).
  Status WalkBucket(PageNo head, const PageVisitor& visit) {
    PageNo prev = 0;
    PageNo n = head;
    for (PageNo steps = 0; n != 0; ++steps) {
      if (n >= store_.page_count()) {
        return format::Damaged(prev, "links to page " + std::to_string(n) + ", beyond the " +
                                         std::to_string(store_.page_count()) + "-page store");
      }
      if (steps >= store_.page_count()) {
        return format::Damaged(head, "the bucket chain starting here loops");
      }
      const uint8_t* page = store_.Read(n);
      Result<std::vector<Entry>> entries = format::DecodeBucketPage(page, page_size_, n);
      if (!entries.ok()) return entries.status();
      bool stop = false;
      if (Status s = visit(n, prev, page, *entries, &stop); !s.ok() || stop) return s;
      prev = n;
      n = format::BucketNext(page);
    }
    return Status::Ok();
  }

  Result<Location> Find(std::string_view key) {
    Location loc;
    Status s = WalkBucket(
        format::BucketPageOf(key, bucket_count_),
        [&](PageNo n, PageNo prev, const uint8_t*, const std::vector<Entry>& entries, bool* stop) {
          for (const Entry& e : entries) {
            if (e.key != key) continue;
            loc = {.found = true,
                   .page = n,
                   .prev = prev,
                   .offset = e.offset,
                   .size = e.size,
                   .value_len = e.value_len,
                   .chained = e.chained,
                   .inline_value = e.inline_value,
                   .first_value_page = e.first_value_page};
            *stop = true;
            break;
          }
          return Status::Ok();
        });
    if (!s.ok()) return s;
    return loc;
  }

  // Walks the value chain of an entry in bucket page `owner`, collecting its
  // pages into `pages` and, if `value` is not null, its bytes. Errors: a link
  // out of the store, a page that is not a value page or is reached twice,
  // payload lengths that do not add up to `len`.
  Status WalkValue(PageNo owner, PageNo first, uint32_t len, std::vector<PageNo>* pages,
                   std::string* value) {
    const std::size_t capacity = page_size_ - format::kValueHeaderBytes;
    const std::string chain = "the value chain starting at page " + std::to_string(first);
    PageNo from = owner;
    PageNo n = first;
    std::size_t remaining = len;
    while (remaining > 0) {
      if (n == 0) {
        return format::Damaged(from, chain + " ends " + std::to_string(remaining) +
                                         " bytes short of its " + std::to_string(len));
      }
      if (n >= store_.page_count()) {
        return format::Damaged(from, "links to page " + std::to_string(n) + ", beyond the " +
                                         std::to_string(store_.page_count()) + "-page store");
      }
      // A chain holds at most 65 pages of 1 KiB, so a linear search is cheap.
      if (std::find(pages->begin(), pages->end(), n) != pages->end()) {
        return format::Damaged(n, chain + " loops back to this page");
      }
      const uint8_t* page = store_.Read(n);
      if (page[0] != format::kTypeValue) {
        return format::Damaged(n, "expected a value page of " + chain + ", found a " +
                                      format::TypeName(page[0]) + " page");
      }
      const uint32_t used = format::ValueUsed(page);
      if (used == 0 || used > capacity || used > remaining) {
        return format::Damaged(n, "value page holds " + std::to_string(used) + " bytes, with " +
                                      std::to_string(remaining) + " of " + chain + " left");
      }
      pages->push_back(n);
      if (value != nullptr) {
        value->append(reinterpret_cast<const char*>(page) + format::kValueHeaderBytes, used);
      }
      remaining -= used;
      from = n;
      n = format::ValueNext(page);
    }
    if (n != 0) {
      return format::Damaged(from, chain + " goes on to page " + std::to_string(n) +
                                       " past the value's " + std::to_string(len) + " bytes");
    }
    return Status::Ok();
  }

  Result<std::string> ReadValue(PageNo owner, PageNo first, uint32_t len) {
    std::vector<PageNo> pages;
    std::string value;
    value.reserve(len);
    if (Status s = WalkValue(owner, first, len, &pages, &value); !s.ok()) return s;
    return value;
  }

  // Reuses a free page if there is one, else extends the store. The caller
  // overwrites the whole page.
  Result<PageNo> Allocate() {
    const uint8_t* meta = store_.Read(0);
    const PageNo head = format::Load64(meta + format::kMetaFreeHead);
    const uint64_t free_count = format::Load64(meta + format::kMetaFreeCount);
    if (head == 0) return store_.Extend();
    if (head >= store_.page_count()) {
      return format::Damaged(0, "the free list starts at page " + std::to_string(head) +
                                    ", beyond the " + std::to_string(store_.page_count()) +
                                    "-page store");
    }
    if (free_count == 0) return format::Damaged(0, "free page count is 0 but the list is not");
    const uint8_t* page = store_.Read(head);
    if (page[0] != format::kTypeFree) {
      return format::Damaged(head,
                             "on the free list but is a " + format::TypeName(page[0]) + " page");
    }
    const PageNo next = format::FreeNext(page);
    uint8_t* m = store_.Write(0);
    format::Store64(m + format::kMetaFreeHead, next);
    format::Store64(m + format::kMetaFreeCount, free_count - 1);
    return head;
  }

  // Pushes `n` on the free list; a later Allocate reuses it first.
  void Free(PageNo n) {
    const PageNo head = format::Load64(store_.Read(0) + format::kMetaFreeHead);
    format::InitFreePage(store_.Write(n), page_size_, head);
    uint8_t* m = store_.Write(0);
    format::Store64(m + format::kMetaFreeHead, n);
    format::Store64(m + format::kMetaFreeCount, format::Load64(m + format::kMetaFreeCount) + 1);
  }

  Result<PageNo> WriteValueChain(std::string_view value) {
    const std::size_t capacity = page_size_ - format::kValueHeaderBytes;
    std::vector<PageNo> pages;
    // Allocating every page first lets each page be written once, already
    // linked to the next.
    for (std::size_t done = 0; done < value.size(); done += capacity) {
      Result<PageNo> n = Allocate();
      if (!n.ok()) return n.status();
      pages.push_back(*n);
    }
    for (std::size_t i = 0; i < pages.size(); ++i) {
      const PageNo next = i + 1 < pages.size() ? pages[i + 1] : 0;
      format::InitValuePage(store_.Write(pages[i]), page_size_,
                            value.substr(i * capacity, capacity), next);
    }
    return pages.front();
  }

  // Removes the entry at `loc`, freeing its value chain, and unlinks and
  // frees its page if that was an overflow page and is now empty.
  Status Remove(const Location& loc) {
    if (loc.chained) {
      std::vector<PageNo> pages;
      if (Status s = WalkValue(loc.page, loc.first_value_page, loc.value_len, &pages, nullptr);
          !s.ok()) {
        return s;
      }
      for (PageNo n : pages) Free(n);
    }
    uint8_t* page = store_.Write(loc.page);
    format::RemoveEntry(page, loc.offset, loc.size);
    if (loc.prev != 0 && format::BucketEntryCount(page) == 0) {
      const PageNo next = format::BucketNext(page);
      format::SetBucketNext(store_.Write(loc.prev), next);
      Free(loc.page);
    }
    return Status::Ok();
  }

  // Adds an entry for `key`, known to be absent, to the first page of its
  // bucket chain with room, or to a new overflow page at the chain's end.
  Status Insert(std::string_view key, std::string_view value) {
    const bool chained = !StoresInline(page_size_, key.size(), value.size());
    const std::size_t size = format::EntrySize(key.size(), value.size(), chained);
    PageNo first_value_page = 0;
    if (chained) {
      Result<PageNo> first = WriteValueChain(value);
      if (!first.ok()) return first.status();
      first_value_page = *first;
    }
    PageNo target = 0;
    PageNo last = 0;
    Status s = WalkBucket(
        format::BucketPageOf(key, bucket_count_),
        [&](PageNo n, PageNo, const uint8_t* page, const std::vector<Entry>&, bool* stop) {
          last = n;
          if (format::BucketFreeBytes(page, page_size_) >= size) {
            target = n;
            *stop = true;
          }
          return Status::Ok();
        });
    if (!s.ok()) return s;
    if (target == 0) {
      Result<PageNo> n = Allocate();
      if (!n.ok()) return n.status();
      target = *n;
      format::InitBucketPage(store_.Write(target), page_size_);
      format::SetBucketNext(store_.Write(last), target);
    }
    format::AppendEntry(store_.Write(target), key, value, chained, first_value_page);
    return Status::Ok();
  }

  void AddToEntryCount(int64_t delta) {
    uint8_t* m = store_.Write(0);
    format::Store64(m + format::kMetaEntryCount,
                    format::Load64(m + format::kMetaEntryCount) + static_cast<uint64_t>(delta));
  }

  uint32_t bucket_count() const { return bucket_count_; }

 private:
  Index(PageStore& store, uint32_t bucket_count)
      : store_(store), page_size_(store.page_size()), bucket_count_(bucket_count) {}

  PageStore& store_;
  std::size_t page_size_;
  uint32_t bucket_count_;
};

}  // namespace

Status KvIndex::Format(PageStore& store, uint32_t bucket_count) {
  const std::size_t page_size = store.page_size();
  if (page_size < format::kMinPageSize || page_size > format::kMaxPageSize) {
    return Status::Error("pagejournal index: page size " + std::to_string(page_size) +
                         " is outside 1024..4294967295 bytes; pick another page size");
  }
  if (bucket_count == 0) {
    return Status::Error("pagejournal index: bucket count 0; an index needs at least one bucket");
  }
  if (store.page_count() != 0) {
    return Status::Error("pagejournal index: cannot format a store of " +
                         std::to_string(store.page_count()) + " pages; Format needs an empty one");
  }
  const PageNo meta = store.Extend();
  format::InitMetaPage(store.Write(meta), page_size, bucket_count);
  for (uint32_t b = 0; b < bucket_count; ++b) {
    const PageNo n = store.Extend();
    format::InitBucketPage(store.Write(n), page_size);
  }
  return Status::Ok();
}

Status KvIndex::Put(PageStore& store, std::string_view key, std::string_view value) {
  if (Status s = ValidateKey(key); !s.ok()) return s;
  if (value.size() > kMaxValueBytes) {
    return Status::Error("pagejournal index: value of " + std::to_string(value.size()) +
                         " bytes; values are at most 65536 bytes");
  }
  Result<Index> index = Index::Open(store);
  if (!index.ok()) return index.status();
  // Refuse before changing anything: an entry must fit an empty bucket page,
  // which with its value chained needs only the key and a page number.
  const std::size_t page_size = index->page_size();
  const bool chained = !StoresInline(page_size, key.size(), value.size());
  if (format::EntrySize(key.size(), value.size(), chained) >
      page_size - format::kBucketHeaderBytes) {
    const std::size_t max_key =
        page_size - format::kBucketHeaderBytes - format::EntrySize(0, 0, /*chained=*/true);
    return Status::Error("pagejournal index: a key of " + std::to_string(key.size()) +
                         " bytes does not fit a " + std::to_string(page_size) +
                         "-byte page; with this page size keys are at most " +
                         std::to_string(max_key) + " bytes");
  }
  Result<Location> loc = index->Find(key);
  if (!loc.ok()) return loc.status();
  if (loc->found) {
    if (Status s = index->Remove(*loc); !s.ok()) return s;
  } else {
    index->AddToEntryCount(+1);
  }
  return index->Insert(key, value);
}

Status KvIndex::Delete(PageStore& store, std::string_view key) {
  if (Status s = ValidateKey(key); !s.ok()) return s;
  Result<Index> index = Index::Open(store);
  if (!index.ok()) return index.status();
  Result<Location> loc = index->Find(key);
  if (!loc.ok()) return loc.status();
  if (!loc->found) return Status::Ok();
  if (Status s = index->Remove(*loc); !s.ok()) return s;
  index->AddToEntryCount(-1);
  return Status::Ok();
}

Result<std::optional<std::string>> KvIndex::Get(PageStore& store, std::string_view key) {
  if (Status s = ValidateKey(key); !s.ok()) return s;
  Result<Index> index = Index::Open(store);
  if (!index.ok()) return index.status();
  Result<Location> loc = index->Find(key);
  if (!loc.ok()) return loc.status();
  if (!loc->found) return std::optional<std::string>();
  if (!loc->chained) return std::optional<std::string>(std::string(loc->inline_value));
  Result<std::string> value = index->ReadValue(loc->page, loc->first_value_page, loc->value_len);
  if (!value.ok()) return value.status();
  return std::optional<std::string>(std::move(*value));
}

Status KvIndex::ForEach(
    PageStore& store,
    const std::function<void(std::string_view key, std::string_view value)>& visit) {
  Result<Index> index = Index::Open(store);
  if (!index.ok()) return index.status();
  // `visit` must not write to the store: the views it gets point into pages.
  for (uint32_t b = 0; b < index->bucket_count(); ++b) {
    Status s = index->WalkBucket(1 + PageNo{b}, [&](PageNo n, PageNo, const uint8_t*,
                                                    const std::vector<Entry>& entries, bool*) {
      for (const Entry& e : entries) {
        if (!e.chained) {
          visit(e.key, e.inline_value);
          continue;
        }
        Result<std::string> value = index->ReadValue(n, e.first_value_page, e.value_len);
        if (!value.ok()) return value.status();
        visit(e.key, *value);
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace crashlab::pagejournal
