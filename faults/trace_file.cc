#include "faults/trace_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "faults/trace_encoding.h"

namespace crashlab::faults {
namespace {

namespace enc = encoding;

void AppendU32(std::string& out, uint32_t v) {
  unsigned char b[4];
  enc::PutU32(b, v);
  out.append(reinterpret_cast<const char*>(b), 4);
}

Status Malformed(const std::string& path, std::size_t at, const std::string& what) {
  return Status::Error("trace file " + path + " is damaged at byte " + std::to_string(at) + ": " +
                       what + "; record the run again (the file is not a crashlab trace or was " +
                       "changed after it was written)");
}

bool KnownKind(uint8_t kind) {
  return kind >= static_cast<uint8_t>(EventKind::kOpen) &&
         kind <= static_cast<uint8_t>(EventKind::kReply);
}

}  // namespace

std::string EncodeTraceHeader(const std::string& case_dir) {
  std::string out(enc::kMagic, sizeof(enc::kMagic));
  AppendU32(out, enc::kVersion);
  AppendU32(out, static_cast<uint32_t>(case_dir.size()));
  out += case_dir;
  return out;
}

std::string EncodeEvent(const Event& event) {
  const std::string* strings[enc::kStringFields] = {&event.path, &event.path2, &event.data,
                                                    &event.name};
  uint64_t strings_size = 0;
  for (const std::string* s : strings) strings_size += s->size();
  enc::BodyFixed f;
  f.kind = static_cast<uint8_t>(event.kind);
  f.thread = event.thread;
  f.file = event.file;
  f.flags = event.flags;
  f.offset = event.offset;
  f.length = event.length;
  unsigned char prefix[4 + enc::kBodyFixedSize];
  enc::PutRecordPrefix(prefix, f, strings_size);
  std::string out(reinterpret_cast<const char*>(prefix), sizeof(prefix));
  for (const std::string* s : strings) {
    AppendU32(out, static_cast<uint32_t>(s->size()));
    out += *s;
  }
  return out;
}

Result<Trace> ParseTrace(const std::string& bytes, const std::string& path) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  if (n < enc::kHeaderFixedSize || std::memcmp(p, enc::kMagic, sizeof(enc::kMagic)) != 0) {
    return Status::Error("trace file " + path +
                         " does not start with the magic \"CLTRACE\\0\": it is not a crashlab "
                         "trace (or it is empty); pass the file named by CRASHLAB_TRACE");
  }
  Trace trace;
  trace.version = enc::GetU32(p + 8);
  if (trace.version == 0 || trace.version > enc::kVersion) {
    return Status::Error("trace file " + path + " has format version " +
                         std::to_string(trace.version) + " but this crashlab reads versions 1.." +
                         std::to_string(enc::kVersion) + "; use the crashlab that recorded it");
  }
  const uint32_t dir_len = enc::GetU32(p + 12);
  if (n - enc::kHeaderFixedSize < dir_len) return Malformed(path, 12, "case directory cut short");
  trace.case_dir = bytes.substr(enc::kHeaderFixedSize, dir_len);
  std::size_t at = enc::kHeaderFixedSize + dir_len;
  while (at < n) {
    // A record cut short by the end of the file is the torn last append of a
    // killed engine: everything before it is the trace.
    if (n - at < 4) break;
    const uint32_t body_len = enc::GetU32(p + at);
    if (n - at - 4 < body_len) break;
    const std::size_t body = at + 4;
    const std::size_t end = body + body_len;
    if (body_len < enc::kBodyFixedSize + 4 * enc::kStringFields) {
      return Malformed(path, at, "record shorter than its fixed fields");
    }
    const enc::BodyFixed f = enc::GetBodyFixed(p + body);
    std::size_t q = body + enc::kBodyFixedSize;
    std::string strings[enc::kStringFields];
    for (std::string& s : strings) {
      if (end - q < 4) return Malformed(path, q, "string length past the record");
      const uint32_t len = enc::GetU32(p + q);
      q += 4;
      if (end - q < len) return Malformed(path, q, "string past the end of its record");
      s.assign(bytes, q, len);
      q += len;
    }
    at = end;  // bytes after the known fields belong to a later version
    if (!KnownKind(f.kind)) continue;
    Event e;
    e.seq = trace.events.size();
    e.thread = f.thread;
    e.kind = static_cast<EventKind>(f.kind);
    e.file = f.file;
    e.flags = f.flags;
    e.offset = f.offset;
    e.length = f.length;
    e.path = std::move(strings[0]);
    e.path2 = std::move(strings[1]);
    e.data = std::move(strings[2]);
    e.name = std::move(strings[3]);
    trace.events.push_back(std::move(e));
  }
  return trace;
}

Result<Trace> ReadTraceFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Error("cannot open trace file " + path + ": " + std::strerror(errno) +
                         "; check the path (the engine writes it where CRASHLAB_TRACE says)");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::Error("cannot read trace file " + path + ": I/O error");
  return ParseTrace(buf.str(), path);
}

Status WriteTraceFile(const std::string& path, const Trace& trace) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << EncodeTraceHeader(trace.case_dir);
  for (const Event& e : trace.events) out << EncodeEvent(e);
  out.close();
  if (!out) {
    return Status::Error("cannot write trace file " + path +
                         "; check that its directory exists and is writable");
  }
  return Status::Ok();
}

const char* EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kOpen:
      return "open";
    case EventKind::kClose:
      return "close";
    case EventKind::kWrite:
      return "write";
    case EventKind::kTruncate:
      return "truncate";
    case EventKind::kFallocate:
      return "fallocate";
    case EventKind::kFsync:
      return "fsync";
    case EventKind::kFdatasync:
      return "fdatasync";
    case EventKind::kSyncRange:
      return "sync-range";
    case EventKind::kSyncAll:
      return "sync-all";
    case EventKind::kMapWrite:
      return "map-write";
    case EventKind::kMsync:
      return "msync";
    case EventKind::kRename:
      return "rename";
    case EventKind::kUnlink:
      return "unlink";
    case EventKind::kLink:
      return "link";
    case EventKind::kMkdir:
      return "mkdir";
    case EventKind::kRmdir:
      return "rmdir";
    case EventKind::kPoint:
      return "point";
    case EventKind::kReply:
      return "reply";
  }
  return "unknown";
}

std::string OpenFlagsText(uint32_t flags) {
  static constexpr struct {
    uint32_t bit;
    const char* word;
  } kWords[] = {{kOpenCreated, "created"},    {kOpenDirect, "O_DIRECT"}, {kOpenDsync, "O_DSYNC"},
                {kOpenSync, "O_SYNC"},        {kOpenAppend, "O_APPEND"}, {kOpenTrunc, "O_TRUNC"},
                {kOpenDirectory, "directory"}};
  std::string out;
  for (const auto& w : kWords) {
    if ((flags & w.bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += w.word;
  }
  return out.empty() ? "-" : out;
}

}  // namespace crashlab::faults
