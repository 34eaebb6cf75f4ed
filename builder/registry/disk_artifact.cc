#include "builder/registry/disk_artifact.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "builder/artifacts/artifacts.h"
#include "builder/common/files.h"
#include "builder/manifest/build_manifest.h"
#include "builder/oci/image_config.h"
#include "builder/registry/artifact.h"
#include "builder/registry/descriptor.h"
#include "builder/registry/distribution.h"
#include "builder/registry/pull_target.h"

namespace kiln::registry {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kSums(artifacts::kChecksumsFileName);
// A block map lists ranges of an image: far below this even for a terabyte image.
constexpr long long kMaxBmapBytes = 64ll << 20;

// Tags allow [A-Za-z0-9_.-]; versions like "1.0+git2" become "1.0_git2".
std::string TagFor(const std::string& version) {
  std::string t = version;
  for (char& c : t)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '_';
  return t.substr(0, 128);
}

// The manifest ref names, once it is known to be a kiln disk image (kInput otherwise).
struct DiskArtifact {
  RegistryClient client;
  FetchedManifest manifest;
  json doc;
};
Result<DiskArtifact> OpenDiskArtifact(const Reference& ref, const RegistryOptions& opts, const std::string& verb) {
  if (ref.tag.empty() && ref.digest.empty())
    return MakeError(ErrorCode::kUsage, verb + "'" + ref.ToString() + "': give a tag or a digest");
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(ref.registry, opts));
  KILN_ASSIGN_OR_RETURN(FetchedManifest m, GetManifest(client, ref.repository, ref.ManifestName()));
  json j = json::parse(m.bytes, nullptr, false);
  if (ArtifactTypeOf(j) != kDiskImageArtifactType)
    return MakeError(ErrorCode::kInput, ref.ToString() + " is not a kiln disk image (artifact type '" +
                                            EscapedExcerpt(ArtifactTypeOf(j)) + "')");
  return DiskArtifact{std::move(client), std::move(m), std::move(j)};
}

}  // namespace

Result<fs::path> FindBuildManifest(const fs::path& out_dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(out_dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && artifacts::HasRole(it->path().filename().string(), artifacts::Role::kManifest))
      found.push_back(it->path());
  if (ec) return MakeError(ErrorCode::kInput, "cannot list " + out_dir.string() + ": " + ec.message());
  if (found.size() != 1)
    return MakeError(ErrorCode::kUsage, out_dir.string() + " has " + std::to_string(found.size()) +
                                            " build manifests (*.manifest.json): push a directory holding one "
                                            "build's output, or an OCI layout");
  return found[0];
}

Result<PushResult> PushDiskImage(const fs::path& out_dir, const Reference& ref, const PushOptions& opts) {
  if (!ref.digest.empty())
    return MakeError(ErrorCode::kUsage, "push to '" + ref.ToString() + "': give a tag, not a digest");
  KILN_ASSIGN_OR_RETURN(fs::path manifest_path, FindBuildManifest(out_dir));
  KILN_ASSIGN_OR_RETURN(std::string manifest_text, ReadFile(manifest_path));
  KILN_ASSIGN_OR_RETURN(manifest::BuildManifest bm,
                        manifest::ParseManifest(manifest_text).WithContext(manifest_path.string()));
  KILN_ASSIGN_OR_RETURN(std::string sums_text, ReadFile(out_dir / kSums));
  KILN_ASSIGN_OR_RETURN(auto sums, manifest::ParseSha256Sums(sums_text).WithContext((out_dir / kSums).string()));

  ArtifactSpec spec;
  spec.artifact_type = kDiskImageArtifactType;
  spec.config_media_type = kDiskImageArtifactType;
  json config{{"name", bm.image_name}, {"version", bm.image_version}, {"architecture", bm.architecture}};
  if (!bm.root_hash.empty()) config["rootHash"] = bm.root_hash;
  spec.config = config.dump();
  spec.annotations = {{"org.opencontainers.image.title", bm.image_name},
                      {"org.opencontainers.image.version", bm.image_version}};
  std::map<std::string, std::string> expected;  // name -> sha256 hex, from SHA256SUMS
  for (const auto& a : sums) {
    if (a.name.find('/') != std::string::npos) continue;  // inside an OCI layout: pushed on its own
    expected[a.name] = a.sha256;
  }
  for (const auto& [name, hex] : expected) spec.files.push_back({name, artifacts::MediaTypeOf(name), out_dir / name, {}, {}, 0});
  spec.files.push_back({kSums, artifacts::MediaTypeOf(kSums), out_dir / kSums, {}, {}, 0});
  std::sort(spec.files.begin(), spec.files.end(),
            [](const ArtifactFile& a, const ArtifactFile& b) { return a.title < b.title; });
  KILN_TRY(DescribeArtifactFiles(spec.files));
  for (const auto& f : spec.files) {
    auto it = expected.find(f.title);
    if (it != expected.end() && f.digest != "sha256:" + it->second)
      return MakeError(ErrorCode::kIntegrity, (out_dir / f.title).string() + " does not match SHA256SUMS (" +
                                                  f.digest + ", expected sha256:" + it->second + ")");
  }

  Reference tagged = ref;
  if (tagged.tag.empty()) tagged.tag = TagFor(bm.image_version);
  return PushArtifactAs(tagged, std::move(spec), opts);
}

Result<std::string> RemoteArtifactType(const Reference& ref, const RegistryOptions& opts) {
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(ref.registry, opts));
  KILN_ASSIGN_OR_RETURN(FetchedManifest m, GetManifest(client, ref.repository, ref.ManifestName()));
  return ArtifactTypeOf(json::parse(m.bytes, nullptr, false));
}

Result<RawImageLayers> SelectRawImage(const json& manifest, const std::string& what) {
  auto layers = manifest.is_object() ? manifest.find("layers") : manifest.end();
  if (!manifest.is_object() || layers == manifest.end() || !layers->is_array())
    return MakeError(ErrorCode::kInput, what + " has no layers");
  std::vector<RemoteDescriptor> raws;
  std::map<std::string, RemoteDescriptor> bmaps;  // by title
  for (const auto& layer : *layers) {
    KILN_ASSIGN_OR_RETURN(RemoteDescriptor d, ParseDescriptor(layer, "layer of " + what, /*require_size=*/true));
    if (artifacts::HasRole(d.title, artifacts::Role::kDiskImage)) {
      KILN_TRY(CheckTitle(d.title).WithContext(what));
      raws.push_back(std::move(d));
    } else if (artifacts::HasRole(d.title, artifacts::Role::kBlockMap)) {
      KILN_TRY(CheckTitle(d.title).WithContext(what));
      bmaps.emplace(d.title, std::move(d));
    }
  }
  if (raws.size() != 1)
    return MakeError(ErrorCode::kInput, what + " has " + std::to_string(raws.size()) +
                                            " raw disk images (*.raw layers); kiln flash needs exactly one");
  RawImageLayers r;
  r.raw = std::move(raws[0]);
  auto bmap = bmaps.find(artifacts::FileName(artifacts::Role::kBlockMap,
                                             artifacts::BaseOf(r.raw.title, artifacts::Role::kDiskImage)));
  if (bmap != bmaps.end()) {
    if (bmap->second.size > kMaxBmapBytes)
      return MakeError(ErrorCode::kInput, what + ": block map '" + bmap->second.title + "' is too large (" +
                                              std::to_string(bmap->second.size) + " bytes)");
    r.bmap = std::move(bmap->second);
  }
  return r;
}

Result<FetchedRawImage> FetchRawImage(const Reference& ref, const fs::path& dir, const RegistryOptions& opts) {
  KILN_ASSIGN_OR_RETURN(DiskArtifact a, OpenDiskArtifact(ref, opts, ""));
  KILN_ASSIGN_OR_RETURN(RawImageLayers layers, SelectRawImage(a.doc, ref.ToString()));
  // The size comes from the registry: refuse before fetching rather than fill the disk.
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) == 0) {
    const unsigned long long free_bytes = static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
    const unsigned long long need =
        static_cast<unsigned long long>(layers.raw.size) + (layers.bmap ? layers.bmap->size : 0);
    if (need > free_bytes)
      return MakeError(ErrorCode::kUsage, ref.ToString() + ": its raw image (" + std::to_string(layers.raw.size) +
                                              " bytes) does not fit in " + dir.string() + " (" +
                                              std::to_string(free_bytes) + " bytes free); set TMPDIR");
  }
  FetchedRawImage r;
  r.manifest_digest = a.manifest.digest;
  r.raw_title = layers.raw.title;
  r.raw = dir / layers.raw.title;
  const std::string what = "fetching " + ref.ToString();
  KILN_TRY(FetchBlob(a.client, ref.repository, layers.raw.digest, layers.raw.size, r.raw).WithContext(what));
  if (layers.bmap) {
    r.bmap_title = layers.bmap->title;
    r.bmap = dir / layers.bmap->title;
    KILN_TRY(FetchBlob(a.client, ref.repository, layers.bmap->digest, layers.bmap->size, r.bmap).WithContext(what));
  }
  return r;
}

Result<DiskPullResult> PullDiskImage(const Reference& ref, const fs::path& dir, const PullOptions& opts) {
  KILN_ASSIGN_OR_RETURN(DiskArtifact a, OpenDiskArtifact(ref, opts, "pull "));
  fs::path target = fs::absolute(dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  KILN_TRY(CheckPullTarget(target, PullKind::kDiskFiles, opts.force));
  KILN_ASSIGN_OR_RETURN(TempDir staging, CreatePullStaging(target));
  DiskPullResult result;
  result.manifest_digest = a.manifest.digest;
  KILN_ASSIGN_OR_RETURN(
      result.files,
      FetchArtifactFiles(a.client, ref.repository, a.doc, staging.path()).WithContext("pulling " + ref.ToString()));
  KILN_TRY(PublishPull(staging, target, PullKind::kDiskFiles, opts.force));
  return result;
}

}  // namespace kiln::registry
