// Compression of the large artifacts the results store keeps (traces): zlib,
// behind a header that says so, so that a blob written before compression
// existed still reads as itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "framework/base/status.h"

namespace crashlab {

// "CLZ1", the uncompressed size (8 bytes, little-endian), then a zlib stream.
inline constexpr std::string_view kCompressedMagic = "CLZ1";

// `bytes` compressed; empty stays empty.
std::string Compress(std::string_view bytes);

// The most bytes Decompress gives back (1 GiB): what a results store keeps
// is a trace or a case's files, which the campaign held in memory; a bigger
// size in a header is damage, and is refused before any allocation.
inline constexpr uint64_t kDecompressedLimit = uint64_t{1} << 30;

// The bytes Compress was given; a blob without the header is returned as it
// is (stored before compression). An error for a damaged compressed blob,
// saying what is wrong with it (the caller names where it is): cut short, a
// size over kDecompressedLimit or more than zlib could have made of the
// compressed bytes (zlib's deflate compresses at most 1032:1, zlib.net's
// "zlib Technical Details"), or a stream that does not decompress to it.
[[nodiscard]] Result<std::string> Decompress(std::string_view blob);

}  // namespace crashlab
