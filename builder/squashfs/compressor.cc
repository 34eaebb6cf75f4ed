#include "builder/squashfs/compressor.h"

#include <memory>
#include <string>

#include "builder/common/compression.h"
#include "builder/squashfs/wrapped_compressor.h"

namespace kiln::squashfs {
namespace {

struct LevelRange {
  const char* name;
  SQFS_COMPRESSOR id;
  int min, max;  // min > max: no levels
};

SQFS_COMPRESSOR CompressorId(Compression c) {
  switch (c) {
    case Compression::kZstd: return SQFS_COMP_ZSTD;
    case Compression::kXz: return SQFS_COMP_XZ;
    case Compression::kGzip: return SQFS_COMP_GZIP;
    case Compression::kLz4: return SQFS_COMP_LZ4;
  }
  return SQFS_COMP_ZSTD;
}

// The levels are kiln's (builder/common/compression.h) and must be exactly libsquashfs'.
static_assert(SQFS_ZSTD_MIN_LEVEL == 1 && SQFS_ZSTD_MAX_LEVEL == 22 && SQFS_XZ_MIN_LEVEL == 0 &&
              SQFS_XZ_MAX_LEVEL == 9 && SQFS_GZIP_MIN_LEVEL == 1 && SQFS_GZIP_MAX_LEVEL == 9);

LevelRange RangeFor(Compression c) {
  const std::optional<CompressionLevels> levels = CompressionLevelRange(c);
  return {CompressionName(c), CompressorId(c), levels ? levels->min : 1, levels ? levels->max : 0};
}

// libsquashfs 1.2's lz4 compressor returns output larger than its input for tiny metadata
// blocks (a 4-byte id table becomes 5 bytes), which squashfs-tools' unsquashfs rejects as
// corrupt. This wrapper makes it report "did not shrink" (0: store uncompressed), as the
// other compressors do.
struct ShrinkOnly : WrappedCompressor<ShrinkOnly> {
  sqfs_s32 Compress(const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out, sqfs_u32 outsize) {
    sqfs_s32 r = inner->do_block(inner, in, size, out, outsize);
    return r > 0 && static_cast<sqfs_u32>(r) >= size ? 0 : r;
  }
  std::unique_ptr<ShrinkOnly> CloneFor(sqfs_compressor_t*) const { return std::make_unique<ShrinkOnly>(); }
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
    if (range.id == SQFS_COMP_LZ4 && !uncompress) cmp = ShrinkOnly::Install(std::make_unique<ShrinkOnly>(), cmp);
    (uncompress ? out.uncompress : out.compress).reset(cmp);
  }
  return out;
}

}  // namespace kiln::squashfs
