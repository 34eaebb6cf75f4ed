#include "builder/common/uuid.h"

#include <algorithm>

namespace kiln {

std::string Uuid::ToString() const {
  std::string hex = ToHex(std::span<const std::uint8_t>(bytes));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Result<Uuid> Uuid::Parse(std::string_view text) {
  std::string hex;
  for (char c : text)
    if (c != '-') hex.push_back(c);
  if (hex.size() != 32 || text.size() != 36)
    return MakeError(ErrorCode::kInput, "not a UUID: '" + std::string(text) + "'");
  KILN_ASSIGN_OR_RETURN(std::string raw, FromHex(hex));
  Uuid u;
  std::copy(raw.begin(), raw.end(), u.bytes.begin());
  return u;
}

std::array<std::uint8_t, 16> Uuid::ToGptBytes() const {
  auto b = bytes;
  std::reverse(b.begin(), b.begin() + 4);
  std::reverse(b.begin() + 4, b.begin() + 6);
  std::reverse(b.begin() + 6, b.begin() + 8);
  return b;
}

Uuid Uuid::FromGptBytes(const std::uint8_t* b) {
  Uuid u;
  std::copy(b, b + 16, u.bytes.begin());
  std::reverse(u.bytes.begin(), u.bytes.begin() + 4);
  std::reverse(u.bytes.begin() + 4, u.bytes.begin() + 6);
  std::reverse(u.bytes.begin() + 6, u.bytes.begin() + 8);
  return u;
}

bool Uuid::IsNil() const {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

Uuid UuidV4From(const Digest& x) {
  Uuid u;
  std::copy(x.begin(), x.begin() + 16, u.bytes.begin());
  u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0f) | 0x40);
  u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3f) | 0x80);
  return u;
}

Uuid UuidFromFirstHalf(const Digest& d) {
  Uuid u;
  std::copy(d.begin(), d.begin() + 16, u.bytes.begin());
  return u;
}

Uuid UuidFromSecondHalf(const Digest& d) {
  Uuid u;
  std::copy(d.begin() + 16, d.end(), u.bytes.begin());
  return u;
}

}  // namespace kiln
