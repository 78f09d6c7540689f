#include "engines/pagejournal/checksum.h"

#include <array>

namespace crashlab::pagejournal {
namespace {

// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
constexpr uint32_t kPolynomial = 0x82F63B78u;

// tables[0][b] is the CRC register after shifting in byte b from a zero
// register; tables[k][b] the same followed by k zero bytes. Eight tables let
// the loop take eight bytes a step (slicing-by-8): recovery checksums every
// journal record, and byte-at-a-time CRC was a fifth of exploration's time.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t r = b;
    for (int bit = 0; bit < 8; ++bit) r = (r & 1u) != 0 ? (r >> 1) ^ kPolynomial : r >> 1;
    t[0][b] = r;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

}  // namespace

uint32_t Crc32c(const void* data, std::size_t size, uint32_t crc) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t r = ~crc;
  for (; size >= 8; p += 8, size -= 8) {
    // Bytes in file order, so the result does not depend on the host's byte order.
    const uint32_t lo =
        r ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24);
    r = kTables[7][lo & 0xFFu] ^ kTables[6][(lo >> 8) & 0xFFu] ^ kTables[5][(lo >> 16) & 0xFFu] ^
        kTables[4][lo >> 24] ^ kTables[3][p[4]] ^ kTables[2][p[5]] ^ kTables[1][p[6]] ^
        kTables[0][p[7]];
  }
  for (; size > 0; ++p, --size) r = kTables[0][(r ^ *p) & 0xFFu] ^ (r >> 8);
  return ~r;
}

}  // namespace crashlab::pagejournal
