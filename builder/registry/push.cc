#include "builder/registry/push.h"

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/oci/blob_store.h"
#include "builder/oci/image_config.h"
#include "builder/oci/layout.h"
#include "builder/registry/descriptor.h"
#include "builder/registry/distribution.h"

namespace kiln::registry {

namespace {

using nlohmann::json;

struct Pusher {
  RegistryClient& client;
  const std::filesystem::path& dir;
  const std::string& repo;
  PushResult& result;

  Status PushBlob(const std::string& digest) {
    KILN_ASSIGN_OR_RETURN(bool present, BlobExists(client, repo, digest));
    if (present) {
      ++result.blobs_skipped;
      return OkStatus();
    }
    KILN_ASSIGN_OR_RETURN(std::filesystem::path path, oci::BlobPath(dir, digest));
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    KILN_TRY(UploadBlob(client, repo, digest, path));
    ++result.blobs_uploaded;
    result.bytes_uploaded += ec ? 0 : static_cast<long long>(size);
    return OkStatus();
  }

  // Pushes everything a manifest refers to, then the manifest itself under `name`.
  Status PushManifest(const std::string& digest, const std::string& name, int depth) {
    if (depth > 8) return MakeError(ErrorCode::kInput, "manifest nesting too deep at " + digest);
    KILN_ASSIGN_OR_RETURN(std::filesystem::path path, oci::BlobPath(dir, digest));
    KILN_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
    json m = json::parse(bytes, nullptr, false);
    if (!m.is_object()) return MakeError(ErrorCode::kInput, "manifest " + path.string() + " is not JSON");
    std::string media_type = StringMember(m, "mediaType");
    const std::string where = "manifest " + path.string();
    if (m.contains("manifests")) {  // an index: children by digest first
      if (media_type.empty()) media_type = oci::kMediaTypeIndex;
      if (!m["manifests"].is_array()) return MakeError(ErrorCode::kInput, where + ": manifests is not an array");
      for (const auto& child : m["manifests"]) {
        KILN_ASSIGN_OR_RETURN(RemoteDescriptor d, ParseDescriptor(child, where, false));
        KILN_TRY(PushManifest(d.digest, d.digest, depth + 1));
      }
    } else {
      if (media_type.empty()) media_type = oci::kMediaTypeManifest;
      if (m.contains("config")) {
        KILN_ASSIGN_OR_RETURN(RemoteDescriptor d, ParseDescriptor(m["config"], where + ": config", false));
        KILN_TRY(PushBlob(d.digest));
      }
      if (m.contains("layers") && m["layers"].is_array())
        for (const auto& layer : m["layers"]) {
          KILN_ASSIGN_OR_RETURN(RemoteDescriptor d, ParseDescriptor(layer, where + ": layer", false));
          KILN_TRY(PushBlob(d.digest));
        }
    }
    KILN_TRY(PutManifest(client, repo, name, media_type, bytes));
    if (depth == 0) {
      result.media_type = media_type;
      result.manifest_size = bytes.size();
    }
    return OkStatus();
  }
};

}  // namespace

Result<PushResult> PushLayout(const std::filesystem::path& oci_dir, const Reference& ref, const PushOptions& opts) {
  if (!ref.digest.empty())
    return MakeError(ErrorCode::kUsage, "push to '" + ref.ToString() + "': give a tag, not a digest");
  KILN_TRY(oci::VerifyOciLayout(oci_dir));
  KILN_ASSIGN_OR_RETURN(std::string index_text, ReadFile(oci_dir / "index.json"));
  json index = json::parse(index_text, nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array() ||
      index["manifests"].empty())
    return MakeError(ErrorCode::kInput, (oci_dir / "index.json").string() + " lists no manifest");
  const json* entry = nullptr;
  const auto& entries = index["manifests"];
  for (const auto& e : entries) {
    std::string name = e.contains("annotations") ? StringMember(e["annotations"], oci::kAnnotationRefName) : "";
    if (!ref.tag.empty() && (name == ref.tag || oci::DockerTag(name) == ref.tag)) entry = &e;
  }
  if (!entry) {
    if (entries.size() != 1)
      return MakeError(ErrorCode::kUsage, (oci_dir / "index.json").string() + " has " +
                                              std::to_string(entries.size()) +
                                              " manifests: name the one to push by its ref.name tag");
    entry = &entries[0];
  }
  PushResult result;
  result.tag = ref.tag;
  if (result.tag.empty()) {
    std::string name =
        entry->contains("annotations") ? StringMember((*entry)["annotations"], oci::kAnnotationRefName) : "";
    if (name.empty())
      return MakeError(ErrorCode::kUsage, "no tag in '" + ref.ToString() + "' and no " +
                                              std::string(oci::kAnnotationRefName) + " in " +
                                              (oci_dir / "index.json").string());
    result.tag = oci::DockerTag(name);
  }
  KILN_ASSIGN_OR_RETURN(RemoteDescriptor top, ParseDescriptor(*entry, (oci_dir / "index.json").string(), false));
  result.manifest_digest = top.digest;
  Reference tagged = ref;
  tagged.tag = result.tag;
  result.reference = tagged.ToString();

  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(ref.registry, opts));
  Pusher pusher{client, oci_dir, ref.repository, result};
  KILN_TRY(pusher.PushManifest(result.manifest_digest, result.tag, 0).WithContext("pushing " + result.reference));
  return result;
}

}  // namespace kiln::registry
