// 128-bit UUIDs derived deterministically from the build seed (the systemd-repart scheme,
// see shared/reference/formats.md), so identical inputs give identical partition tables.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/common/sha256.h"

namespace kiln {

// Bytes in textual (big-endian) order.
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  std::string ToString() const;  // 8-4-4-4-12 lowercase
  static Result<Uuid> Parse(std::string_view text);
  // GPT stores the first three fields little-endian.
  std::array<std::uint8_t, 16> ToGptBytes() const;
  static Uuid FromGptBytes(const std::uint8_t* b);
  bool IsNil() const;
  bool operator==(const Uuid&) const = default;
  auto operator<=>(const Uuid&) const = default;
};

// v4(x): first 16 bytes of x with the version and variant bits set.
Uuid UuidV4From(const Digest& x);
Uuid UuidFromFirstHalf(const Digest& d);   // raw first 16 bytes (verity data partition)
Uuid UuidFromSecondHalf(const Digest& d);  // raw last 16 bytes (verity hash partition)

}  // namespace kiln
