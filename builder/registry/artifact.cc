#include "builder/registry/artifact.h"

#include <set>

#include "builder/common/sha256.h"
#include "builder/oci/image_config.h"
#include "builder/registry/descriptor.h"
#include "builder/registry/distribution.h"

namespace kiln::registry {

namespace {

using nlohmann::json;

json DescriptorJson(const std::string& media_type, const std::string& digest, std::uint64_t size) {
  return json{{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

}  // namespace

Status DescribeArtifactFiles(std::vector<ArtifactFile>& files) {
  for (auto& f : files) {
    if (!f.digest.empty()) continue;  // described by the caller (a verified cache blob)
    if (f.path.empty()) {
      f.digest = DigestOf(f.content);
      f.size = f.content.size();
      continue;
    }
    KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(f.path));
    std::error_code ec;
    auto size = std::filesystem::file_size(f.path, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot stat " + f.path.string() + ": " + ec.message());
    f.digest = "sha256:" + ToHex(d);
    f.size = size;
  }
  return OkStatus();
}

std::string BuildArtifactManifest(const ArtifactSpec& spec) {
  json config;
  if (spec.config_media_type.empty()) {
    config = DescriptorJson(kMediaTypeEmpty, DigestOf(kEmptyJson), 2);
    config["data"] = "e30=";  // base64("{}"), as the OCI 1.1 empty descriptor carries it
  } else {
    config = DescriptorJson(spec.config_media_type, DigestOf(spec.config), spec.config.size());
  }
  json layers = json::array();
  for (const auto& f : spec.files) {
    json d = DescriptorJson(f.media_type, f.digest, f.size);
    d["annotations"] = {{kAnnotationTitle, f.title}};
    layers.push_back(std::move(d));
  }
  json m{{"schemaVersion", 2}, {"mediaType", oci::kMediaTypeManifest}, {"artifactType", spec.artifact_type},
         {"config", config}, {"layers", layers}};
  if (spec.subject) m["subject"] = DescriptorJson(spec.subject->media_type, spec.subject->digest, spec.subject->size);
  if (!spec.annotations.empty()) m["annotations"] = spec.annotations;
  return m.dump();
}

Result<PushedArtifact> PushArtifact(RegistryClient& client, const std::string& repo, ArtifactSpec spec,
                                    const std::string& name) {
  KILN_TRY(DescribeArtifactFiles(spec.files));
  PushedArtifact out;
  auto push_blob = [&](const std::string& digest, std::uint64_t size, const std::filesystem::path& path,
                       std::string_view content) -> Status {
    KILN_ASSIGN_OR_RETURN(bool present, BlobExists(client, repo, digest));
    if (present) {
      ++out.blobs_skipped;
      return OkStatus();
    }
    KILN_TRY(UploadBlob(client, repo, digest, path, content));
    ++out.blobs_uploaded;
    out.bytes_uploaded += static_cast<long long>(size);
    return OkStatus();
  };
  const std::string config = spec.config_media_type.empty() ? std::string(kEmptyJson) : spec.config;
  KILN_TRY(push_blob(DigestOf(config), config.size(), {}, config));
  for (const auto& f : spec.files) KILN_TRY(push_blob(f.digest, f.size, f.path, f.content));

  out.bytes = BuildArtifactManifest(spec);
  out.manifest = {oci::kMediaTypeManifest, DigestOf(out.bytes), out.bytes.size()};
  const std::string target = name.empty() ? out.manifest.digest : name;
  HttpRequest req;
  req.method = "PUT";
  req.url = "/v2/" + repo + "/manifests/" + target;
  req.headers = {std::string("Content-Type: ") + oci::kMediaTypeManifest};
  req.body = out.bytes;
  KILN_ASSIGN_OR_RETURN(HttpResponse resp,
                        client.SendExpect(req, {200, 201}, "pushing artifact manifest " + repo + ":" + target));
  out.oci_subject = resp.Header("oci-subject");
  return out;
}

Result<PushResult> PushArtifactAs(const Reference& ref, ArtifactSpec spec, const RegistryOptions& opts) {
  PushResult result;
  result.reference = ref.ToString();
  result.tag = ref.tag;
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(ref.registry, opts));
  KILN_ASSIGN_OR_RETURN(
      PushedArtifact pushed,
      PushArtifact(client, ref.repository, std::move(spec), ref.tag).WithContext("pushing " + result.reference));
  result.manifest_digest = pushed.manifest.digest;
  result.media_type = pushed.manifest.media_type;
  result.manifest_size = pushed.manifest.size;
  result.blobs_uploaded = pushed.blobs_uploaded;
  result.blobs_skipped = pushed.blobs_skipped;
  result.bytes_uploaded = pushed.bytes_uploaded;
  return result;
}

Status CheckTitle(const std::string& title) {
  bool bad = title.empty() || title == "." || title == ".." || title.front() == '.' ||
             title.find('/') != std::string::npos || title.find("..") != std::string::npos || title.size() > 255;
  for (unsigned char c : title) bad = bad || c < 0x20 || c == 0x7f || c == '\\';
  if (bad)
    return MakeError(ErrorCode::kIntegrity, "artifact file title '" + EscapedExcerpt(title) + "' is not a plain file name");
  return OkStatus();
}

std::string ArtifactTypeOf(const json& manifest) {
  if (!manifest.is_object()) return {};
  if (auto at = manifest.find("artifactType"); at != manifest.end() && at->is_string())
    return at->get<std::string>();
  if (auto c = manifest.find("config"); c != manifest.end()) return StringMember(*c, "mediaType");
  return {};
}

Result<std::vector<std::string>> FetchArtifactFiles(RegistryClient& client, const std::string& repo,
                                                    const json& manifest, const std::filesystem::path& dir) {
  auto layers = manifest.is_object() ? manifest.find("layers") : manifest.end();
  if (!manifest.is_object() || layers == manifest.end() || !layers->is_array())
    return MakeError(ErrorCode::kInput, "artifact manifest of " + repo + " has no layers");
  std::vector<std::string> titles;
  std::vector<RemoteDescriptor> files;
  std::set<std::string> seen;
  for (const auto& layer : *layers) {
    KILN_ASSIGN_OR_RETURN(RemoteDescriptor d, ParseDescriptor(layer, "artifact file of " + repo, /*require_size=*/true));
    KILN_TRY(CheckTitle(d.title).WithContext("artifact of " + repo));
    if (!seen.insert(d.title).second)
      return MakeError(ErrorCode::kIntegrity, "artifact of " + repo + " names '" + d.title + "' twice");
    titles.push_back(d.title);
    files.push_back(std::move(d));
  }
  for (const auto& d : files) KILN_TRY(FetchBlob(client, repo, d.digest, d.size, dir / d.title));
  return titles;
}

}  // namespace kiln::registry
