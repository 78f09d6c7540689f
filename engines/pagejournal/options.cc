#include "engines/pagejournal/options.h"

#include <array>
#include <charconv>
#include <utility>

namespace crashlab::pagejournal {
namespace {

constexpr std::array<std::pair<Bug, std::string_view>, 9> kBugNames = {{
    {Bug::kNone, "none"},
    {Bug::kJournalNoSync, "journal-no-sync"},
    {Bug::kCheckpointBeforeDataSync, "checkpoint-before-data-sync"},
    {Bug::kRecycledJournalStale, "recycled-journal-stale"},
    {Bug::kNoChecksum, "no-checksum"},
    {Bug::kSingleHeader, "single-header"},
    {Bug::kNewJournalNoDirsync, "new-journal-no-dirsync"},
    {Bug::kRecoverFromScratch, "recover-from-scratch"},
    {Bug::kAckBeforeJournal, "ack-before-journal"},
}};

Result<uint64_t> ParseNumber(std::string_view name, std::string_view text, uint64_t min,
                             uint64_t max) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return Status::Error("option --" + std::string(name) + ": '" + std::string(text) +
                         "' is not a whole number from " + std::to_string(min) + " to " +
                         std::to_string(max));
  }
  return value;
}

Result<Bug> ParseBug(std::string_view text) {
  std::string known;
  for (const auto& [bug, name] : kBugNames) {
    if (name == text) return bug;
    known += (known.empty() ? "" : "|") + std::string(name);
  }
  return Status::Error("option --bug: unknown bug '" + std::string(text) + "'; expected " + known);
}

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Applies one option; `name` without the leading dashes.
Status Apply(Options& o, std::string_view name, std::string_view value) {
  if (name == "page-size") {
    Result<uint64_t> v = ParseNumber(name, value, 1024, 65536);
    if (!v.ok()) return v.status();
    if (!IsPowerOfTwo(*v))
      return Status::Error("option --page-size: " + std::string(value) + " is not a power of two");
    o.page_size = static_cast<uint32_t>(*v);
  } else if (name == "journal-size") {
    Result<uint64_t> v = ParseNumber(name, value, 4096, uint64_t{1} << 40);
    if (!v.ok()) return v.status();
    if (*v % 4096 != 0)
      return Status::Error("option --journal-size: " + std::string(value) +
                           " is not a multiple of 4096 (O_DIRECT writes whole 4 KiB blocks)");
    o.journal_size = *v;
  } else if (name == "flush-every") {
    Result<uint64_t> v = ParseNumber(name, value, 0, 1000000);
    if (!v.ok()) return v.status();
    o.flush_every = static_cast<uint32_t>(*v);
  } else if (name == "flush-interval-ms") {
    Result<uint64_t> v = ParseNumber(name, value, 1, 60000);
    if (!v.ok()) return v.status();
    o.flush_interval_ms = static_cast<uint32_t>(*v);
  } else if (name == "flush-threshold-pages") {
    Result<uint64_t> v = ParseNumber(name, value, 1, uint64_t{1} << 30);
    if (!v.ok()) return v.status();
    o.flush_threshold_pages = *v;
  } else if (name == "buckets") {
    Result<uint64_t> v = ParseNumber(name, value, 1, 65536);
    if (!v.ok()) return v.status();
    o.buckets = static_cast<uint32_t>(*v);
  } else if (name == "bug") {
    Result<Bug> bug = ParseBug(value);
    if (!bug.ok()) return bug.status();
    o.bug = *bug;
  } else {
    return Status::Error("unknown option --" + std::string(name));
  }
  return Status::Ok();
}

}  // namespace

const char kUsage[] =
    "usage: crashlab-engine-pagejournal [options]   (speaks the engine protocol on stdin/stdout)\n"
    "  --page-size=N              page size in bytes, a power of two 1024..65536 (4096)\n"
    "  --journal-size=N           size of each journal file, a multiple of 4096 (4194304)\n"
    "  --flush-every=N            flush on the committing thread every N commits, with no\n"
    "                             background thread; 0 = background flusher (0)\n"
    "  --flush-interval-ms=N      background flusher period (20)\n"
    "  --flush-threshold-pages=N  wake the flusher when scratch holds N pages (1024)\n"
    "  --buckets=N                hash buckets of a new store (16)\n"
    "  --bug=NAME                 a deliberate bug: journal-no-sync, checkpoint-before-data-sync,\n"
    "                             recycled-journal-stale, no-checksum, single-header,\n"
    "                             new-journal-no-dirsync, recover-from-scratch, "
    "ack-before-journal\n";

std::string_view BugName(Bug bug) {
  for (const auto& [b, name] : kBugNames) {
    if (b == bug) return name;
  }
  return "?";
}

Result<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg.substr(0, 2) != "--" || arg.size() == 2)
      return Status::Error("unexpected argument '" + std::string(arg) +
                           "'; options are --name=value");
    const std::string_view body = arg.substr(2);
    const std::size_t eq = body.find('=');
    std::string_view name = body.substr(0, eq);
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = body.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::Error("option --" + std::string(name) + " needs a value");
    }
    if (Status s = Apply(o, name, value); !s.ok()) return s;
  }
  return o;
}

}  // namespace crashlab::pagejournal
