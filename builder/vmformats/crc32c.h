// CRC-32C (Castagnoli), the checksum of VHDX headers, region tables and log entries.
#pragma once

#include <cstdint>
#include <string_view>

namespace kiln::vmformats {

std::uint32_t Crc32c(std::string_view data);

}  // namespace kiln::vmformats
