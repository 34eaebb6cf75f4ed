#include <system_error>

#include "builder/artifacts/artifacts.h"
#include "builder/common/confined_file.h"
#include "builder/common/sha256.h"
#include "builder/manifest/build_manifest.h"
#include "builder/verify/verify.h"
#include "signing/pkcs7.h"

namespace kiln::verify {

namespace fs = std::filesystem;

namespace {

// A PKCS#7 signature is a few KiB; anything larger is not one.
constexpr std::uint64_t kMaxSignatureSize = 1u << 20;

fs::path DirectoryOf(const fs::path& file) {
  fs::path dir = file.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

}  // namespace

Result<std::optional<SignedManifest>> LoadSignedManifest(const fs::path& path, const signing::Certificate& cert,
                                                         VerifyReport& report) {
  KILN_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirectory(DirectoryOf(path)));
  const std::string name = path.filename().string();
  SignedManifest out;
  KILN_ASSIGN_OR_RETURN(out.json, ReadConfined(dir.get(), name, manifest::kMaxManifestSize));
  const std::string p7s_name = artifacts::SignatureFileName(name);
  auto p7s = ReadConfined(dir.get(), p7s_name, kMaxSignatureSize);
  if (!p7s.ok()) {
    report.Fail("manifest signature", p7s_name + ": " + p7s.error().message);
    return std::optional<SignedManifest>();
  }
  out.p7s = std::move(*p7s);
  Status sig = signing::VerifyPkcs7Detached(out.json, out.p7s, cert);
  if (!sig.ok()) {
    report.Fail("manifest signature", p7s_name + ": " + sig.error().message);
    return std::optional<SignedManifest>();
  }
  report.Pass("manifest signature", "PKCS#7 signature over " + name + " verifies with the certificate");
  auto m = manifest::ParseManifest(out.json);
  if (!m.ok()) {
    report.Fail("manifest", m.error().message);
    return std::optional<SignedManifest>();
  }
  out.manifest = std::move(*m);
  return std::optional<SignedManifest>(std::move(out));
}

namespace {

// What the other signed manifests in dir list (signature checked with cert, files not hashed):
// the SHA256SUMS lines of other builds sharing the directory.
std::map<std::string, std::string> OtherBuildsListing(const fs::path& manifest_path, const signing::Certificate& cert) {
  std::map<std::string, std::string> listed;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(DirectoryOf(manifest_path), ec)) {
    const std::string n = e.path().filename().string();
    if (!artifacts::HasRole(n, artifacts::Role::kManifest) || n == manifest_path.filename().string()) continue;
    VerifyReport scratch;
    auto other = LoadSignedManifest(e.path(), cert, scratch);
    if (!other.ok() || !*other) continue;
    for (const auto& a : (*other)->manifest.artifacts) listed[a.name] = a.sha256;
    listed[n] = ToHex(Sha256Of((*other)->json));
    listed[artifacts::SignatureFileName(n)] = ToHex(Sha256Of((*other)->p7s));
  }
  return listed;
}

}  // namespace

Result<VerifyReport> VerifyManifestFiles(const VerifyOptions& opt, std::map<std::string, std::string>& covered) {
  VerifyReport report{opt.artifact.string(), "manifest", {}};
  KILN_ASSIGN_OR_RETURN(std::optional<SignedManifest> signed_manifest, LoadSignedManifest(opt.artifact, opt.cert, report));
  if (!signed_manifest) return report;
  const manifest::BuildManifest& m = signed_manifest->manifest;
  KILN_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirectory(DirectoryOf(opt.artifact)));
  for (auto& a : m.artifacts) {
    auto fd = OpenConfined(dir.get(), a.name);
    if (!fd.ok()) {
      report.Fail("artifact " + a.name, fd.error().message);
      return report;
    }
    KILN_ASSIGN_OR_RETURN(FileDigest d, Sha256Fd(fd->get()));
    if (d.size != a.size) {
      report.Fail("artifact " + a.name, "size " + std::to_string(d.size) + " differs from the manifest's " + std::to_string(a.size));
      return report;
    }
    if (ToHex(d.sha256) != a.sha256) {
      report.Fail("artifact " + a.name, "sha256 " + ToHex(d.sha256) + " differs from the manifest's " + a.sha256);
      return report;
    }
    covered[a.name] = a.sha256;
  }
  report.Pass("artifacts", std::to_string(m.artifacts.size()) + " artifact digests match the manifest");
  std::vector<std::string> names;
  for (auto& a : m.artifacts) names.push_back(a.name);
  CheckVmFormats(DirectoryOf(opt.artifact), names, report);
  if (!report.ok()) return report;
  CheckProvenance(dir.get(), m, opt.cert, report);
  if (!report.ok()) return report;
  const std::string name = opt.artifact.filename().string();
  covered[name] = ToHex(Sha256Of(signed_manifest->json));
  covered[artifacts::SignatureFileName(name)] = ToHex(Sha256Of(signed_manifest->p7s));
  return report;
}

Result<VerifyReport> VerifyManifest(const VerifyOptions& opt) {
  std::map<std::string, std::string> covered;
  KILN_ASSIGN_OR_RETURN(VerifyReport report, VerifyManifestFiles(opt, covered));
  if (!report.ok()) return report;
  KILN_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirectory(DirectoryOf(opt.artifact)));
  CheckSha256Sums(dir.get(), covered, report, OtherBuildsListing(opt.artifact, opt.cert));
  return report;
}

}  // namespace kiln::verify
