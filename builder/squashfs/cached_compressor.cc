#include "builder/squashfs/cached_compressor.h"

#include <zstd.h>

#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "builder/squashfs/wrapped_compressor.h"

namespace kiln::squashfs {
namespace {

// A decompressor for what `cmp` compresses (nullptr when libsquashfs cannot make one: every
// cache hit is then recompressed, which is slow but never wrong).
SqfsPtr<sqfs_compressor_t> MakeDecompressor(sqfs_compressor_t* cmp) {
  sqfs_compressor_config_t cfg{};
  cmp->get_configuration(cmp, &cfg);
  cfg.flags |= SQFS_COMP_FLAG_UNCOMPRESS;
  sqfs_compressor_t* d = nullptr;
  if (sqfs_compressor_create(&cfg, &d) != 0) return nullptr;
  return SqfsPtr<sqfs_compressor_t>(d);
}

struct CachedCompressor : WrappedCompressor<CachedCompressor> {
  cache::BlockCache* cache = nullptr;
  std::string params;
  SqfsPtr<sqfs_compressor_t> decompressor;  // this worker's own, like the compressor
  std::vector<sqfs_u8> scratch;

  // A cached payload is used only if it decompresses to exactly the block it replaces:
  // whatever wrote the cache (a local entry, a registry pack), the image holds the
  // recipe's bytes. Decompression costs a fraction of compression at kiln's levels.
  bool DecompressesTo(const sqfs_u8* compressed, std::size_t csize, const sqfs_u8* in, sqfs_u32 size) {
    if (!decompressor) return false;
    if (scratch.size() < size) scratch.resize(size);
    sqfs_s32 n = decompressor->do_block(decompressor.get(), compressed, static_cast<sqfs_u32>(csize), scratch.data(),
                                        static_cast<sqfs_u32>(scratch.size()));
    return n == static_cast<sqfs_s32>(size) && std::memcmp(scratch.data(), in, size) == 0;
  }

  sqfs_s32 Compress(const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out, sqfs_u32 outsize) {
    // outsize is part of the key: the compressor's answer depends on the room it had.
    const Digest key = cache::BlockKey(params + " out=" + std::to_string(outsize),
                                       std::span<const std::uint8_t>(in, size));
    cache::LookupResult hit = cache->Lookup(key, std::span<std::uint8_t>(out, outsize));
    if (hit.kind == cache::BlockKind::kUncompressed) return 0;  // libsquashfs stores `in` itself
    if (hit.kind == cache::BlockKind::kCompressed && hit.size > 0 && hit.size < size) {
      if (DecompressesTo(out, hit.size, in, size)) return static_cast<sqfs_s32>(hit.size);
      cache->Reject(key);  // then compressed again below, over the rejected bytes in out
    }
    sqfs_s32 r = inner->do_block(inner, in, size, out, outsize);
    if (r > 0)
      cache->Store(key, cache::BlockKind::kCompressed, std::span<const std::uint8_t>(out, static_cast<std::size_t>(r)));
    else if (r == 0)
      cache->Store(key, cache::BlockKind::kUncompressed, {});
    return r;
  }

  std::unique_ptr<CachedCompressor> CloneFor(sqfs_compressor_t* inner_copy) const {
    auto c = std::make_unique<CachedCompressor>();
    c->cache = cache;
    c->params = params;
    c->decompressor = MakeDecompressor(inner_copy);
    return c;
  }
};

}  // namespace

std::string CompressorCacheParams(sqfs_compressor_t* cmp) {
  sqfs_compressor_config_t cfg{};
  cmp->get_configuration(cmp, &cfg);
  // 2: entries are sealed with the per-user cache key; version 1 entries (plain digests)
  // get other keys, so an upgraded kiln never looks them up (LRU pruning removes them).
  std::string s = "kiln-squashfs-block 2 id=" + std::to_string(cfg.id) + " flags=" + std::to_string(cfg.flags) +
                  " block=" + std::to_string(cfg.block_size) + " level=" + std::to_string(cfg.level) + " opt=";
  s += ToHex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(&cfg.opt), sizeof cfg.opt));
  // A new zstd may compress the same block differently; the cache must not mix the two.
  if (cfg.id == SQFS_COMP_ZSTD) s += " zstd=" + std::to_string(ZSTD_versionNumber());
  return s;
}

Result<SqfsPtr<sqfs_compressor_t>> MakeCachedCompressor(sqfs_compressor_t* inner, cache::BlockCache* cache) {
  auto* copy = static_cast<sqfs_compressor_t*>(sqfs_copy(inner));
  if (!copy) return MakeError(ErrorCode::kBuild, "squashfs: cannot copy the compressor");
  std::string params = CompressorCacheParams(copy);
  auto w = std::make_unique<CachedCompressor>();
  w->cache = cache;
  w->params = std::move(params);
  w->decompressor = MakeDecompressor(copy);
  if (!w->decompressor) {
    sqfs_destroy(copy);
    return MakeError(ErrorCode::kBuild, "squashfs: cannot make a decompressor to check cached blocks");
  }
  return SqfsPtr<sqfs_compressor_t>(CachedCompressor::Install(std::move(w), copy));
}

}  // namespace kiln::squashfs
