#include "framework/store/compression.h"

#include <zlib.h>

#include <cstdint>

#include <fmt/format.h>

namespace crashlab {

std::string Compress(std::string_view bytes) {
  if (bytes.empty()) return "";
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::string out(kCompressedMagic.size() + 8 + size, '\0');
  out.replace(0, kCompressedMagic.size(), kCompressedMagic);
  uint64_t raw = bytes.size();
  for (int i = 0; i < 8; ++i) out[kCompressedMagic.size() + i] = static_cast<char>(raw >> (8 * i));
  auto* dest = reinterpret_cast<Bytef*>(out.data() + kCompressedMagic.size() + 8);
  // Level 6 (zlib's default): traces shrink severalfold in milliseconds.
  if (compress2(dest, &size, reinterpret_cast<const Bytef*>(bytes.data()),
                static_cast<uLong>(bytes.size()), 6) != Z_OK) {
    return std::string(bytes);  // cannot happen with compressBound's room; stored as is
  }
  out.resize(kCompressedMagic.size() + 8 + size);
  return out;
}

Result<std::string> Decompress(std::string_view blob) {
  if (blob.substr(0, kCompressedMagic.size()) != kCompressedMagic) return std::string(blob);
  if (blob.size() < kCompressedMagic.size() + 8) {
    return Status::Error("a compressed blob is cut short");
  }
  uint64_t raw = 0;
  for (int i = 0; i < 8; ++i) {
    raw |= static_cast<uint64_t>(static_cast<unsigned char>(blob[kCompressedMagic.size() + i]))
           << (8 * i);
  }
  const std::string_view body = blob.substr(kCompressedMagic.size() + 8);
  // Checked before the allocation: a damaged size must not ask for 2^60
  // bytes. 1032:1 is deflate's best ratio; the slack covers zlib's header.
  constexpr uint64_t kMaxRatio = 1032;
  if (raw > kDecompressedLimit || raw > (body.size() + 64) * kMaxRatio) {
    return Status::Error(fmt::format(
        "a compressed blob claims {} bytes from {} compressed ones, more than {}: its size is "
        "damaged",
        raw, body.size(),
        raw > kDecompressedLimit ? fmt::format("crashlab stores ({})", kDecompressedLimit)
                                 : std::string("zlib can make of them")));
  }
  std::string out(raw, '\0');
  uLongf size = static_cast<uLongf>(raw);
  if (uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                 reinterpret_cast<const Bytef*>(body.data()),
                 static_cast<uLong>(body.size())) != Z_OK ||
      size != raw) {
    return Status::Error("a compressed blob does not decompress to its stated size");
  }
  return out;
}

}  // namespace crashlab
