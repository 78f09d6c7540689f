#include "framework/case/outcome_text.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "faults/trace_file.h"

namespace crashlab {

std::string DescribeOutcomes(const faults::CrashReport& report,
                             const std::map<uint64_t, std::string>& paths, std::size_t max_deciding,
                             std::size_t max_others) {
  std::map<std::string, int> counts;
  // With its event, so that writes and names interleave in trace order.
  std::vector<std::pair<uint64_t, std::string>> deciding, others;
  for (const faults::WriteOutcome& w : report.writes) {
    const std::string fate = w.fate == faults::WriteFate::kSurvived   ? "survived"
                             : w.fate == faults::WriteFate::kVanished ? "vanished"
                                                                      : "torn " + w.units;
    ++counts[fate.substr(0, fate.find(' '))];
    auto path = paths.find(w.file);
    std::string line =
        fmt::format("  event {} {} file {} ({}): {}", w.event, faults::EventKindName(w.kind),
                    w.file, path == paths.end() ? "?" : path->second, fate);
    (w.fate == faults::WriteFate::kSurvived ? others : deciding)
        .emplace_back(w.event, std::move(line));
  }
  for (const faults::NameOutcome& n : report.names) {
    ++counts[n.kept ? "name kept" : "name reverted"];
    // The case directory itself, made by the engine: its parent lies outside
    // the trace, so the model holds its mkdir pending, but a crash state
    // always has the directory, reverted or not.
    const bool root = n.kind == faults::EventKind::kMkdir && (n.path == "." || n.path.empty());
    std::string line =
        fmt::format("  event {} {} {}{}: {}", n.event, faults::EventKindName(n.kind), n.path,
                    n.path2.empty() ? "" : " -> " + n.path2,
                    n.kept ? "kept"
                    : root ? "reverted, which changes nothing: a crash state has its root"
                           : "reverted");
    (n.kept || root ? others : deciding).emplace_back(n.event, std::move(line));
  }
  auto by_event = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::stable_sort(deciding.begin(), deciding.end(), by_event);
  std::stable_sort(others.begin(), others.end(), by_event);

  std::string summary;
  for (const auto& [what, n] : counts) {
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, what);
  }
  std::string out = fmt::format("what the power loss did to the changes not yet durable ({}):\n",
                                summary.empty() ? "none pending" : summary);
  if (!deciding.empty()) {
    out += fmt::format(" the {} that made the crash state differ from the trace:\n",
                       deciding.size() == 1 ? "one" : std::to_string(deciding.size()));
  }
  for (std::size_t i = 0; i < deciding.size() && i < max_deciding; ++i) {
    out += deciding[i].second + "\n";
  }
  if (deciding.size() > max_deciding) {
    out += fmt::format("  ... and {} more\n", deciding.size() - max_deciding);
  }
  if (!others.empty()) {
    const std::size_t shown = std::min(others.size(), max_others);
    out += fmt::format(" the other {} came through as the trace has them{}:\n", others.size(),
                       shown == others.size() ? "" : fmt::format("; the {} last", shown));
    if (shown < others.size()) {
      out += fmt::format("  ... {} earlier ones\n", others.size() - shown);
    }
    for (std::size_t i = others.size() - shown; i < others.size(); ++i) {
      out += others[i].second + "\n";
    }
  }
  return out;
}

}  // namespace crashlab
