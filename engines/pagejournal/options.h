// The command line of crashlab-engine-pagejournal: sizes, flush policy and the
// deliberate bug a variant carries (variants.ini names one per --bug).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framework/base/status.h"

namespace crashlab::pagejournal {

// Each deliberate bug breaks one step of the ordering argument in
// docs/engines/pagejournal.md; kNone is the correct engine.
enum class Bug {
  kNone,
  kJournalNoSync,             // journal written buffered and never synced
  kCheckpointBeforeDataSync,  // checkpoint written before the data file sync
  kRecycledJournalStale,      // replay skips the transaction-id continuity check
  kNoChecksum,                // replay trusts record headers
  kSingleHeader,              // checkpoint rewritten in place in header.a alone
  kNewJournalNoDirsync,       // a new journal's directory entry is never synced
  kRecoverFromScratch,        // recovery applies scratch slots, not the journal
  kAckBeforeJournal,          // the journal write is deferred past the ack
};

struct Options {
  uint32_t page_size = 4096;                // --page-size, power of two 1024..65536
  uint64_t journal_size = 4 * 1024 * 1024;  // --journal-size, multiple of 4096
  uint32_t flush_every = 0;                 // --flush-every; 0 = background flusher
  uint32_t flush_interval_ms = 20;          // --flush-interval-ms (background)
  uint64_t flush_threshold_pages = 1024;    // --flush-threshold-pages (background)
  uint32_t buckets = 16;                    // --buckets, for a new store
  Bug bug = Bug::kNone;                     // --bug
};

// Usage text, one option per line.
extern const char kUsage[];

// The --bug word of `bug` ("none" for kNone).
std::string_view BugName(Bug bug);

// Parses the arguments (without argv[0]); each option is `--name=value` or
// `--name value`, and a later one overrides an earlier one. An unknown option,
// a missing or malformed value, or one out of range is an error naming it.
[[nodiscard]] Result<Options> ParseOptions(const std::vector<std::string>& args);

}  // namespace crashlab::pagejournal
