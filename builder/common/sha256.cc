#include "builder/common/sha256.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "builder/common/openssl_ptr.h"
#include "builder/common/unique_file.h"

namespace kiln {

struct Sha256::Ctx {
  EvpMdCtxPtr md{EVP_MD_CTX_new()};
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) { Reset(); }
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Reset() {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), EVP_sha256(), nullptr) != 1) std::abort();
}

void Sha256::Update(const void* data, std::size_t size) {
  if (size) EVP_DigestUpdate(ctx_->md.get(), data, size);
}

Digest Sha256::Finish() {
  Digest d{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md.get(), d.data(), &len);
  Reset();
  return d;
}

Digest Sha256Of(const void* data, std::size_t size) {
  Digest d{};
  unsigned int len = 0;
  EVP_Digest(data, size, d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

Digest Sha256Of(std::string_view data) { return Sha256Of(data.data(), data.size()); }

Result<Digest> Sha256File(const std::filesystem::path& path) {
  UniqueFile file(std::fopen(path.c_str(), "rb"));
  if (!file) return MakeError(ErrorCode::kInput, "cannot open " + path.string());
  std::FILE* f = file.get();
  std::vector<char> buf(1 << 20);
  Sha256 h;
  for (;;) {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
    if (n) h.Update(buf.data(), n);
    if (n < buf.size()) {
      if (std::ferror(f)) return MakeError(ErrorCode::kIo, "read error on " + path.string());
      break;
    }
  }
  return h.Finish();
}

Digest HmacSha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> msg) {
  Digest d{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg.data(), msg.size(), d.data(),
       &len);
  return d;
}

Digest HmacSha256(std::span<const std::uint8_t> key, std::string_view msg) {
  return HmacSha256(key, std::span<const std::uint8_t>(
                             reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()));
}

std::string ToHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2) return MakeError(ErrorCode::kInput, "hex string of odd length");
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return MakeError(ErrorCode::kInput, "not a hex string");
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace kiln
