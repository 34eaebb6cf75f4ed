#include "builder/pipeline/update_build.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "builder/bootloader/update_config.h"
#include "builder/common/sha256.h"
#include "builder/disk/layout.h"
#include "builder/slots/slot_labels.h"
#include "builder/slots/slot_uuids.h"
#include "signing/pkcs7.h"

#ifndef KILN_LIBEXEC_DIR
#define KILN_LIBEXEC_DIR "/usr/local/libexec"
#endif

namespace kiln::pipeline {

namespace fs = std::filesystem;

Status CheckUpdateBuild(const recipe::Recipe& recipe, bool signed_build) {
  if (!recipe.update) return OkStatus();
  KILN_TRY(slots::CheckSlotLabelsFit(recipe.image.name, recipe.image.version));
  if (!signed_build)
    return MakeError(ErrorCode::kUsage,
                     "[update] needs a signed build: the image verifies its release channel with the build "
                     "certificate (pass --key and --cert or set [signing]; --unsigned cannot build it)");
  return OkStatus();
}

Result<fs::path> FindUpdateAgent() {
  std::vector<fs::path> looked;
  if (const char* env = std::getenv("KILN_UPDATE_AGENT"); env != nullptr && *env != '\0') {
    fs::path p(env);
    std::error_code ec;
    if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return fs::absolute(p);
    return MakeError(ErrorCode::kInput, "KILN_UPDATE_AGENT=" + p.string() + " is not an executable file");
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) looked.push_back(self.parent_path() / "kiln-update");
  looked.push_back(fs::path(KILN_LIBEXEC_DIR) / "kiln" / "kiln-update");
  std::string where;
  for (const fs::path& p : looked) {
    if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return p;
    where += (where.empty() ? "" : ", ") + p.string();
  }
  return MakeError(ErrorCode::kInput, "[update] needs the update agent kiln-update, not found in " + where +
                                          " (build the kiln-update target or set KILN_UPDATE_AGENT)");
}

Result<manifest::InputEntry> UpdateAgentInput(const fs::path& agent) {
  KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(agent));
  return manifest::InputEntry{"update-agent", "kiln-update", ToHex(d)};
}

Result<std::vector<manifest::InputEntry>> WithUpdateAgentInput(const recipe::Recipe& recipe, const fs::path& agent,
                                                               std::vector<manifest::InputEntry> base_inputs) {
  if (!recipe.update) return base_inputs;
  KILN_ASSIGN_OR_RETURN(manifest::InputEntry input, UpdateAgentInput(agent));
  base_inputs.push_back(std::move(input));
  return base_inputs;
}

std::string InputsDigest(std::vector<manifest::InputEntry> inputs, std::int64_t source_date_epoch) {
  std::sort(inputs.begin(), inputs.end(), [](const manifest::InputEntry& a, const manifest::InputEntry& b) {
    return std::tie(a.kind, a.uri, a.sha256) < std::tie(b.kind, b.uri, b.sha256);
  });
  Sha256 h;
  h.Update("kiln-inputs-v1\n");
  for (const manifest::InputEntry& i : inputs) h.Update(i.kind + " " + i.uri + " " + i.sha256 + "\n");
  h.Update("source-date-epoch " + std::to_string(source_date_epoch) + "\n");
  return ToHex(h.Finish());
}

std::vector<std::string> UpdateRuntimePackages(const std::string& suite) {
  // Debian renamed these for the 64-bit time_t transition after bookworm.
  const bool t64 = suite != "bookworm" && suite != "bullseye" && suite != "oldstable";
  if (t64) return {"libcurl4t64", "libssl3t64", "libzstd1", "systemd-boot"};
  return {"libcurl4", "libssl3", "libzstd1", "systemd-boot"};
}

Uuid DataPartitionUuidFor(const recipe::Recipe& recipe, const std::array<std::uint8_t, 16>& seed) {
  if (recipe.update) return slots::DataPartitionUuid(recipe.image.name, recipe.image.architecture);
  return disk::DataPartitionUuid(seed, recipe.image.architecture);
}

Status ApplyUpdateIdentity(tree::FileTree& tree, const recipe::Recipe& recipe, const signing::Certificate& cert,
                           const fs::path& agent, const std::string& inputs_sha256) {
  bootloader::UpdateSystemConfig c;
  c.image = recipe.image.name;
  c.version = recipe.image.version;
  c.arch = recipe.image.architecture;
  c.channel = recipe.update->channel;
  c.tries = recipe.update->tries;
  c.health = recipe.update->health;
  c.inputs_sha256 = inputs_sha256;
  c.signer_sha256 = signing::CertificateFingerprintSha256(cert);
  c.certificate_pem = signing::CertificatePem(cert);
  c.agent = agent;
  if (recipe.data) c.data_mountpoint = recipe.data->mountpoint;
  c.esp_partuuid = slots::EspPartitionUuid(recipe.image.name, recipe.image.architecture);
  return bootloader::ApplyUpdateSystemConfig(tree, c);
}

}  // namespace kiln::pipeline
