#include "builder/registry/reference.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <optional>

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

struct HostPort {
  std::string host;  // without brackets for IPv6
  bool ipv6 = false;
};

bool IsAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool IsIpv4(const std::string& s) {
  in_addr a{};
  return ::inet_pton(AF_INET, s.c_str(), &a) == 1;
}

// A DNS name: labels of [A-Za-z0-9-] (not starting or ending with '-'), at most 253 bytes.
// All-numeric dotted names must be real IPv4 addresses.
bool IsHostName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  bool numeric = true;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = s.find('.', start);
    std::string_view label = std::string_view(s).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    numeric = numeric && IsAllDigits(label);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return !numeric || IsIpv4(s);
}

// "host", "host:port", "[v6]" or "[v6]:port" with a port in 1..65535; nullopt otherwise
// (a userinfo "user@host", a path, an empty or out-of-range port).
std::optional<HostPort> ParseHostPort(const std::string& text) {
  HostPort hp;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto bracket = text.find(']');
    if (bracket == std::string::npos) return std::nullopt;
    hp.host = text.substr(1, bracket - 1);
    hp.ipv6 = true;
    in6_addr a{};
    if (::inet_pton(AF_INET6, hp.host.c_str(), &a) != 1) return std::nullopt;
    std::string rest = text.substr(bracket + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    auto colon = text.find(':');
    hp.host = text.substr(0, colon);
    if (colon != std::string::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
    if (!IsHostName(hp.host)) return std::nullopt;
  }
  if (!port.empty()) {
    if (!IsAllDigits(port) || port.size() > 5) return std::nullopt;
    long n = std::strtol(port.c_str(), nullptr, 10);
    if (n < 1 || n > 65535) return std::nullopt;
  }
  return hp;
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
  if (ref.registry.find('@') != std::string::npos)
    return Bad(text, "a user name in the registry host ('user@host') is not allowed; use an auth file");
  if (!ParseHostPort(ref.registry))
    return Bad(text, "the registry host must be a host name, an IPv4 address or [IPv6], with an optional port 1-65535");
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
  auto hp = ParseHostPort(registry);
  if (!hp) {  // a bare IPv6 address ("::1", as curl's URL API returns hosts)
    in6_addr a{};
    return ::inet_pton(AF_INET6, registry.c_str(), &a) == 1 && IN6_IS_ADDR_LOOPBACK(&a);
  }
  if (hp->ipv6) {
    in6_addr a{};
    return ::inet_pton(AF_INET6, hp->host.c_str(), &a) == 1 && IN6_IS_ADDR_LOOPBACK(&a);
  }
  if (hp->host == "localhost") return true;
  in_addr a{};
  return ::inet_pton(AF_INET, hp->host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace kiln::registry
