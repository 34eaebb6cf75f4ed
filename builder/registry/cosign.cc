#include "builder/registry/cosign.h"

#include <nlohmann/json.hpp>

#include "builder/oci/image_config.h"
#include "builder/registry/descriptor.h"
#include "builder/registry/distribution.h"
#include "signing/base64.h"
#include "signing/message_signature.h"

namespace kiln::registry {

namespace {

using nlohmann::json;

constexpr long long kMaxPayloadBytes = 64 << 10;

// go-containerregistry's empty image with the payload appended: what cosign pushes as config.
std::string CosignConfig(const std::string& payload_digest) {
  return R"({"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],)"
         R"("os":"","rootfs":{"type":"layers","diff_ids":[")" +
         payload_digest + R"("]},"config":{}})";
}

std::string JsonString(const std::string& s) { return json(s).dump(); }

}  // namespace

std::string CosignPayload(const std::string& docker_reference, const std::string& manifest_digest) {
  return R"({"critical":{"identity":{"docker-reference":)" + JsonString(docker_reference) +
         R"(},"image":{"docker-manifest-digest":)" + JsonString(manifest_digest) +
         R"(},"type":"cosign container image signature"},"optional":null})";
}

std::string CosignSignatureTag(const std::string& manifest_digest) {
  std::string tag = manifest_digest;
  if (auto colon = tag.find(':'); colon != std::string::npos) tag[colon] = '-';
  return tag + ".sig";
}

Status PushCosignSignature(const Reference& ref, const std::string& manifest_digest,
                           const signing::PrivateKey& key, const PushOptions& opts) {
  const std::string payload = CosignPayload(ref.Repository(), manifest_digest);
  KILN_ASSIGN_OR_RETURN(std::string signature, signing::SignMessage(key, payload));
  const std::string payload_digest = DigestOf(payload);
  const std::string config = CosignConfig(payload_digest);
  const std::string config_digest = DigestOf(config);

  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(ref.registry, opts));
  for (const auto& [digest, bytes] : {std::pair{payload_digest, &payload}, std::pair{config_digest, &config}}) {
    KILN_ASSIGN_OR_RETURN(bool present, BlobExists(client, ref.repository, digest));
    if (!present) KILN_TRY(UploadBlob(client, ref.repository, digest, {}, *bytes));
  }
  json manifest{
      {"schemaVersion", 2},
      {"mediaType", oci::kMediaTypeManifest},
      {"config", {{"mediaType", oci::kMediaTypeConfig}, {"size", config.size()}, {"digest", config_digest}}},
      {"layers", json::array({{{"mediaType", kCosignPayloadType},
                               {"size", payload.size()},
                               {"digest", payload_digest},
                               {"annotations", {{kCosignSignatureAnnotation, signing::Base64Encode(signature)}}}}})}};
  return PutManifest(client, ref.repository, CosignSignatureTag(manifest_digest), oci::kMediaTypeManifest,
                     manifest.dump())
      .WithContext("pushing the signature of " + ref.Repository() + "@" + manifest_digest);
}

Result<std::string> VerifyCosignSignature(const Reference& ref, const signing::PublicKey& pub,
                                          const PullOptions& opts) {
  KILN_ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(ref.registry, opts));
  KILN_ASSIGN_OR_RETURN(FetchedManifest image, GetManifest(client, ref.repository, ref.ManifestName()));
  const std::string digest = image.digest;
  const std::string sig_tag = CosignSignatureTag(digest);
  auto sig = GetManifest(client, ref.repository, sig_tag);
  if (!sig.ok()) {
    if (sig.error().code == ErrorCode::kInput)
      return MakeError(ErrorCode::kIntegrity, ref.Repository() + "@" + digest + " has no signature (no tag " +
                                                  sig_tag + ")");
    return std::move(sig).error();
  }
  json m = json::parse(sig->bytes, nullptr, false);  // GetManifest checked it is an object
  std::string last_failure = "no " + std::string(kCosignPayloadType) + " layer";
  auto layers = m.find("layers");
  if (layers != m.end() && layers->is_array()) {
    for (const auto& layer : *layers) {
      if (StringMember(layer, "mediaType") != kCosignPayloadType) continue;
      auto desc = ParseDescriptor(layer, "signature layer", /*require_size=*/false);
      if (!desc.ok()) {
        last_failure = desc.error().message;
        continue;
      }
      // A cosign payload is a few hundred bytes; a larger one is not fetched into memory.
      if (desc->size < 0 || desc->size > kMaxPayloadBytes) {
        last_failure = "payload " + desc->digest + " has no size or is larger than " + std::to_string(kMaxPayloadBytes) + " bytes";
        continue;
      }
      std::string sig_b64;
      if (auto ann = layer.find("annotations"); ann != layer.end()) sig_b64 = StringMember(*ann, kCosignSignatureAnnotation);
      const std::string& payload_digest = desc->digest;
      HttpRequest req;
      req.url = "/v2/" + ref.repository + "/blobs/" + payload_digest;
      req.follow_redirects = true;
      KILN_ASSIGN_OR_RETURN(HttpResponse resp, client.SendExpect(req, {200}, "fetching signature payload"));
      if (DigestOf(resp.body) != payload_digest) {
        last_failure = "payload " + payload_digest + " does not match its digest";
        continue;
      }
      json payload = json::parse(resp.body, nullptr, false);
      std::string named;
      if (payload.is_object()) {
        auto p = json::json_pointer("/critical/image/docker-manifest-digest");
        if (payload.contains(p) && payload[p].is_string()) named = payload[p].get<std::string>();
      }
      if (named != digest) {
        last_failure = "payload names " + (named.empty() ? std::string("no digest") : EscapedExcerpt(named)) + ", not " + digest;
        continue;
      }
      auto raw = signing::Base64Decode(sig_b64);
      if (!raw.ok()) {
        last_failure = "signature annotation is not base64";
        continue;
      }
      if (auto v = signing::VerifyMessage(pub, resp.body, *raw); !v.ok()) {
        last_failure = "signature does not verify with the given key";
        continue;
      }
      return digest;
    }
  }
  return MakeError(ErrorCode::kIntegrity,
                   "signature " + ref.Repository() + ":" + sig_tag + " of " + digest + ": " + last_failure);
}

}  // namespace kiln::registry
