// KvIndex::Check: walks every structure of the index and reports the first
// thing that is wrong, naming the page. Kept apart from kv_index.cc because
// it trusts nothing the writer may assume: every page is claimed once, by one
// structure, and a page claimed twice is a loop or a shared page.
#include <string>
#include <unordered_set>
#include <vector>

#include "engines/pagejournal/kv_index.h"
#include "engines/pagejournal/page_format.h"

namespace crashlab::pagejournal {
namespace {

using format::Damaged;
using format::Entry;

// Which structure reached a page, and through which page.
struct Reach {
  enum Role : uint8_t { kNone, kMeta, kBucket, kValue, kFree };
  Role role = kNone;
  PageNo chain = 0;  // kBucket: the bucket index; kValue: the chain's first page
  PageNo from = 0;   // the page that links here; 0 for the meta page and chain heads
};

// A key as it can be shown in a message: printable ASCII kept, other bytes as
// \xNN, long keys cut.
std::string Printable(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < key.size() && i < 40; ++i) {
    const auto c = static_cast<uint8_t>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  out += key.size() > 40 ? "'..." : "'";
  return out;
}

class Checker {
 public:
  Checker(PageStore& store, const format::Meta& meta)
      : store_(store), meta_(meta), reach_(store.page_count()) {}

  Status Run() {
    reach_[0] = {Reach::kMeta, 0, 0};
    // Heads first, so a chain that wanders into another bucket's head is
    // reported as reaching that head, whichever bucket is walked first.
    for (uint32_t b = 0; b < meta_.bucket_count; ++b) reach_[1 + b] = {Reach::kBucket, b, 0};
    for (uint32_t b = 0; b < meta_.bucket_count; ++b) {
      if (Status s = CheckBucket(b); !s.ok()) return s;
    }
    if (entries_ != meta_.entry_count) {
      return Damaged(0, "entry count says " + std::to_string(meta_.entry_count) +
                            " but the buckets hold " + std::to_string(entries_));
    }
    if (Status s = CheckFreeList(); !s.ok()) return s;
    for (PageNo n = 1; n < reach_.size(); ++n) {
      if (reach_[n].role != Reach::kNone) continue;
      return Damaged(n, "neither reachable nor on the free list (a leaked " +
                            format::TypeName(store_.Read(n)[0]) + " page)");
    }
    return Status::Ok();
  }

 private:
  // How `r` reached its page, for messages.
  static std::string Via(const Reach& r) {
    const std::string from = "from page " + std::to_string(r.from);
    switch (r.role) {
      case Reach::kMeta:
        return "as the meta page";
      case Reach::kBucket:
        return r.from == 0 ? "as the head of bucket " + std::to_string(r.chain)
                           : from + " in bucket " + std::to_string(r.chain) + "'s chain";
      case Reach::kValue:
        return from + " in the value chain starting at page " + std::to_string(r.chain);
      case Reach::kFree:
        return r.from == 0 ? "as the head of the free list" : from + " on the free list";
      case Reach::kNone:
        break;
    }
    return "from nowhere";
  }

  // The structure `r` belongs to, for messages that already name r.from.
  static std::string Where(const Reach& r) {
    switch (r.role) {
      case Reach::kBucket:
        return "in bucket " + std::to_string(r.chain) + "'s chain";
      case Reach::kValue:
        return "in the value chain starting at page " + std::to_string(r.chain);
      case Reach::kFree:
        return r.from == 0 ? "as the free-list head" : "on the free list";
      case Reach::kMeta:
      case Reach::kNone:
        break;
    }
    return "";
  }

  // Records that `r` reaches page `n`. Errors: `n` outside the store, or
  // already reached (by the same chain: a loop; else a shared page).
  Status Claim(PageNo n, const Reach& r) {
    if (n >= reach_.size()) {
      return Damaged(r.from, "links to page " + std::to_string(n) + ", beyond the " +
                                 std::to_string(reach_.size()) + "-page store (" + Where(r) + ")");
    }
    Reach& old = reach_[n];
    if (old.role == Reach::kNone) {
      old = r;
      return Status::Ok();
    }
    if (old.role == r.role && old.chain == r.chain) {
      return Damaged(n, "the chain loops back to this page " + Via(r));
    }
    return Damaged(n, "reachable twice: " + Via(old) + ", and " + Via(r));
  }

  Status CheckBucket(uint32_t b) {
    const PageNo head = 1 + PageNo{b};
    std::unordered_set<std::string> keys;
    PageNo n = head;
    while (true) {
      const uint8_t* page = store_.Read(n);
      Result<std::vector<Entry>> entries = format::DecodeBucketPage(page, store_.page_size(), n);
      if (!entries.ok()) return entries.status();
      if (n != head && entries->empty()) {
        return Damaged(n, "overflow page of bucket " + std::to_string(b) +
                              " holds no entries; Delete unlinks such pages");
      }
      for (const Entry& e : *entries) {
        const PageNo home = format::BucketPageOf(e.key, meta_.bucket_count);
        if (home != head) {
          return Damaged(n, "key " + Printable(e.key) + " hashes to bucket " +
                                std::to_string(home - 1) + " but is in bucket " +
                                std::to_string(b) + "'s chain");
        }
        if (!keys.emplace(e.key).second) {
          return Damaged(
              n, "key " + Printable(e.key) + " appears twice in bucket " + std::to_string(b));
        }
        if (e.chained) {
          if (Status s = CheckValueChain(n, e); !s.ok()) return s;
        }
        ++entries_;
      }
      const PageNo next = format::BucketNext(page);
      if (next == 0) return Status::Ok();
      if (Status s = Claim(next, {Reach::kBucket, b, n}); !s.ok()) return s;
      n = next;
    }
  }

  // The value chain of entry `e` in bucket page `owner`.
  Status CheckValueChain(PageNo owner, const Entry& e) {
    const std::string chain = "the value chain of key " + Printable(e.key);
    if (e.value_len == 0) return Damaged(owner, chain + " is chained but empty");
    const std::size_t capacity = store_.page_size() - format::kValueHeaderBytes;
    std::size_t remaining = e.value_len;
    PageNo from = owner;
    PageNo n = e.first_value_page;
    while (remaining > 0) {
      if (n == 0) {
        return Damaged(from, chain + " ends " + std::to_string(remaining) + " bytes short of its " +
                                 std::to_string(e.value_len));
      }
      if (Status s = Claim(n, {Reach::kValue, e.first_value_page, from}); !s.ok()) return s;
      const uint8_t* page = store_.Read(n);
      if (page[0] != format::kTypeValue) {
        return Damaged(n, "expected a value page of " + chain + ", found a " +
                              format::TypeName(page[0]) + " page");
      }
      const uint32_t used = format::ValueUsed(page);
      if (used == 0 || used > capacity || used > remaining) {
        return Damaged(n, "value page holds " + std::to_string(used) + " bytes, with " +
                              std::to_string(remaining) + " of " + chain + " left");
      }
      remaining -= used;
      from = n;
      n = format::ValueNext(page);
    }
    if (n != 0) {
      return Damaged(from, chain + " goes on to page " + std::to_string(n) + " past its " +
                               std::to_string(e.value_len) + " bytes");
    }
    return Status::Ok();
  }

  Status CheckFreeList() {
    uint64_t count = 0;
    PageNo from = 0;
    for (PageNo n = meta_.free_head; n != 0;) {
      if (Status s = Claim(n, {Reach::kFree, 0, from}); !s.ok()) return s;
      const uint8_t* page = store_.Read(n);
      if (page[0] != format::kTypeFree) {
        return Damaged(n, "on the free list but is a " + format::TypeName(page[0]) + " page");
      }
      ++count;
      from = n;
      n = format::FreeNext(page);
    }
    if (count != meta_.free_count) {
      return Damaged(0, "free page count says " + std::to_string(meta_.free_count) +
                            " but the free list holds " + std::to_string(count));
    }
    return Status::Ok();
  }

  PageStore& store_;
  const format::Meta meta_;
  std::vector<Reach> reach_;  // indexed by page number
  uint64_t entries_ = 0;
};

}  // namespace

Status KvIndex::Check(PageStore& store) {
  if (store.page_count() == 0) {
    return Status::Error("pagejournal index: the store has no pages; run KvIndex::Format first");
  }
  Result<format::Meta> meta =
      format::DecodeMeta(store.Read(0), store.page_size(), store.page_count());
  if (!meta.ok()) return meta.status();
  return Checker(store, *meta).Run();
}

}  // namespace crashlab::pagejournal
