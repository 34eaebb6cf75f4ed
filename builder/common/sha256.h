// SHA-256 and HMAC-SHA256 through OpenSSL's EVP interface (SHA-NI when the CPU has it).
// Used by every stage for content digests, the build seed and deterministic UUIDs.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "builder/common/result.h"

namespace kiln {

using Digest = std::array<std::uint8_t, 32>;

// Lowercase hex of arbitrary bytes.
std::string ToHex(std::span<const std::uint8_t> bytes);
inline std::string ToHex(const Digest& d) { return ToHex(std::span<const std::uint8_t>(d)); }
// Parses lowercase or uppercase hex; fails on odd length or bad characters.
Result<std::string> FromHex(std::string_view hex);
bool IsSha256Hex(std::string_view s);

// Incremental SHA-256; reusable after Finish() via Reset().
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, std::size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  Digest Finish();
  void Reset();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Digest Sha256Of(std::string_view data);
Digest Sha256Of(const void* data, std::size_t size);
// Streams a file through SHA-256.
Result<Digest> Sha256File(const std::filesystem::path& path);
Digest HmacSha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> msg);
Digest HmacSha256(std::span<const std::uint8_t> key, std::string_view msg);

}  // namespace kiln
