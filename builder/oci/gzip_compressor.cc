// Parallel, thread-count-independent gzip (see compressor.h for the scheme).
#include <zlib.h>

#include <algorithm>
#include <array>
#include <deque>
#include <future>
#include <memory>
#include <string>

#include "builder/oci/compressor.h"
#include "builder/oci/worker_pool.h"

namespace kiln::oci {
namespace {

constexpr std::size_t kWindow = 32 * 1024;  // deflate's maximum back-reference distance

struct Chunk {
  std::string data;        // uncompressed
  std::string dictionary;  // the last 32 KiB of input before this chunk
  bool last = false;
};

struct Compressed {
  std::string out;  // raw deflate, ends byte-aligned (sync flush) or with the final block
  uLong crc = 0;
  std::size_t length = 0;
  std::string error;
};

Compressed DeflateChunk(const Chunk& c, int level) {
  Compressed r;
  r.length = c.data.size();
  r.crc = crc32(0L, reinterpret_cast<const Bytef*>(c.data.data()), static_cast<uInt>(c.data.size()));
  z_stream s{};
  if (deflateInit2(&s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    r.error = "deflateInit2 failed";
    return r;
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&s, deflateEnd);
  if (!c.dictionary.empty() &&
      deflateSetDictionary(&s, reinterpret_cast<const Bytef*>(c.dictionary.data()),
                           static_cast<uInt>(c.dictionary.size())) != Z_OK) {
    r.error = "deflateSetDictionary failed";
    return r;
  }
  r.out.resize(deflateBound(&s, static_cast<uLong>(c.data.size())) + 64);
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(c.data.data()));
  s.avail_in = static_cast<uInt>(c.data.size());
  const int flush = c.last ? Z_FINISH : Z_SYNC_FLUSH;
  std::size_t produced = 0;
  for (;;) {
    if (produced == r.out.size()) r.out.resize(r.out.size() * 2);
    s.next_out = reinterpret_cast<Bytef*>(r.out.data() + produced);
    s.avail_out = static_cast<uInt>(r.out.size() - produced);
    int rc = deflate(&s, flush);
    if (rc == Z_STREAM_ERROR) {
      r.error = "deflate failed";
      return r;
    }
    produced = r.out.size() - s.avail_out;
    // A flush is complete when deflate leaves output space unused; a finish at STREAM_END.
    if (c.last ? rc == Z_STREAM_END : s.avail_out != 0) break;
  }
  r.out.resize(produced);
  return r;
}

void PutLe32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class GzipCompressor : public Compressor {
 public:
  GzipCompressor(ByteSink& out, const CompressorOptions& opts)
      : out_(out),
        level_(opts.level < 0 ? 6 : std::min(opts.level, 9)),
        chunk_size_(std::max<std::size_t>(opts.gzip_chunk_size, kWindow)),
        jobs_(std::max(1u, opts.jobs)),
        pool_(jobs_ > 1 ? jobs_ : 0) {
    current_.reserve(chunk_size_);
  }

  Status Write(std::string_view data) override {
    while (!data.empty()) {
      // A full chunk is only sent once more input arrives: the last chunk must be the
      // one that finishes the stream.
      if (current_.size() == chunk_size_) KILN_TRY(Submit(false));
      std::size_t n = std::min(data.size(), chunk_size_ - current_.size());
      current_.append(data.substr(0, n));
      data.remove_prefix(n);
    }
    return OkStatus();
  }

  Status Finish() override {
    KILN_TRY(Submit(true));
    while (!pending_.empty()) KILN_TRY(Drain());
    std::string trailer;
    PutLe32(trailer, static_cast<std::uint32_t>(crc_));
    PutLe32(trailer, static_cast<std::uint32_t>(total_ & 0xffffffffu));  // ISIZE: mod 2^32
    return out_.Write(trailer);
  }

 private:
  Status Submit(bool last) {
    auto chunk = std::make_shared<Chunk>();
    chunk->data = std::move(current_);
    chunk->dictionary = dictionary_;
    chunk->last = last;
    // The next chunk's dictionary is the tail of this chunk's input (plus earlier input
    // when this chunk is short, which only happens for the last one).
    dictionary_ += chunk->data.size() >= kWindow ? chunk->data.substr(chunk->data.size() - kWindow)
                                                 : chunk->data;
    if (dictionary_.size() > kWindow) dictionary_.erase(0, dictionary_.size() - kWindow);
    current_ = std::string();
    current_.reserve(chunk_size_);
    int level = level_;
    pending_.push_back(pool_.Submit<Compressed>([chunk, level] { return DeflateChunk(*chunk, level); }));
    // Bounded look-ahead keeps memory at a few chunks per worker.
    while (pending_.size() > 2 * jobs_) KILN_TRY(Drain());
    return OkStatus();
  }

  Status Drain() {
    Compressed c = pending_.front().get();
    pending_.pop_front();
    if (!c.error.empty()) return MakeError(ErrorCode::kBuild, "gzip: " + c.error);
    if (!header_written_) {
      // 1f 8b, deflate, no flags, mtime 0, XFL 0, OS 3 (Unix): fixed whatever the host.
      static const char kHeader[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, 3};
      KILN_TRY(out_.Write(std::string_view(kHeader, sizeof kHeader)));
      header_written_ = true;
    }
    crc_ = crc32_combine(crc_, c.crc, static_cast<z_off_t>(c.length));
    total_ += c.length;
    return out_.Write(c.out);
  }

  ByteSink& out_;
  int level_;
  std::size_t chunk_size_;
  unsigned jobs_;
  WorkerPool pool_;
  std::string current_;
  std::string dictionary_;
  std::deque<std::future<Compressed>> pending_;
  bool header_written_ = false;
  uLong crc_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace

std::unique_ptr<Compressor> MakeGzipCompressor(ByteSink& out, const CompressorOptions& opts) {
  return std::make_unique<GzipCompressor>(out, opts);
}

}  // namespace kiln::oci
