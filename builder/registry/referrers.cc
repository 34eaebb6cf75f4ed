#include "builder/registry/referrers.h"

#include "builder/oci/image_config.h"
#include "builder/registry/descriptor.h"
#include "builder/registry/distribution.h"

namespace kiln::registry {

using nlohmann::json;

std::string ReferrersTag(const std::string& subject_digest) {
  std::string tag = subject_digest;
  if (auto colon = tag.find(':'); colon != std::string::npos) tag[colon] = '-';
  return tag;
}

Status AddToReferrersIndex(RegistryClient& client, const std::string& repo, const std::string& subject_digest,
                           const json& referrer) {
  const std::string tag = ReferrersTag(subject_digest);
  json index{{"schemaVersion", 2}, {"mediaType", oci::kMediaTypeIndex}, {"manifests", json::array()}};
  auto existing = GetManifest(client, repo, tag);
  if (existing.ok()) {
    json j = json::parse(existing->bytes, nullptr, false);
    if (j.is_object() && j.contains("manifests") && j["manifests"].is_array()) index = j;
  } else if (existing.error().code != ErrorCode::kInput) {  // kInput: no such tag yet
    return std::move(existing).error();
  }
  json kept = json::array();
  for (const auto& d : index["manifests"])
    if (d.is_object() && StringMember(d, "digest") != StringMember(referrer, "digest")) kept.push_back(d);
  kept.push_back(referrer);
  index["manifests"] = kept;
  return PutManifest(client, repo, tag, oci::kMediaTypeIndex, index.dump())
      .WithContext("updating the referrers index " + repo + ":" + tag);
}

Result<std::vector<json>> ListReferrers(RegistryClient& client, const std::string& repo,
                                        const std::string& subject_digest, const std::string& artifact_type) {
  json index;
  HttpRequest req;
  req.url = "/v2/" + repo + "/referrers/" + subject_digest;
  req.headers = {std::string("Accept: ") + oci::kMediaTypeIndex};
  KILN_ASSIGN_OR_RETURN(HttpResponse resp, client.Send(req));
  json api = resp.status == 200 ? json::parse(resp.body, nullptr, false) : json();
  if (api.is_object() && api.contains("manifests")) {
    index = api;
  } else {
    auto fallback = GetManifest(client, repo, ReferrersTag(subject_digest));
    if (!fallback.ok()) {
      if (fallback.error().code == ErrorCode::kInput) return std::vector<json>();
      return std::move(fallback).error();
    }
    index = json::parse(fallback->bytes, nullptr, false);
  }
  std::vector<json> out;
  if (index.is_object() && index.contains("manifests") && index["manifests"].is_array())
    for (const auto& d : index["manifests"]) {
      if (!ParseDescriptor(d, "referrer", false).ok()) continue;  // entries are used by their digest
      if (artifact_type.empty() || StringMember(d, "artifactType") == artifact_type) out.push_back(d);
    }
  return out;
}

Result<PushedArtifact> PushSbomReferrer(const Reference& ref, const oci::Descriptor& subject,
                                        const std::filesystem::path& spdx, const RegistryOptions& opts) {
  ArtifactSpec spec;
  spec.artifact_type = kSpdxMediaType;
  spec.subject = subject;
  spec.files.push_back({spdx.filename().string(), kSpdxMediaType, spdx, {}, {}, 0});
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(ref.registry, opts));
  const std::string what = "attaching " + spdx.filename().string() + " to " + ref.Repository() + "@" + subject.digest;
  KILN_ASSIGN_OR_RETURN(PushedArtifact pushed, PushArtifact(client, ref.repository, spec, {}).WithContext(what));
  if (pushed.oci_subject.empty()) {  // the registry does not index referrers: the tag schema does
    json d{{"mediaType", pushed.manifest.media_type},
           {"digest", pushed.manifest.digest},
           {"size", pushed.manifest.size},
           {"artifactType", kSpdxMediaType}};
    KILN_TRY(AddToReferrersIndex(client, ref.repository, subject.digest, d).WithContext(what));
  }
  return pushed;
}

}  // namespace kiln::registry
