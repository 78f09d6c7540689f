// The byte layout of a trace file (docs/trace-format.md), shared by the
// writer in libcrashlab_preload.so and the reader in trace_file.cc. Header
// only and free of allocation, so that the preload library can use it without
// linking crashlab's framework.
//
//   file   := header record*
//   header := magic "CLTRACE\0" (8) | version u32 | case_dir_len u32 | case_dir
//   record := body_len u32 | body
//   body   := kind u8 | thread u32 | file u64 | flags u32 | offset u64 | length u64
//             | (len u32, bytes) for path, path2, data, name   [| later fields]
//
// Every integer is little-endian. body_len lets a reader skip a record of a
// kind it does not know, and fields a later version appends to a body.
#pragma once

#include <cstddef>
#include <cstdint>

namespace crashlab::faults::encoding {

inline constexpr char kMagic[8] = {'C', 'L', 'T', 'R', 'A', 'C', 'E', '\0'};
inline constexpr uint32_t kVersion = 1;
inline constexpr std::size_t kHeaderFixedSize = 16;  // magic, version, case_dir_len
// kind, thread, file, flags, offset, length.
inline constexpr std::size_t kBodyFixedSize = 1 + 4 + 8 + 4 + 8 + 8;
inline constexpr int kStringFields = 4;  // path, path2, data, name

inline void PutU32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
inline void PutU64(unsigned char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
inline uint32_t GetU32(const unsigned char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t GetU64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The fixed part of a record body, as plain integers.
struct BodyFixed {
  uint8_t kind = 0;
  uint32_t thread = 0;
  uint64_t file = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Writes body_len and the fixed part of a body to `out`, which must hold
// 4 + kBodyFixedSize bytes. `strings_size` is the sum of the four strings'
// lengths; each string is then written as its u32 length and its bytes.
inline void PutRecordPrefix(unsigned char* out, const BodyFixed& f, uint64_t strings_size) {
  PutU32(out, static_cast<uint32_t>(kBodyFixedSize + 4 * kStringFields + strings_size));
  unsigned char* p = out + 4;
  p[0] = f.kind;
  PutU32(p + 1, f.thread);
  PutU64(p + 5, f.file);
  PutU32(p + 13, f.flags);
  PutU64(p + 17, f.offset);
  PutU64(p + 25, f.length);
}

inline BodyFixed GetBodyFixed(const unsigned char* p) {
  BodyFixed f;
  f.kind = p[0];
  f.thread = GetU32(p + 1);
  f.file = GetU64(p + 5);
  f.flags = GetU32(p + 13);
  f.offset = GetU64(p + 17);
  f.length = GetU64(p + 25);
  return f;
}

}  // namespace crashlab::faults::encoding
