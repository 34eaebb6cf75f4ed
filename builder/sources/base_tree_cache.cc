#include "builder/sources/base_tree_cache.h"

#include "builder/common/cache_key.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/sources/download_cache.h"

namespace kiln::sources {

namespace fs = std::filesystem;

namespace {

fs::path EntryPath(const BuildContext& ctx, std::string_view key) {
  return ctx.cache_dir / "base-trees" / std::string(key);
}

// The index names a blob no pinned digest covers (an mmdebstrap tree): it is sealed with the
// user's cache key, bound to the entry's key, so an index someone else planted is ignored.
std::string IndexText(const CacheKey& secret, std::string_view key, std::string_view hex) {
  const std::string body = "sha256 " + std::string(hex) + "\n";
  return body + "hmac " + ToHex(secret.Seal("kiln-base-tree-index 1\n" + std::string(key) + "\n" + body)) + "\n";
}

// Length-prefixed fields: no separator inside a value can make two inputs collide.
void Field(std::string& out, std::string_view name, std::string_view value) {
  out += std::string(name) + " " + std::to_string(value.size()) + ":" + std::string(value) + "\n";
}

}  // namespace

std::string DebianBaseCacheKey(std::string_view lock_bytes, const DebianBaseSpec& base,
                               std::string_view architecture) {
  std::string s;
  Field(s, "format", "kiln-base-tree " + std::to_string(kBaseTreeCacheFormat));
  Field(s, "lock", ToHex(Sha256Of(lock_bytes)));
  Field(s, "suite", base.suite);
  Field(s, "variant", base.variant);
  Field(s, "mirror", base.mirror);
  Field(s, "architecture", architecture);
  for (const auto& c : base.components) Field(s, "component", c);
  for (const auto& p : base.packages) Field(s, "package", p);
  for (const auto& o : base.apt.options) Field(s, "aptopt", o);
  for (const auto& k : base.apt.keyrings) Field(s, "keyring", k);
  return ToHex(Sha256Of(s));
}

Result<std::optional<fs::path>> LookupBaseTree(const BuildContext& ctx, std::string_view key) {
  if (ctx.cache_dir.empty()) return std::optional<fs::path>();  // building without caches
  const fs::path entry = EntryPath(ctx, key);
  std::error_code ec;
  if (!fs::is_regular_file(entry, ec)) return std::optional<fs::path>();
  auto drop = [&](const std::string& why) -> Result<std::optional<fs::path>> {
    ctx.Report("sources", "warning: ignoring corrupt base tree cache entry " + entry.string() + ": " + why);
    fs::remove(entry, ec);
    return std::optional<fs::path>();
  };
  auto secret = LoadCacheKey(ctx.cache_dir);
  if (!secret.ok()) {
    ctx.Report("sources", "warning: base tree cache not used: " + secret.error().message);
    return std::optional<fs::path>();
  }
  auto text = ReadFile(entry);
  if (!text.ok()) return drop("unreadable");
  std::string t = *text;
  if (t.size() == 7 + 64 + 1 && t.starts_with("sha256 ")) return drop("unsealed index (an older kiln's, or not kiln's)");
  if (t.size() != 7 + 64 + 1 + 5 + 64 + 1 || !t.starts_with("sha256 ") || t.back() != '\n') return drop("malformed index");
  const std::string hex = t.substr(7, 64);
  if (!IsSha256Hex(hex)) return drop("malformed digest");
  if (t != IndexText(*secret, key, hex)) return drop("not sealed with this user's cache key");
  const fs::path blob = BlobPath(ctx.cache_dir, hex);
  if (!fs::is_regular_file(blob, ec)) return drop("its blob is missing");
  auto verified = VerifyLocalFile(blob, hex);
  if (!verified.ok()) {
    fs::remove(blob, ec);  // a blob that does not hash to its name is garbage for everyone
    return drop(verified.error().message);
  }
  return std::optional<fs::path>(blob);
}

Result<fs::path> StoreBaseTree(const BuildContext& ctx, std::string_view key, const fs::path& tarball) {
  KILN_ASSIGN_OR_RETURN(CacheKey secret, LoadCacheKey(ctx.cache_dir));
  KILN_ASSIGN_OR_RETURN(fs::path blob, AddBlob(tarball, ctx));
  const fs::path entry = EntryPath(ctx, key);
  std::error_code ec;
  fs::create_directories(entry.parent_path(), ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + entry.parent_path().string() + ": " + ec.message());
  KILN_TRY(WriteFileAtomic(entry, IndexText(secret, key, blob.filename().string())));
  return blob;
}

}  // namespace kiln::sources
