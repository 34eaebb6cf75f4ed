#include "builder/registry/pull.h"

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/oci/blob_store.h"
#include "builder/oci/image_config.h"
#include "builder/registry/distribution.h"

namespace kiln::registry {

namespace {

using nlohmann::json;

struct Puller {
  RegistryClient& client;
  const std::filesystem::path& dir;
  const std::string& repo;
  PullResult& result;
  std::string architecture;  // of the first image config seen (for index.json)

  Status Blob(const json& desc) {
    std::string digest = desc.value("digest", std::string());
    long long size = desc.contains("size") && desc["size"].is_number() ? desc["size"].get<long long>() : -1;
    KILN_ASSIGN_OR_RETURN(std::filesystem::path path, oci::BlobPath(dir, digest));
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return OkStatus();
    KILN_TRY(FetchBlob(client, repo, digest, size, path));
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
    json j = json::parse(m.bytes);  // GetManifest checked it parses
    if (j.contains("manifests") && j["manifests"].is_array()) {
      for (const auto& child : j["manifests"]) {
        std::string digest = child.value("digest", std::string());
        KILN_ASSIGN_OR_RETURN(FetchedManifest c, Manifest(digest, depth + 1));
        (void)c;
      }
      return m;
    }
    if (!j.contains("config"))
      return MakeError(ErrorCode::kInput, "manifest " + m.digest + " of " + repo + " has no config");
    KILN_TRY(Blob(j["config"]));
    if (architecture.empty()) {
      KILN_ASSIGN_OR_RETURN(std::filesystem::path cpath, oci::BlobPath(dir, j["config"].value("digest", "")));
      KILN_ASSIGN_OR_RETURN(std::string config, ReadFile(cpath));
      json cj = json::parse(config, nullptr, false);
      if (cj.is_object()) architecture = cj.value("architecture", std::string());
    }
    if (j.contains("layers") && j["layers"].is_array())
      for (const auto& layer : j["layers"]) KILN_TRY(Blob(layer));
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
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  KILN_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(target.parent_path(), "." + target.filename().string()));
  const std::filesystem::path& dir = staging.path();
  std::filesystem::create_directories(dir / "blobs" / "sha256", ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + (dir / "blobs/sha256").string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms(0755), ec);

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

  if (std::filesystem::exists(target, ec)) {
    std::filesystem::remove_all(target, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot replace " + target.string() + ": " + ec.message());
  }
  std::filesystem::rename(dir, target, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot rename " + dir.string() + " to " + target.string() + ": " +
                                               ec.message());
  staging.Release();
  return result;
}

}  // namespace kiln::registry
