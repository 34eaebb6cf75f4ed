// The per-user secret that authenticates local cache entries (issue 13). Cache entries carry
// a digest of their content; a plain SHA-256 anyone can recompute proves nothing, so the
// block, tree and base-tree caches seal what they write with an HMAC under a 32-byte key
// that only this user can read: <cache_dir>/secret.key, created 0600 on first use. An entry
// that was not sealed with this key (planted by someone who could write the cache) is
// ignored. The cache directory itself must belong to the user and is kept at 0700.
// Used by builder/cache, builder/tree (tarball tree cache), builder/sources (base trees) and
// the CLI (which checks the cache directory before a build).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "builder/common/result.h"
#include "builder/common/sha256.h"

namespace kiln {

inline constexpr const char* kCacheKeyFile = "secret.key";

// An HMAC-SHA256 key with a streaming MAC (entries are sealed without copying them).
class CacheKey {
 public:
  using Bytes = std::array<std::uint8_t, 32>;
  explicit CacheKey(const Bytes& bytes) : bytes_(bytes) {}

  // HMAC-SHA256 computed incrementally: Update() the message, then Finish().
  class Mac {
   public:
    explicit Mac(const Bytes& key);
    void Update(const void* data, std::size_t size) { inner_.Update(data, size); }
    void Update(std::string_view s) { inner_.Update(s); }
    Digest Finish();

   private:
    Bytes key_;
    Sha256 inner_;
  };

  Mac Start() const { return Mac(bytes_); }
  Digest Seal(std::string_view msg) const;

 private:
  Bytes bytes_;
};

// Makes dir (and its parents) if missing, the last one mode 0700. An existing dir must be a
// real directory (not a symbolic link) owned by the effective user; group and other
// permissions are removed. kIo when it cannot be created, kUsage when it belongs to another
// user or is not a directory (message names the path and both uids).
Status EnsurePrivateDir(const std::filesystem::path& dir);

// EnsurePrivateDir(cache_dir), then the key in <cache_dir>/secret.key: read when present
// (it must be a regular file of 32 bytes owned by this user with no group or other
// permissions, else kIntegrity), created from getrandom() otherwise (0600, linked into place
// so concurrent builds agree on one key).
Result<CacheKey> LoadCacheKey(const std::filesystem::path& cache_dir);

}  // namespace kiln
