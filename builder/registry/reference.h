// An image reference in a registry: "HOST[:PORT]/REPO[:TAG|@sha256:HEX]". The first path
// component is always the registry host (kiln never guesses docker.io). Used by push, pull
// and the cosign signature code, and by the CLI to parse REF arguments.
#pragma once

#include <string>

#include "builder/common/result.h"

namespace kiln::registry {

struct Reference {
  std::string registry;    // "127.0.0.1:5000", "ghcr.io"
  std::string repository;  // "team/app"
  std::string tag;         // may be empty
  std::string digest;      // "sha256:<hex>" or empty
  bool operator==(const Reference&) const = default;

  // The tag or, when set, the digest: what goes after /manifests/.
  std::string ManifestName() const { return digest.empty() ? tag : digest; }
  // "registry/repository" (cosign's docker-reference).
  std::string Repository() const { return registry + "/" + repository; }
  std::string ToString() const;
};

// kUsage errors name the reference and what is wrong with it. The host is validated (a host
// name, IPv4 address or [IPv6], an optional port 1-65535; no "user@" part).
Result<Reference> ParseReference(const std::string& text);

// True for 127.0.0.0/8, ::1 and localhost (with or without a port), parsed strictly: neither
// "127.0.0.1:1@other.example" nor "127.evil.example" is loopback.
bool IsLoopbackRegistry(const std::string& registry);

}  // namespace kiln::registry
