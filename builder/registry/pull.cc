#include "builder/registry/pull.h"

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/oci/blob_store.h"
#include "builder/oci/image_config.h"
#include "builder/registry/descriptor.h"
#include "builder/registry/distribution.h"
#include "builder/registry/pull_target.h"

namespace kiln::registry {

namespace {

using nlohmann::json;

struct Puller {
  RegistryClient& client;
  const std::filesystem::path& dir;
  const std::string& repo;
  PullResult& result;
  std::string architecture;  // of the first image config seen (for index.json)

  Status Blob(const json& j, const std::string& what) {
    KILN_ASSIGN_OR_RETURN(RemoteDescriptor desc, ParseDescriptor(j, what, /*require_size=*/true));
    KILN_ASSIGN_OR_RETURN(std::filesystem::path path, oci::BlobPath(dir, desc.digest));
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return OkStatus();
    KILN_TRY(FetchBlob(client, repo, desc.digest, desc.size, path));
    ++result.blobs;
    return OkStatus();
  }

  // Fetches a manifest by name (tag or digest) and everything below it; returns it.
  Result<FetchedManifest> Manifest(const std::string& name, int depth) {
    if (depth > 8) return MakeError(ErrorCode::kInput, "manifest nesting too deep at " + name);
    KILN_ASSIGN_OR_RETURN(FetchedManifest m, GetManifest(client, repo, name));
    KILN_ASSIGN_OR_RETURN(std::filesystem::path path, oci::BlobPath(dir, m.digest));
    KILN_TRY(WriteFile(path, m.bytes));
    ++result.blobs;
    json j = json::parse(m.bytes, nullptr, false);  // GetManifest checked it is an object
    const std::string where = "manifest " + m.digest + " of " + repo;
    if (auto children = j.find("manifests"); children != j.end()) {
      if (!children->is_array()) return MakeError(ErrorCode::kIntegrity, where + ": manifests is not an array");
      for (const auto& child : *children) {
        // A child is fetched by its validated digest only: never by whatever string it holds.
        KILN_ASSIGN_OR_RETURN(RemoteDescriptor desc, ParseDescriptor(child, where + ": index entry", false));
        KILN_ASSIGN_OR_RETURN(FetchedManifest c, Manifest(desc.digest, depth + 1));
        (void)c;
      }
      return m;
    }
    auto config = j.find("config");
    if (config == j.end()) return MakeError(ErrorCode::kInput, where + " has no config");
    KILN_TRY(Blob(*config, where + ": config"));
    if (architecture.empty()) {
      KILN_ASSIGN_OR_RETURN(std::filesystem::path cpath, oci::BlobPath(dir, StringMember(*config, "digest")));
      KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(cpath));
      architecture = StringMember(json::parse(text, nullptr, false), "architecture");
    }
    if (auto layers = j.find("layers"); layers != j.end()) {
      if (!layers->is_array()) return MakeError(ErrorCode::kIntegrity, where + ": layers is not an array");
      for (const auto& layer : *layers) KILN_TRY(Blob(layer, where + ": layer"));
    }
    return m;
  }
};

std::string LastComponent(const std::string& repo) {
  auto slash = repo.rfind('/');
  return slash == std::string::npos ? repo : repo.substr(slash + 1);
}

}  // namespace

Result<PullResult> PullLayout(const Reference& ref, const std::filesystem::path& oci_dir, const PullOptions& opts) {
  if (ref.tag.empty() && ref.digest.empty())
    return MakeError(ErrorCode::kUsage, "pull '" + ref.ToString() + "': give a tag or a digest");
  std::filesystem::path target = std::filesystem::absolute(oci_dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  KILN_TRY(CheckPullTarget(target, PullKind::kOciLayout, opts.force));
  KILN_ASSIGN_OR_RETURN(TempDir staging, CreatePullStaging(target));
  const std::filesystem::path& dir = staging.path();
  std::error_code ec;
  std::filesystem::create_directories(dir / "blobs" / "sha256", ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + (dir / "blobs/sha256").string() + ": " + ec.message());

  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(ref.registry, opts));
  PullResult result;
  Puller puller{client, dir, ref.repository, result, {}};
  KILN_ASSIGN_OR_RETURN(FetchedManifest top,
                        puller.Manifest(ref.ManifestName(), 0).WithContext("pulling " + ref.ToString()));
  result.manifest_digest = top.digest;

  oci::Descriptor desc{top.media_type, top.digest, top.bytes.size()};
  std::string index_json;
  if (!ref.tag.empty()) {
    oci::OciOptions o;
    o.name = opts.image_name.empty() ? LastComponent(ref.repository) : opts.image_name;
    o.version = ref.tag;
    if (!puller.architecture.empty()) o.architecture = puller.architecture;
    KILN_ASSIGN_OR_RETURN(index_json, oci::BuildIndexJson(desc, o));
  } else {
    json entry{{"mediaType", desc.media_type}, {"digest", desc.digest}, {"size", desc.size}};
    json j{{"schemaVersion", 2}, {"mediaType", oci::kMediaTypeIndex}, {"manifests", json::array({entry})}};
    index_json = j.dump();
  }
  KILN_TRY(WriteFile(dir / "index.json", index_json));
  KILN_TRY(WriteFile(dir / "oci-layout", oci::kOciLayoutJson));

  KILN_TRY(PublishPull(staging, target, PullKind::kOciLayout, opts.force));
  return result;
}

}  // namespace kiln::registry
