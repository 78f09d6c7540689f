// The block log of one engine run under the block-level recorder
// (docs/recorders.md): what the file system under the engine asked of its
// disk, in the order the disk completed it. crashlab-blockdev, the FUSE
// daemon whose file a loop device serves to the file system, writes it; the
// block crash states (block_crash.h) are built from it.
//
// A record's position is its completion order: the daemon serves one
// request at a time, so every record before a flush had completed when the
// flush was asked for. Crash point p means records [0, p) completed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framework/base/status.h"

namespace crashlab::faults {

enum class BlockRecordKind : uint8_t {
  kWrite = 1,  // offset, data: a write the disk completed (not yet durable)
  kZero = 2,   // offset, length: a discard or write-zeroes (reads back as zeros)
  kFlush = 3,  // a cache flush (the loop driver's fsync of its file): all before it is durable
  kMark = 4,   // data: a line the controller wrote after reading a protocol reply
};

struct BlockRecord {
  BlockRecordKind kind = BlockRecordKind::kWrite;
  uint64_t offset = 0;
  uint64_t length = 0;  // kWrite: data.size()
  std::string data;     // kWrite: the bytes; kMark: the line
};

// The disk as it was before the run (the file system mkfs made), kept as
// its blocks that are not all zeros, and what the run did to it.
struct BlockLog {
  uint64_t image_size = 0;        // bytes of the disk
  uint32_t sector = 4096;         // the disk's logical sector: it writes a sector all or nothing
  std::vector<BlockRecord> base;  // kWrite records: the image before the run
  std::vector<BlockRecord> records;
};

// The file format: "CLBLOG1\n", then little-endian u64 image size and u32
// sector; then records, each a u8 kind, a u8 flag (1: part of the base
// image), u64 offset, u64 length, and `length` bytes for kWrite and kMark.
inline constexpr std::string_view kBlockLogMagic = "CLBLOG1\n";

// Appends records to a block log file, buffered; Finish writes what is left.
class BlockLogWriter {
 public:
  // Opens a new file at `path` (truncating) and writes its header.
  [[nodiscard]] Status Open(const std::string& path, uint64_t image_size, uint32_t sector);
  void Write(uint64_t offset, std::string_view data, bool base = false);
  void Zero(uint64_t offset, uint64_t length);
  void Flush();
  void Mark(std::string_view line);
  [[nodiscard]] Status Finish();
  ~BlockLogWriter();

 private:
  void Append(BlockRecordKind kind, bool base, uint64_t offset, uint64_t length,
              std::string_view data);
  void Drain();
  int fd_ = -1;
  std::string buffer_;
  std::string error_;
  std::string path_;
};

// One line for a record: "write 8192 bytes at 1052672 (sectors 257-258)",
// "zero 4096 bytes at 0", "flush", "mark: ok".
std::string DescribeBlockRecord(const BlockRecord& r, uint32_t sector);

// Reads the block log at `path` (or its bytes); an error names a damaged or
// truncated file.
[[nodiscard]] Result<BlockLog> ReadBlockLog(const std::string& path);
[[nodiscard]] Result<BlockLog> ParseBlockLog(std::string_view bytes, const std::string& what);

}  // namespace crashlab::faults
