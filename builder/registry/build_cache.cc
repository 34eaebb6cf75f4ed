#include "builder/registry/build_cache.h"

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/registry/artifact.h"
#include "builder/registry/block_pack.h"
#include "builder/registry/distribution.h"
#include "builder/sources/base_tree_cache.h"
#include "builder/sources/debian_source.h"
#include "builder/sources/lock_file.h"

namespace kiln::registry {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kLayerTitle = "base-tree.tar";

std::string Short(std::string_view key) { return std::string(key.substr(0, 12)); }

// The manifest of the entry tagged `tag`, or nullopt when the tag does not exist.
Result<std::optional<json>> FetchEntry(RegistryClient& client, const Reference& cache, const std::string& tag,
                                       std::string_view artifact_type, std::string_view key) {
  auto m = GetManifest(client, cache.repository, tag);
  if (!m.ok()) {
    if (m.error().code == ErrorCode::kInput) return std::optional<json>();
    return std::move(m).error();
  }
  json j = json::parse(m->bytes);
  std::string got_key;
  if (j.contains("annotations") && j["annotations"].is_object())
    got_key = j["annotations"].value(kCacheKeyAnnotation, std::string());
  if (ArtifactTypeOf(j) != artifact_type || got_key != key || !j.contains("layers") || !j["layers"].is_array() ||
      j["layers"].size() != 1)
    return MakeError(ErrorCode::kIntegrity, cache.Repository() + ":" + tag + " is not a kiln " +
                                                std::string(artifact_type) + " cache entry for key " + std::string(key));
  return std::optional<json>(std::move(j));
}

Result<std::optional<json>> FetchBaseTreeEntry(RegistryClient& client, const Reference& cache, std::string_view key) {
  return FetchEntry(client, cache, BaseTreeCacheTag(key), kBaseTreeArtifactType, key);
}

// Downloads the entry's one layer to `dest` (digest checked while it streams).
Status FetchEntryLayer(RegistryClient& client, const Reference& cache, const json& entry, const fs::path& dest) {
  const json& layer = entry["layers"][0];
  long long size = layer.contains("size") && layer["size"].is_number() ? layer["size"].get<long long>() : -1;
  return FetchBlob(client, cache.repository, layer.value("digest", std::string()), size, dest);
}

// Pushes `spec` (one file) under `tag` unless the registry has the same layer there.
Result<bool> PushEntry(RegistryClient& client, const Reference& cache, const std::string& tag,
                       std::string_view key, ArtifactSpec spec) {
  KILN_TRY(DescribeArtifactFiles(spec.files));
  auto existing = FetchEntry(client, cache, tag, spec.artifact_type, key);
  if (existing.ok() && *existing && (**existing)["layers"][0].value("digest", "") == spec.files[0].digest)
    return false;
  spec.annotations[kCacheKeyAnnotation] = std::string(key);
  KILN_TRY(PushArtifact(client, cache.repository, std::move(spec), tag));
  return true;
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

Result<std::vector<std::string>> BaseTreeKeys(const recipe::Recipe& recipe) {
  std::vector<std::string> keys;
  if (recipe.base.type != recipe::BaseType::kDebian) return keys;
  const fs::path lock = sources::LockPathFor(recipe.file);
  std::error_code ec;
  if (!fs::exists(lock, ec)) return keys;
  KILN_ASSIGN_OR_RETURN(std::string lock_bytes, ReadFile(lock));
  keys.push_back(sources::DebianBaseTreeKey(recipe, lock_bytes));
  return keys;
}

Result<bool> PullBaseTree(const Reference& cache, std::string_view key, const BuildContext& ctx,
                          const RegistryOptions& opts) {
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(cache.registry, opts));
  KILN_ASSIGN_OR_RETURN(std::optional<json> entry, FetchBaseTreeEntry(client, cache, key));
  if (!entry) return false;
  std::error_code ec;
  fs::create_directories(ctx.cache_dir, ec);
  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(ctx.cache_dir, ".registry-pull"));
  const fs::path tarball = tmp.path() / kLayerTitle;
  KILN_TRY(FetchEntryLayer(client, cache, *entry, tarball));
  KILN_TRY(sources::StoreBaseTree(ctx, key, tarball));
  return true;
}

Result<bool> PushBaseTree(const Reference& cache, std::string_view key, const fs::path& blob,
                          const RegistryOptions& opts) {
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
  return PushEntry(client, cache, BaseTreeCacheTag(key), key, std::move(spec));
}

std::string BlockPackTag(std::string_view key) { return "blocks-" + std::string(key); }

Result<std::size_t> PullBlockPack(const Reference& cache, std::string_view key, const BuildContext& ctx,
                                  const RegistryOptions& opts) {
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(cache.registry, opts));
  KILN_ASSIGN_OR_RETURN(std::optional<json> entry,
                        FetchEntry(client, cache, BlockPackTag(key), kBlockPackArtifactType, key));
  if (!entry) return std::size_t{0};
  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(ctx.work_dir, "registry-blocks"));
  const fs::path pack = tmp.path() / kBlockPackTitle;
  KILN_TRY(FetchEntryLayer(client, cache, *entry, pack));
  return UnpackBlockEntries(pack, ctx.cache_dir / "blocks");
}

Result<std::pair<bool, std::size_t>> PushBlockPack(const Reference& cache, std::string_view key,
                                                   const BuildContext& ctx, const RegistryOptions& opts) {
  const fs::path pack = ctx.work_dir / kBlockPackTitle;
  KILN_ASSIGN_OR_RETURN(std::size_t n, PackBlockEntries(ctx.cache_dir / "blocks", ctx.work_dir / kSinceMarker, pack));
  if (n == 0) return std::pair<bool, std::size_t>{false, 0};
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(cache.registry, opts));
  ArtifactSpec spec;
  spec.artifact_type = kBlockPackArtifactType;
  spec.files.push_back({kBlockPackTitle, kBlockPackLayerType, pack, {}, {}, 0});
  KILN_ASSIGN_OR_RETURN(bool pushed, PushEntry(client, cache, BlockPackTag(key), key, std::move(spec)));
  return std::pair<bool, std::size_t>{pushed, n};
}

Status RestoreFromRegistryCache(const recipe::Recipe& recipe, const BuildContext& ctx,
                                const BuildCacheOptions& opts) {
  if (opts.cache_from.empty()) return OkStatus();
  KILN_ASSIGN_OR_RETURN(Reference cache, ParseCacheReference(opts.cache_from));
  KILN_ASSIGN_OR_RETURN(std::vector<std::string> keys, BaseTreeKeys(recipe));
  for (const auto& key : keys) {
    KILN_ASSIGN_OR_RETURN(auto local, sources::LookupBaseTree(ctx, key));
    if (local) continue;  // the local cache wins: nothing to fetch
    auto got = PullBaseTree(cache, key, ctx, opts);
    if (!got.ok())
      ctx.Report("cache", "registry cache " + opts.cache_from + " not used: " + got.error().ToString());
    else if (*got)
      ctx.Report("cache", "base tree from registry cache " + opts.cache_from + " (" + Short(key) + ")");
    else
      ctx.Report("cache", "registry cache " + opts.cache_from + " has no base tree " + Short(key));
  }
  KILN_ASSIGN_OR_RETURN(std::string block_key, BlockPackKey(recipe));
  if (!block_key.empty()) {
    auto got = PullBlockPack(cache, block_key, ctx, opts);
    if (!got.ok())
      ctx.Report("cache", "registry block cache " + opts.cache_from + " not used: " + got.error().ToString());
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
  KILN_ASSIGN_OR_RETURN(std::string key, BlockPackKey(recipe));
  if (key.empty()) return OkStatus();
  KILN_ASSIGN_OR_RETURN(Reference cache, ParseCacheReference(opts.cache_to));
  KILN_ASSIGN_OR_RETURN(auto result, PushBlockPack(cache, key, ctx, opts).WithContext("--cache-to " + opts.cache_to));
  if (result.second > 0)
    ctx.Report("cache", std::string(result.first ? "pushed " : "registry cache already has ") +
                            std::to_string(result.second) + " compressed blocks (" + opts.cache_to + ":" +
                            BlockPackTag(key).substr(0, 19) + "...)");
  return OkStatus();
}

Status SaveToRegistryCache(const recipe::Recipe& recipe, const BuildContext& ctx, const BuildCacheOptions& opts) {
  if (opts.cache_to.empty()) return OkStatus();
  KILN_ASSIGN_OR_RETURN(Reference cache, ParseCacheReference(opts.cache_to));
  KILN_ASSIGN_OR_RETURN(std::vector<std::string> keys, BaseTreeKeys(recipe));
  for (const auto& key : keys) {
    KILN_ASSIGN_OR_RETURN(auto local, sources::LookupBaseTree(ctx, key));
    if (!local) continue;  // nothing resolved under this key (e.g. an unlocked build)
    KILN_ASSIGN_OR_RETURN(bool pushed, PushBaseTree(cache, key, *local, opts).WithContext(
                                           "--cache-to " + opts.cache_to));
    ctx.Report("cache", std::string(pushed ? "pushed base tree " : "registry cache already has base tree ") +
                            Short(key) + " (" + opts.cache_to + ":" + BaseTreeCacheTag(key).substr(0, 17) + "...)");
  }
  return OkStatus();
}

}  // namespace kiln::registry
