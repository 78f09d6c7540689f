// Compression of the large artifacts the results store keeps (traces): zlib,
// behind a header that says so, so that a blob written before compression
// existed still reads as itself.
#pragma once

#include <string>
#include <string_view>

#include "framework/status.h"

namespace crashlab {

// "CLZ1", the uncompressed size (8 bytes, little-endian), then a zlib stream.
inline constexpr std::string_view kCompressedMagic = "CLZ1";

// `bytes` compressed; empty stays empty.
std::string Compress(std::string_view bytes);

// The bytes Compress was given; a blob without the header is returned as it
// is (stored before compression). An error for a damaged compressed blob.
[[nodiscard]] Result<std::string> Decompress(std::string_view blob);

}  // namespace crashlab
