// Layer compression on all cores with output that depends only on the input, never on the
// number of threads, so identical inputs give identical layer digests on any machine.
//
// gzip: pigz's scheme. The input is cut into fixed 1 MiB chunks; each is raw-deflated on a
// worker with the previous 32 KiB of input as its dictionary and ends with a sync flush
// (an empty stored block, so chunks join at byte boundaries); the last chunk finishes the
// stream. The crc32 is combined from per-chunk values (crc32_combine). Fixed header: no
// name, mtime 0, XFL 0, OS 3 (Unix).
// zstd: one frame from ZSTD_compressStream2 with nbWorkers >= 1 always and a fixed job size;
// zstd's multi-threaded mode cuts jobs by input position alone, so its output is the same
// for any worker count >= 1 (single-threaded mode, nbWorkers = 0, would differ).
//
// Used by blob_writer.cc for OCI layers.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "builder/common/result.h"
#include "builder/oci/byte_sink.h"

namespace kiln::oci {

enum class LayerCompression { kGzip, kZstd };
// The recipe's [container] compression (parsed by the recipe parser).
// application/vnd.oci.image.layer.v1.tar+gzip / +zstd
const char* LayerMediaType(LayerCompression c);

// A sink that compresses into another sink; Finish() flushes the end of the stream.
class Compressor : public ByteSink {
 public:
  virtual Status Finish() = 0;
};

struct CompressorOptions {
  unsigned jobs = 1;                        // worker threads (0 means 1)
  int level = -1;                           // -1: gzip 6, zstd 3
  std::size_t gzip_chunk_size = 1u << 20;   // part of the format: changing it changes digests
  std::size_t zstd_job_size = 4u << 20;     // likewise
};

std::unique_ptr<Compressor> MakeGzipCompressor(ByteSink& out, const CompressorOptions& opts);
Result<std::unique_ptr<Compressor>> MakeZstdCompressor(ByteSink& out, const CompressorOptions& opts);
Result<std::unique_ptr<Compressor>> MakeCompressor(LayerCompression c, ByteSink& out,
                                                   const CompressorOptions& opts);

}  // namespace kiln::oci
