// What `kiln build` does differently for a recipe with [update] (docs/updates.md): refuses
// what cannot be updated, finds the update agent and records it as an input, gives the
// Debian base the agent's runtime, puts the build's identity and units into the root, and
// fixes the identifiers every version of the image must share. Without [update] none of
// these run and the image keeps its bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/uuid.h"
#include "builder/manifest/build_manifest.h"
#include "builder/recipe/recipe.h"
#include "builder/tree/file_tree.h"
#include "signing/keys.h"

namespace kiln::pipeline {

// kUsage for an unsigned [update] build (the agent verifies the channel with the baked-in
// certificate); kRecipe when the slot labels of NAME_VERSION do not fit a GPT label.
Status CheckUpdateBuild(const recipe::Recipe& recipe, bool signed_build);

// The kiln-update binary to install: $KILN_UPDATE_AGENT, else kiln-update beside the running
// kiln (/proc/self/exe), else LIBEXECDIR/kiln/kiln-update of the installation. kInput naming
// the places looked at when there is none.
Result<std::filesystem::path> FindUpdateAgent();

// The manifest input recording the agent: kind "update-agent", uri "kiln-update".
Result<manifest::InputEntry> UpdateAgentInput(const std::filesystem::path& agent);
// base_inputs, plus the agent's input for an [update] recipe.
Result<std::vector<manifest::InputEntry>> WithUpdateAgentInput(const recipe::Recipe& recipe,
                                                               const std::filesystem::path& agent,
                                                               std::vector<manifest::InputEntry> base_inputs);

// Hex SHA-256 over the inputs, sorted, and SOURCE_DATE_EPOCH: the build's inputs as
// release.json names them ("kiln-inputs-v1\n", then "KIND URI SHA256\n" per input, then
// "source-date-epoch N\n").
std::string InputsDigest(std::vector<manifest::InputEntry> inputs, std::int64_t source_date_epoch);

// The Debian packages the agent and boot counting need on a base of `suite` (libcurl, OpenSSL
// and zstd under their t64 names from trixie on, systemd-boot for systemd-bless-boot).
std::vector<std::string> UpdateRuntimePackages(const std::string& suite);

// Partition UUIDs the boot configuration and the layout use: for [update] images stable per
// image name and architecture (every version mounts the same partitions), else from the seed.
Uuid DataPartitionUuidFor(const recipe::Recipe& recipe, const std::array<std::uint8_t, 16>& seed);

// Adds the identity, agent and units of an [update] image to its root
// (bootloader/update_config.h).
Status ApplyUpdateIdentity(tree::FileTree& tree, const recipe::Recipe& recipe, const signing::Certificate& cert,
                           const std::filesystem::path& agent, const std::string& inputs_sha256);

}  // namespace kiln::pipeline
