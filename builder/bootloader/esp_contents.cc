#include "builder/bootloader/esp_contents.h"

#include "builder/bootloader/uki.h"
#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/common/time_format.h"
#include "builder/tree/content_reader.h"
#include "builder/tree/entries.h"

namespace kiln::bootloader {

namespace fs = std::filesystem;

namespace {

// A tree file as a host path: a whole host file is used where it lies; inline content and a
// range of a tarball are written out to spill.
Result<fs::path> HostFile(const tree::FileTree& tree, const std::string& path, const fs::path& spill) {
  const tree::FileNode* node = tree.Find(path);
  if (!node || node->type != tree::NodeType::kFile)
    return MakeError(ErrorCode::kBuild, "boot file /" + path + " is not a regular file");
  return tree::ContentAsFile(node->content, spill);
}

}  // namespace

Status SignEfiProgram(const fs::path& in, const SecureBootKey& key, const fs::path& out,
                      std::int64_t source_date_epoch) {
  if (FindProgram("faketime").empty())
    return MakeError(ErrorCode::kBuild, "Secure Boot signing needs faketime (apt-get install faketime) to keep "
                                        "sbsign's signature reproducible");
  const std::string stamp = FormatUtcDateTime(source_date_epoch);
  ProcessSpec spec;
  // -f with an absolute time freezes the clock; plain `faketime STAMP` only starts it there,
  // and a signing that crosses a second boundary would then stamp a different time.
  spec.argv = {"faketime", "-f", stamp, "sbsign", "--key", key.key.string(), "--cert", key.cert.string(),
               "--output", out.string(), in.string()};
  spec.env["TZ"] = "UTC";
  auto run = RunChecked(spec).WithContext("signing " + in.filename().string() + " for Secure Boot");
  if (!run.ok()) return std::move(run).error();
  return OkStatus();
}

Result<std::vector<disk::VfatFile>> PrepareEspFiles(const EspRequest& req) {
  const tree::FileTree& tree = *req.tree;
  std::error_code ec;
  fs::create_directories(req.work_dir, ec);
  KILN_ASSIGN_OR_RETURN(fs::path stub, HostFile(tree, req.files.stub, req.work_dir / "stub.efi"));
  KILN_ASSIGN_OR_RETURN(fs::path kernel, HostFile(tree, req.files.kernel, req.work_dir / "vmlinuz"));
  KILN_ASSIGN_OR_RETURN(fs::path initrd, HostFile(tree, req.files.initrd, req.work_dir / "initrd"));
  KILN_ASSIGN_OR_RETURN(fs::path loader, HostFile(tree, req.files.loader, req.work_dir / "loader.efi"));
  const tree::FileNode* osrel_node = tree.Find(req.files.os_release);
  KILN_ASSIGN_OR_RETURN(std::string os_release, tree::ReadContent(osrel_node->content));

  UkiInputs uki{stub, kernel, initrd, os_release, req.cmdline, req.files.kernel_version};
  fs::path uki_path = req.work_dir / req.uki_name;
  KILN_TRY(BuildUki(uki, req.work_dir / "uki-sections", uki_path));
  if (req.secure_boot) {
    fs::path signed_uki = req.work_dir / ("signed-" + req.uki_name);
    KILN_TRY(SignEfiProgram(uki_path, *req.secure_boot, signed_uki, req.source_date_epoch));
    uki_path = signed_uki;
    fs::path signed_loader = req.work_dir / "signed-loader.efi";
    KILN_TRY(SignEfiProgram(loader, *req.secure_boot, signed_loader, req.source_date_epoch));
    loader = signed_loader;
  }
  const fs::path loader_conf = req.work_dir / "loader.conf";
  // One entry, no menu; holding a key at boot still shows it.
  KILN_TRY(WriteFile(loader_conf, "timeout 0\neditor no\n"));
  std::string suffix = EfiArchSuffix(req.arch);
  std::string upper = suffix;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return std::vector<disk::VfatFile>{
      {loader, "/EFI/BOOT/BOOT" + upper + ".EFI"},
      {uki_path, "/EFI/Linux/" + req.uki_name},
      {loader, "/EFI/systemd/systemd-boot" + suffix + ".efi"},
      {loader_conf, "/loader/loader.conf"},
  };
}

}  // namespace kiln::bootloader
