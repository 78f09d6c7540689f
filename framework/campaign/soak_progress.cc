#include "framework/campaign/soak_progress.h"

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include <fmt/format.h>

namespace crashlab {

using std::chrono::milliseconds;
using std::chrono::seconds;

Result<seconds> ParseDuration(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return Status::Error("--duration '" + text + "' " + why +
                         "; give hours, minutes and seconds as in 90s, 30m, 8h or 1h30m");
  };
  constexpr int64_t kMaxSeconds = 30 * 24 * 3600;
  const std::string units = "hms";
  const int64_t unit_seconds[] = {3600, 60, 1};
  int64_t total = 0;
  std::size_t next_unit = 0, pos = 0;
  if (text.empty()) return bad("is empty");
  while (pos < text.size()) {
    int64_t count = 0;
    const std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
      count = count * 10 + (text[pos++] - '0');
      if (count > kMaxSeconds) return bad("is longer than 30 days");
    }
    if (pos == start) return bad("is not a duration");
    if (pos == text.size()) return bad("has a number without a unit");
    const std::size_t unit = units.find(text[pos++]);
    if (unit == std::string::npos) return bad("has an unknown unit");
    if (unit < next_unit) return bad("repeats a unit or has them out of order");
    next_unit = unit + 1;
    total += count * unit_seconds[unit];
    if (total > kMaxSeconds) return bad("is longer than 30 days");
  }
  if (total == 0) return bad("is zero");
  return seconds(total);
}

std::string FormatDuration(milliseconds d) {
  const int64_t s = std::max<int64_t>(0, d.count()) / 1000;
  if (s >= 3600) return fmt::format("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

ProcessUsage ReadProcessUsage() {
  ProcessUsage usage;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    // "VmRSS:	    9876 kB"
    const auto kib = [&] { return std::stoll(line.substr(line.find(':') + 1)); };
    if (line.rfind("VmRSS:", 0) == 0) usage.rss_kib = kib();
    if (line.rfind("VmHWM:", 0) == 0) usage.hwm_kib = kib();
  }
  if (DIR* dir = opendir("/proc/self/fd")) {
    int entries = 0;
    while (const dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++entries;
    }
    closedir(dir);
    usage.open_fds = entries - 1;  // the directory stream's own descriptor
  }
  return usage;
}

std::string FormatUsage(const ProcessUsage& u) {
  return fmt::format("VmRSS {:.1f} MiB, VmHWM {:.1f} MiB, {} open descriptors",
                     static_cast<double>(u.rss_kib) / 1024, static_cast<double>(u.hwm_kib) / 1024,
                     u.open_fds);
}

SoakProgress::SoakProgress(std::FILE* out, bool in_place, milliseconds budget,
                           milliseconds elapsed_before)
    : out_(out), in_place_(in_place), budget_(budget), before_(elapsed_before) {}

std::string SoakProgress::Line(milliseconds elapsed_here, const Counts& c) const {
  const milliseconds elapsed = before_ + elapsed_here;
  const double seconds_here = static_cast<double>(elapsed_here.count()) / 1000;
  const double rate = seconds_here > 0 ? static_cast<double>(c.cases_here) / seconds_here : 0;
  return fmt::format("soak {} of {}: {} cases, {:.1f} crash states/s, {} violation(s), {} left",
                     FormatDuration(elapsed), FormatDuration(budget_), c.cases, rate, c.violations,
                     FormatDuration(budget_ - elapsed + milliseconds(999)));  // rounded up
}

void SoakProgress::Update(milliseconds elapsed_here, const Counts& counts) {
  const milliseconds every = in_place_ ? milliseconds(250) : milliseconds(60000);
  if (last_shown_.count() >= 0 && elapsed_here - last_shown_ < every) return;
  if (last_shown_.count() < 0 && !in_place_) {
    last_shown_ = elapsed_here;  // the first plain line comes a minute in
    return;
  }
  last_shown_ = elapsed_here;
  if (in_place_) {
    fmt::print(out_, "\r\033[K{}", Line(elapsed_here, counts));
    line_open_ = true;
  } else {
    // CI logs keep every line: the controller's memory and descriptors in
    // each show a leak as a trend.
    fmt::print(out_, "{}; controller {}\n", Line(elapsed_here, counts),
               FormatUsage(ReadProcessUsage()));
  }
  std::fflush(out_);
}

void SoakProgress::Print(const std::string& text) {
  Finish();
  fmt::print(out_, "{}", text);
  std::fflush(out_);
  last_shown_ = in_place_ ? milliseconds(-1) : last_shown_;  // redraw at once
}

void SoakProgress::Finish() {
  if (!line_open_) return;
  fmt::print(out_, "\r\033[K");
  std::fflush(out_);
  line_open_ = false;
}

}  // namespace crashlab
