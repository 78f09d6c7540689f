// Test support: builds traces event by event, for the persistence model's
// tests.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "faults/trace.h"

namespace crashlab::faults {

// An event of `kind` on `file`; the builders below fill in the rest.
inline Event Ev(EventKind kind, uint64_t file) {
  Event e;
  e.kind = kind;
  e.file = file;
  return e;
}

// Builds a trace event by event; each call returns the new event's index.
class TraceBuilder {
 public:
  uint64_t Add(Event e) {
    e.seq = trace_.events.size();
    trace_.events.push_back(std::move(e));
    return trace_.events.size() - 1;
  }
  uint64_t Open(const std::string& path, uint64_t file, uint32_t flags = 0) {
    Event e = Ev(EventKind::kOpen, file);
    e.flags = flags;
    e.path = path;
    return Add(e);
  }
  uint64_t Create(const std::string& path, uint64_t file, uint32_t flags = 0) {
    return Open(path, file, flags | kOpenCreated);
  }
  uint64_t OpenDir(const std::string& path, uint64_t file) {
    return Open(path, file, kOpenDirectory);
  }
  uint64_t Write(uint64_t file, uint64_t offset, const std::string& data, uint32_t flags = 0) {
    Event e = Ev(EventKind::kWrite, file);
    e.flags = flags;
    e.offset = offset;
    e.length = data.size();
    e.data = data;
    return Add(e);
  }
  uint64_t MapWrite(uint64_t file, uint64_t offset, const std::string& data) {
    Event e = Ev(EventKind::kMapWrite, file);
    e.offset = offset;
    e.length = data.size();
    e.data = data;
    return Add(e);
  }
  uint64_t Sync(EventKind kind, uint64_t file, uint64_t offset = 0, uint64_t length = 0) {
    Event e = Ev(kind, file);
    e.offset = offset;
    e.length = length;
    return Add(e);
  }
  uint64_t Rename(const std::string& from, const std::string& to, uint64_t file) {
    Event e = Ev(EventKind::kRename, file);
    e.path = from;
    e.path2 = to;
    return Add(e);
  }
  uint64_t Unlink(const std::string& path, uint64_t file) {
    Event e = Ev(EventKind::kUnlink, file);
    e.path = path;
    return Add(e);
  }
  uint64_t Mkdir(const std::string& path, uint64_t file) {
    Event e = Ev(EventKind::kMkdir, file);
    e.path = path;
    return Add(e);
  }
  const Trace& trace() const { return trace_; }
  uint64_t end() const { return trace_.events.size(); }

 private:
  Trace trace_;
};

}  // namespace crashlab::faults
