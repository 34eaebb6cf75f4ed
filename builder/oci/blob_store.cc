#include "builder/oci/blob_store.h"

#include <sys/stat.h>

#include <atomic>
#include <system_error>

#include "builder/common/sha256.h"

namespace kiln::oci {

namespace fs = std::filesystem;

namespace {

fs::path IncomingPath(const fs::path& dir) {
  static std::atomic<unsigned> counter{0};
  return dir / (".incoming-" + std::to_string(counter.fetch_add(1)));
}

// Moves a finished temporary file to blobs/sha256/<hex>.
Status Commit(const fs::path& tmp, const fs::path& layout_dir, const std::string& digest) {
  KILN_ASSIGN_OR_RETURN(fs::path final_path, BlobPath(layout_dir, digest));
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return MakeError(ErrorCode::kIo, "cannot store blob " + final_path.string() + ": " + ec.message());
  }
  return OkStatus();
}

Result<fs::path> BlobDir(const fs::path& layout_dir) {
  fs::path dir = layout_dir / "blobs" / "sha256";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + dir.string() + ": " + ec.message());
  return dir;
}

}  // namespace

Result<fs::path> BlobPath(const fs::path& layout_dir, std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.substr(0, kPrefix.size()) != kPrefix || !IsSha256Hex(digest.substr(kPrefix.size())))
    return MakeError(ErrorCode::kIntegrity, "unsupported or malformed digest '" + std::string(digest) + "'");
  return layout_dir / "blobs" / "sha256" / std::string(digest.substr(kPrefix.size()));
}

Result<Descriptor> WriteBlob(const fs::path& layout_dir, std::string_view media_type,
                             std::string_view content) {
  KILN_ASSIGN_OR_RETURN(fs::path dir, BlobDir(layout_dir));
  Descriptor d{std::string(media_type), "sha256:" + ToHex(Sha256Of(content)), content.size()};
  fs::path tmp = IncomingPath(dir);
  {
    KILN_ASSIGN_OR_RETURN(FileSink file, FileSink::Create(tmp));
    KILN_TRY(file.Write(content));
    KILN_TRY(file.Close());
  }
  KILN_TRY(Commit(tmp, layout_dir, d.digest));
  return d;
}

Result<LayerBlob> WriteLayerBlob(const fs::path& layout_dir, LayerCompression compression,
                                 const CompressorOptions& opts,
                                 const std::function<Status(ByteSink&)>& produce) {
  KILN_ASSIGN_OR_RETURN(fs::path dir, BlobDir(layout_dir));
  fs::path tmp = IncomingPath(dir);
  LayerBlob blob;
  Status status = [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(FileSink file, FileSink::Create(tmp));
    DigestSink compressed(&file);
    KILN_ASSIGN_OR_RETURN(auto compressor, MakeCompressor(compression, compressed, opts));
    DigestSink uncompressed(compressor.get());
    KILN_TRY(produce(uncompressed));
    KILN_TRY(compressor->Finish());
    KILN_TRY(file.Close());
    blob.diff_id = uncompressed.FinishDigest();
    blob.uncompressed_size = uncompressed.size();
    blob.descriptor = Descriptor{LayerMediaType(compression), compressed.FinishDigest(), compressed.size()};
    return OkStatus();
  }();
  if (!status.ok()) {
    std::error_code ec;
    fs::remove(tmp, ec);
    return std::move(status).error();
  }
  KILN_TRY(Commit(tmp, layout_dir, blob.descriptor.digest));
  return blob;
}

Status CheckBlob(const fs::path& layout_dir, const Descriptor& d) {
  KILN_ASSIGN_OR_RETURN(fs::path path, BlobPath(layout_dir, d.digest));
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec)
    return MakeError(ErrorCode::kIntegrity, "blob " + d.digest + " (" + d.media_type + ") is missing: " +
                                                path.string());
  if (size != d.size)
    return MakeError(ErrorCode::kIntegrity, "blob " + path.string() + " has " + std::to_string(size) +
                                                " bytes, its descriptor says " + std::to_string(d.size));
  KILN_ASSIGN_OR_RETURN(Digest digest, Sha256File(path));
  std::string actual = "sha256:" + ToHex(digest);
  if (actual != d.digest)
    return MakeError(ErrorCode::kIntegrity, "blob " + path.string() + " (" + d.media_type +
                                                ") is corrupt: its content hashes to " + actual);
  return OkStatus();
}

}  // namespace kiln::oci
