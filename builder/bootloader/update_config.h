// What an updatable image ([update], docs/updates.md "Inside the image") carries besides its
// packages: its identity (os-release IMAGE_ID/IMAGE_VERSION, /usr/lib/kiln/release.json,
// the channel certificate), the update agent and its units, the machine-id kept on the data
// partition, the ESP mounted at /efi for boot counting, and the health checks that decide
// whether a boot of a new version counts as good (systemd-bless-boot at boot-complete.target).
// The pipeline applies it to the tree before the root is written; images without [update]
// never get any of it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/architecture.h"
#include "builder/common/result.h"
#include "builder/common/uuid.h"
#include "builder/tree/file_tree.h"

namespace kiln::bootloader {

struct UpdateSystemConfig {
  std::string image;             // [image] name
  std::string version;           // [image] version
  Architecture arch = Architecture::kX86_64;
  std::string channel;           // [update] channel
  unsigned tries = 3;
  std::vector<std::string> health;
  std::string inputs_sha256;     // digest of the build's inputs (UpdateInputsDigest)
  std::string signer_sha256;     // the certificate's SHA-256 fingerprint, hex
  std::string certificate_pem;   // the build certificate, PEM
  std::filesystem::path agent;   // host path of the kiln-update binary
  std::string data_mountpoint = "/var";
  Uuid esp_partuuid;             // the ESP, stable per image (slots::EspPartitionUuid)
};

// /usr/lib/kiln/release.json: compact JSON, keys sorted, newline-terminated.
std::string ReleaseJson(const UpdateSystemConfig& config);

// Where the machine-id is kept: on the data partition, under its mountpoint
// ("/var" -> "/var/lib/kiln/machine-id").
std::string KeptMachineIdPath(const std::string& data_mountpoint);

// Adds everything listed above. Fails with kRecipe when the image lacks what the agent and
// boot counting need at run time (naming the missing files and their Debian packages), when
// os-release is missing, or when a value would inject lines into a unit file.
Status ApplyUpdateSystemConfig(tree::FileTree& tree, const UpdateSystemConfig& config);

}  // namespace kiln::bootloader
