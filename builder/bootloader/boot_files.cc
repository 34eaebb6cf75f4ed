#include "builder/bootloader/boot_files.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace kiln::bootloader {

namespace {

// The regular file at path after following symlinks in the image, or "" when there is none.
std::string RegularFile(const tree::FileTree& tree, const std::string& path) {
  std::string resolved = tree.Resolve(path);
  if (resolved.empty()) return "";
  const tree::FileNode* node = tree.Find(resolved);
  if (node && node->type == tree::NodeType::kHardLink) {
    resolved = node->target;
    node = tree.Find(resolved);
  }
  return node && node->type == tree::NodeType::kFile ? resolved : "";
}

}  // namespace

std::string EfiArchSuffix(Architecture arch) {
  return arch == Architecture::kArm64 ? "aa64" : "x64";
}

bool KernelVersionLess(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

Result<BootFiles> FindBootFiles(const tree::FileTree& tree, Architecture arch) {
  BootFiles files;
  std::string boot = tree.Resolve("boot");
  std::vector<std::string> versions;
  if (!boot.empty()) {
    for (const std::string& name : tree.Children(boot)) {
      const std::string prefix = "vmlinuz-";
      if (name.rfind(prefix, 0) == 0 && !RegularFile(tree, boot + "/" + name).empty())
        versions.push_back(name.substr(prefix.size()));
    }
  }
  if (versions.empty())
    return MakeError(ErrorCode::kRecipe,
                     "[boot] needs a kernel in the image's /boot (vmlinuz-VERSION): add a kernel package "
                     "such as linux-image-amd64 to [base].packages");
  std::sort(versions.begin(), versions.end(), KernelVersionLess);
  files.kernel_version = versions.back();
  files.kernel = RegularFile(tree, boot + "/vmlinuz-" + files.kernel_version);
  for (const std::string& name : {"initrd.img-" + files.kernel_version, "initramfs-" + files.kernel_version + ".img"}) {
    files.initrd = RegularFile(tree, boot + "/" + name);
    if (!files.initrd.empty()) break;
  }
  if (files.initrd.empty())
    return MakeError(ErrorCode::kRecipe, "[boot] found kernel " + files.kernel_version +
                                             " but no initrd for it in /boot: add dracut to [base].packages "
                                             "(kiln configures it to set up dm-verity)");
  const std::string efi = "usr/lib/systemd/boot/efi/";
  const std::string suffix = EfiArchSuffix(arch);
  files.stub = RegularFile(tree, efi + "linux" + suffix + ".efi.stub");
  files.loader = RegularFile(tree, efi + "systemd-boot" + suffix + ".efi");
  if (files.stub.empty() || files.loader.empty())
    return MakeError(ErrorCode::kRecipe, "[boot] loader = \"systemd-boot\" needs " + efi + "linux" + suffix +
                                             ".efi.stub and systemd-boot" + suffix +
                                             ".efi in the image: add systemd-boot-efi to [base].packages");
  files.os_release = RegularFile(tree, "etc/os-release");
  if (files.os_release.empty()) files.os_release = RegularFile(tree, "usr/lib/os-release");
  if (files.os_release.empty())
    return MakeError(ErrorCode::kRecipe, "[boot] the image has no /etc/os-release or /usr/lib/os-release");
  return files;
}

}  // namespace kiln::bootloader
