#include "builder/vmformats/gzip_reader.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace kiln::vmformats {

struct GzipReader::State {
  UniqueFd fd;
  std::string path;
  z_stream z{};
  bool init = false;
  bool end = false;
  std::string in = std::string(1 << 16, '\0');
  ~State() {
    if (init) inflateEnd(&z);
  }
};

GzipReader::GzipReader(std::unique_ptr<State> s) : s_(std::move(s)) {}
GzipReader::GzipReader(GzipReader&&) noexcept = default;
GzipReader& GzipReader::operator=(GzipReader&&) noexcept = default;
GzipReader::~GzipReader() = default;

Result<GzipReader> GzipReader::Open(const std::filesystem::path& path) {
  auto s = std::make_unique<State>();
  s->fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  s->path = path.string();
  if (!s->fd.valid()) return MakeError(ErrorCode::kInput, "cannot open " + s->path + ": " + std::strerror(errno));
  if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) return MakeError(ErrorCode::kIo, "inflateInit2 failed");
  s->init = true;
  return GzipReader(std::move(s));
}

Result<std::size_t> GzipReader::Read(char* data, std::size_t size) {
  State& s = *s_;
  if (s.end || size == 0) return std::size_t{0};
  s.z.next_out = reinterpret_cast<Bytef*>(data);
  s.z.avail_out = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
  while (s.z.avail_out > 0 && !s.end) {
    if (s.z.avail_in == 0) {
      ssize_t n = ::read(s.fd.get(), s.in.data(), s.in.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return MakeError(ErrorCode::kIo, "cannot read " + s.path + ": " + std::strerror(errno));
      if (n == 0) return MakeError(ErrorCode::kIntegrity, s.path + ": the gzip stream is truncated");
      s.z.next_in = reinterpret_cast<Bytef*>(s.in.data());
      s.z.avail_in = static_cast<uInt>(n);
    }
    int rc = inflate(&s.z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      s.end = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return MakeError(ErrorCode::kIntegrity, s.path + ": corrupt gzip data");
    }
  }
  return static_cast<std::size_t>(std::min<std::size_t>(size, 1u << 30) - s.z.avail_out);
}

Status GzipReader::ReadExact(char* data, std::size_t size) {
  while (size > 0) {
    KILN_ASSIGN_OR_RETURN(std::size_t n, Read(data, size));
    if (n == 0) return MakeError(ErrorCode::kIntegrity, s_->path + ": the archive ends early");
    data += n;
    size -= n;
  }
  return OkStatus();
}

}  // namespace kiln::vmformats
