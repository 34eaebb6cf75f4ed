// Descriptors and fields read from registry JSON (manifests, indexes, referrers): a registry is
// untrusted, so every value is type-checked before use (no throwing nlohmann accessors) and
// every digest is validated before it names a blob or a manifest to fetch. Used by pull,
// artifact, cosign and referrers.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "builder/common/result.h"

namespace kiln::registry {

struct RemoteDescriptor {
  std::string media_type;     // may be empty
  std::string digest;         // "sha256:<64 lowercase hex>"
  long long size = -1;        // -1 when absent and not required
  std::string artifact_type;  // may be empty
  std::string title;          // the org.opencontainers.image.title annotation, may be empty
};

// True for "sha256:" followed by 64 lowercase hex digits.
bool IsSha256Digest(std::string_view digest);

// The string member `key` of obj; empty when obj is not an object or the member is not a string.
std::string StringMember(const nlohmann::json& obj, const char* key);

// A descriptor from registry JSON; kIntegrity naming `what` when it is not an object, its
// digest is not a sha256 digest, a present field has the wrong type, or (require_size) it has
// no non-negative integer size.
Result<RemoteDescriptor> ParseDescriptor(const nlohmann::json& j, const std::string& what, bool require_size);

// A short, printable excerpt of bytes from a remote (an error body, a bad value): at most
// max_chars, control and non-ASCII bytes escaped as \xNN.
std::string EscapedExcerpt(std::string_view bytes, std::size_t max_chars = 80);

}  // namespace kiln::registry
