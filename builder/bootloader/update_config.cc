#include "builder/bootloader/update_config.h"

#include <nlohmann/json.hpp>

#include "builder/bootloader/tree_files.h"
#include "builder/common/system_text.h"
#include "builder/tree/entries.h"

namespace kiln::bootloader {

namespace {

constexpr const char* kUnitDir = "usr/lib/systemd/system/";

// What the agent links and boot counting runs, with the Debian package that ships each.
struct RuntimeFile {
  const char* name;
  const char* package;
};
constexpr RuntimeFile kRuntimeLibraries[] = {
    {"libcurl.so.4", "libcurl4"}, {"libssl.so.3", "libssl3"}, {"libcrypto.so.3", "libssl3"},
    {"libzstd.so.1", "libzstd1"}, {"libz.so.1", "zlib1g"}};

std::vector<std::string> LibraryDirs(Architecture arch) {
  const std::string triplet = arch == Architecture::kArm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return {"usr/lib/" + triplet, "lib/" + triplet, "usr/lib64", "usr/lib", "lib64", "lib"};
}

bool HasFile(const tree::FileTree& tree, const std::string& path) {
  std::string resolved = tree.Resolve(path);
  const tree::FileNode* node = resolved.empty() ? nullptr : tree.Find(resolved);
  return node && (node->type == tree::NodeType::kFile || node->type == tree::NodeType::kHardLink);
}

Status CheckRuntime(const tree::FileTree& tree, Architecture arch) {
  std::string missing;
  auto add = [&missing](const std::string& what, const char* package) {
    missing += (missing.empty() ? "" : ", ") + what + " (" + package + ")";
  };
  for (const RuntimeFile& lib : kRuntimeLibraries) {
    bool found = false;
    for (const std::string& dir : LibraryDirs(arch)) found = found || HasFile(tree, dir + "/" + lib.name);
    if (!found) add(lib.name, lib.package);
  }
  if (!HasFile(tree, "usr/lib/systemd/systemd-bless-boot")) add("/usr/lib/systemd/systemd-bless-boot", "systemd-boot");
  if (!HasFile(tree, std::string(kUnitDir) + "systemd-bless-boot.service"))
    add("systemd-bless-boot.service", "systemd-boot");
  if (missing.empty()) return OkStatus();
  return MakeError(ErrorCode::kRecipe,
                   "[update] needs the update agent's runtime in the image, missing: " + missing +
                       " (a Debian base gets these packages added; other bases must contain them)");
}

// IMAGE_ID/IMAGE_VERSION replace any the base had; the rest of os-release is kept as is.
Status SetImageIdentity(tree::FileTree& tree, const UpdateSystemConfig& c) {
  std::string path;
  for (const char* candidate : {"etc/os-release", "usr/lib/os-release"}) {
    path = tree.Resolve(candidate);
    const tree::FileNode* node = path.empty() ? nullptr : tree.Find(path);
    if (node && node->type == tree::NodeType::kFile) break;
    path.clear();
  }
  if (path.empty()) return MakeError(ErrorCode::kRecipe, "[update] the image has no /etc/os-release or /usr/lib/os-release");
  const tree::FileNode* node = tree.Find(path);
  const std::uint32_t mode = node->mode;
  KILN_ASSIGN_OR_RETURN(std::string text, tree::ReadContent(node->content));
  std::string kept;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    if (line.starts_with("IMAGE_ID=") || line.starts_with("IMAGE_VERSION=")) continue;
    kept += line + "\n";
  }
  kept += "IMAGE_ID=" + c.image + "\nIMAGE_VERSION=" + c.version + "\n";
  return PutFile(tree, path, std::move(kept), mode);
}

// A drop-in per health unit: its failure reboots, and boot-complete.target (which
// systemd-bless-boot waits for) requires it and comes after it.
Status AddHealthChecks(tree::FileTree& tree, const std::vector<std::string>& health) {
  for (const std::string& unit : health) {
    if (std::string why = SystemFieldProblem(SystemField::kUnitName, unit); !why.empty())
      return MakeError(ErrorCode::kRecipe, "[update].health: " + why);
    KILN_TRY(PutFile(tree, kUnitDir + unit + ".d/50-kiln-health.conf",
                     "# Written by kiln ([update] health): a boot of a new version counts as good only\n"
                     "# once this unit has succeeded; its failure reboots, and after [update] tries the\n"
                     "# boot loader falls back to the previous version.\n"
                     "[Unit]\n"
                     "FailureAction=reboot\n"
                     "Before=boot-complete.target\n",
                     0644));
    // An instance's symlink points at its template, as `systemctl add-requires` does.
    std::string target = unit;
    if (std::size_t at = unit.find('@'), dot = unit.rfind('.'); at != std::string::npos && dot > at)
      target = unit.substr(0, at + 1) + unit.substr(dot);
    KILN_TRY(PutSymlink(tree, kUnitDir + std::string("boot-complete.target.requires/") + unit, "../" + target));
  }
  return OkStatus();
}

constexpr const char* kMachineIdScript = R"sh(#!/bin/sh
# Written by kiln: one machine ID for the life of the machine, kept on the data partition.
# The root is read-only, so systemd made a transient ID at boot; the first boot keeps it,
# later boots (and later versions) mount the kept one over /etc/machine-id.
set -eu
kept="$1"
if ! grep -qxE '[0-9a-f]{32}' "$kept" 2>/dev/null; then
  mkdir -p "${kept%/*}"
  cat /etc/machine-id > "$kept.tmp"
  sync "$kept.tmp"
  mv "$kept.tmp" "$kept"
fi
if [ "$(cat /etc/machine-id)" != "$(cat "$kept")" ]; then
  mount --bind "$kept" /etc/machine-id
fi
)sh";

Status AddUnits(tree::FileTree& tree, const UpdateSystemConfig& c) {
  const std::string unit_dir = kUnitDir;
  KILN_TRY(PutFile(tree, unit_dir + "kiln-update.service",
                   "# Written by kiln: installs the newest version of the release channel into the\n"
                   "# inactive slot; it boots next (docs/updates.md).\n"
                   "[Unit]\n"
                   "Description=Update the system from its release channel\n"
                   "Wants=network-online.target\n"
                   "After=network-online.target efi.automount\n\n"
                   "[Service]\n"
                   "Type=oneshot\n"
                   "ExecStart=/usr/bin/kiln-update update\n",
                   0644));
  KILN_TRY(PutFile(tree, unit_dir + "kiln-update.timer",
                   "# Written by kiln: unattended updates; enable it with [services] enable.\n"
                   "[Unit]\n"
                   "Description=Update the system from its release channel regularly\n\n"
                   "[Timer]\n"
                   "OnBootSec=15min\n"
                   "OnUnitActiveSec=6h\n"
                   "RandomizedDelaySec=30min\n\n"
                   "[Install]\n"
                   "WantedBy=timers.target\n",
                   0644));
  KILN_TRY(PutFile(tree, unit_dir + "kiln-build-info.service",
                   "# Written by kiln: the running build (image, version, root hash) for monitoring,\n"
                   "# as a Prometheus textfile.\n"
                   "[Unit]\n"
                   "Description=Expose the running build for monitoring\n\n"
                   "[Service]\n"
                   "Type=oneshot\n"
                   "RemainAfterExit=yes\n"
                   "RuntimeDirectory=kiln/metrics\n"
                   "RuntimeDirectoryPreserve=yes\n"
                   "ExecStart=/usr/bin/kiln-update status --prometheus /run/kiln/metrics/kiln_build_info.prom\n\n"
                   "[Install]\n"
                   "WantedBy=multi-user.target\n",
                   0644));
  KILN_TRY(PutSymlink(tree, unit_dir + "multi-user.target.wants/kiln-build-info.service",
                      "../kiln-build-info.service"));

  const std::string kept = KeptMachineIdPath(c.data_mountpoint);
  KILN_TRY(PutFile(tree, "usr/lib/kiln/machine-id", kMachineIdScript, 0755));
  KILN_TRY(PutFile(tree, unit_dir + "kiln-machine-id.service",
                   "# Written by kiln: keeps the machine ID on the data partition.\n"
                   "[Unit]\n"
                   "Description=Keep the machine ID on the data partition\n"
                   "DefaultDependencies=no\n"
                   "RequiresMountsFor=" + kept.substr(0, kept.rfind('/')) + "\n"
                   "After=local-fs.target\n"
                   "Before=sysinit.target systemd-journal-flush.service shutdown.target\n"
                   "Conflicts=shutdown.target\n\n"
                   "[Service]\n"
                   "Type=oneshot\n"
                   "RemainAfterExit=yes\n"
                   "ExecStart=/usr/lib/kiln/machine-id " + kept + "\n",
                   0644));
  KILN_TRY(PutSymlink(tree, unit_dir + "sysinit.target.wants/kiln-machine-id.service", "../kiln-machine-id.service"));

  // The ESP at /efi, where systemd-bless-boot and the agent find the boot entries. An
  // automount: the FAT file system is mounted only while it is used.
  const std::string esp = c.esp_partuuid.ToString();
  KILN_TRY(PutDirectory(tree, "efi", 0755));
  KILN_TRY(PutFile(tree, unit_dir + "efi.mount",
                   "# Written by kiln: the ESP of this image (stable per image name).\n"
                   "[Unit]\n"
                   "Description=EFI System Partition\n\n"
                   "[Mount]\n"
                   "What=/dev/disk/by-partuuid/" + esp + "\n"
                   "Where=/efi\n"
                   "Type=vfat\n"
                   "Options=umask=0077,noexec,nosuid,nodev\n",
                   0644));
  KILN_TRY(PutFile(tree, unit_dir + "efi.automount",
                   "# Written by kiln.\n"
                   "[Unit]\n"
                   "Description=EFI System Partition Automount\n\n"
                   "[Automount]\n"
                   "Where=/efi\n"
                   "TimeoutIdleSec=2min\n",
                   0644));
  KILN_TRY(PutSymlink(tree, unit_dir + "local-fs.target.wants/efi.automount", "../efi.automount"));

  // Boot counting: mark the entry good once boot-complete.target is reached. Debian's
  // generator enables it only when the loader counts; enabling it always keeps the health
  // checks' ordering the same on every boot.
  KILN_TRY(PutSymlink(tree, unit_dir + "basic.target.wants/systemd-bless-boot.service",
                      "../systemd-bless-boot.service"));
  // It fails when the loader did not count this boot (the first boot, an entry already blessed):
  // run it only when systemd-boot set LoaderBootCountPath. boot-complete.target and the health
  // checks are still pulled in on every boot.
  KILN_TRY(PutFile(tree, unit_dir + "systemd-bless-boot.service.d/kiln-counted-boots.conf",
                   "# Written by kiln: bless only a boot the loader counted.\n[Unit]\n"
                   "ConditionPathExists=/sys/firmware/efi/efivars/"
                   "LoaderBootCountPath-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f\n",
                   0644));
  return AddHealthChecks(tree, c.health);
}

}  // namespace

std::string ReleaseJson(const UpdateSystemConfig& c) {
  nlohmann::json j = {{"schema", "kiln.release.v1"},
                      {"image", c.image},
                      {"version", c.version},
                      {"architecture", ArchitectureName(c.arch)},
                      {"inputs_sha256", c.inputs_sha256},
                      {"signer_sha256", c.signer_sha256},
                      {"channel", c.channel},
                      {"tries", c.tries},
                      {"health", c.health}};
  return j.dump() + "\n";  // std::map keys: sorted
}

std::string KeptMachineIdPath(const std::string& data_mountpoint) {
  std::string base = data_mountpoint;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (base == "/") base.clear();
  return base + "/lib/kiln/machine-id";
}

Status ApplyUpdateSystemConfig(tree::FileTree& tree, const UpdateSystemConfig& c) {
  if (std::string why = SystemFieldProblem(SystemField::kFstabPath, c.data_mountpoint); !why.empty())
    return MakeError(ErrorCode::kRecipe, "[data].mountpoint: " + why);
  KILN_TRY(CheckRuntime(tree, c.arch));
  KILN_TRY(SetImageIdentity(tree, c));
  KILN_TRY(PutFile(tree, "usr/lib/kiln/release.json", ReleaseJson(c), 0644));
  KILN_TRY(PutFile(tree, "usr/lib/kiln/channel.crt", c.certificate_pem, 0644));
  KILN_TRY(PutHostFile(tree, "usr/bin/kiln-update", c.agent, 0755));
  return AddUnits(tree, c);
}

}  // namespace kiln::bootloader
