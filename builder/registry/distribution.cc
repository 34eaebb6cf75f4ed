#include "builder/registry/distribution.h"

#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "builder/common/sha256.h"
#include "builder/common/unique_file.h"
#include "builder/registry/descriptor.h"

namespace kiln::registry {

std::string DigestOf(std::string_view bytes) { return "sha256:" + ToHex(Sha256Of(bytes)); }

Result<bool> BlobExists(RegistryClient& client, const std::string& repo, const std::string& digest) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = "/v2/" + repo + "/blobs/" + digest;
  req.follow_redirects = true;
  KILN_ASSIGN_OR_RETURN(HttpResponse resp, client.SendExpect(req, {200, 404}, "checking blob " + digest));
  return resp.status == 200;
}

Status UploadBlob(RegistryClient& client, const std::string& repo, const std::string& digest,
                  const std::filesystem::path& file, std::string_view content) {
  const std::string what = "uploading blob " + digest + " to " + repo;
  HttpRequest start;
  start.method = "POST";
  start.url = "/v2/" + repo + "/blobs/uploads/";
  KILN_ASSIGN_OR_RETURN(HttpResponse started, client.SendExpect(start, {202}, what));
  std::string location = started.Header("location");
  if (location.empty())
    return MakeError(ErrorCode::kNetwork, "registry " + client.registry() + ": " + what + ": 202 without Location");
  KILN_ASSIGN_OR_RETURN(std::string url, ResolveUrl(client.base_url() + start.url, location));
  KILN_ASSIGN_OR_RETURN(url, AppendQuery(url, "digest=" + digest));
  HttpRequest put;
  put.method = "PUT";
  put.url = url;
  put.headers = {"Content-Type: application/octet-stream"};
  put.body_file = file;
  if (file.empty()) put.body = std::string(content);
  KILN_TRY(client.SendExpect(put, {201}, what));
  return OkStatus();
}

Status PutManifest(RegistryClient& client, const std::string& repo, const std::string& name,
                   const std::string& media_type, const std::string& bytes) {
  HttpRequest req;
  req.method = "PUT";
  req.url = "/v2/" + repo + "/manifests/" + name;
  req.headers = {"Content-Type: " + media_type};
  req.body = bytes;
  KILN_TRY(client.SendExpect(req, {200, 201}, "pushing manifest " + repo + ":" + name));
  return OkStatus();
}

Result<FetchedManifest> GetManifest(RegistryClient& client, const std::string& repo, const std::string& name) {
  if (name.rfind("sha256:", 0) == 0 && !IsSha256Digest(name))
    return MakeError(ErrorCode::kIntegrity, "manifest digest '" + EscapedExcerpt(name) + "' is not sha256:<64 lowercase hex>");
  HttpRequest req;
  req.url = "/v2/" + repo + "/manifests/" + name;
  req.headers = {kManifestAccept};
  req.follow_redirects = true;
  const std::string what = "fetching manifest " + repo + (name.rfind("sha256:", 0) == 0 ? "@" : ":") + name;
  KILN_ASSIGN_OR_RETURN(HttpResponse resp, client.Send(req));
  if (resp.status == 404)
    return MakeError(ErrorCode::kInput, "registry " + client.registry() + ": " + what + ": not found");
  if (resp.status != 200)
    return MakeError(ErrorCode::kNetwork, "registry " + client.registry() + ": " + what + ": HTTP " +
                                              std::to_string(resp.status));
  if (resp.body.size() > kMaxManifestBytes)
    return MakeError(ErrorCode::kInput, "registry " + client.registry() + ": " + what + ": larger than " +
                                            std::to_string(kMaxManifestBytes) + " bytes");
  FetchedManifest m;
  m.bytes = std::move(resp.body);
  m.digest = DigestOf(m.bytes);
  if (name.rfind("sha256:", 0) == 0 && name != m.digest)
    return MakeError(ErrorCode::kIntegrity, "registry " + client.registry() + ": " + what + ": content hashes to " +
                                                m.digest);
  if (std::string header = resp.Header("docker-content-digest"); !header.empty() && header != m.digest)
    return MakeError(ErrorCode::kIntegrity, "registry " + client.registry() + ": " + what + ": content hashes to " +
                                                m.digest + " but the registry says " + header);
  auto j = nlohmann::json::parse(m.bytes, nullptr, false);
  if (!j.is_object())
    return MakeError(ErrorCode::kInput, "registry " + client.registry() + ": " + what + ": not a JSON manifest");
  if (auto mt = j.find("mediaType"); mt != j.end() && mt->is_string()) m.media_type = mt->get<std::string>();
  if (m.media_type.empty()) m.media_type = resp.Header("content-type");
  return m;
}

Status FetchBlob(RegistryClient& client, const std::string& repo, const std::string& digest, long long size,
                 const std::filesystem::path& dest) {
  if (!IsSha256Digest(digest))
    return MakeError(ErrorCode::kIntegrity, "registry " + client.registry() + ": blob digest '" +
                                                EscapedExcerpt(digest) + "' of " + repo + " is not a sha256 digest");
  const std::filesystem::path part = dest.string() + ".part";
  UniqueFile out;
  Sha256 hash;
  long long received = 0;
  bool write_failed = false;
  bool oversized = false;
  HttpRequest req;
  req.url = "/v2/" + repo + "/blobs/" + digest;
  req.follow_redirects = true;
  req.begin_sink = [&] {  // every attempt starts from an empty file
    out.reset(std::fopen(part.c_str(), "wb"));
    hash.Reset();
    received = 0;
  };
  req.sink = [&](std::string_view chunk) {
    // A blob larger than its descriptor says is cut off here, not after the whole download.
    if (size >= 0 && static_cast<long long>(chunk.size()) > size - received) {
      oversized = true;
      return false;
    }
    if (!out || std::fwrite(chunk.data(), 1, chunk.size(), out.get()) != chunk.size()) {
      write_failed = true;
      return false;
    }
    hash.Update(chunk);
    received += static_cast<long long>(chunk.size());
    return true;
  };
  auto resp = client.SendExpect(req, {200}, "fetching blob " + digest + " of " + repo);
  bool closed_ok = out && std::fclose(out.release()) == 0;
  std::error_code ec;
  if (oversized) {
    std::filesystem::remove(part, ec);
    return MakeError(ErrorCode::kIntegrity, "registry " + client.registry() + ": blob " + digest + " of " + repo +
                                                " is larger than its declared " + std::to_string(size) +
                                                " bytes: transfer aborted");
  }
  if (!resp.ok() || write_failed || !closed_ok) {
    std::filesystem::remove(part, ec);
    if (!resp.ok()) return std::move(resp).error();
    return MakeError(ErrorCode::kIo, "cannot write " + part.string());
  }
  std::string got = "sha256:" + ToHex(hash.Finish());
  if (got != digest || (size >= 0 && received != size)) {
    std::filesystem::remove(part, ec);
    return MakeError(ErrorCode::kIntegrity, "registry " + client.registry() + ": blob " + digest + " of " + repo +
                                                " arrived as " + std::to_string(received) + " bytes hashing to " + got);
  }
  std::filesystem::rename(part, dest, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot rename " + part.string() + ": " + ec.message());
  return OkStatus();
}

}  // namespace kiln::registry
