#include "faults/event_text.h"

#include <string_view>

#include <fmt/format.h>

#include "faults/trace_file.h"

namespace crashlab {
namespace {

// The first `limit` bytes of `bytes`, printable ASCII kept, the rest escaped.
std::string Escaped(std::string_view bytes, std::size_t limit = 32) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (bytes.size() > limit) out += "...";
  return out;
}

}  // namespace

std::string DescribeEvent(const faults::Event& e) {
  using faults::EventKind;
  std::string line = fmt::format("{:>6} t{:<2} {:<10}", e.seq, e.thread, EventKindName(e.kind));
  switch (e.kind) {
    case EventKind::kPoint:
    case EventKind::kReply:
      return line + " " + e.name;
    case EventKind::kSyncAll:
      return line;
    default:
      break;
  }
  line += fmt::format(" file {} {}", e.file, e.path.empty() ? "?" : e.path);
  if (!e.path2.empty()) line += " -> " + e.path2;
  switch (e.kind) {
    case EventKind::kOpen:
      line += " " + faults::OpenFlagsText(e.flags);
      break;
    case EventKind::kWrite:
    case EventKind::kMapWrite:
      line += fmt::format(" @{} +{}", e.offset, e.data.size());
      if (e.kind == EventKind::kWrite) line += " " + faults::OpenFlagsText(e.flags);
      line += " \"" + Escaped(e.data) + "\"";
      break;
    case EventKind::kTruncate:
      line += fmt::format(" size {}", e.length);
      break;
    case EventKind::kSyncRange:
      // sync_file_range(2): a length of 0 means from the offset to the end
      // of the file, whatever its size then.
      if (e.length == 0) {
        line += fmt::format(" @{} to end of file", e.offset);
      } else {
        line += fmt::format(" @{} +{}", e.offset, e.length);
      }
      break;
    case EventKind::kFallocate:
    case EventKind::kMsync:
      line += fmt::format(" @{} +{}", e.offset, e.length);
      if (e.kind == EventKind::kFallocate && e.flags != 0) line += fmt::format(" mode {}", e.flags);
      break;
    case EventKind::kRename:
      if (e.flags != 0) line += fmt::format(" flags {}", e.flags);
      break;
    default:
      break;
  }
  return line;
}

}  // namespace crashlab
