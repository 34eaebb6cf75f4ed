// The registry as a shared build cache (`kiln build --cache-to REF --cache-from REF`): how
// CI runners share expensive intermediate results through a registry they already run.
// The resolved base tree, and the compressed squashfs blocks of the build (a block pack,
// block_pack.h, tagged "blocks-<key>"). The registry is not trusted: every entry is signed
// with the build key (cache_signature.h, annotation dev.kiln.cache.signature), and
// --cache-from uses an entry only when its signature verifies with a --cache-trust
// certificate or the build's own; anything else is reported in one warning line and
// ignored, before any of its bytes are downloaded. An unsigned build with --cache-from and no
// --cache-trust, or --cache-to on an unsigned build, is a usage error. A pack's blocks are
// still checked to decompress to their input when they are used. For the base tree:
// the resolved base tree (builder/sources/base_tree_cache.h: a locked Debian
// base's tarball, keyed by a digest of everything that determines it). Each entry is an OCI
// artifact in REF's repository, tagged "base-<key>":
//   artifactType application/vnd.kiln.base-tree.v1, empty config (OCI 1.1),
//   one layer application/vnd.kiln.base-tree.v1.tar titled "base-tree.tar",
//   annotations dev.kiln.cache.key = <key>, dev.kiln.cache.format = <kBaseTreeCacheFormat>.
// --cache-from: before the base is resolved, a key missing from the local cache is fetched
// (digest checked while it streams) and stored in the local cache, so the build then finds
// it there exactly as if this machine had made it; registry trouble is reported and the
// build goes on without it. --cache-to: after the base is resolved, every local entry the
// build used is pushed unless the registry has the same bytes under its tag; failures are
// errors (the user asked to publish). Used by the CLI through BuildRequest's hooks.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/recipe/recipe.h"
#include "builder/shared_cache/cache_signature.h"
#include "builder/registry/reference.h"
#include "builder/registry/registry_client.h"
#include "builder/sources/debian_base_spec.h"

namespace kiln::shared_cache {

using registry::Reference;
using registry::RegistryOptions;

inline constexpr const char* kBaseTreeArtifactType = "application/vnd.kiln.base-tree.v1";
inline constexpr const char* kBaseTreeLayerType = "application/vnd.kiln.base-tree.v1.tar";
inline constexpr const char* kCacheKeyAnnotation = "dev.kiln.cache.key";
inline constexpr const char* kBlockPackArtifactType = "application/vnd.kiln.block-pack.v1";
inline constexpr const char* kBlockPackLayerType = "application/vnd.kiln.block-pack.v1.tar";

struct BuildCacheOptions : RegistryOptions {
  std::string cache_from;  // "HOST[:PORT]/REPO" or empty
  std::string cache_to;
  std::vector<std::string> cache_trust;  // --cache-trust CERT: who may have written cache_from's entries
  std::string sign_key, sign_cert;       // the build's key and certificate; empty: unsigned build
  sources::DebianBaseSpec debian_base;   // the recipe's Debian base (pipeline::DebianBaseFor)
};

// "base-<key>": the tag of a base-tree entry.
std::string BaseTreeCacheTag(std::string_view key);

// The base-tree cache keys the recipe's base resolves to: one for a Debian base with a lock
// file beside the recipe, none otherwise (nothing pins an unlocked base's content).
// debian_base: the recipe's Debian base (pipeline::DebianBaseFor).
Result<std::vector<std::string>> BaseTreeKeys(const recipe::Recipe& recipe, const sources::DebianBaseSpec& debian_base);

// Fetches entry `key` from the cache repository into the local base-tree cache
// (ctx.cache_dir) if its signature verifies with `trust` (kIntegrity otherwise). false when
// the registry has no such entry.
Result<bool> PullBaseTree(const Reference& cache, std::string_view key, const BuildContext& ctx,
                          const RegistryOptions& opts, const CacheTrust& trust);

// Pushes a local entry (its verified blob), signed. false when the registry already had
// those bytes with the same signature.
Result<bool> PushBaseTree(const Reference& cache, std::string_view key, const std::filesystem::path& blob,
                          const RegistryOptions& opts, const CacheSigner& signer);

// "blocks-<key>": the tag of a block pack (block_pack.h; key: BlockPackKey).
std::string BlockPackTag(std::string_view key);

// Fetches the block pack `key` if its signature verifies with `trust` (kIntegrity
// otherwise) and adds its entries to the local block cache (ctx.cache_dir / "blocks"); how
// many were added (0 when the registry has none).
Result<std::size_t> PullBlockPack(const Reference& cache, std::string_view key, const BuildContext& ctx,
                                  const RegistryOptions& opts, const CacheTrust& trust);

// Packs the block cache entries this build used (newer than MarkBlockPackStart's marker)
// and pushes them, signed, under BlockPackTag(key): {pushed, entries}; pushed is false when
// the registry already had those bytes with the same signature.
Result<std::pair<bool, std::size_t>> PushBlockPack(const Reference& cache, std::string_view key,
                                                   const BuildContext& ctx, const RegistryOptions& opts,
                                                   const CacheSigner& signer);

// kUsage unless the options can be honoured: --cache-from needs a certificate to trust
// (--cache-trust, or a signed build), --cache-to a signed build. Called before anything runs.
Status CheckRegistryCacheOptions(const BuildCacheOptions& opts);

// The pipeline hooks; no-ops without the option. Before the base is resolved: base trees
// and the block pack from --cache-from, then the marker for --cache-to's pack. After it:
// base trees to --cache-to. After the build: the block pack to --cache-to.
Status RestoreFromRegistryCache(const recipe::Recipe& recipe, const BuildContext& ctx,
                                const BuildCacheOptions& opts);
Status MarkBlockPackStart(const BuildContext& ctx, const BuildCacheOptions& opts);
Status SaveToRegistryCache(const recipe::Recipe& recipe, const BuildContext& ctx, const BuildCacheOptions& opts);
Status SaveBlocksToRegistryCache(const recipe::Recipe& recipe, const BuildContext& ctx, const BuildCacheOptions& opts);

// A cache reference: "HOST[:PORT]/REPO" without tag or digest (kUsage otherwise).
Result<Reference> ParseCacheReference(const std::string& text);

}  // namespace kiln::shared_cache
