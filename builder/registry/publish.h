// `kiln push` as one operation: push an OCI layout (as an image) or a build output directory
// (as a disk image artifact), then its SPDX SBOM as a referrer of what was pushed, then,
// when a key is given, a cosign signature of the pushed manifest.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "builder/common/result.h"
#include "builder/registry/push.h"
#include "builder/registry/reference.h"
#include "signing/keys.h"

namespace kiln::registry {

struct PublishResult {
  PushResult push;
  std::string sbom_referrer;  // digest of the SBOM referrer manifest; empty when no SBOM was found
  std::string referrers_tag;  // the fallback referrers index tag; empty without an SBOM
  std::string signature_tag;  // the cosign signature's tag; empty when unsigned
};

// The SPDX SBOM that goes with `dir`: NAME_VERSION.spdx.json beside a layout
// OUT/NAME_VERSION.oci, or the one named after the build manifest inside a build output
// directory. Empty when there is none.
std::filesystem::path SbomFor(const std::filesystem::path& dir, bool is_layout);

// Whether dir is an OCI image layout (it has an oci-layout file) rather than a build output.
bool IsOciLayout(const std::filesystem::path& dir);

Result<PublishResult> Publish(const std::filesystem::path& dir, const Reference& ref,
                              const std::optional<signing::PrivateKey>& key, const PushOptions& opts);

}  // namespace kiln::registry
