// zstd layer compression through the multi-threaded streaming API (see compressor.h).
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <string>

#include "builder/oci/compressor.h"

namespace kiln::oci {
namespace {

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
using CCtxPtr = std::unique_ptr<ZSTD_CCtx, CCtxDeleter>;

Error ZstdError(const char* what, std::size_t rc) {
  return MakeError(ErrorCode::kBuild, std::string("zstd: ") + what + ": " + ZSTD_getErrorName(rc));
}

class ZstdCompressor : public Compressor {
 public:
  ZstdCompressor(ByteSink& out, CCtxPtr cctx)
      : out_(out), cctx_(std::move(cctx)), buf_(ZSTD_CStreamOutSize(), '\0') {}

  Status Write(std::string_view data) override {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (in.pos < in.size) KILN_TRY(Step(in, ZSTD_e_continue));
    return OkStatus();
  }

  Status Finish() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    for (;;) {
      std::size_t remaining = 0;
      KILN_TRY(Step(in, ZSTD_e_end, &remaining));
      if (remaining == 0) return OkStatus();
    }
  }

 private:
  Status Step(ZSTD_inBuffer& in, ZSTD_EndDirective mode, std::size_t* remaining = nullptr) {
    ZSTD_outBuffer out{buf_.data(), buf_.size(), 0};
    std::size_t rc = ZSTD_compressStream2(cctx_.get(), &out, &in, mode);
    if (ZSTD_isError(rc)) return ZstdError("compression failed", rc);
    if (remaining) *remaining = rc;
    if (out.pos > 0) KILN_TRY(out_.Write(std::string_view(buf_.data(), out.pos)));
    return OkStatus();
  }

  ByteSink& out_;
  CCtxPtr cctx_;
  std::string buf_;
};

}  // namespace

Result<std::unique_ptr<Compressor>> MakeZstdCompressor(ByteSink& out, const CompressorOptions& opts) {
  CCtxPtr cctx(ZSTD_createCCtx());
  if (!cctx) return MakeError(ErrorCode::kBuild, "zstd: cannot create a compression context");
  const int level = opts.level < 0 ? 3 : opts.level;
  // nbWorkers >= 1 even for one job: single-threaded mode produces different bytes.
  const int workers = static_cast<int>(std::max(1u, opts.jobs));
  struct Param {
    ZSTD_cParameter p;
    int v;
    const char* name;
  };
  const Param params[] = {
      {ZSTD_c_compressionLevel, level, "level"},
      {ZSTD_c_checksumFlag, 1, "checksum"},
      {ZSTD_c_nbWorkers, workers, "workers (is libzstd built without threads?)"},
      {ZSTD_c_jobSize, static_cast<int>(opts.zstd_job_size), "job size"},
  };
  for (const Param& p : params) {
    std::size_t rc = ZSTD_CCtx_setParameter(cctx.get(), p.p, p.v);
    if (ZSTD_isError(rc)) return ZstdError(p.name, rc);
  }
  return std::unique_ptr<Compressor>(std::make_unique<ZstdCompressor>(out, std::move(cctx)));
}

}  // namespace kiln::oci
