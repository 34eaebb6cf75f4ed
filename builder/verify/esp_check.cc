// The ESP is read by the firmware outside dm-verity: the boot loader and the UKI (whose command
// line names the root hash) must match what the signed manifest records. The FAT is read with
// mtools (an independent reader) through /proc/self's descriptor of the image kiln opened, so
// the bytes checked are those of the file verified, and files are copied out only under names
// kiln chooses, never under names from the image.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "builder/common/confined_file.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/subprocess.h"
#include "builder/verify/verify.h"

namespace kiln::verify {

namespace fs = std::filesystem;

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Printable excerpt of a name read from the image.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 120)) {
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else out += "?";
  }
  return out;
}

ProcessSpec Mtools(std::vector<std::string> argv, const fs::path& tmp) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  // An empty config keeps the host's ~/.mtoolsrc and MTOOLS_* settings out of it.
  spec.env = {{"LC_ALL", "C"}, {"MTOOLSRC", (tmp / "mtoolsrc").string()}, {"HOME", tmp.string()}};
  spec.unset_env = {"MTOOLS_LOWER_CASE", "MTOOLS_SKIP_CHECK", "MTOOLS_NO_VFAT", "MTOOLS_FAT_COMPATIBILITY"};
  return spec;
}

}  // namespace

Status CheckEspFiles(int image_fd, std::uint64_t esp_offset, const std::vector<manifest::EspFileEntry>& expected,
                     const fs::path& work_dir, VerifyReport& report) {
  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(work_dir, "kiln-verify-esp"));
  KILN_TRY(WriteFile(tmp.path() / "mtoolsrc", ""));
  const std::string drive =
      "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(image_fd) + "@@" + std::to_string(esp_offset);
  KILN_ASSIGN_OR_RETURN(ProcessResult listing, RunProcess(Mtools({"mdir", "-/", "-b", "-i", drive, "::/"}, tmp.path())));
  if (listing.exit_code != 0) {
    report.Fail("esp", "the ESP is not a readable FAT file system");
    return OkStatus();
  }
  std::map<std::string, const manifest::EspFileEntry*> wanted;  // upper-case path (FAT ignores case)
  for (const auto& e : expected) wanted[Upper(e.path)] = &e;
  std::set<std::string> found;
  std::string_view text = listing.out;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.back() == '/') continue;  // directories
    if (!line.starts_with("::")) continue;
    std::string path(line.substr(2));
    if (!wanted.count(Upper(path))) {
      report.Fail("esp", "file " + Printable(path) + " on the ESP is not in the signed manifest");
      return OkStatus();
    }
    found.insert(Upper(path));
  }
  std::size_t n = 0;
  for (const auto& [key, entry] : wanted) {
    if (!found.count(key)) {
      report.Fail("esp", entry->path + " is missing from the ESP");
      return OkStatus();
    }
    const fs::path out = tmp.path() / ("f" + std::to_string(n++));
    KILN_ASSIGN_OR_RETURN(ProcessResult copy,
                          RunProcess(Mtools({"mcopy", "-n", "-Q", "-i", drive, "::" + entry->path, out.string()}, tmp.path())));
    if (copy.exit_code != 0) {
      report.Fail("esp", entry->path + " cannot be read from the ESP");
      return OkStatus();
    }
    KILN_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirectory(tmp.path()));
    KILN_ASSIGN_OR_RETURN(UniqueFd fd, OpenConfined(dir.get(), out.filename().string()));
    KILN_ASSIGN_OR_RETURN(FileDigest d, Sha256Fd(fd.get()));
    if (d.size != entry->size || ToHex(d.sha256) != entry->sha256) {
      report.Fail("esp", entry->path + " on the ESP differs from the signed manifest (sha256 " + ToHex(d.sha256) +
                             ", " + std::to_string(d.size) + " bytes; signed " + entry->sha256 + ", " +
                             std::to_string(entry->size) + " bytes)");
      return OkStatus();
    }
    std::error_code ec;
    fs::remove(out, ec);  // one file at a time: a UKI is tens of MB
  }
  report.Pass("esp", std::to_string(expected.size()) + " files (boot loader, UKI, loader.conf) match the signed manifest");
  return OkStatus();
}

}  // namespace kiln::verify
