#include "builder/shared_cache/build_cache.h"

#include <nlohmann/json.hpp>

#include "builder/cache/block_cache.h"
#include "builder/common/cache_key.h"
#include "builder/common/files.h"
#include "builder/common/leftovers.h"
#include "builder/common/sha256.h"
#include "builder/registry/artifact.h"
#include "builder/shared_cache/block_pack.h"
#include "builder/shared_cache/cache_signature.h"
#include "builder/registry/distribution.h"
#include "builder/sources/base_tree_cache.h"
#include "builder/sources/debian_source.h"
#include "builder/sources/lock_file.h"

namespace kiln::shared_cache {

// The distribution client this cache policy is built on.
using namespace kiln::registry;  // NOLINT(google-build-using-namespace)

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kLayerTitle = "base-tree.tar";

std::string Short(std::string_view key) { return std::string(key.substr(0, 12)); }

// A string member of a JSON object, or "" (entries come from an untrusted registry).
std::string StringAt(const json& obj, const char* name) {
  if (!obj.is_object()) return {};
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An entry of the cache repository: its manifest's one layer and its signature annotation.
struct CacheEntry {
  std::string layer_digest;
  long long layer_size = -1;
  std::string signature;
};

// The entry tagged `tag`, or nullopt when the tag does not exist.
Result<std::optional<CacheEntry>> FetchEntry(RegistryClient& client, const Reference& cache, const std::string& tag,
                                             std::string_view artifact_type, std::string_view key) {
  auto m = GetManifest(client, cache.repository, tag);
  if (!m.ok()) {
    if (m.error().code == ErrorCode::kInput) return std::optional<CacheEntry>();
    return std::move(m).error();
  }
  const json j = json::parse(m->bytes, nullptr, false);
  auto not_entry = [&] {
    return MakeError(ErrorCode::kIntegrity, cache.Repository() + ":" + tag + " is not a kiln " +
                                                std::string(artifact_type) + " cache entry for key " + std::string(key));
  };
  if (!j.is_object() || ArtifactTypeOf(j) != artifact_type) return not_entry();
  const json* annotations = j.contains("annotations") ? &j["annotations"] : nullptr;
  const json* layers = j.contains("layers") ? &j["layers"] : nullptr;
  if (!annotations || StringAt(*annotations, kCacheKeyAnnotation) != key || !layers || !layers->is_array() ||
      layers->size() != 1 || !(*layers)[0].is_object())
    return not_entry();
  CacheEntry e;
  const json& layer = (*layers)[0];
  e.layer_digest = StringAt(layer, "digest");
  if (auto sz = layer.find("size"); sz != layer.end() && sz->is_number_unsigned()) e.layer_size = sz->get<long long>();
  e.signature = StringAt(*annotations, kCacheSignatureAnnotation);
  if (e.layer_digest.empty() || e.layer_size < 0) return not_entry();
  return std::optional<CacheEntry>(std::move(e));
}

// Fetches the entry tagged `tag` if it exists and its signature verifies (kIntegrity
// otherwise, before any layer byte is downloaded), its layer into dest (digest and size
// checked while it streams). false when the registry has no such tag.
Result<bool> FetchTrustedEntry(RegistryClient& client, const Reference& cache, const std::string& tag,
                               std::string_view artifact_type, std::string_view key, const CacheTrust& trust,
                               const fs::path& dest) {
  KILN_ASSIGN_OR_RETURN(std::optional<CacheEntry> entry, FetchEntry(client, cache, tag, artifact_type, key));
  if (!entry) return false;
  KILN_TRY(VerifyCacheEntry(trust, CacheEntryStatement(artifact_type, key, entry->layer_digest), entry->signature)
               .WithContext(cache.Repository() + ":" + tag.substr(0, 19) + "..."));
  KILN_TRY(FetchBlob(client, cache.repository, entry->layer_digest, entry->layer_size, dest));
  return true;
}

// Pushes `spec` (one file) under `tag`, signed, unless the registry has the same layer
// there with the same signature.
Result<bool> PushEntry(RegistryClient& client, const Reference& cache, const std::string& tag,
                       std::string_view key, ArtifactSpec spec, const CacheSigner& signer) {
  KILN_TRY(DescribeArtifactFiles(spec.files));
  KILN_ASSIGN_OR_RETURN(std::string signature,
                        SignCacheEntry(signer, CacheEntryStatement(spec.artifact_type, key, spec.files[0].digest)));
  auto existing = FetchEntry(client, cache, tag, spec.artifact_type, key);
  if (existing.ok() && *existing && (*existing)->layer_digest == spec.files[0].digest &&
      (*existing)->signature == signature)
    return false;
  spec.annotations[kCacheKeyAnnotation] = std::string(key);
  spec.annotations[kCacheSignatureAnnotation] = signature;
  KILN_TRY(PushArtifact(client, cache.repository, std::move(spec), tag));
  return true;
}

Status CacheToNeedsSigning(const BuildCacheOptions& opts) {
  return MakeError(ErrorCode::kUsage, "--cache-to " + opts.cache_to +
                                          ": registry cache entries are signed with the build key; sign the build "
                                          "(--key and --cert)");
}

Result<CacheTrust> TrustFor(const BuildCacheOptions& opts) {
  return LoadCacheTrust(opts.cache_trust, opts.sign_key, opts.sign_cert);
}

constexpr const char* kBlockPackTitle = "blocks.tar";
constexpr const char* kSinceMarker = "block-pack.since";

}  // namespace

std::string BaseTreeCacheTag(std::string_view key) { return "base-" + std::string(key); }

Result<Reference> ParseCacheReference(const std::string& text) {
  KILN_ASSIGN_OR_RETURN(Reference ref, ParseReference(text));
  if (!ref.tag.empty() || !ref.digest.empty())
    return MakeError(ErrorCode::kUsage, "cache reference '" + text +
                                            "': name a repository (HOST[:PORT]/REPO); kiln tags its entries itself");
  return ref;
}

Result<std::vector<std::string>> BaseTreeKeys(const recipe::Recipe& recipe, const sources::DebianBaseSpec& debian_base) {
  std::vector<std::string> keys;
  if (recipe.base.type != recipe::BaseType::kDebian) return keys;
  const fs::path lock = sources::LockPathFor(recipe.file);
  std::error_code ec;
  if (!fs::exists(lock, ec)) return keys;
  KILN_ASSIGN_OR_RETURN(std::string lock_bytes, ReadFile(lock));
  keys.push_back(sources::DebianBaseTreeKey(debian_base, lock_bytes));
  return keys;
}

Result<bool> PullBaseTree(const Reference& cache, std::string_view key, const BuildContext& ctx,
                          const RegistryOptions& opts, const CacheTrust& trust) {
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(cache.registry, opts));
  KILN_TRY(EnsurePrivateDir(ctx.cache_dir));
  SweepAbandonedDirs(ctx.cache_dir, ".registry-pull");
  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(ctx.cache_dir, ".registry-pull"));
  const fs::path tarball = tmp.path() / kLayerTitle;
  KILN_ASSIGN_OR_RETURN(bool found,
                        FetchTrustedEntry(client, cache, BaseTreeCacheTag(key), kBaseTreeArtifactType, key, trust, tarball));
  if (!found) return false;
  KILN_TRY(sources::StoreBaseTree(ctx, key, tarball));
  return true;
}

Result<bool> PushBaseTree(const Reference& cache, std::string_view key, const fs::path& blob,
                          const RegistryOptions& opts, const CacheSigner& signer) {
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(cache.registry, opts));
  ArtifactSpec spec;
  spec.artifact_type = kBaseTreeArtifactType;
  spec.files.push_back({kLayerTitle, kBaseTreeLayerType, blob, {}, {}, 0});
  std::error_code ec;
  const std::string name = blob.filename().string();
  if (IsSha256Hex(name)) {  // a download-cache blob, named by the digest LookupBaseTree verified
    spec.files[0].digest = "sha256:" + name;
    spec.files[0].size = fs::file_size(blob, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot stat " + blob.string() + ": " + ec.message());
  }
  spec.annotations = {{"dev.kiln.cache.format", std::to_string(sources::kBaseTreeCacheFormat)}};
  return PushEntry(client, cache, BaseTreeCacheTag(key), key, std::move(spec), signer);
}

std::string BlockPackTag(std::string_view key) { return "blocks-" + std::string(key); }

Result<std::size_t> PullBlockPack(const Reference& cache, std::string_view key, const BuildContext& ctx,
                                  const RegistryOptions& opts, const CacheTrust& trust) {
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(cache.registry, opts));
  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(ctx.work_dir, "registry-blocks"));
  const fs::path pack = tmp.path() / kBlockPackTitle;
  KILN_ASSIGN_OR_RETURN(bool found,
                        FetchTrustedEntry(client, cache, BlockPackTag(key), kBlockPackArtifactType, key, trust, pack));
  if (!found) return std::size_t{0};
  KILN_ASSIGN_OR_RETURN(CacheKey secret, LoadCacheKey(ctx.cache_dir));
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<cache::BlockCache> blocks, cache::BlockCache::Open(ctx.cache_dir / "blocks", secret));
  return UnpackBlockEntries(pack, *blocks);
}

Result<std::pair<bool, std::size_t>> PushBlockPack(const Reference& cache, std::string_view key,
                                                   const BuildContext& ctx, const RegistryOptions& opts,
                                                   const CacheSigner& signer) {
  const fs::path pack = ctx.work_dir / kBlockPackTitle;
  KILN_ASSIGN_OR_RETURN(CacheKey secret, LoadCacheKey(ctx.cache_dir));
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<cache::BlockCache> blocks, cache::BlockCache::Open(ctx.cache_dir / "blocks", secret));
  KILN_ASSIGN_OR_RETURN(std::size_t n, PackBlockEntries(*blocks, ctx.work_dir / kSinceMarker, pack));
  if (n == 0) return std::pair<bool, std::size_t>{false, 0};
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(cache.registry, opts));
  ArtifactSpec spec;
  spec.artifact_type = kBlockPackArtifactType;
  spec.files.push_back({kBlockPackTitle, kBlockPackLayerType, pack, {}, {}, 0});
  KILN_ASSIGN_OR_RETURN(bool pushed, PushEntry(client, cache, BlockPackTag(key), key, std::move(spec), signer));
  return std::pair<bool, std::size_t>{pushed, n};
}

Status CheckRegistryCacheOptions(const BuildCacheOptions& opts) {
  const bool signed_build = !opts.sign_key.empty() && !opts.sign_cert.empty();
  if (!opts.cache_from.empty() && opts.cache_trust.empty() && !signed_build)
    return MakeError(ErrorCode::kUsage,
                     "--cache-from " + opts.cache_from +
                         ": an unsigned build has no certificate to trust the registry's entries with; sign the build "
                         "(--key and --cert) or name the certificate of whoever fills the cache with --cache-trust CERT");
  if (!opts.cache_to.empty() && !signed_build) return CacheToNeedsSigning(opts);
  return OkStatus();
}

Status RestoreFromRegistryCache(const recipe::Recipe& recipe, const BuildContext& ctx,
                                const BuildCacheOptions& opts) {
  if (opts.cache_from.empty()) return OkStatus();
  KILN_TRY(CheckRegistryCacheOptions(opts));
  KILN_ASSIGN_OR_RETURN(Reference cache, ParseCacheReference(opts.cache_from));
  KILN_ASSIGN_OR_RETURN(CacheTrust trust, TrustFor(opts));
  if (ctx.cache_dir.empty()) {
    ctx.Report("cache", "warning: registry cache " + opts.cache_from + " not used: no local cache directory");
    return OkStatus();
  }
  KILN_ASSIGN_OR_RETURN(std::vector<std::string> keys, BaseTreeKeys(recipe, opts.debian_base));
  for (const auto& key : keys) {
    KILN_ASSIGN_OR_RETURN(auto local, sources::LookupBaseTree(ctx, key));
    if (local) continue;  // the local cache wins: nothing to fetch
    auto got = PullBaseTree(cache, key, ctx, opts, trust);
    if (!got.ok())
      ctx.Report("cache", "warning: registry cache " + opts.cache_from + " not used for base tree " + Short(key) +
                              ": " + got.error().ToString());
    else if (*got)
      ctx.Report("cache", "base tree from registry cache " + opts.cache_from + " (" + Short(key) + ")");
    else
      ctx.Report("cache", "registry cache " + opts.cache_from + " has no base tree " + Short(key));
  }
  KILN_ASSIGN_OR_RETURN(std::string block_key, BlockPackKey(recipe, opts.debian_base));
  if (!block_key.empty()) {
    auto got = PullBlockPack(cache, block_key, ctx, opts, trust);
    if (!got.ok())
      ctx.Report("cache", "warning: registry cache " + opts.cache_from + " not used for compressed blocks: " +
                              got.error().ToString());
    else
      ctx.Report("cache", std::to_string(*got) + " compressed blocks from registry cache " + opts.cache_from + " (" +
                              Short(block_key) + ")");
  }
  return OkStatus();
}

Status MarkBlockPackStart(const BuildContext& ctx, const BuildCacheOptions& opts) {
  if (opts.cache_to.empty()) return OkStatus();
  // Made after any --cache-from entries were unpacked: only what this build reads or
  // writes from here on is newer.
  return WriteFile(ctx.work_dir / kSinceMarker, "");
}

Status SaveBlocksToRegistryCache(const recipe::Recipe& recipe, const BuildContext& ctx, const BuildCacheOptions& opts) {
  if (opts.cache_to.empty() || ctx.cache_dir.empty()) return OkStatus();
  KILN_ASSIGN_OR_RETURN(std::string key, BlockPackKey(recipe, opts.debian_base));
  if (key.empty()) return OkStatus();
  KILN_ASSIGN_OR_RETURN(Reference cache, ParseCacheReference(opts.cache_to));
  KILN_ASSIGN_OR_RETURN(CacheTrust trust, TrustFor(opts));
  if (!trust.signer) return CacheToNeedsSigning(opts);
  KILN_ASSIGN_OR_RETURN(auto result,
                        PushBlockPack(cache, key, ctx, opts, *trust.signer).WithContext("--cache-to " + opts.cache_to));
  if (result.second > 0)
    ctx.Report("cache", std::string(result.first ? "pushed " : "registry cache already has ") +
                            std::to_string(result.second) + " compressed blocks (" + opts.cache_to + ":" +
                            BlockPackTag(key).substr(0, 19) + "...)");
  return OkStatus();
}

Status SaveToRegistryCache(const recipe::Recipe& recipe, const BuildContext& ctx, const BuildCacheOptions& opts) {
  if (opts.cache_to.empty() || ctx.cache_dir.empty()) return OkStatus();
  KILN_ASSIGN_OR_RETURN(Reference cache, ParseCacheReference(opts.cache_to));
  KILN_ASSIGN_OR_RETURN(CacheTrust trust, TrustFor(opts));
  if (!trust.signer) return CacheToNeedsSigning(opts);
  KILN_ASSIGN_OR_RETURN(std::vector<std::string> keys, BaseTreeKeys(recipe, opts.debian_base));
  for (const auto& key : keys) {
    KILN_ASSIGN_OR_RETURN(auto local, sources::LookupBaseTree(ctx, key));
    if (!local) continue;  // nothing resolved under this key (e.g. an unlocked build)
    KILN_ASSIGN_OR_RETURN(bool pushed, PushBaseTree(cache, key, *local, opts, *trust.signer).WithContext(
                                           "--cache-to " + opts.cache_to));
    ctx.Report("cache", std::string(pushed ? "pushed base tree " : "registry cache already has base tree ") +
                            Short(key) + " (" + opts.cache_to + ":" + BaseTreeCacheTag(key).substr(0, 17) + "...)");
  }
  return OkStatus();
}

}  // namespace kiln::shared_cache
