#include "builder/sources/image_source.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <utility>
#include <vector>

#include "builder/common/file_growth_watcher.h"
#include "builder/common/files.h"
#include "builder/common/progress_throttle.h"
#include "builder/sources/guestfs_handle.h"
#include "builder/tree/tarball_reader.h"

namespace kiln::sources {

namespace {

std::uint64_t BigEndian(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Vfs types blkid reports for encrypted volumes kiln cannot open (it has no keys).
bool IsEncrypted(const std::string& vfs_type) {
  return vfs_type == "crypto_LUKS" || vfs_type == "BitLocker";
}

// Fails when any block device of the image holds an encrypted volume: its contents would be
// silently missing from the root otherwise.
Status CheckNotEncrypted(const GuestfsHandle& h, const std::string& where) {
  guestfs_h* g = h.get();
  std::vector<std::string> devices = TakeStringList(guestfs_list_devices(g));
  std::vector<std::string> parts = TakeStringList(guestfs_list_partitions(g));
  devices.insert(devices.end(), parts.begin(), parts.end());
  // list_filesystems also reports LUKS volumes inside LVM and md devices.
  std::vector<std::string> fs = TakeStringList(guestfs_list_filesystems(g));
  for (std::size_t i = 0; i + 1 < fs.size(); i += 2) {
    if (IsEncrypted(fs[i + 1]))
      return MakeError(ErrorCode::kInput, where + ": encrypted images are not supported (" +
                                              fs[i] + " is " + fs[i + 1] + ")");
  }
  for (const auto& dev : devices) {
    char* type = guestfs_vfs_type(g, dev.c_str());  // fails on devices without a signature
    if (!type) continue;
    std::string t = type;
    std::free(type);
    if (IsEncrypted(t))
      return MakeError(ErrorCode::kInput, where + ": encrypted images are not supported (" +
                                              dev + " is " + t + ")");
  }
  return OkStatus();
}

// The single OS root, or a clear kInput error.
Result<std::string> FindRoot(const GuestfsHandle& h, const std::filesystem::path& image,
                             const std::string& where) {
  char** roots_raw = guestfs_inspect_os(h.get());
  if (!roots_raw) return h.Fail(ErrorCode::kBuild, where + ": inspection failed");
  std::vector<std::string> roots = TakeStringList(roots_raw);
  if (roots.empty())
    return MakeError(ErrorCode::kInput, "no operating system found in " + image.string());
  if (roots.size() > 1) {
    std::string list;
    for (const auto& r : roots) list += (list.empty() ? "" : ", ") + r;
    return MakeError(ErrorCode::kInput, where + ": holds " + std::to_string(roots.size()) +
                                            " operating systems (" + list +
                                            "); kiln takes an image with exactly one");
  }
  return roots.front();
}

// Mounts the OS's file systems read-only where its fstab says, parents before children.
Status MountReadOnly(const GuestfsHandle& h, const std::string& root, const std::string& where) {
  std::vector<std::string> kv = TakeStringList(guestfs_inspect_get_mountpoints(h.get(),
                                                                             root.c_str()));
  std::vector<std::pair<std::string, std::string>> mounts;  // mountpoint, device
  for (std::size_t i = 0; i + 1 < kv.size(); i += 2) mounts.emplace_back(kv[i], kv[i + 1]);
  if (mounts.empty()) mounts.emplace_back("/", root);
  std::sort(mounts.begin(), mounts.end(), [](const auto& a, const auto& b) {
    if (a.first.size() != b.first.size()) return a.first.size() < b.first.size();
    return a.first < b.first;
  });
  for (const auto& [mountpoint, device] : mounts) {
    if (guestfs_mount_ro(h.get(), device.c_str(), mountpoint.c_str()) == -1)
      return h.Fail(ErrorCode::kInput,
                    where + ": cannot mount " + device + " on " + mountpoint + " read-only");
  }
  return OkStatus();
}

}  // namespace

const char* DiskFormatName(DiskFormat format) {
  return format == DiskFormat::kQcow2 ? "qcow2" : "raw";
}

Result<DiskFormat> DetectDiskFormat(const std::filesystem::path& image) {
  std::ifstream in(image, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kInput, "disk image " + image.string() + ": cannot open");
  std::array<unsigned char, 80> header{};
  in.read(reinterpret_cast<char*>(header.data()), header.size());
  const auto got = static_cast<std::size_t>(in.gcount());
  if (got < 4 || !(header[0] == 'Q' && header[1] == 'F' && header[2] == 'I' && header[3] == 0xfb))
    return DiskFormat::kRaw;
  if (got < 20)
    return MakeError(ErrorCode::kInput,
                     "disk image " + image.string() + ": truncated qcow2 header");
  // qcow2 header: backing_file_offset (u64 BE) at byte 8.
  if (BigEndian(header.data() + 8, 8) != 0)
    return MakeError(ErrorCode::kInput, "disk image " + image.string() +
                                            ": qcow2 images with a backing file are not "
                                            "supported (flatten it with qemu-img convert)");
  // Version 3 incompatible_features (byte 72) bit 2: the data lives in another host file.
  if (BigEndian(header.data() + 4, 4) >= 3 && got >= 80 && (BigEndian(header.data() + 72, 8) & 4))
    return MakeError(ErrorCode::kInput, "disk image " + image.string() +
                                            ": qcow2 images with an external data file are not "
                                            "supported (flatten it with qemu-img convert)");
  return DiskFormat::kQcow2;
}

Status ImportDiskImage(tree::FileTree& tree, const std::filesystem::path& image,
                       tree::ContentStore& store, const BuildContext& ctx,
                       const std::string& origin) {
  const std::string where = "disk image " + image.string();
  KILN_ASSIGN_OR_RETURN(DiskFormat format, DetectDiskFormat(image));
  ctx.Report("sources", "reading " + image.string() + " (" + DiskFormatName(format) + ")");

  auto launched = GuestfsHandle::Launch(
      {GuestfsDrive{std::filesystem::absolute(image), DiskFormatName(format), true}}, ctx);
  if (!launched.ok()) return Status(std::move(launched).error()).WithContext(where);
  GuestfsHandle h = std::move(launched).value();

  KILN_TRY(CheckNotEncrypted(h, where));
  KILN_ASSIGN_OR_RETURN(std::string root, FindRoot(h, image, where));
  {
    char* product = guestfs_inspect_get_product_name(h.get(), root.c_str());
    ctx.Report("sources", "found " + std::string(product ? product : "an operating system") +
                              " on " + root);
    std::free(product);
  }
  KILN_TRY(MountReadOnly(h, root, where));

  auto scratch = TempDir::Create(ctx.work_dir, "kiln-image");
  if (!scratch.ok()) return Status(std::move(scratch).error()).WithContext(where);
  const std::filesystem::path tar = scratch->path() / "root.tar";
  const std::string streaming = "streaming the root of " + image.string();
  ctx.Report("sources", streaming);
  {
    // Bytes of the tar so far (the total is not known before: tar headers, sparse files).
    ProgressThrottle progress(ctx.ProgressTo("sources", streaming), 0);
    FileGrowthWatcher watcher(tar, [&progress](std::uint64_t size) { progress.Update(size); });
    // Numeric owners: the image's /etc/passwd, not the appliance's, gives names meaning.
    // XATTRS keeps security.capability and security.selinux. ACLs are left out: the file tree
    // and squashfs only carry user./trusted./security. attributes.
    if (guestfs_tar_out_opts(h.get(), "/", tar.c_str(), GUESTFS_TAR_OUT_OPTS_NUMERICOWNER, 1,
                             GUESTFS_TAR_OUT_OPTS_XATTRS, 1, -1) == -1)
      return h.Fail(ErrorCode::kBuild, where + ": cannot stream the root file system");
  }
  guestfs_umount_all(h.get());
  KILN_TRY(h.Shutdown().WithContext(where));

  std::error_code ec;
  const auto tar_size = std::filesystem::file_size(tar, ec);
  ctx.Report("sources", "importing " + std::to_string(ec ? 0 : tar_size) + " bytes from " +
                            image.string());
  KILN_TRY(tree::ImportTarball(tree, tar, store, origin).WithContext(where));
  return OkStatus();
}

}  // namespace kiln::sources
