// The page-level view one transaction of pagejournal has of the database:
// logical pages 0..page_count()-1 of page_size() bytes. The pager implements
// it (copy-on-write into the transaction's private pages); the index is
// written against it alone, so it can be tested on an in-memory store.
#pragma once

#include <cstddef>
#include <cstdint>

namespace crashlab::pagejournal {

using PageNo = uint64_t;

class PageStore {
 public:
  virtual ~PageStore() = default;
  virtual std::size_t page_size() const = 0;
  virtual PageNo page_count() const = 0;
  // Page `n` as this transaction sees it (its own writes included). Valid
  // until the next call to Write or Extend. n < page_count().
  virtual const uint8_t* Read(PageNo n) = 0;
  // A writable copy of page `n`, private to this transaction until commit.
  // Valid until the next call to Write or Extend. n < page_count().
  virtual uint8_t* Write(PageNo n) = 0;
  // Appends a zeroed page and returns its number (== the old page_count()).
  virtual PageNo Extend() = 0;
};

}  // namespace crashlab::pagejournal
