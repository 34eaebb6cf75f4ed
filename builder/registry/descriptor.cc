#include "builder/registry/descriptor.h"

#include <cstdio>

#include "builder/common/sha256.h"
#include "builder/registry/artifact.h"

namespace kiln::registry {

using nlohmann::json;

bool IsSha256Digest(std::string_view digest) {
  return digest.size() == 71 && digest.starts_with("sha256:") && IsSha256Hex(digest.substr(7));
}

std::string StringMember(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<RemoteDescriptor> ParseDescriptor(const json& j, const std::string& what, bool require_size) {
  auto bad = [&](const std::string& why) { return MakeError(ErrorCode::kIntegrity, what + ": " + why); };
  if (!j.is_object()) return bad("the descriptor is not a JSON object");
  RemoteDescriptor d;
  for (const char* key : {"mediaType", "digest", "artifactType"}) {
    auto it = j.find(key);
    if (it != j.end() && !it->is_string()) return bad(std::string(key) + " is not a string");
  }
  d.media_type = StringMember(j, "mediaType");
  d.artifact_type = StringMember(j, "artifactType");
  d.digest = StringMember(j, "digest");
  if (!IsSha256Digest(d.digest))
    return bad("digest '" + EscapedExcerpt(d.digest) + "' is not sha256:<64 lowercase hex>");
  if (auto size = j.find("size"); size != j.end()) {
    if (!size->is_number_integer() || (size->is_number_integer() && size->get<long long>() < 0))
      return bad("size is not a non-negative integer");
    d.size = size->get<long long>();
  } else if (require_size) {
    return bad("the descriptor has no size");
  }
  if (auto ann = j.find("annotations"); ann != j.end()) {
    if (!ann->is_object()) return bad("annotations is not an object");
    auto title = ann->find(kAnnotationTitle);
    if (title != ann->end() && !title->is_string()) return bad("the title annotation is not a string");
    d.title = StringMember(*ann, kAnnotationTitle);
  }
  return d;
}

std::string EscapedExcerpt(std::string_view bytes, std::size_t max_chars) {
  std::string out;
  for (unsigned char c : bytes) {
    if (out.size() >= max_chars) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace kiln::registry
