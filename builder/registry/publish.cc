#include "builder/registry/publish.h"

#include "builder/artifacts/artifacts.h"
#include "builder/registry/cosign.h"
#include "builder/registry/disk_artifact.h"
#include "builder/registry/referrers.h"

namespace kiln::registry {

namespace fs = std::filesystem;

fs::path SbomFor(const fs::path& dir, bool is_layout) {
  std::error_code ec;
  if (is_layout) {
    auto p = fs::absolute(dir).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();  // "out/app_1.0.oci/"
    const std::string base = artifacts::BaseOf(p.filename().string(), artifacts::Role::kOciLayout);
    if (base.empty()) return {};
    auto sbom = p.parent_path() / artifacts::FileName(artifacts::Role::kSpdxSbom, base);
    return fs::is_regular_file(sbom, ec) ? sbom : fs::path();
  }
  auto manifest = FindBuildManifest(dir);
  if (!manifest.ok()) return {};
  auto sbom = dir / artifacts::FileName(artifacts::Role::kSpdxSbom,
                                        artifacts::BaseOf(manifest->filename().string(), artifacts::Role::kManifest));
  return fs::is_regular_file(sbom, ec) ? sbom : fs::path();
}

bool IsOciLayout(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "oci-layout", ec);
}

Result<PublishResult> Publish(const fs::path& dir, const Reference& ref, const std::optional<signing::PrivateKey>& key,
                              const PushOptions& opts) {
  const bool layout = IsOciLayout(dir);
  PublishResult out;
  KILN_ASSIGN_OR_RETURN(out.push, layout ? PushLayout(dir, ref, opts) : PushDiskImage(dir, ref, opts));
  Reference tagged = ref;
  tagged.tag = out.push.tag;
  if (auto sbom = SbomFor(dir, layout); !sbom.empty()) {
    KILN_ASSIGN_OR_RETURN(
        PushedArtifact s,
        PushSbomReferrer(tagged, {out.push.media_type, out.push.manifest_digest, out.push.manifest_size}, sbom, opts));
    out.sbom_referrer = s.manifest.digest;
    out.referrers_tag = ReferrersTag(out.push.manifest_digest);
  }
  if (key) {
    KILN_TRY(PushCosignSignature(tagged, out.push.manifest_digest, *key, opts));
    out.signature_tag = CosignSignatureTag(out.push.manifest_digest);
  }
  return out;
}

}  // namespace kiln::registry
