#include "reports/timeline.h"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "faults/event_text.h"
#include "reports/html.h"

namespace crashlab::report {
namespace {

using faults::Event;
using faults::EventKind;

constexpr int kLabelWidth = 190, kColumn = 18, kLane = 28, kTop = 26;

constexpr const char* kWriteColour = "#0969da";
constexpr const char* kSyncColour = "#1a7f37";
constexpr const char* kNameColour = "#57606a";
constexpr const char* kPointColour = "#8250df";

bool IsSync(EventKind k) {
  return k == EventKind::kFsync || k == EventKind::kFdatasync || k == EventKind::kSyncRange ||
         k == EventKind::kMsync || k == EventKind::kSyncAll;
}

bool IsWrite(EventKind k) { return k == EventKind::kWrite || k == EventKind::kMapWrite; }

// One letter of a torn write's unit map: N new, O old, Z zeroed, G garbage.
const char* UnitColour(char unit) {
  switch (unit) {
    case 'N':
      return kWriteColour;
    case 'O':
      return "#afb8c1";
    case 'Z':
      return "#ffffff";
    default:
      return "#24292f";
  }
}

// The lane an event belongs to: a file's id, or one of the shared lanes.
constexpr int64_t kPointsLane = -1, kRepliesLane = -2, kNamesLane = -3;

int64_t LaneOf(const Event& e) {
  switch (e.kind) {
    case EventKind::kPoint:
      return kPointsLane;
    case EventKind::kReply:
      return kRepliesLane;
    case EventKind::kSyncAll:
      return kPointsLane;
    case EventKind::kLink:
    case EventKind::kMkdir:
    case EventKind::kRmdir:
      return kNamesLane;
    default:
      return static_cast<int64_t>(e.file);
  }
}

std::string LaneName(int64_t lane, const std::map<uint64_t, std::string>& paths) {
  if (lane == kPointsLane) return "named points";
  if (lane == kRepliesLane) return "replies to crashlab";
  if (lane == kNamesLane) return "directories and links";
  auto it = paths.find(static_cast<uint64_t>(lane));
  return it == paths.end() || it->second.empty() ? fmt::format("file {}", lane) : it->second;
}

}  // namespace

std::string Timeline(const std::string& id, const faults::Trace& trace, const TimelineOptions& o) {
  const uint64_t n = trace.events.size();
  const uint64_t c = std::min<uint64_t>(o.crash_point, n);
  const uint64_t lo = c > static_cast<uint64_t>(o.before) ? c - o.before : 0;
  const uint64_t hi = std::min<uint64_t>(n, c + static_cast<uint64_t>(o.after));

  // Names of files as last opened or renamed before the window ends.
  std::map<uint64_t, std::string> paths;
  for (uint64_t i = 0; i < hi; ++i) {
    const Event& e = trace.events[i];
    if (e.kind == EventKind::kOpen && !e.path.empty()) paths[e.file] = e.path;
    if (e.kind == EventKind::kRename) paths[e.file] = e.path2;
    if (e.kind == EventKind::kMkdir) paths[e.file] = e.path + "/";
  }
  std::vector<int64_t> lanes;
  for (uint64_t i = lo; i < hi; ++i) {
    const int64_t lane = LaneOf(trace.events[i]);
    if (std::find(lanes.begin(), lanes.end(), lane) == lanes.end()) lanes.push_back(lane);
  }
  std::stable_sort(lanes.begin(), lanes.end(), [](int64_t a, int64_t b) {
    return (a >= 0) > (b >= 0);  // files first, shared lanes last
  });
  std::map<uint64_t, const faults::WriteOutcome*> fates;
  std::map<uint64_t, const faults::NameOutcome*> names;
  if (o.power_loss != nullptr) {
    for (const faults::WriteOutcome& w : o.power_loss->writes) fates[w.event] = &w;
    for (const faults::NameOutcome& m : o.power_loss->names) names[m.event] = &m;
  }

  const int width = kLabelWidth + static_cast<int>(hi - lo) * kColumn + 24;
  const int height = kTop + static_cast<int>(lanes.size()) * kLane + 8;
  std::string svg = fmt::format(
      "<svg class=\"chart timeline\" id=\"{}\" role=\"img\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" font-size=\"11\">",
      Escape(id), width, height, width, height);
  for (std::size_t l = 0; l < lanes.size(); ++l) {
    const int y = kTop + static_cast<int>(l) * kLane;
    svg += fmt::format(
        "<g class=\"lane\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d0d7de\"/>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></g>",
        kLabelWidth, y + kLane / 2, width - 8, y + kLane / 2, kLabelWidth - 6, y + kLane / 2 + 4,
        Escape(LaneName(lanes[l], paths)));
  }
  for (uint64_t i = lo; i < hi; ++i) {
    const Event& e = trace.events[i];
    const auto l = std::find(lanes.begin(), lanes.end(), LaneOf(e)) - lanes.begin();
    const int x = kLabelWidth + static_cast<int>(i - lo) * kColumn + 2;
    const int y = kTop + static_cast<int>(l) * kLane;
    const std::string title =
        fmt::format("<title>event {}: {}</title>", e.seq, Escape(DescribeEvent(e)));
    std::string shape;
    const auto fate = fates.find(i);
    // Events from the crash point on never happened, except the write in
    // flight there, which a power loss may have torn.
    const bool after = i >= c && fate == fates.end();
    if (IsWrite(e.kind) && fate != fates.end() && fate->second->fate == faults::WriteFate::kTorn) {
      const std::string& units = fate->second->units;
      const double w = static_cast<double>(kColumn - 4) / std::max<std::size_t>(units.size(), 1);
      for (std::size_t u = 0; u < units.size(); ++u) {
        shape += fmt::format(
            "<rect x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"16\" fill=\"{}\" "
            "stroke=\"#24292f\" stroke-width=\"0.5\"/>",
            x + w * u, y + 6, w, UnitColour(units[u]));
      }
      shape = "<g class=\"ev torn\">" + shape + title + "</g>";
    } else if (IsWrite(e.kind)) {
      const bool vanished =
          fate != fates.end() && fate->second->fate == faults::WriteFate::kVanished;
      shape = fmt::format(
          "<rect class=\"ev {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"{}\" "
          "stroke=\"{}\"{}>{}</rect>",
          vanished ? "vanished" : "write", x, y + 6, kColumn - 4, vanished ? "none" : kWriteColour,
          vanished ? "#cf222e" : kWriteColour,
          vanished ? " stroke-dasharray=\"3 2\" stroke-width=\"1.5\"" : "", title);
    } else if (IsSync(e.kind)) {
      shape = fmt::format(
          "<rect class=\"ev sync\" x=\"{}\" y=\"{}\" width=\"5\" height=\"{}\" fill=\"{}\">{}"
          "</rect>",
          x + (kColumn - 4) / 2 - 2, y + 2, kLane - 4, kSyncColour, title);
    } else if (e.kind == EventKind::kPoint) {
      shape =
          fmt::format("<path class=\"ev point\" d=\"M{} {} l6 12 l-12 0 z\" fill=\"{}\">{}</path>",
                      x + (kColumn - 4) / 2, y + 8, kPointColour, title);
    } else if (e.kind == EventKind::kReply) {
      const bool ok = e.name.rfind("ok", 0) == 0;
      shape = fmt::format(
          "<circle class=\"ev reply\" cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{}\">{}</circle>",
          x + (kColumn - 4) / 2, y + kLane / 2, ok ? kSyncColour : "#cf222e", title);
    } else {
      const auto name = names.find(i);
      const bool reverted = name != names.end() && !name->second->kept;
      shape = fmt::format(
          "<rect class=\"ev name{}\" x=\"{}\" y=\"{}\" width=\"8\" height=\"8\" fill=\"{}\" "
          "transform=\"rotate(45 {} {})\"{}>{}</rect>",
          reverted ? " reverted" : "", x + 3, y + 10, reverted ? "none" : kNameColour, x + 7,
          y + 14, reverted ? " stroke=\"#cf222e\" stroke-dasharray=\"2 1\"" : "", title);
    }
    svg += after ? "<g opacity=\"0.3\">" + shape + "</g>" : shape;
  }
  const int crash_x = kLabelWidth + static_cast<int>(c - lo) * kColumn;
  svg += fmt::format(
      "<g id=\"{}-crash\" class=\"crash-point\"><line x1=\"{}\" y1=\"14\" x2=\"{}\" y2=\"{}\" "
      "stroke=\"#cf222e\" stroke-width=\"2\"/><text x=\"{}\" y=\"11\" fill=\"#cf222e\" "
      "text-anchor=\"middle\">crash point {}</text></g>",
      Escape(id), crash_x, crash_x, height - 4, crash_x, c);
  svg += "</svg>";
  svg +=
      "<div class=\"legend\"><span><i class=\"swatch\" style=\"background:#0969da\"></i>write"
      "</span><span><i class=\"swatch\" style=\"border:1.5px dashed #cf222e\"></i>write lost in "
      "the power loss</span><span><i class=\"swatch\" style=\"background:linear-gradient(90deg,"
      "#0969da 50%,#afb8c1 50%)\"></i>torn write (new / old units)</span><span><i "
      "class=\"swatch\" style=\"background:#1a7f37\"></i>sync</span><span><i class=\"swatch\" "
      "style=\"background:#8250df\"></i>named point</span><span><i class=\"swatch\" "
      "style=\"background:#57606a\"></i>open, close, rename ...</span><span class=\"muted\">"
      "faded: after the crash point, never happened</span></div>";
  return svg;
}

}  // namespace crashlab::report
