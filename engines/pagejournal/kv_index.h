// pagejournal's index: hashed buckets with overflow pages, over a PageStore.
//
// Page 0 is the meta page (magic, format version, bucket count, free-list
// head); pages 1..bucket_count are the bucket heads. An entry (key, value)
// lives in the bucket chosen by a fixed hash of the key (FNV-1a 64, so the
// layout is the same on every platform); a full bucket page links to an
// overflow page. A value too large to sit inline in a bucket page is stored
// in a chain of value pages, so a 64 KiB value spans many pages and a
// transaction that writes it changes many pages. Freed pages go to a free
// list threaded through page 0 and are reused before the store is extended.
//
// All functions act on the PageStore of one transaction; they are not
// thread-safe, and an error leaves that transaction's pages unusable (the
// caller aborts it).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engines/pagejournal/page_store.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal {

inline constexpr std::size_t kMaxKeyBytes = 1024;
inline constexpr std::size_t kMaxValueBytes = 64 * 1024;

class KvIndex {
 public:
  // Writes the meta page and `bucket_count` empty bucket pages into an empty
  // store (page_count() == 0). page_size must be at least 1024.
  [[nodiscard]] static Status Format(PageStore& store, uint32_t bucket_count);

  // Inserts or replaces. Errors: key empty or longer than kMaxKeyBytes (or
  // than an entry can hold on one page: 985 bytes with 1 KiB pages), value
  // longer than kMaxValueBytes, a damaged page.
  [[nodiscard]] static Status Put(PageStore& store, std::string_view key, std::string_view value);
  // Removes `key` if present (absent is not an error).
  [[nodiscard]] static Status Delete(PageStore& store, std::string_view key);
  [[nodiscard]] static Result<std::optional<std::string>> Get(PageStore& store,
                                                              std::string_view key);
  // Calls `visit` once per entry, in an unspecified but deterministic order.
  // The views point into pages: `visit` must not change the store.
  [[nodiscard]] static Status ForEach(
      PageStore& store,
      const std::function<void(std::string_view key, std::string_view value)>& visit);
  // Walks every structure and says what is wrong: bad magic, a bucket or value
  // chain that loops or leaves the store, an entry in the wrong bucket, a key
  // twice, a page reachable twice, a page neither reachable nor free.
  [[nodiscard]] static Status Check(PageStore& store);
};

}  // namespace crashlab::pagejournal
