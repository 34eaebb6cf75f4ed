#include "builder/input_archive/archive_artifact.h"

#include <set>

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/input_archive/archive_index.h"
#include "builder/input_archive/archive_reader.h"
#include "builder/registry/artifact.h"
#include "builder/registry/descriptor.h"
#include "builder/registry/distribution.h"
#include "builder/registry/pull_target.h"

namespace kiln::input_archive {

namespace fs = std::filesystem;
using nlohmann::json;

Result<registry::PushResult> PushInputArchive(const fs::path& dir, const registry::Reference& ref,
                                              const registry::PushOptions& opts) {
  if (ref.tag.empty() || !ref.digest.empty())
    return MakeError(ErrorCode::kUsage, "push --archive to '" + ref.ToString() + "': give a tag, e.g. NAME:VERSION-inputs");
  KILN_ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(dir));
  KILN_ASSIGN_OR_RETURN(std::string index_text, ReadFile(dir / kIndexFileName));
  registry::ArtifactSpec spec;
  spec.artifact_type = kMediaType;
  spec.config_media_type = kMediaType;
  spec.config = index_text;
  for (const auto& hex : BlobsOf(reader->index()))
    spec.files.push_back({hex, kBlobMediaType, dir / "blobs" / "sha256" / hex, {}, {}, 0});
  KILN_TRY(registry::DescribeArtifactFiles(spec.files));
  for (const auto& f : spec.files)
    if (f.digest != "sha256:" + f.title)
      return MakeError(ErrorCode::kIntegrity, dir.string() + ": blob " + f.title + " does not match its digest (" + f.digest + ")");
  return registry::PushArtifactAs(ref, std::move(spec), opts);
}

Result<ArchivePullResult> PullInputArchive(const registry::Reference& ref, const fs::path& dir,
                                           const registry::PullOptions& opts) {
  if (ref.tag.empty() && ref.digest.empty())
    return MakeError(ErrorCode::kUsage, "pull '" + ref.ToString() + "': give a tag or a digest");
  fs::path target = fs::absolute(dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  KILN_TRY(registry::CheckPullTarget(target, registry::PullKind::kOciLayout, /*force=*/false));
  KILN_ASSIGN_OR_RETURN(registry::RegistryClient client, registry::RegistryClient::Create(ref.registry, opts));
  KILN_ASSIGN_OR_RETURN(registry::FetchedManifest m, registry::GetManifest(client, ref.repository, ref.ManifestName()));
  const std::string what = ref.ToString();
  json doc = json::parse(m.bytes, nullptr, false);
  if (registry::ArtifactTypeOf(doc) != kMediaType)
    return MakeError(ErrorCode::kInput, what + " is not a kiln input archive (artifact type '" +
                                            registry::EscapedExcerpt(registry::ArtifactTypeOf(doc)) + "')");
  auto config = doc.find("config");
  if (config == doc.end()) return MakeError(ErrorCode::kInput, what + " has no config");
  KILN_ASSIGN_OR_RETURN(registry::RemoteDescriptor cd, registry::ParseDescriptor(*config, "config of " + what, true));
  if (cd.size < 0 || static_cast<std::uint64_t>(cd.size) > kMaxIndexBytes)
    return MakeError(ErrorCode::kInput, what + ": its index is too large (" + std::to_string(cd.size) + " bytes)");
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array()) return MakeError(ErrorCode::kInput, what + " has no layers");
  std::set<std::string> titles;
  for (const auto& layer : *layers) {
    KILN_ASSIGN_OR_RETURN(registry::RemoteDescriptor d, registry::ParseDescriptor(layer, "layer of " + what, true));
    if (!IsSha256Hex(d.title) || d.digest != "sha256:" + d.title)
      return MakeError(ErrorCode::kInput, what + ": layer '" + registry::EscapedExcerpt(d.title) + "' is not titled by its digest");
    titles.insert(d.title);
  }

  KILN_ASSIGN_OR_RETURN(TempDir staging, registry::CreatePullStaging(target));
  KILN_TRY(registry::FetchBlob(client, ref.repository, cd.digest, cd.size, staging.path() / kIndexFileName).WithContext(what));
  KILN_ASSIGN_OR_RETURN(std::string index_text, ReadFile(staging.path() / kIndexFileName));
  KILN_ASSIGN_OR_RETURN(ArchiveIndex index, ParseIndex(index_text).WithContext(what));
  const auto blobs = BlobsOf(index);
  if (std::set<std::string>(blobs.begin(), blobs.end()) != titles)
    return MakeError(ErrorCode::kInput, what + ": its layers are not exactly the blobs its index names");
  const fs::path blob_dir = staging.path() / "blobs" / "sha256";
  std::error_code ec;
  fs::create_directories(blob_dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + blob_dir.string() + ": " + ec.message());
  KILN_TRY(registry::FetchArtifactFiles(client, ref.repository, doc, blob_dir));
  // The pulled archive opens like a local one: every tree digest checked again.
  KILN_TRY(ArchiveReader::Open(staging.path()));
  KILN_TRY(registry::PublishPull(staging, target, registry::PullKind::kOciLayout, /*force=*/false));
  return ArchivePullResult{m.digest, "sha256:" + ToHex(Sha256Of(index_text)), blobs.size()};
}

}  // namespace kiln::input_archive
