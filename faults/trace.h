// The I/O trace of one engine run, in memory: every call that creates,
// writes, syncs, resizes, maps, renames or removes a file under the case
// directory, the engine's named points and its protocol replies, in the
// order they happened. libcrashlab_preload.so writes it (trace_file.h holds
// the binary format); the crash-state builder reads it.
//
// Crash point c means: events [0, c) have completed and event c, if any, was
// in flight (a write in flight may tear, even an O_DSYNC one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crashlab::faults {

enum class EventKind : uint8_t {
  kOpen = 1,       // path, file, flags; creates the file when kOpenCreated is set
  kClose = 2,      // file
  kWrite = 3,      // file, offset, data (pwrite, write, writev...; append resolved to an offset)
  kTruncate = 4,   // file, length = new size (ftruncate, O_TRUNC)
  kFallocate = 5,  // file, offset, length (size grows when past the end, unless KEEP_SIZE in flags)
  kFsync = 6,      // file (a directory's file id when fsync is on a directory)
  kFdatasync = 7,  // file
  kSyncRange = 8,  // file, offset, length (0: to end of file); sync_file_range, WRITE|WAIT_AFTER;
                   // no durability barrier (docs/persistence-model.md)
  kSyncAll = 9,    // sync(), syncfs(): everything durable
  kMapWrite = 10,  // file, offset, data: pages changed through a shared writable mapping
  kMsync = 11,     // file, offset, length: MS_SYNC on a mapped range
  kRename = 12,    // path -> path2 (file is the renamed file's id)
  kUnlink = 13,    // path (file is the removed file's id)
  kLink = 14,      // path -> path2
  kMkdir = 15,     // path, file = the new directory's id
  kRmdir = 16,     // path
  kPoint = 17,     // name: a named fault point fired
  kReply = 18,     // name: a protocol reply line the engine wrote ("ok", "err ...")
};

// Open flags that matter to durability, as recorded (not the host's values).
enum OpenFlag : uint32_t {
  kOpenCreated = 1u << 0,  // the open created the file
  kOpenDirect = 1u << 1,   // O_DIRECT
  kOpenDsync = 1u << 2,    // O_DSYNC
  kOpenSync = 1u << 3,     // O_SYNC
  kOpenAppend = 1u << 4,   // O_APPEND
  kOpenTrunc = 1u << 5,    // O_TRUNC
  kOpenDirectory = 1u << 6,
};

struct Event {
  uint64_t seq = 0;     // position in the trace, from 0
  uint32_t thread = 0;  // the engine thread, numbered in order of first event
  EventKind kind = EventKind::kOpen;
  uint64_t file = 0;   // file identity: stable for the run (one per inode)
  uint32_t flags = 0;  // OpenFlag bits for kOpen; the write's own fd flags for kWrite
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string path;   // relative to the case directory
  std::string path2;  // rename and link target
  std::string data;   // bytes written (kWrite, kMapWrite)
  std::string name;   // point name or reply line
};

// Whether the tracer appends events of `kind` before the call they record
// runs: writes are (a crash during the call finds them in flight); every
// other event is appended once its call has taken effect. So a process killed
// right after appending event c (live mode) leaves the directory of events
// [0, c) when c is a write, and of [0, c] otherwise.
constexpr bool RecordedBeforeItsCall(EventKind kind) { return kind == EventKind::kWrite; }

// Beside the trace at P, the tracer lists at P + kOutsideSuffix, one absolute
// path per line, the regular files the engine opened for writing outside its
// case directory: a crash of that directory does not reach them, so crash
// states built from the trace would be fiction.
inline constexpr char kOutsideSuffix[] = ".outside";

// Beside the trace at P, the tracer lists at P + kNoSpaceSuffix the traced
// writes that failed because the file system was full or a quota was
// exhausted, one line each: "ENOSPC|EDQUOT <bytes> <path relative to the case
// directory>". The trace records such a write before its call, as if it had
// landed; a case that met one judges how the engine copes with a full disk,
// not how it recovers from a crash, so it has no verdict.
inline constexpr char kNoSpaceSuffix[] = ".nospace";

struct Trace {
  uint32_t version = 1;
  std::string case_dir;  // the absolute directory the run was confined to
  std::vector<Event> events;
};

}  // namespace crashlab::faults
