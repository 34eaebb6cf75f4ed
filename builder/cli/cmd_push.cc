// kiln push / pull / verify --registry: thin frontends over builder/registry.
#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

#include "builder/cli/commands.h"
#include "builder/input_archive/archive_artifact.h"
#include "builder/input_archive/archive_index.h"
#include "builder/registry/cosign.h"
#include "builder/registry/disk_artifact.h"
#include "builder/registry/publish.h"
#include "builder/registry/pull.h"
#include "signing/keys.h"

namespace kiln::cli {

namespace {

Error Usage(Error e) {
  e.code = ErrorCode::kUsage;
  return e;
}

}  // namespace

int RunPush(const GlobalOptions& g, const PushCommandOptions& o) {
  auto ref = registry::ParseReference(o.ref);
  if (!ref.ok()) return ReportError(g, ref.error());
  if (o.sign && o.key.empty()) return ReportError(g, MakeError(ErrorCode::kUsage, "--sign needs --key"));
  std::optional<signing::PrivateKey> key;
  if (o.sign) {
    auto k = signing::LoadPrivateKey(o.key);
    if (!k.ok()) return ReportError(g, Usage(k.error()));
    key = std::move(*k);
  }
  registry::PushOptions opts;
  opts.insecure = o.insecure;
  registry::PublishResult published;
  if (o.archive) {
    // An input archive (--archive) goes as its own artifact, signed like any push; no SBOM.
    auto pushed = input_archive::PushInputArchive(o.oci_dir, *ref, opts);
    if (!pushed.ok()) return ReportError(g, pushed.error());
    published.push = std::move(*pushed);
    if (key) {
      registry::Reference tagged = *ref;
      tagged.tag = published.push.tag;
      auto s = registry::PushCosignSignature(tagged, published.push.manifest_digest, *key, opts);
      if (!s.ok()) return ReportError(g, s.error());
      published.signature_tag = registry::CosignSignatureTag(published.push.manifest_digest);
    }
  } else {
    auto p = registry::Publish(o.oci_dir, *ref, key, opts);
    if (!p.ok()) return ReportError(g, p.error());
    published = std::move(*p);
  }
  const registry::PushResult* r = &published.push;
  const std::string& sig_tag = published.signature_tag;
  const std::string& sbom_digest = published.sbom_referrer;
  if (g.json) {
    nlohmann::json j = {{"ok", true},
                        {"reference", r->reference},
                        {"digest", r->manifest_digest},
                        {"media_type", r->media_type},
                        {"blobs_uploaded", r->blobs_uploaded},
                        {"blobs_skipped", r->blobs_skipped},
                        {"bytes_uploaded", r->bytes_uploaded}};
    if (!sig_tag.empty()) j["signature_tag"] = sig_tag;
    if (!sbom_digest.empty()) {
      j["sbom_referrer"] = sbom_digest;
      j["referrers_tag"] = published.referrers_tag;
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    if (!g.quiet)
      std::printf("pushed %s@%s: %d blobs uploaded (%lld bytes), %d already present\n", r->reference.c_str(),
                  r->manifest_digest.c_str(), r->blobs_uploaded, r->bytes_uploaded, r->blobs_skipped);
    else
      std::printf("%s@%s\n", r->reference.c_str(), r->manifest_digest.c_str());
    if (!sig_tag.empty() && !g.quiet) std::printf("signed: %s:%s\n", ref->Repository().c_str(), sig_tag.c_str());
    if (!sbom_digest.empty() && !g.quiet)
      std::printf("sbom: %s@%s (referrer)\n", ref->Repository().c_str(), sbom_digest.c_str());
  }
  return 0;
}

int RunPull(const GlobalOptions& g, const std::string& ref_text, const std::filesystem::path& oci_dir,
            bool insecure, bool force) {
  auto ref = registry::ParseReference(ref_text);
  if (!ref.ok()) return ReportError(g, ref.error());
  registry::PullOptions opts;
  opts.insecure = insecure;
  opts.force = force;
  auto type = registry::RemoteArtifactType(*ref, opts);
  if (!type.ok()) return ReportError(g, type.error());
  if (*type == input_archive::kMediaType) {
    auto a = input_archive::PullInputArchive(*ref, oci_dir, opts);
    if (!a.ok()) return ReportError(g, a.error());
    if (g.json) {
      nlohmann::json j = {{"ok", true}, {"reference", ref->ToString()}, {"digest", a->manifest_digest},
                          {"dir", oci_dir.string()}, {"index", a->index_digest}, {"blobs", a->blobs}};
      std::printf("%s\n", j.dump(2).c_str());
    } else if (!g.quiet) {
      std::printf("pulled input archive %s@%s into %s (index %s, %zu blobs)\n", ref->ToString().c_str(),
                  a->manifest_digest.c_str(), oci_dir.c_str(), a->index_digest.c_str(), a->blobs);
    }
    return 0;
  }
  if (*type == registry::kDiskImageArtifactType) {
    auto d = registry::PullDiskImage(*ref, oci_dir, opts);
    if (!d.ok()) return ReportError(g, d.error());
    if (g.json) {
      nlohmann::json j = {{"ok", true}, {"reference", ref->ToString()}, {"digest", d->manifest_digest},
                          {"dir", oci_dir.string()}, {"files", d->files}};
      std::printf("%s\n", j.dump(2).c_str());
    } else if (!g.quiet) {
      std::printf("pulled disk image %s@%s into %s (%zu files)\n", ref->ToString().c_str(),
                  d->manifest_digest.c_str(), oci_dir.c_str(), d->files.size());
    }
    return 0;
  }
  auto r = registry::PullLayout(*ref, oci_dir, opts);
  if (!r.ok()) return ReportError(g, r.error());
  if (g.json) {
    nlohmann::json j = {{"ok", true}, {"reference", ref->ToString()}, {"digest", r->manifest_digest},
                        {"dir", oci_dir.string()}, {"blobs", r->blobs}};
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!g.quiet) {
    std::printf("pulled %s@%s into %s (%d blobs)\n", ref->ToString().c_str(), r->manifest_digest.c_str(),
                oci_dir.c_str(), r->blobs);
  }
  return 0;
}

int RunVerifyRegistry(const GlobalOptions& g, const std::string& ref_text, const std::string& key_path,
                      bool insecure) {
  auto ref = registry::ParseReference(ref_text);
  if (!ref.ok()) return ReportError(g, ref.error());
  if (key_path.empty()) return ReportError(g, MakeError(ErrorCode::kUsage, "--registry needs --key PUB"));
  auto pub = signing::LoadPublicKey(key_path);
  if (!pub.ok()) return ReportError(g, Usage(pub.error()));
  registry::PullOptions opts;
  opts.insecure = insecure;
  auto r = registry::VerifyCosignSignature(*ref, *pub, opts);
  if (!r.ok()) {
    if (g.json) return ReportError(g, r.error());
    std::fprintf(stderr, "kiln: verification failed: %s\n", r.error().ToString().c_str());
    return ExitCodeFor(r.error().code);
  }
  if (g.json) {
    nlohmann::json j = {{"ok", true}, {"reference", ref->ToString()}, {"digest", *r},
                        {"signature_tag", registry::CosignSignatureTag(*r)}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s@%s: cosign signature verified\n", ref->ToString().c_str(), r->c_str());
  }
  return 0;
}

}  // namespace kiln::cli
