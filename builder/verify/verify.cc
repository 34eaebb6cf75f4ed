#include "builder/verify/verify.h"

#include <algorithm>
#include <system_error>
#include <vector>

#include "builder/artifacts/artifacts.h"
#include "builder/common/confined_file.h"
#include "builder/oci/layout.h"

namespace kiln::verify {

namespace fs = std::filesystem;

Result<VerifyReport> VerifyOci(const VerifyOptions& opt) {
  VerifyReport report{opt.artifact.string(), "oci", {}};
  Status s = oci::VerifyOciLayout(opt.artifact);
  if (!s.ok()) {
    report.Fail("oci layout", s.error().message);
    return report;
  }
  report.Pass("oci layout", "every blob matches its digest");
  // The signed build manifest beside the layout covers every file of it.
  std::string name = opt.artifact.filename().string();
  if (artifacts::HasRole(name, artifacts::Role::kOciLayout)) {
    fs::path manifest = opt.artifact.parent_path() /
                        artifacts::FileName(artifacts::Role::kManifest, artifacts::BaseOf(name, artifacts::Role::kOciLayout));
    std::error_code ec;
    if (fs::exists(manifest, ec)) {
      VerifyOptions mo{manifest, opt.cert, opt.jobs, opt.work_dir, opt.allow_external_files, {}};
      KILN_ASSIGN_OR_RETURN(VerifyReport mr, VerifyManifest(mo));
      report.checks.insert(report.checks.end(), mr.checks.begin(), mr.checks.end());
    } else {
      report.Fail("manifest", "no signed build manifest " + manifest.filename().string() + " beside the layout");
    }
  }
  return report;
}

Result<VerifyReport> Verify(const VerifyOptions& opt) {
  std::error_code ec;
  if (!fs::exists(opt.artifact, ec))
    return MakeError(ErrorCode::kInput, "no such artifact: " + opt.artifact.string());
  std::string name = opt.artifact.filename().string();
  if (fs::is_directory(opt.artifact, ec)) {
    if (fs::exists(opt.artifact / "oci-layout", ec)) return VerifyOci(opt);
    // A build output directory: every signed manifest in it (several builds may share it),
    // in name order. Each covers its own artifacts and checks the shared SHA256SUMS.
    std::vector<fs::path> manifests;
    for (const auto& e : fs::directory_iterator(opt.artifact, ec))
      if (artifacts::HasRole(e.path().filename().string(), artifacts::Role::kManifest)) manifests.push_back(e.path());
    std::sort(manifests.begin(), manifests.end());
    if (manifests.size() == 1) {
      VerifyOptions mo = opt;
      mo.artifact = manifests.front();
      return VerifyManifest(mo);
    }
    if (manifests.size() > 1) {
      VerifyReport report{opt.artifact.string(), "directory", {}};
      std::map<std::string, std::string> covered;  // every build's files, for the shared SHA256SUMS
      for (const fs::path& m : manifests) {
        VerifyOptions mo = opt;
        mo.artifact = m;
        KILN_ASSIGN_OR_RETURN(VerifyReport mr, VerifyManifestFiles(mo, covered));
        const std::string build = m.filename().string();
        for (Check& c : mr.checks) {
          c.name = build + ": " + c.name;
          report.checks.push_back(std::move(c));
        }
        if (!mr.ok()) return report;  // the first failure decides
      }
      KILN_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirectory(opt.artifact));
      CheckSha256Sums(dir.get(), covered, report);
      return report;
    }
    return VerifyOci(opt);  // reports the missing oci-layout
  }
  if (artifacts::HasRole(name, artifacts::Role::kManifest)) return VerifyManifest(opt);
  if (artifacts::HasRole(name, artifacts::Role::kRootFilesystem)) return VerifySplitRoot(opt);
  return VerifyDiskImage(opt);
}

}  // namespace kiln::verify
