#include "builder/publish/publish.h"

#include <algorithm>
#include <set>
#include <system_error>

#include "builder/artifacts/artifacts.h"
#include "builder/channel/signed_index.h"
#include "builder/channel/version_compare.h"
#include "builder/common/confined_file.h"
#include "builder/common/sha256.h"
#include "builder/manifest/build_manifest.h"
#include "builder/publish/channel_dir.h"
#include "builder/publish/payload.h"
#include "builder/verify/verify.h"
#include "signing/verity_signature.h"

namespace kiln::publish {

namespace fs = std::filesystem;
using artifacts::Role;

namespace {

constexpr std::string_view kStage = "publish";

void Report(const PublishOptions& o, std::string message, std::uint64_t done = 0, std::uint64_t total = 0) {
  if (o.on_event) o.on_event(Event{std::string(kStage), std::move(message), done, total});
}

// The build's signed manifest: OUT itself when it names one, else the one in directory OUT.
Result<fs::path> FindManifest(const fs::path& out) {
  std::error_code ec;
  if (fs::is_regular_file(out, ec)) {
    if (!artifacts::HasRole(out.filename().string(), Role::kManifest))
      return MakeError(ErrorCode::kUsage, out.string() + " is neither a build output directory nor a build manifest");
    return out;
  }
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(out, ec)) {
    const std::string name = e.path().filename().string();
    if (artifacts::HasRole(name, Role::kManifest)) found.push_back(e.path());
  }
  if (ec) return MakeError(ErrorCode::kInput, "cannot read the output directory " + out.string() + ": " + ec.message());
  if (found.empty())
    return MakeError(ErrorCode::kInput, out.string() + " holds no build manifest (NAME_VERSION" +
                                            std::string(artifacts::KindOf(Role::kManifest).suffix) + ")");
  if (found.size() > 1)
    return MakeError(ErrorCode::kUsage, out.string() + " holds " + std::to_string(found.size()) +
                                            " builds; name one: OUT/NAME_VERSION" +
                                            std::string(artifacts::KindOf(Role::kManifest).suffix));
  return found.front();
}

// The signed manifest, after checking the build the way `kiln verify OUT/NAME.manifest.json`
// does: the signature with cert, every artifact's digest, the provenance, SHA256SUMS.
Result<verify::SignedManifest> VerifiedBuild(const fs::path& manifest_path, const signing::Certificate& cert,
                                             unsigned jobs) {
  verify::VerifyOptions vopt{manifest_path, cert, jobs, {}, false, {}};
  KILN_ASSIGN_OR_RETURN(verify::VerifyReport report, verify::VerifyManifest(vopt));
  if (const verify::Check* bad = report.first_failure(); bad || !report.ok())
    return MakeError(ErrorCode::kIntegrity,
                     "the build does not verify with certificate " + signing::CertificateFingerprintSha256(cert) +
                         (bad ? " (" + bad->name + ": " + bad->detail + ")" : std::string()) +
                         "; publish signs the channel with the key that signed the build");
  verify::VerifyReport again;
  KILN_ASSIGN_OR_RETURN(std::optional<verify::SignedManifest> sm, verify::LoadSignedManifest(manifest_path, cert, again));
  if (!sm) return MakeError(ErrorCode::kIntegrity, "the build manifest changed while it was verified");
  return std::move(*sm);
}

Result<PayloadSource> SourceOf(const manifest::BuildManifest& m, int dir_fd, Role role, const std::string& base) {
  const std::string name = artifacts::FileName(role, base);
  for (const auto& a : m.artifacts)
    if (a.name == name) return PayloadSource{dir_fd, name, a.size, a.sha256};
  return MakeError(ErrorCode::kInput, "not an updatable build: its manifest lists no " + name +
                                          " (publish needs a signed disk build with [boot], which writes "
                                          "the split root, its verity tree and signature, and the UKI)");
}

// The root slot's size: [update] slot_size, else the root partition the build made.
Result<std::uint64_t> SlotSize(const manifest::BuildManifest& m) {
  if (m.update && m.update->slot_size > 0) return m.update->slot_size;
  for (const auto& p : m.partitions)
    if (p.filesystem == "squashfs") return p.size;
  return MakeError(ErrorCode::kInput, "not an updatable build: its manifest records no root partition");
}

// The channel's current index, trusted only after its signature: with cert, or with the
// certificate it carries when allow_other_signer lets another signer's channel be taken over.
struct CurrentChannel {
  channel::ChannelIndex index;
  std::string signer;  // fingerprint, "" for a new channel
};

Result<CurrentChannel> ReadCurrentIndex(const ChannelDir& dir, const PublishOptions& o, const signing::Certificate& cert,
                                        const manifest::BuildManifest& m) {
  CurrentChannel current;
  current.index.image = m.image_name;
  current.index.architecture = m.architecture;
  KILN_ASSIGN_OR_RETURN(std::optional<std::string> bytes, dir.ReadIndex(channel::kMaxSignedIndexSize));
  if (!bytes) return current;
  const std::string ours = signing::CertificateFingerprintSha256(cert);
  auto signer = channel::IndexSigner(*bytes);
  if (signer.ok() && signing::CertificateDer(*signer) != signing::CertificateDer(cert)) {
    const std::string theirs = signing::CertificateFingerprintSha256(*signer);
    if (!o.allow_other_signer)
      return MakeError(ErrorCode::kIntegrity, "the channel's index is signed by certificate " + theirs +
                                                  ", not by the build's certificate " + ours +
                                                  " (pass --allow-other-signer to re-sign the channel with the build key)");
    KILN_ASSIGN_OR_RETURN(current.index, channel::VerifyIndex(*bytes, *signer).WithContext("the channel's index"));
    current.signer = theirs;
  } else {
    KILN_ASSIGN_OR_RETURN(current.index,
                          channel::VerifyIndex(*bytes, cert).WithContext("the channel's index does not verify"));
    current.signer = ours;
  }
  if (current.index.image != m.image_name || current.index.architecture != m.architecture)
    return MakeError(ErrorCode::kInput, "the channel holds image " + current.index.image + " for " +
                                            current.index.architecture + ", the build is " + m.image_name +
                                            " for " + m.architecture);
  return current;
}

Status CheckVersion(const channel::ChannelIndex& index, const std::string& version, bool allow_older) {
  for (const auto& v : index.versions)
    if (channel::CompareVersions(v.version, version) == 0)
      return MakeError(ErrorCode::kInput, "version " + version + " is already in the channel" +
                                              (v.version == version ? "" : " (as " + v.version + ")") +
                                              "; published files are never rewritten");
  const channel::ChannelVersion* newest = index.Newest();
  if (newest && channel::CompareVersions(version, newest->version) < 0 && !allow_older)
    return MakeError(ErrorCode::kInput, "version " + version + " is not newer than " + newest->version +
                                            ", the newest in the channel (pass --allow-older to publish it anyway)");
  return OkStatus();
}

std::set<std::string> Referenced(const channel::ChannelIndex& index) {
  std::set<std::string> names;
  for (const auto& v : index.versions)
    for (const channel::ChannelFile* f : channel::FilesOf(v)) names.insert(f->path);
  return names;
}

// The build's files a version entry needs, and the verity-sig JSON made from its signature.
struct BuildPayloads {
  PayloadSource root, verity, uki;
  std::string signature_json;
};

// The channel file names a version's payloads get.
struct PayloadNames {
  std::string root, verity, signature, uki;
};

PayloadNames NamesOf(const PublishOptions& o, const BuildPayloads& in, const std::string& base) {
  return {artifacts::FileName(o.compress ? Role::kCompressedRootFilesystem : Role::kRootFilesystem, base),
          in.verity.name, artifacts::FileName(Role::kVeritySignatureJson, base), in.uki.name};
}

// Payloads replace files by rename: one the current index names (a hostile or hand-edited
// index may name our file names for another version) would change under the live index.
Status CheckNamesFree(const channel::ChannelIndex& index, const PayloadNames& names) {
  const std::set<std::string> used = Referenced(index);
  for (const std::string* name : {&names.root, &names.verity, &names.signature, &names.uki})
    if (used.count(*name))
      return MakeError(ErrorCode::kInput, "the channel's index already names " + *name +
                                              " for another version; published files are never rewritten");
  return OkStatus();
}

// Writes the version's payload files into the channel and fills v's file entries.
Status WritePayloads(const PublishOptions& o, const ChannelDir& dir, const BuildPayloads& in, const std::string& base,
                     channel::ChannelVersion& v) {
  PayloadOptions popt;
  popt.compress = o.compress;
  popt.jobs = std::max(1u, o.jobs);
  const PayloadNames names = NamesOf(o, in, base);
  const std::string& root_name = names.root;
  if (o.on_event) {
    popt.progress = [&o, root_name](std::uint64_t done, std::uint64_t total) {
      o.on_event(Event{std::string(kStage), "writing " + root_name, done, total});
    };
  }
  Report(o, std::string(o.compress ? "compressing " : "copying ") + in.root.name);
  KILN_ASSIGN_OR_RETURN(v.root, WritePayload(dir, root_name, in.root, popt));
  popt.compress = false;
  popt.progress = nullptr;
  KILN_ASSIGN_OR_RETURN(channel::RootFile verity, WritePayload(dir, names.verity, in.verity, popt));
  v.verity = verity;
  KILN_ASSIGN_OR_RETURN(v.signature, WritePayloadBytes(dir, names.signature, in.signature_json));
  KILN_ASSIGN_OR_RETURN(channel::RootFile uki, WritePayload(dir, names.uki, in.uki, popt));
  v.uki = uki;
  return OkStatus();
}

// Removes the files `before` or the published version named that the live index `now` does
// not: the pruned versions' (and the new version's, when --allow-older published a version
// older than every kept one). Never a file no index named.
Status RemoveUnreferenced(const PublishOptions& o, const ChannelDir& dir, const channel::ChannelIndex& before,
                          const channel::ChannelVersion& published, const channel::ChannelIndex& now,
                          std::vector<std::string>& removed) {
  const std::set<std::string> live = Referenced(now);
  std::set<std::string> candidates = Referenced(before);
  for (const channel::ChannelFile* f : channel::FilesOf(published)) candidates.insert(f->path);
  for (const std::string& name : candidates) {
    if (live.count(name)) continue;
    KILN_TRY(dir.Remove(name));
    Report(o, "removed " + name);
    removed.push_back(name);
  }
  return OkStatus();
}

}  // namespace

Result<PublishResult> Publish(const PublishOptions& o, const signing::PrivateKey& key,
                              const signing::Certificate& cert) {
  if (o.keep < 1 || o.keep > channel::kMaxVersions)
    return MakeError(ErrorCode::kUsage, "--keep must be between 1 and " + std::to_string(channel::kMaxVersions));
  if (!signing::KeyMatchesCertificate(key, cert))
    return MakeError(ErrorCode::kUsage, "the key does not belong to the certificate " +
                                            signing::CertificateFingerprintSha256(cert));

  Report(o, "verifying the build in " + o.out_dir.string());
  KILN_ASSIGN_OR_RETURN(fs::path manifest_path, FindManifest(o.out_dir));
  KILN_ASSIGN_OR_RETURN(verify::SignedManifest build, VerifiedBuild(manifest_path, cert, std::max(1u, o.jobs)));
  const manifest::BuildManifest& m = build.manifest;
  const std::string base = m.image_name + "_" + m.image_version;
  if (m.root_hash.empty()) return MakeError(ErrorCode::kInput, "not an updatable build: it has no verity root hash");
  const fs::path build_dir = manifest_path.has_parent_path() ? manifest_path.parent_path() : fs::path(".");
  KILN_ASSIGN_OR_RETURN(UniqueFd out_fd, OpenDirectory(build_dir));
  KILN_ASSIGN_OR_RETURN(PayloadSource root, SourceOf(m, out_fd.get(), Role::kRootFilesystem, base));
  KILN_ASSIGN_OR_RETURN(PayloadSource verity, SourceOf(m, out_fd.get(), Role::kVerityHashTree, base));
  KILN_ASSIGN_OR_RETURN(PayloadSource p7s, SourceOf(m, out_fd.get(), Role::kRootHashSignature, base));
  KILN_ASSIGN_OR_RETURN(PayloadSource uki, SourceOf(m, out_fd.get(), Role::kBootImage, base));
  KILN_ASSIGN_OR_RETURN(std::uint64_t slot_size, SlotSize(m));

  // The verity-sig partition's JSON, made from the signed .p7s exactly as the disk stage does.
  KILN_ASSIGN_OR_RETURN(std::string p7s_der, ReadConfined(out_fd.get(), p7s.name, 1u << 20));
  if (p7s_der.size() != p7s.size || ToHex(Sha256Of(p7s_der)) != p7s.sha256)
    return MakeError(ErrorCode::kIntegrity, p7s.name + " changed after its manifest was verified");
  KILN_ASSIGN_OR_RETURN(std::string sig_json, signing::MakeVeritySignatureJson(m.root_hash, cert, p7s_der));
  KILN_ASSIGN_OR_RETURN(signing::VeritySignature sig, signing::ParseVeritySignature(sig_json));
  KILN_TRY(signing::VerifyVeritySignature(sig, cert).WithContext("the build's root hash signature"));

  Report(o, "locking the channel " + o.channel_dir.string());
  KILN_ASSIGN_OR_RETURN(ChannelDir dir, ChannelDir::OpenLocked(o.channel_dir, [&o] {
                          Report(o, "waiting for another publish into " + o.channel_dir.string() + " to finish");
                        }));
  KILN_TRY(dir.RemoveStaleTemporaries());
  KILN_ASSIGN_OR_RETURN(CurrentChannel current, ReadCurrentIndex(dir, o, cert, m));
  KILN_TRY(CheckVersion(current.index, m.image_version, o.allow_older));

  PublishResult result;
  result.image = m.image_name;
  result.version = m.image_version;
  result.architecture = m.architecture;
  result.previous_signer = current.signer;
  channel::ChannelVersion& v = result.published;
  v.version = m.image_version;
  v.root_hash = m.root_hash;
  v.manifest_sha256 = ToHex(Sha256Of(build.json));
  v.slot_size = slot_size;

  const BuildPayloads payloads{root, verity, uki, sig_json};
  KILN_TRY(CheckNamesFree(current.index, NamesOf(o, payloads, base)));
  KILN_TRY(WritePayloads(o, dir, payloads, base, v));

  // The new index: every version the channel had plus this one, the newest `keep` kept.
  channel::ChannelIndex next = current.index;
  auto at = std::upper_bound(next.versions.begin(), next.versions.end(), v,
                             [](const channel::ChannelVersion& a, const channel::ChannelVersion& b) {
                               return channel::CompareVersions(a.version, b.version) < 0;
                             });
  next.versions.insert(at, v);
  while (next.versions.size() > o.keep) {
    result.pruned.push_back(next.versions.front().version);
    next.versions.erase(next.versions.begin());
  }
  KILN_ASSIGN_OR_RETURN(std::string signed_index, channel::SignIndex(next, key, cert));
  Report(o, "replacing " + std::string(channel::kIndexFileName));
  KILN_TRY(dir.WriteAtomically(std::string(channel::kIndexFileName), signed_index));
  result.index = next;

  // Only now that the new index is live.
  KILN_TRY(RemoveUnreferenced(o, dir, current.index, v, next, result.removed_files));
  if (!result.pruned.empty()) Report(o, "pruned " + std::to_string(result.pruned.size()) + " old version(s)");
  return result;
}

}  // namespace kiln::publish
