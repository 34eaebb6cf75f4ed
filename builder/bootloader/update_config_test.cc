// The files an [update] image gets (docs/updates.md, "Inside the image").
#include "builder/bootloader/update_config.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/tree/entries.h"
#include "builder/tree/tree_test_support.h"

namespace kiln::bootloader {
namespace {

namespace fs = std::filesystem;

using tree::testing::AddFile;
using tree::testing::AddSymlink;
using tree::testing::Content;

// A merged-/usr Debian-like root with the agent's runtime.
tree::FileTree RuntimeTree() {
  tree::FileTree t(1700000000);
  AddSymlink(t, "lib", "usr/lib");
  for (const char* lib : {"libcurl.so.4", "libssl.so.3", "libcrypto.so.3", "libzstd.so.1", "libz.so.1"})
    AddFile(t, std::string("usr/lib/x86_64-linux-gnu/") + lib, "elf");
  AddFile(t, "lib/systemd/systemd-bless-boot", "elf", 0755);
  AddFile(t, "lib/systemd/system/systemd-bless-boot.service", "[Unit]\n");
  AddFile(t, "usr/lib/os-release", "PRETTY_NAME=\"Debian\"\nID=debian\nIMAGE_ID=old\n");
  AddSymlink(t, "etc/os-release", "../usr/lib/os-release");
  return t;
}

struct Fixture {
  TempDir dir = TempDir::Create().value();
  UpdateSystemConfig config;
  Fixture() {
    EXPECT_TRUE(WriteFile(dir.path() / "kiln-update", "#!/bin/sh\n").ok());
    config.image = "appliance";
    config.version = "1.0.1";
    config.channel = "http://10.0.2.100/";
    config.tries = 2;
    config.health = {"appliance.service", "check@db.service"};
    config.inputs_sha256 = std::string(64, 'a');
    config.signer_sha256 = std::string(64, 'b');
    config.certificate_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    config.agent = dir.path() / "kiln-update";
    config.esp_partuuid = Uuid::Parse("f891ef40-680a-42d4-80e5-2b655a166aaa").value();
  }
};

std::string LinkTarget(const tree::FileTree& t, const std::string& path) {
  const tree::FileNode* n = t.Find(path);
  return n && n->type == tree::NodeType::kSymlink ? n->target : "<no link " + path + ">";
}

TEST(UpdateConfig, ReleaseJsonIsCompactAndSorted) {
  Fixture f;
  EXPECT_EQ(ReleaseJson(f.config),
            "{\"architecture\":\"x86-64\",\"channel\":\"http://10.0.2.100/\",\"health\":[\"appliance.service\","
            "\"check@db.service\"],\"image\":\"appliance\",\"inputs_sha256\":\"" + std::string(64, 'a') +
                "\",\"schema\":\"kiln.release.v1\",\"signer_sha256\":\"" + std::string(64, 'b') +
                "\",\"tries\":2,\"version\":\"1.0.1\"}\n");
}

TEST(UpdateConfig, IdentityAgentAndCertificate) {
  Fixture f;
  tree::FileTree t = RuntimeTree();
  Status s = ApplyUpdateSystemConfig(t, f.config);
  ASSERT_TRUE(s.ok()) << s.error().message;
  // os-release through the /etc symlink: old IMAGE_ID replaced, the rest kept.
  EXPECT_EQ(Content(t, "usr/lib/os-release"),
            "PRETTY_NAME=\"Debian\"\nID=debian\nIMAGE_ID=appliance\nIMAGE_VERSION=1.0.1\n");
  EXPECT_EQ(LinkTarget(t, "etc/os-release"), "../usr/lib/os-release");
  EXPECT_EQ(Content(t, "usr/lib/kiln/release.json"), ReleaseJson(f.config));
  EXPECT_EQ(Content(t, "usr/lib/kiln/channel.crt"), f.config.certificate_pem);
  const tree::FileNode* agent = t.Find("usr/bin/kiln-update");
  ASSERT_TRUE(agent);
  EXPECT_EQ(agent->mode, 0755u);
  EXPECT_EQ(agent->content.host_path, f.config.agent);
  EXPECT_EQ(agent->content.size, 10u);
  EXPECT_EQ(agent->mtime, 1700000000);
}

TEST(UpdateConfig, UnitsAndTheirLinks) {
  Fixture f;
  tree::FileTree t = RuntimeTree();
  ASSERT_TRUE(ApplyUpdateSystemConfig(t, f.config).ok());
  const std::string units = "usr/lib/systemd/system/";
  EXPECT_NE(Content(t, units + "kiln-update.service").find("ExecStart=/usr/bin/kiln-update update\n"), std::string::npos);
  // The timer is installed but not enabled.
  EXPECT_NE(Content(t, units + "kiln-update.timer").find("WantedBy=timers.target"), std::string::npos);
  EXPECT_FALSE(t.Find(units + "timers.target.wants/kiln-update.timer"));
  EXPECT_NE(Content(t, units + "kiln-build-info.service")
                .find("ExecStart=/usr/bin/kiln-update status --prometheus /run/kiln/metrics/kiln_build_info.prom\n"),
            std::string::npos);
  EXPECT_EQ(LinkTarget(t, units + "multi-user.target.wants/kiln-build-info.service"), "../kiln-build-info.service");
  EXPECT_NE(Content(t, units + "kiln-machine-id.service").find("ExecStart=/usr/lib/kiln/machine-id /var/lib/kiln/machine-id\n"),
            std::string::npos);
  EXPECT_NE(Content(t, units + "kiln-machine-id.service").find("RequiresMountsFor=/var/lib/kiln\n"), std::string::npos);
  EXPECT_EQ(t.Find("usr/lib/kiln/machine-id")->mode, 0755u);
  EXPECT_EQ(LinkTarget(t, units + "sysinit.target.wants/kiln-machine-id.service"), "../kiln-machine-id.service");
  EXPECT_NE(Content(t, units + "efi.mount").find("What=/dev/disk/by-partuuid/f891ef40-680a-42d4-80e5-2b655a166aaa\n"),
            std::string::npos);
  EXPECT_EQ(t.Find("efi")->type, tree::NodeType::kDirectory);
  EXPECT_EQ(LinkTarget(t, units + "local-fs.target.wants/efi.automount"), "../efi.automount");
  EXPECT_EQ(LinkTarget(t, units + "basic.target.wants/systemd-bless-boot.service"), "../systemd-bless-boot.service");
  EXPECT_NE(Content(t, units + "systemd-bless-boot.service.d/kiln-counted-boots.conf").find("ConditionPathExists=/sys/firmware/efi/efivars/LoaderBootCountPath-"), std::string::npos);
  // Health: FailureAction=reboot, ordered before and required by boot-complete.target.
  const std::string dropin = Content(t, units + "appliance.service.d/50-kiln-health.conf");
  EXPECT_NE(dropin.find("[Unit]\nFailureAction=reboot\nBefore=boot-complete.target\n"), std::string::npos);
  EXPECT_EQ(LinkTarget(t, units + "boot-complete.target.requires/appliance.service"), "../appliance.service");
  EXPECT_EQ(LinkTarget(t, units + "boot-complete.target.requires/check@db.service"), "../check@.service");
  EXPECT_TRUE(t.Find(units + "check@db.service.d/50-kiln-health.conf"));
}

TEST(UpdateConfig, MachineIdFollowsTheDataMountpoint) {
  EXPECT_EQ(KeptMachineIdPath("/var"), "/var/lib/kiln/machine-id");
  EXPECT_EQ(KeptMachineIdPath("/srv/state/"), "/srv/state/lib/kiln/machine-id");
}

TEST(UpdateConfig, MissingRuntimeNamesFilesAndPackages) {
  Fixture f;
  tree::FileTree t(0);
  AddFile(t, "usr/lib/os-release", "ID=alpine\n");
  AddFile(t, "usr/lib/libz.so.1", "elf");
  AddFile(t, "usr/lib/libzstd.so.1", "elf");
  Status s = ApplyUpdateSystemConfig(t, f.config);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRecipe);
  EXPECT_EQ(s.error().message,
            "[update] needs the update agent's runtime in the image, missing: libcurl.so.4 (libcurl4), "
            "libssl.so.3 (libssl3), libcrypto.so.3 (libssl3), /usr/lib/systemd/systemd-bless-boot (systemd-boot), "
            "systemd-bless-boot.service (systemd-boot) (a Debian base gets these packages added; other bases must "
            "contain them)");
  EXPECT_FALSE(t.Find("usr/bin/kiln-update"));
}

TEST(UpdateConfig, RejectsUnitNamesThatInjectLines) {
  Fixture f;
  f.config.health = {"a.service\nExecStart=/bin/sh"};
  tree::FileTree t = RuntimeTree();
  EXPECT_EQ(ApplyUpdateSystemConfig(t, f.config).error().code, ErrorCode::kRecipe);
}

}  // namespace
}  // namespace kiln::bootloader
