#include "builder/squashfs/cached_compressor.h"

#include <zstd.h>

#include <memory>
#include <span>

namespace kiln::squashfs {
namespace {

// The wrapper keeps sqfs_compressor_t first so libsquashfs can treat it as a compressor.
struct CachedCompressor {
  sqfs_compressor_t iface;
  sqfs_compressor_t* inner;
  cache::BlockCache* cache;
  std::string params;

  static CachedCompressor* Self(const void* p) {
    return reinterpret_cast<CachedCompressor*>(const_cast<void*>(p));
  }

  static sqfs_s32 DoBlock(sqfs_compressor_t* c, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out,
                          sqfs_u32 outsize) {
    CachedCompressor* self = Self(c);
    // outsize is part of the key: the compressor's answer depends on the room it had.
    const Digest key = cache::BlockKey(self->params + " out=" + std::to_string(outsize),
                                       std::span<const std::uint8_t>(in, size));
    cache::LookupResult hit = self->cache->Lookup(key, std::span<std::uint8_t>(out, outsize));
    if (hit.kind == cache::BlockKind::kUncompressed) return 0;
    if (hit.kind == cache::BlockKind::kCompressed && hit.size > 0 && hit.size < size)
      return static_cast<sqfs_s32>(hit.size);
    sqfs_s32 r = self->inner->do_block(self->inner, in, size, out, outsize);
    if (r > 0)
      self->cache->Store(key, cache::BlockKind::kCompressed,
                         std::span<const std::uint8_t>(out, static_cast<std::size_t>(r)));
    else if (r == 0)
      self->cache->Store(key, cache::BlockKind::kUncompressed, {});
    return r;
  }

  static sqfs_compressor_t* Wrap(sqfs_compressor_t* inner, cache::BlockCache* cache, std::string params) {
    auto w = std::make_unique<CachedCompressor>();
    w->inner = inner;
    w->cache = cache;
    w->params = std::move(params);
    w->iface.base.destroy = [](sqfs_object_t* obj) {
      std::unique_ptr<CachedCompressor> owned(Self(obj));
      sqfs_destroy(owned->inner);
    };
    w->iface.base.copy = [](const sqfs_object_t* obj) -> sqfs_object_t* {
      CachedCompressor* self = Self(obj);
      auto* inner_copy = static_cast<sqfs_compressor_t*>(sqfs_copy(self->inner));
      return inner_copy ? reinterpret_cast<sqfs_object_t*>(Wrap(inner_copy, self->cache, self->params)) : nullptr;
    };
    w->iface.get_configuration = [](const sqfs_compressor_t* c, sqfs_compressor_config_t* cfg) {
      Self(c)->inner->get_configuration(Self(c)->inner, cfg);
    };
    w->iface.write_options = [](sqfs_compressor_t* c, sqfs_file_t* f) {
      return Self(c)->inner->write_options(Self(c)->inner, f);
    };
    w->iface.read_options = [](sqfs_compressor_t* c, sqfs_file_t* f) {
      return Self(c)->inner->read_options(Self(c)->inner, f);
    };
    w->iface.do_block = DoBlock;
    return &w.release()->iface;
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
  return SqfsPtr<sqfs_compressor_t>(CachedCompressor::Wrap(copy, cache, std::move(params)));
}

}  // namespace kiln::squashfs
