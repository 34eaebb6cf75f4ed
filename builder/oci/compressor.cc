#include "builder/oci/compressor.h"

namespace kiln::oci {

const char* LayerMediaType(LayerCompression c) {
  switch (c) {
    case LayerCompression::kGzip: return "application/vnd.oci.image.layer.v1.tar+gzip";
    case LayerCompression::kZstd: return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return "";
}

Result<std::unique_ptr<Compressor>> MakeCompressor(LayerCompression c, ByteSink& out,
                                                   const CompressorOptions& opts) {
  if (c == LayerCompression::kZstd) return MakeZstdCompressor(out, opts);
  return MakeGzipCompressor(out, opts);
}

}  // namespace kiln::oci
