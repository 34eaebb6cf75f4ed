#include "builder/squashfs/compressor.h"

#include <memory>
#include <string>

namespace kiln::squashfs {
namespace {

struct LevelRange {
  const char* name;
  SQFS_COMPRESSOR id;
  int min, max;  // min > max: no levels
};

LevelRange RangeFor(recipe::Compression c) {
  switch (c) {
    case recipe::Compression::kZstd: return {"zstd", SQFS_COMP_ZSTD, SQFS_ZSTD_MIN_LEVEL, SQFS_ZSTD_MAX_LEVEL};
    case recipe::Compression::kXz: return {"xz", SQFS_COMP_XZ, SQFS_XZ_MIN_LEVEL, SQFS_XZ_MAX_LEVEL};
    case recipe::Compression::kGzip: return {"gzip", SQFS_COMP_GZIP, SQFS_GZIP_MIN_LEVEL, SQFS_GZIP_MAX_LEVEL};
    case recipe::Compression::kLz4: return {"lz4", SQFS_COMP_LZ4, 1, 0};
  }
  return {"zstd", SQFS_COMP_ZSTD, SQFS_ZSTD_MIN_LEVEL, SQFS_ZSTD_MAX_LEVEL};
}

// libsquashfs 1.2's lz4 compressor returns output larger than its input for tiny metadata
// blocks (a 4-byte id table becomes 5 bytes), which squashfs-tools' unsquashfs rejects as
// corrupt. This wrapper makes it report "did not shrink" (0: store uncompressed), as the
// other compressors do.
struct ShrinkOnly {
  sqfs_compressor_t iface;  // first: libsquashfs only sees this
  sqfs_compressor_t* inner;

  static ShrinkOnly* Self(const void* p) {
    return reinterpret_cast<ShrinkOnly*>(const_cast<void*>(p));
  }
  static sqfs_compressor_t* Wrap(sqfs_compressor_t* inner) {
    auto w = std::make_unique<ShrinkOnly>();
    w->inner = inner;
    w->iface.base.destroy = [](sqfs_object_t* obj) {
      std::unique_ptr<ShrinkOnly> owned(Self(obj));
      sqfs_destroy(owned->inner);
    };
    w->iface.base.copy = [](const sqfs_object_t* obj) -> sqfs_object_t* {
      auto* inner_copy = static_cast<sqfs_compressor_t*>(sqfs_copy(Self(obj)->inner));
      return inner_copy ? reinterpret_cast<sqfs_object_t*>(Wrap(inner_copy)) : nullptr;
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
    w->iface.do_block = [](sqfs_compressor_t* c, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out,
                           sqfs_u32 outsize) -> sqfs_s32 {
      sqfs_s32 r = Self(c)->inner->do_block(Self(c)->inner, in, size, out, outsize);
      return r > 0 && static_cast<sqfs_u32>(r) >= size ? 0 : r;
    };
    return &w.release()->iface;
  }
};

}  // namespace

Result<Compressors> MakeCompressors(const SquashfsOptions& opts) {
  std::uint32_t bs = opts.block_size;
  if (bs < SQFS_MIN_BLOCK_SIZE || bs > SQFS_MAX_BLOCK_SIZE || (bs & (bs - 1)) != 0)
    return MakeError(ErrorCode::kUsage, "squashfs block size " + std::to_string(bs) +
                                            " is not a power of two between 4 KiB and 1 MiB");
  LevelRange range = RangeFor(opts.compression);
  if (opts.level) {
    if (range.min > range.max)
      return MakeError(ErrorCode::kUsage, std::string(range.name) + " takes no compression level");
    if (*opts.level < range.min || *opts.level > range.max)
      return MakeError(ErrorCode::kUsage, "compression level " + std::to_string(*opts.level) +
                                              " out of range for " + range.name + " (" +
                                              std::to_string(range.min) + "-" +
                                              std::to_string(range.max) + ")");
  }
  Compressors out;
  out.id = range.id;
  for (bool uncompress : {false, true}) {
    sqfs_compressor_config_t cfg;
    int rc = sqfs_compressor_config_init(&cfg, range.id, bs,
                                         uncompress ? SQFS_COMP_FLAG_UNCOMPRESS : 0);
    if (rc != 0)
      return MakeError(ErrorCode::kBuild, std::string("cannot configure the ") + range.name +
                                              " compressor: " + SqfsErrorText(rc));
    if (opts.level) cfg.level = static_cast<sqfs_u32>(*opts.level);
    sqfs_compressor_t* cmp = nullptr;
    rc = sqfs_compressor_create(&cfg, &cmp);
    if (rc != 0 || cmp == nullptr)
      return MakeError(ErrorCode::kBuild, std::string("cannot create the ") + range.name +
                                              " compressor: " + SqfsErrorText(rc));
    if (range.id == SQFS_COMP_LZ4 && !uncompress) cmp = ShrinkOnly::Wrap(cmp);
    (uncompress ? out.uncompress : out.compress).reset(cmp);
  }
  return out;
}

}  // namespace kiln::squashfs
