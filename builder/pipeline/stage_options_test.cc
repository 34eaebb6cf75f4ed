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
  r.container->layers = oci::LayerMode::kPerSource;
  r.container->compression = oci::LayerCompression::kZstd;
  return r;
}

TEST(OciOptionsFor, CarriesEveryContainerSetting) {
  const oci::OciOptions o = OciOptionsFor(ContainerRecipe(), 1700000000, 3);
  EXPECT_EQ(o.name, "app");
  EXPECT_EQ(o.version, "1.2");
  EXPECT_EQ(o.architecture, "arm64");
  EXPECT_EQ(o.data_mountpoint, "/srv");
  EXPECT_EQ(o.source_date_epoch, 1700000000);
  EXPECT_EQ(o.jobs, 3u);
  EXPECT_EQ(o.compression, oci::LayerCompression::kZstd);
  EXPECT_EQ(o.layers, oci::LayerMode::kPerSource);
  ASSERT_TRUE(o.container.has_value());
  EXPECT_EQ(
      *o.container,
      (oci::ContainerConfig{{"/usr/bin/app"}, {"--serve"}, {"A=1"}, "1000:1000", "/srv", {"8080/tcp"}, {{"k", "v"}}}));
}

TEST(OciOptionsFor, NoContainerSectionMeansDefaults) {
  recipe::Recipe r;
  r.image = {"app", "1", Architecture::kX86_64, std::nullopt};
  const oci::OciOptions o = OciOptionsFor(r, 0, 1);
  EXPECT_EQ(o.architecture, "amd64");
  EXPECT_FALSE(o.container.has_value());
  EXPECT_EQ(o.data_mountpoint, "");
  EXPECT_EQ(o.compression, oci::LayerCompression::kGzip);
  EXPECT_EQ(o.layers, oci::LayerMode::kSingle);
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
  sources::DebianBaseSpec want;
  want.suite = "trixie";
  want.variant = "apt";
  want.packages = {"systemd"};
  want.components = {"main", "contrib"};
  want.mirror = "file:///mirror";
  want.apt = {{"Acquire::Retries=3"}, {"/k.gpg"}};
  want.architecture = Architecture::kArm64;
  EXPECT_EQ(DebianBaseFor(r), want);
  r.boot.loader = recipe::BootLoader::kSystemdBoot;
  EXPECT_TRUE(DebianBaseFor(r).boot_initrd);
  r.base.snapshot = "20240101T000000Z";
  r.base.snapshot_mirror = "http://127.0.0.1:9";
  EXPECT_EQ(DebianBaseFor(r).snapshot, "20240101T000000Z");
  EXPECT_EQ(DebianBaseFor(r).snapshot_mirror, "http://127.0.0.1:9");
}

}  // namespace
}  // namespace kiln::pipeline
