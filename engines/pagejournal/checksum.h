// CRC-32C (Castagnoli), the checksum of journal records and header files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace crashlab::pagejournal {

// The CRC-32C of `size` bytes at `data`, continuing from `crc` (the value
// returned for the bytes before them; 0 to start), so that
// Crc32c(b, Crc32c(a)) == Crc32c(a followed by b). Crc32c("123456789") is
// 0xE3069283. Same result on every platform.
uint32_t Crc32c(const void* data, std::size_t size, uint32_t crc = 0);

}  // namespace crashlab::pagejournal
