// SLSA v1 provenance for a build (OUT/NAME_VERSION.intoto.json): an in-toto Statement v1
// whose subjects are every artifact with its sha256, with kiln as the builder, the recipe and
// lock file digests as external parameters and every input as a resolved dependency. Times
// appear only when the caller passes them, so by default the statement is reproducible.
// The pipeline signs it with the build key as a DSSE envelope (signing/dsse.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "signing/keys.h"

namespace kiln::sbom {

inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kSlsaProvenanceType = "https://slsa.dev/provenance/v1";
inline constexpr std::string_view kKilnBuildType = "https://kiln.dev/build/v1";

struct ProvenanceTimes {
  std::int64_t started_on = 0;   // Unix seconds
  std::int64_t finished_on = 0;
};

// Compact JSON statement. Fails (kInput) when an artifact or the recipe has no valid sha256
// or there are no artifacts. lock_sha256 may be empty (no lock file).
Result<std::string> MakeProvenanceStatement(const manifest::BuildManifest& m, std::string_view lock_sha256,
                                            std::optional<ProvenanceTimes> times = std::nullopt);

// The statement wrapped in a DSSE envelope (payloadType application/vnd.in-toto+json).
Result<std::string> SignProvenance(std::string_view statement, const signing::PrivateKey& key,
                                   std::string_view keyid);

}  // namespace kiln::sbom
