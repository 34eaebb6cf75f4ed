#include "builder/pipeline/stage_options.h"

#include <gtest/gtest.h>

namespace kiln::pipeline {
namespace {

recipe::Recipe ContainerRecipe() {
  recipe::Recipe r;
  r.image = {"app", "1.2", Architecture::kArm64, std::nullopt};
  r.data = recipe::DataSection{};
  r.data->mountpoint = "/srv";
  r.container = recipe::ContainerSection{};
  r.container->entrypoint = {"/usr/bin/app"};
  r.container->cmd = {"--serve"};
  r.container->env = {"A=1"};
  r.container->user = "1000:1000";
  r.container->workdir = "/srv";
  r.container->ports = {"8080/tcp"};
  r.container->labels = {{"k", "v"}};
  r.container->layers = "per-source";
  r.container->compression = "zstd";
  return r;
}

TEST(OciOptionsFor, CarriesEveryContainerSetting) {
  auto o = OciOptionsFor(ContainerRecipe(), 1700000000, 3);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->name, "app");
  EXPECT_EQ(o->version, "1.2");
  EXPECT_EQ(o->architecture, "arm64");
  EXPECT_EQ(o->data_mountpoint, "/srv");
  EXPECT_EQ(o->source_date_epoch, 1700000000);
  EXPECT_EQ(o->jobs, 3u);
  EXPECT_EQ(o->compression, oci::LayerCompression::kZstd);
  EXPECT_EQ(o->layers, oci::LayerMode::kPerSource);
  ASSERT_TRUE(o->container.has_value());
  EXPECT_EQ(*o->container, (oci::ContainerConfig{{"/usr/bin/app"}, {"--serve"}, {"A=1"}, "1000:1000", "/srv",
                                                 {"8080/tcp"}, {{"k", "v"}}}));
}

TEST(OciOptionsFor, NoContainerSectionMeansDefaults) {
  recipe::Recipe r;
  r.image = {"app", "1", Architecture::kX86_64, std::nullopt};
  auto o = OciOptionsFor(r, 0, 1);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->architecture, "amd64");
  EXPECT_FALSE(o->container.has_value());
  EXPECT_EQ(o->data_mountpoint, "");
  EXPECT_EQ(o->compression, oci::LayerCompression::kGzip);
  EXPECT_EQ(o->layers, oci::LayerMode::kSingle);
}

TEST(OciOptionsFor, AnUnknownLayerModeIsARecipeError) {
  recipe::Recipe r = ContainerRecipe();
  r.container->layers = "per-file";
  auto o = OciOptionsFor(r, 0, 1);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, ErrorCode::kRecipe);
}

TEST(DebianBaseFor, CarriesTheBaseTheArchitectureAndWhetherItBoots) {
  recipe::Recipe r;
  r.image.architecture = Architecture::kArm64;
  r.base.type = recipe::BaseType::kDebian;
  r.base.suite = "trixie";
  r.base.variant = "apt";
  r.base.packages = {"systemd"};
  r.base.components = {"main", "contrib"};
  r.base.mirror = "file:///mirror";
  r.base.apt = {{"Acquire::Retries=3"}, {"/k.gpg"}};
  EXPECT_EQ(DebianBaseFor(r), (sources::DebianBaseSpec{"trixie", "apt", {"systemd"}, {"main", "contrib"}, "file:///mirror",
                                                        {{"Acquire::Retries=3"}, {"/k.gpg"}}, Architecture::kArm64, false,
                                                        "", kDefaultSnapshotMirror}));
  r.boot.loader = "systemd-boot";
  EXPECT_TRUE(DebianBaseFor(r).boot_initrd);
  r.base.snapshot = "20240101T000000Z";
  r.base.snapshot_mirror = "http://127.0.0.1:9";
  EXPECT_EQ(DebianBaseFor(r).snapshot, "20240101T000000Z");
  EXPECT_EQ(DebianBaseFor(r).snapshot_mirror, "http://127.0.0.1:9");
}

TEST(TreeSpecs, CarryEveryFieldInOrder) {
  recipe::Recipe r;
  recipe::EntrySpec link;
  link.kind = recipe::EntryKind::kSymlink;
  link.path = "/usr/bin/hi";
  link.target = "hello";
  link.owner.user = "app";
  link.owner.gid = 7;
  link.pos = {"r.toml", 3, 1};
  recipe::EntrySpec file;
  file.path = "/etc/motd";
  file.content = "hi\n";
  file.mode = 0600;
  file.pos = {"r.toml", 9, 1};
  r.entries = {link, file};
  r.users = {{"app", 1000, std::nullopt, "/home/app", "/bin/sh", {"adm"}, {"r.toml", 12, 1}}};
  r.groups = {{"adm", 4, {"r.toml", 20, 1}}};

  const auto entries = TreeEntries(r);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], (tree::EntrySpec{tree::EntryKind::kSymlink, "/usr/bin/hi", std::nullopt, std::nullopt, "hello",
                                         std::nullopt, tree::Owner{std::nullopt, 7, "app", ""}, {"r.toml", 3, 1}}));
  EXPECT_EQ(entries[1].kind, tree::EntryKind::kFile);
  EXPECT_EQ(entries[1].content, "hi\n");
  EXPECT_EQ(entries[1].mode, 0600u);
  EXPECT_EQ(TreeUsers(r), (std::vector<tree::UserSpec>{
                              {"app", 1000, std::nullopt, "/home/app", "/bin/sh", {"adm"}, {"r.toml", 12, 1}}}));
  EXPECT_EQ(TreeGroups(r), (std::vector<tree::GroupSpec>{{"adm", 4, {"r.toml", 20, 1}}}));
}

}  // namespace
}  // namespace kiln::pipeline
