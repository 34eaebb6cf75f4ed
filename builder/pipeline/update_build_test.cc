// What kiln build does for [update] besides the layout: checks, the agent lookup and input,
// the inputs digest, the runtime packages, the stable data partition UUID.
#include "builder/pipeline/update_build.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/disk/layout.h"
#include "builder/pipeline/stage_options.h"
#include "builder/slots/slot_uuids.h"

namespace kiln::pipeline {
namespace {

recipe::Recipe Updatable() {
  recipe::Recipe r;
  r.image = {"appliance", "1.0.0", Architecture::kX86_64, std::nullopt};
  r.base.type = recipe::BaseType::kDebian;
  r.base.packages = {"systemd", "libzstd1"};
  r.update = recipe::UpdateSection{"http://10.0.2.100/", 384ULL << 20, 3, {"appliance.service"}, {}};
  return r;
}

TEST(UpdateBuild, NeedsSignatureAndShortLabels) {
  recipe::Recipe r = Updatable();
  EXPECT_TRUE(CheckUpdateBuild(r, true).ok());
  Status unsigned_build = CheckUpdateBuild(r, false);
  ASSERT_FALSE(unsigned_build.ok());
  EXPECT_EQ(unsigned_build.error().code, ErrorCode::kUsage);
  r.image.version = "1.0.0-really-long-version";
  EXPECT_EQ(CheckUpdateBuild(r, true).error().code, ErrorCode::kRecipe);
  r.update.reset();
  EXPECT_TRUE(CheckUpdateBuild(r, false).ok());
}

TEST(UpdateBuild, RuntimePackagesJoinTheDebianBaseOnce) {
  recipe::Recipe r = Updatable();
  EXPECT_EQ(DebianBaseFor(r).packages,
            (std::vector<std::string>{"systemd", "libzstd1", "libcurl4", "libssl3", "systemd-boot"}));
  r.base.suite = "trixie";
  EXPECT_EQ(UpdateRuntimePackages(r.base.suite),
            (std::vector<std::string>{"libcurl4t64", "libssl3t64", "libzstd1", "systemd-boot"}));
  r.update.reset();
  EXPECT_EQ(DebianBaseFor(r).packages, (std::vector<std::string>{"systemd", "libzstd1"}));
}

TEST(UpdateBuild, InputsDigestIsOrderIndependentAndCoversEpoch) {
  std::vector<manifest::InputEntry> a = {{"recipe", "x.toml", std::string(64, '1')},
                                         {"update-agent", "kiln-update", std::string(64, '2')}};
  std::vector<manifest::InputEntry> b = {a[1], a[0]};
  EXPECT_EQ(InputsDigest(a, 1), InputsDigest(b, 1));
  EXPECT_NE(InputsDigest(a, 1), InputsDigest(a, 2));
  // sha256("kiln-inputs-v1\nsource-date-epoch 0\n"), computed with sha256sum.
  EXPECT_EQ(InputsDigest({}, 0), ToHex(Sha256Of("kiln-inputs-v1\nsource-date-epoch 0\n")));
}

TEST(UpdateBuild, DataPartitionUuidIsStableOnlyForUpdatableImages) {
  recipe::Recipe r = Updatable();
  const std::array<std::uint8_t, 16> seed{1, 2, 3};
  EXPECT_EQ(DataPartitionUuidFor(r, seed), slots::DataPartitionUuid("appliance", Architecture::kX86_64));
  r.update.reset();
  EXPECT_EQ(DataPartitionUuidFor(r, seed), disk::DataPartitionUuid(seed, Architecture::kX86_64));
}

TEST(UpdateBuild, AgentFromTheEnvironmentAndItsInput) {
  TempDir dir = TempDir::Create().value();
  const auto agent = dir.path() / "kiln-update";
  ASSERT_TRUE(WriteFile(agent, "#!/bin/sh\n").ok());
  ::setenv("KILN_UPDATE_AGENT", agent.c_str(), 1);
  Result<std::filesystem::path> not_exec = FindUpdateAgent();
  ASSERT_FALSE(not_exec.ok());
  EXPECT_EQ(not_exec.error().message, "KILN_UPDATE_AGENT=" + agent.string() + " is not an executable file");
  std::filesystem::permissions(agent, std::filesystem::perms::owner_all);
  Result<std::filesystem::path> found = FindUpdateAgent();
  ::unsetenv("KILN_UPDATE_AGENT");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, agent);
  Result<manifest::InputEntry> input = UpdateAgentInput(*found);
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(*input, (manifest::InputEntry{"update-agent", "kiln-update", ToHex(Sha256Of("#!/bin/sh\n"))}));
}

}  // namespace
}  // namespace kiln::pipeline
