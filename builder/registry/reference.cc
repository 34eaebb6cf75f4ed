#include "builder/registry/reference.h"

#include "builder/common/sha256.h"

namespace kiln::registry {

namespace {

bool IsRepoChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
}

bool IsTagChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

Error Bad(const std::string& text, const std::string& why) {
  return MakeError(ErrorCode::kUsage, "invalid image reference '" + text + "': " + why +
                                          " (expected HOST[:PORT]/REPO[:TAG|@sha256:HEX])");
}

}  // namespace

std::string Reference::ToString() const {
  std::string s = registry + "/" + repository;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<Reference> ParseReference(const std::string& text) {
  Reference ref;
  auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0) return Bad(text, "no registry host");
  ref.registry = text.substr(0, slash);
  std::string rest = text.substr(slash + 1);
  if (auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
    if (ref.digest.rfind("sha256:", 0) != 0 || !IsSha256Hex(ref.digest.substr(7)))
      return Bad(text, "the digest must be sha256:<64 lowercase hex>");
  }
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && (last_slash == std::string::npos || colon > last_slash)) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (ref.tag.empty() || ref.tag.size() > 128 || ref.tag[0] == '.' || ref.tag[0] == '-')
      return Bad(text, "bad tag");
    for (char c : ref.tag)
      if (!IsTagChar(c)) return Bad(text, "bad character in tag '" + ref.tag + "'");
  }
  ref.repository = rest;
  if (ref.repository.empty()) return Bad(text, "no repository");
  if (ref.repository.front() == '/' || ref.repository.back() == '/' ||
      ref.repository.find("//") != std::string::npos)
    return Bad(text, "empty path component in repository");
  for (char c : ref.repository)
    if (!IsRepoChar(c)) return Bad(text, "repository names are lowercase [a-z0-9._-/]");
  return ref;
}

bool IsLoopbackRegistry(const std::string& registry) {
  std::string host = registry;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto c = host.rfind(':'); c != std::string::npos) {
    host.resize(c);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace kiln::registry
