#include "builder/vmformats/gce.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"
#include "builder/disk/gpt.h"
#include "builder/oci/byte_sink.h"
#include "builder/oci/compressor.h"
#include "builder/vmformats/file_io.h"
#include "builder/vmformats/gzip_reader.h"

namespace kiln::vmformats {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kHeadBytes = disk::kGptFirstUsableLba * disk::kSectorSize;  // MBR + header + entries
constexpr std::uint64_t kTailBytes = disk::kGptBackupSectors * disk::kSectorSize;   // entries + backup header

void PutOctal(std::string& h, std::size_t at, std::size_t width, std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(v));
  std::memcpy(h.data() + at, buf, width - 1);  // the last byte stays NUL
}

std::uint64_t ParseTarNumber(std::string_view f) {
  if (!f.empty() && (static_cast<unsigned char>(f[0]) & 0x80)) {  // GNU base-256
    std::uint64_t v = static_cast<unsigned char>(f[0]) & 0x7f;
    for (std::size_t i = 1; i < f.size(); ++i) {
      if (v >> 56) return ~0ULL;
      v = (v << 8) | static_cast<unsigned char>(f[i]);
    }
    return v;
  }
  std::uint64_t v = 0;
  for (char c : f) {
    if (c == ' ' || c == '\0') {
      if (v != 0) break;
      continue;
    }
    if (c < '0' || c > '7' || (v >> 60)) return ~0ULL;
    v = v * 8 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// The GPT structures for the padded disk: kiln's own GPT writer on a sparse in-memory file
// of the padded size (only the structures' pages are ever allocated).
struct GptEnds {
  std::string head, tail;
};

Result<GptEnds> PaddedGpt(int raw_fd, std::uint64_t padded_size, const fs::path& raw) {
  std::string note;
  auto layout = disk::ReadGpt(raw_fd, &note);
  if (!layout.ok()) return MakeError(ErrorCode::kInput, raw.string() + ": " + layout.error().message);
  if (!note.empty()) return MakeError(ErrorCode::kInput, raw.string() + ": " + note);
  layout->size_bytes = padded_size;
  UniqueFd mem(::memfd_create("kiln-gce-gpt", MFD_CLOEXEC));
  if (!mem.valid()) return MakeError(ErrorCode::kIo, "memfd_create failed");
  KILN_TRY(disk::WriteGpt(mem.get(), *layout));
  GptEnds ends{std::string(kHeadBytes, '\0'), std::string(kTailBytes, '\0')};
  KILN_TRY(ReadAt(mem.get(), ends.head.data(), kHeadBytes, 0, "the padded GPT"));
  KILN_TRY(ReadAt(mem.get(), ends.tail.data(), kTailBytes, padded_size - kTailBytes, "the padded GPT"));
  return ends;
}

std::uint64_t PaddedSize(std::uint64_t raw_size) { return (raw_size + kGiB - 1) / kGiB * kGiB; }

}  // namespace

std::string GnuTarHeader(const std::string& name, std::uint64_t size, std::int64_t mtime) {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  PutOctal(h, 100, 8, 0644);
  PutOctal(h, 108, 8, 0);
  PutOctal(h, 116, 8, 0);
  if (size < (1ULL << 33)) {
    PutOctal(h, 124, 12, size);
  } else {
    h[124] = static_cast<char>(0x80);
    PutBe(h, 128, size, 8);
  }
  PutOctal(h, 136, 12, static_cast<std::uint64_t>(mtime < 0 ? 0 : mtime));
  h[156] = '0';
  h.replace(257, 8, std::string("ustar  \0", 8));  // the old GNU magic and version
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06o", sum);
  std::memcpy(h.data() + 148, buf, 6);
  h[154] = '\0';
  h[155] = ' ';
  return h;
}

Status StreamPaddedDisk(const fs::path& raw, std::uint64_t padded_size,
                        const std::function<Status(std::string_view)>& consume) {
  KILN_ASSIGN_OR_RETURN(UniqueFd fd, OpenForReading(raw));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return MakeError(ErrorCode::kIo, "cannot stat " + raw.string());
  const std::uint64_t raw_size = static_cast<std::uint64_t>(st.st_size);
  if (raw_size < kHeadBytes + kTailBytes || padded_size < raw_size || padded_size % disk::kSectorSize != 0)
    return MakeError(ErrorCode::kInput, raw.string() + " cannot be padded to " + std::to_string(padded_size) + " bytes");
  KILN_ASSIGN_OR_RETURN(GptEnds ends, PaddedGpt(fd.get(), padded_size, raw));
  KILN_TRY(consume(ends.head));
  KILN_TRY(StreamRange(fd.get(), kHeadBytes, raw_size - kTailBytes - kHeadBytes, raw.string(), consume));
  KILN_TRY(StreamZeros(padded_size - raw_size, consume));  // the old backup's place, then the growth
  return consume(ends.tail);
}

Status WriteGceArchive(const fs::path& raw, const fs::path& out, std::int64_t source_date_epoch, unsigned jobs) {
  std::error_code ec;
  const std::uint64_t raw_size = fs::file_size(raw, ec);
  if (ec) return MakeError(ErrorCode::kInput, "cannot read " + raw.string() + ": " + ec.message());
  const std::uint64_t padded = PaddedSize(raw_size);
  KILN_ASSIGN_OR_RETURN(oci::FileSink file, oci::FileSink::Create(out));
  oci::CompressorOptions copts;
  copts.jobs = jobs;
  std::unique_ptr<oci::Compressor> gz = oci::MakeGzipCompressor(file, copts);
  auto write = [&](std::string_view d) { return gz->Write(d); };
  KILN_TRY(write(GnuTarHeader(kGceDiskName, padded, source_date_epoch)));
  KILN_TRY(StreamPaddedDisk(raw, padded, write));  // padded is a multiple of 512: no entry padding
  KILN_TRY(StreamZeros(1024, write));              // end of archive
  KILN_TRY(gz->Finish());
  return file.Close();
}

Status CheckGceArchive(const fs::path& archive, const fs::path& raw) {
  std::error_code ec;
  const std::uint64_t raw_size = fs::file_size(raw, ec);
  if (ec) return MakeError(ErrorCode::kInput, "cannot read " + raw.string() + ": " + ec.message());
  const std::uint64_t padded = PaddedSize(raw_size);
  Sha256 want;
  KILN_TRY(StreamPaddedDisk(raw, padded, [&](std::string_view d) {
    want.Update(d);
    return OkStatus();
  }));
  KILN_ASSIGN_OR_RETURN(GzipReader gz, GzipReader::Open(archive));
  std::string header(512, '\0');
  KILN_TRY(gz.ReadExact(header.data(), header.size()));
  if (std::string_view(header.data(), 9) != std::string_view("disk.raw\0", 9) || header[156] != '0')
    return MakeError(ErrorCode::kIntegrity, archive.string() + ": the first entry is not the regular file disk.raw");
  const std::uint64_t size = ParseTarNumber(std::string_view(header.data() + 124, 12));
  if (size != padded)
    return MakeError(ErrorCode::kIntegrity, archive.string() + ": disk.raw has " + std::to_string(size) +
                                                " bytes, expected " + std::to_string(padded) + " (the raw image padded to a whole GiB)");
  Sha256 got;
  std::string buf(1 << 20, '\0');
  for (std::uint64_t left = size; left > 0;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
    KILN_TRY(gz.ReadExact(buf.data(), n));
    got.Update(buf.data(), n);
    left -= n;
  }
  if (got.Finish() != want.Finish())
    return MakeError(ErrorCode::kIntegrity, archive.string() + ": disk.raw differs from the raw image (partitions or GPT)");
  // Nothing but end-of-archive zeros may follow: exactly one file.
  for (;;) {
    KILN_ASSIGN_OR_RETURN(std::size_t n, gz.Read(buf.data(), buf.size()));
    if (n == 0) break;
    if (std::string_view(buf.data(), n).find_first_not_of('\0') != std::string_view::npos)
      return MakeError(ErrorCode::kIntegrity, archive.string() + ": holds more than disk.raw");
  }
  return OkStatus();
}

}  // namespace kiln::vmformats
