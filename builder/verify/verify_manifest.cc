#include <system_error>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/manifest/build_manifest.h"
#include "builder/verify/verify.h"
#include "signing/pkcs7.h"

namespace kiln::verify {

namespace fs = std::filesystem;

Result<VerifyReport> VerifyManifest(const VerifyOptions& opt) {
  VerifyReport report;
  report.artifact = opt.artifact.string();
  report.kind = "manifest";
  KILN_ASSIGN_OR_RETURN(std::string json, ReadFile(opt.artifact));
  fs::path p7s_path = opt.artifact;
  p7s_path += ".p7s";
  auto p7s = ReadFile(p7s_path);
  if (!p7s.ok()) {
    report.Fail("manifest signature", "missing " + p7s_path.filename().string());
    return report;
  }
  Status sig = signing::VerifyPkcs7Detached(json, *p7s, opt.cert);
  if (!sig.ok()) {
    report.Fail("manifest signature", p7s_path.filename().string() + ": " + sig.error().message);
    return report;
  }
  report.Pass("manifest signature", "PKCS#7 signature verifies with the certificate");
  auto m = manifest::ParseManifest(json);
  if (!m.ok()) {
    report.Fail("manifest", m.error().message);
    return report;
  }
  fs::path dir = opt.artifact.parent_path();
  for (auto& a : m->artifacts) {
    fs::path p = dir / a.name;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      report.Fail("artifact " + a.name, "missing");
      return report;
    }
    auto size = fs::file_size(p, ec);
    if (size != a.size) {
      report.Fail("artifact " + a.name, "size " + std::to_string(size) + " differs from the manifest's " + std::to_string(a.size));
      return report;
    }
    KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(p));
    if (ToHex(d) != a.sha256) {
      report.Fail("artifact " + a.name, "sha256 " + ToHex(d) + " differs from the manifest's " + a.sha256);
      return report;
    }
  }
  report.Pass("artifacts", std::to_string(m->artifacts.size()) + " artifact digests match the manifest");
  std::vector<std::string> names;
  for (auto& a : m->artifacts) names.push_back(a.name);
  CheckVmFormats(dir, names, report);
  if (!report.ok()) return report;
  // SHA256SUMS, when present, must agree with the files too.
  auto sums_text = ReadFile(dir / "SHA256SUMS");
  if (sums_text.ok()) {
    auto sums = manifest::ParseSha256Sums(*sums_text);
    if (!sums.ok()) {
      report.Fail("SHA256SUMS", sums.error().message);
      return report;
    }
    for (auto& s : *sums) {
      auto d = Sha256File(dir / s.name);
      if (!d.ok() || ToHex(*d) != s.sha256) {
        report.Fail("SHA256SUMS", s.name + (d.ok() ? ": digest differs" : ": missing"));
        return report;
      }
    }
    report.Pass("SHA256SUMS", std::to_string(sums->size()) + " entries match");
  }
  return report;
}

}  // namespace kiln::verify
