#include "builder/publish/payload.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "builder/common/confined_file.h"
#include "builder/common/progress_throttle.h"
#include "builder/common/sha256.h"
#include "builder/oci/byte_sink.h"
#include "builder/oci/compressor.h"

namespace kiln::publish {

namespace {

constexpr std::size_t kChunk = 1u << 20;

std::string HexOf(oci::DigestSink& sink) {
  std::string d = sink.FinishDigest();
  return d.substr(d.find(':') + 1);
}

// Streams the source into sink, checking it against the manifest's size and digest.
Status CopyChecked(const PayloadSource& source, oci::ByteSink& sink, ProgressThrottle& progress) {
  KILN_ASSIGN_OR_RETURN(UniqueFd in, OpenConfined(source.dir_fd, source.name));
  std::vector<char> buf(kChunk);
  Sha256 sha;
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, "cannot read " + source.name + ": " + std::strerror(errno));
    if (n == 0) break;
    total += static_cast<std::uint64_t>(n);
    if (total > source.size) break;  // longer than signed: no need to read the rest
    sha.Update(buf.data(), static_cast<std::size_t>(n));
    KILN_TRY(sink.Write(std::string_view(buf.data(), static_cast<std::size_t>(n))));
    progress.Update(total);
  }
  if (total != source.size || ToHex(sha.Finish()) != source.sha256)
    return MakeError(ErrorCode::kIntegrity, source.name + " changed after its manifest was verified (" +
                                                "its bytes no longer match the signed digest)");
  progress.Finish();
  return OkStatus();
}

}  // namespace

Result<channel::RootFile> WritePayload(const ChannelDir& channel, const std::string& final_name,
                                       const PayloadSource& source, const PayloadOptions& options) {
  const std::string temp = channel.TempName(final_name);
  const std::filesystem::path temp_path = channel.path() / temp;
  ::unlinkat(channel.fd(), temp.c_str(), 0);
  channel::RootFile out;
  out.path = final_name;
  Status status = [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(oci::FileSink file, oci::FileSink::Create(temp_path, 0644));
    oci::DigestSink written(&file);
    std::unique_ptr<oci::Compressor> compressor;
    if (options.compress) {
      oci::CompressorOptions copts;
      copts.jobs = options.jobs;
      KILN_ASSIGN_OR_RETURN(compressor, oci::MakeZstdCompressor(written, copts));
    }
    oci::DigestSink content(compressor ? static_cast<oci::ByteSink*>(compressor.get()) : &written);
    ProgressThrottle progress(options.progress, source.size);
    KILN_TRY(CopyChecked(source, content, progress));
    if (compressor) KILN_TRY(compressor->Finish());
    KILN_TRY(file.Close());  // fsync
    out.size = written.size();
    out.sha256 = HexOf(written);
    out.content_size = content.size();
    out.content_sha256 = HexOf(content);
    out.compression = std::string(options.compress ? channel::kCompressionZstd : channel::kCompressionNone);
    return OkStatus();
  }();
  if (!status.ok()) {
    ::unlinkat(channel.fd(), temp.c_str(), 0);
    return std::move(status).WithContext("cannot write " + final_name + " into the channel").error();
  }
  KILN_TRY(channel.Commit(temp, final_name));
  return out;
}

Result<channel::ChannelFile> WritePayloadBytes(const ChannelDir& channel, const std::string& final_name,
                                               std::string_view data) {
  KILN_TRY(channel.WriteAtomically(final_name, data));
  return channel::ChannelFile{final_name, data.size(), ToHex(Sha256Of(data))};
}

}  // namespace kiln::publish
