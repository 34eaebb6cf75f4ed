#include "builder/squashfs/cached_compressor.h"

#include <zstd.h>

#include <memory>
#include <span>

#include "builder/squashfs/wrapped_compressor.h"

namespace kiln::squashfs {
namespace {

struct CachedCompressor : WrappedCompressor<CachedCompressor> {
  cache::BlockCache* cache = nullptr;
  std::string params;

  sqfs_s32 Compress(const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out, sqfs_u32 outsize) {
    // outsize is part of the key: the compressor's answer depends on the room it had.
    const Digest key = cache::BlockKey(params + " out=" + std::to_string(outsize),
                                       std::span<const std::uint8_t>(in, size));
    cache::LookupResult hit = cache->Lookup(key, std::span<std::uint8_t>(out, outsize));
    if (hit.kind == cache::BlockKind::kUncompressed) return 0;
    if (hit.kind == cache::BlockKind::kCompressed && hit.size > 0 && hit.size < size)
      return static_cast<sqfs_s32>(hit.size);
    sqfs_s32 r = inner->do_block(inner, in, size, out, outsize);
    if (r > 0)
      cache->Store(key, cache::BlockKind::kCompressed, std::span<const std::uint8_t>(out, static_cast<std::size_t>(r)));
    else if (r == 0)
      cache->Store(key, cache::BlockKind::kUncompressed, {});
    return r;
  }

  std::unique_ptr<CachedCompressor> CloneFor(sqfs_compressor_t*) const {
    auto c = std::make_unique<CachedCompressor>();
    c->cache = cache;
    c->params = params;
    return c;
  }
};

}  // namespace

std::string CompressorCacheParams(sqfs_compressor_t* cmp) {
  sqfs_compressor_config_t cfg{};
  cmp->get_configuration(cmp, &cfg);
  std::string s = "kiln-squashfs-block 1 id=" + std::to_string(cfg.id) + " flags=" + std::to_string(cfg.flags) +
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
  return SqfsPtr<sqfs_compressor_t>(CachedCompressor::Install(std::move(w), copy));
}

}  // namespace kiln::squashfs
