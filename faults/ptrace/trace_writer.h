// The trace file and the two lists beside it (docs/trace-format.md), written
// by the recorder process on an O_APPEND descriptor: the records of one stop
// are gathered and appended with one write(2) before the tracee resumes, so
// every event is in the file before its call goes on, and a recorder
// SIGKILLed by crashlab leaves whole records (a torn last one at worst, which
// the reader drops).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "faults/trace.h"

namespace crashlab::ptrace {

// One event to append; seq is implied by its position.
struct Rec {
  faults::EventKind kind = faults::EventKind::kOpen;
  uint32_t thread = 0;
  uint64_t file = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string_view path, path2, data, name;
};

// The bytes of one record, body_len first (faults/trace_encoding.h).
std::string EncodeRecord(const Rec& rec);
// The header: magic, version, the case directory.
std::string EncodeHeader(const std::string& case_dir);

class TraceWriter {
 public:
  TraceWriter() = default;
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Opens `path` for appending (O_CREAT|O_APPEND|O_CLOEXEC) and writes the
  // header when the file is empty. False, with errno set, when it cannot.
  [[nodiscard]] bool Open(const std::string& path, const std::string& case_dir);
  // Adds `rec` to the records of this stop.
  void Append(const Rec& rec);
  // Writes the records gathered since the last Flush: before the tracee
  // that made them resumes (and before a live kill).
  void Flush();
  // The ".outside" list: a regular file opened for writing outside the case
  // dir (/dev, /proc and /sys are not state). At most 16 lines.
  void NoteWriteOutside(const std::string& abs);
  // The ".nospace" list: "ENOSPC|EDQUOT <bytes> <path>". At most 16 lines.
  void NoteNoSpace(int err, uint64_t bytes, const std::string& rel);

 private:
  void AppendLine(const std::string& list, int& noted, const std::string& line);

  int fd_ = -1;
  std::string path_;
  std::string pending_;
  int outside_noted_ = 0;
  int nospace_noted_ = 0;
};

}  // namespace crashlab::ptrace
