// What a soak shows while it runs: the time budget as typed (--duration),
// the controller's own footprint (memory, descriptors), and the progress
// line, rewritten in place on a terminal and printed once a minute
// otherwise (CI logs).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "framework/base/status.h"

namespace crashlab {

// Parses a duration such as "90s", "30m", "8h" or "1h30m": one or more
// <count><unit> parts, units h, m and s in that order, each at most once.
// Errors (a message naming the accepted forms): anything else, a zero total,
// or more than 30 days.
[[nodiscard]] Result<std::chrono::seconds> ParseDuration(const std::string& text);

// "1h02m03s", "4m05s", "7s": whole seconds, leading zero parts left out.
std::string FormatDuration(std::chrono::milliseconds d);

// The controller's footprint, from /proc/self: resident memory now and at
// its peak (VmRSS, VmHWM, in KiB), and open file descriptors. -1 where
// /proc cannot be read.
struct ProcessUsage {
  int64_t rss_kib = -1, hwm_kib = -1;
  int open_fds = -1;
};
ProcessUsage ReadProcessUsage();
// "VmRSS 9.8 MiB, VmHWM 10.1 MiB, 7 open descriptors"
std::string FormatUsage(const ProcessUsage& usage);

// The progress of a soak. On a terminal one line is rewritten in place
// (carriage return, line cleared) at most four times a second; elsewhere a
// plain line is printed once a minute. Not thread-safe.
class SoakProgress {
 public:
  struct Counts {
    int64_t cases = 0;       // cases recorded by the whole soak, resumes included
    int64_t cases_here = 0;  // cases recorded by this run of the controller
    int64_t violations = 0;  // by the whole soak
  };
  // `budget` is the soak's duration; `elapsed` what earlier runs of the
  // soak (before a resume) already spent of it.
  SoakProgress(std::FILE* out, bool in_place, std::chrono::milliseconds budget,
               std::chrono::milliseconds elapsed_before);
  // Shows the progress if it is time to; `elapsed_here` is this run's time.
  void Update(std::chrono::milliseconds elapsed_here, const Counts& counts);
  // Prints `text` (whole lines) without mixing it into the progress line.
  void Print(const std::string& text);
  // Clears the in-place line, if any, before the closing summary.
  void Finish();
  // The text of one progress report.
  std::string Line(std::chrono::milliseconds elapsed_here, const Counts& counts) const;

 private:
  std::FILE* out_;
  bool in_place_;
  std::chrono::milliseconds budget_, before_;
  std::chrono::milliseconds last_shown_{-1};
  bool line_open_ = false;
};

}  // namespace crashlab
