#include "builder/vmformats/ova.h"

#include <sys/stat.h>

#include <algorithm>

#include "builder/artifacts/artifacts.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/disk/convert.h"
#include "builder/oci/byte_sink.h"
#include "builder/oci/tar_writer.h"
#include "builder/vmformats/file_io.h"
#include "builder/vmformats/ovf_descriptor.h"

namespace kiln::vmformats {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxSmallEntry = 1 << 20;  // descriptor and manifest size bound when checking

std::uint64_t ParseOctal(std::string_view f) {
  std::uint64_t v = 0;
  for (char c : f) {
    if (c == '\0' || c == ' ') continue;
    if (c < '0' || c > '7' || (v >> 60)) return ~0ULL;
    v = v * 8 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

struct TarEntry {
  std::string name;
  std::uint64_t data_offset = 0, size = 0;
};

// Reads the USTAR headers (plain entries only: an OVA needs nothing else).
Result<std::vector<TarEntry>> ListUstar(int fd, std::uint64_t file_size, const std::string& what) {
  std::vector<TarEntry> out;
  std::uint64_t at = 0;
  while (at + 512 <= file_size && out.size() < 64) {
    std::string h(512, '\0');
    KILN_TRY(ReadAt(fd, h.data(), h.size(), at, what));
    if (h.find_first_not_of('\0') == std::string::npos) return out;
    if (h.compare(257, 6, std::string("ustar\0", 6)) != 0)
      return MakeError(ErrorCode::kIntegrity, what + ": entry at offset " + std::to_string(at) + " is not a USTAR header");
    if (h[156] != '0' && h[156] != '\0')
      return MakeError(ErrorCode::kIntegrity, what + ": entry at offset " + std::to_string(at) + " is not a regular file");
    TarEntry e;
    e.name = std::string(h.data(), std::min<std::size_t>(h.find('\0'), 100));
    e.size = ParseOctal(std::string_view(h.data() + 124, 12));
    e.data_offset = at + 512;
    if (e.size > file_size - e.data_offset)
      return MakeError(ErrorCode::kIntegrity, what + ": entry " + e.name + " runs past the end of the file");
    at = e.data_offset + (e.size + 511) / 512 * 512;
    out.push_back(std::move(e));
  }
  return MakeError(ErrorCode::kIntegrity, what + ": no end-of-archive marker");
}

}  // namespace

OvaNames OvaEntryNames(const std::string& base) {
  return {base + ".ovf", base + ".mf", base + "-disk1" + std::string(artifacts::KindOfFormat("vmdk")->suffix)};
}

std::string MakeOvfManifest(const std::vector<std::pair<std::string, std::string>>& digests) {
  std::string mf;
  for (auto& [name, hex] : digests) mf += "SHA256(" + name + ")= " + hex + "\n";
  return mf;
}

Status WriteOva(const fs::path& raw, const fs::path& out, const VmFormatInputs& in) {
  const std::string base = in.name + "_" + in.version;
  const OvaNames names = OvaEntryNames(base);
  fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(parent, ".kiln-ova"));
  const fs::path vmdk = tmp.path() / names.disk;
  // The manifest comes right after the descriptor, so the VMDK's digest is needed before the
  // tar is written: the compressed VMDK is staged once (it is much smaller than the raw image).
  KILN_TRY(disk::ConvertImage(raw, vmdk, "vmdk", "streamOptimized"));
  std::error_code ec;
  const std::uint64_t vmdk_size = fs::file_size(vmdk, ec);
  const std::uint64_t capacity = fs::file_size(raw, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot read the size of " + raw.string());
  KILN_ASSIGN_OR_RETURN(Digest vmdk_digest, Sha256File(vmdk));
  OvfParams op{in.name, in.version, names.disk, vmdk_size, capacity, in.efi, in.cpus, in.memory_mib};
  const std::string ovf = MakeOvfDescriptor(op);
  const std::string mf = MakeOvfManifest({{names.descriptor, ToHex(Sha256Of(ovf))}, {names.disk, ToHex(vmdk_digest)}});

  KILN_ASSIGN_OR_RETURN(oci::FileSink file, oci::FileSink::Create(out));
  oci::TarWriter tar(file);
  auto header = [&](const std::string& name, std::uint64_t size) {
    oci::TarHeader h;
    h.path = name;
    h.mode = 0644;
    h.mtime = in.source_date_epoch;
    h.size = size;
    return tar.WriteHeader(h);
  };
  KILN_TRY(header(names.descriptor, ovf.size()));
  KILN_TRY(tar.WriteData(ovf));
  KILN_TRY(header(names.manifest, mf.size()));
  KILN_TRY(tar.WriteData(mf));
  KILN_TRY(header(names.disk, vmdk_size));
  KILN_TRY(tar.WriteFileContents(vmdk));
  KILN_TRY(tar.Finish());
  return file.Close();
}

Result<OvaDiskExtent> CheckOva(const fs::path& ova) {
  const std::string what = ova.string();
  KILN_ASSIGN_OR_RETURN(UniqueFd fd, OpenForReading(ova));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return MakeError(ErrorCode::kIo, "cannot stat " + what);
  KILN_ASSIGN_OR_RETURN(std::vector<TarEntry> entries, ListUstar(fd.get(), static_cast<std::uint64_t>(st.st_size), what));
  if (entries.size() != 3 || !entries[0].name.ends_with(".ovf") || !entries[1].name.ends_with(".mf") ||
      !entries[2].name.ends_with(artifacts::KindOfFormat("vmdk")->suffix))
    return MakeError(ErrorCode::kIntegrity, what + ": expected the entries .ovf, .mf, .vmdk in that order");
  if (entries[1].size > kMaxSmallEntry) return MakeError(ErrorCode::kIntegrity, what + ": the .mf is too large");
  std::string mf(entries[1].size, '\0');
  KILN_TRY(ReadAt(fd.get(), mf.data(), mf.size(), entries[1].data_offset, what));
  std::vector<std::pair<std::string, std::string>> digests;
  for (std::size_t i : {std::size_t{0}, std::size_t{2}}) {
    Sha256 sha;
    KILN_TRY(StreamRange(fd.get(), entries[i].data_offset, entries[i].size, what, [&](std::string_view d) {
      sha.Update(d);
      return OkStatus();
    }));
    digests.push_back({entries[i].name, ToHex(sha.Finish())});
  }
  if (mf != MakeOvfManifest(digests))
    return MakeError(ErrorCode::kIntegrity, what + ": the .mf digests do not match the descriptor and the disk");
  return OvaDiskExtent{entries[2].data_offset, entries[2].size};
}

}  // namespace kiln::vmformats
