// Base64 (RFC 4648) for signatures carried in JSON: the verity signature partition, DSSE
// envelopes and cosign's signature annotation. Used by signing/ and the oci stage.
#pragma once

#include <string>
#include <string_view>

#include "builder/common/result.h"

namespace kiln::signing {

// Standard alphabet with '=' padding.
std::string Base64Encode(std::string_view bytes);

// Accepts the standard and the URL-safe alphabet (DSSE allows either), with or without
// padding. Whitespace, stray characters or bad padding are kInput errors.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace kiln::signing
