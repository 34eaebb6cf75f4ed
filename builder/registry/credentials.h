// Registry credentials and authentication challenges. Credentials come from the file docker,
// podman and skopeo share: $REGISTRY_AUTH_FILE, else ~/.docker/config.json, section
// "auths": {"HOST[:PORT]": {"auth": base64("user:password")}}. Challenges are parsed from
// a 401's WWW-Authenticate header (Basic, or Bearer realm/service/scope for token auth).
// Used by the registry client.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "builder/common/result.h"

namespace kiln::registry {

struct Credentials {
  std::string basic;        // base64("user:password"), as stored in "auth"
  std::string source;       // the file it came from (for messages)
};

// The auth file in effect: explicit (non-empty) > $REGISTRY_AUTH_FILE > $HOME/.docker/config.json.
std::filesystem::path AuthFilePath(const std::filesystem::path& explicit_path);

// Credentials for a registry ("host:port"); std::nullopt when the file or entry is absent.
// Keys are matched with any "http(s)://" prefix and trailing path removed. kInput for a
// file that exists but is not valid JSON.
Result<std::optional<Credentials>> LoadCredentials(const std::string& registry,
                                                   const std::filesystem::path& auth_file);

struct Challenge {
  std::string scheme;                         // lowercase: "basic" | "bearer"
  std::map<std::string, std::string> params;  // realm, service, scope (lowercase keys)
};

// Parses `Bearer realm="https://auth/token",service="reg",scope="repository:a:pull,push"`.
std::optional<Challenge> ParseChallenge(const std::string& header);

}  // namespace kiln::registry
