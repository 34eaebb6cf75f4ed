#include "builder/oci/oci_archive.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/oci/layout.h"
#include "builder/oci/test_support.h"

namespace kiln::oci {
namespace {

namespace fs = std::filesystem;
using namespace kiln::oci::testing;
using nlohmann::json;

TEST(OciArchive, HasTheLayoutAndADockerManifest) {
  auto dir = TempDir::Create({}, "kiln-archive-test");
  ASSERT_TRUE(dir.ok());
  tree::FileTree t(1704067200);
  ASSERT_TRUE(t.Insert("/etc/motd", InlineFile("hello\n")).ok());
  ASSERT_TRUE(t.Insert("/usr/bin/app", InlineFile("app", 0755, "recipe", 1000, 1000)).ok());
  OciOptions o;
  o.name = "appliance";
  o.version = "1.0.0";
  o.source_date_epoch = 1704067200;
  o.layers = LayerMode::kPerSource;
  auto layout = WriteOciLayout(t, o, dir->path() / "img.oci");
  ASSERT_TRUE(layout.ok()) << layout.error().ToString();

  fs::path tar = dir->path() / "img.oci.tar";
  ASSERT_TRUE(WriteOciArchive(dir->path() / "img.oci", tar).ok());
  std::string bytes = ReadFile(tar).value();
  auto entries = ReadTar(bytes);
  std::vector<std::string> names;
  for (const auto& e : entries) {
    names.push_back(e.path);
    EXPECT_EQ(e.uid, 0);
    EXPECT_EQ(e.mtime, 0);
  }
  ASSERT_EQ(names.size(), 2u + 4u + 3u);  // 2 dirs, 2 layers + config + manifest, 3 files
  EXPECT_EQ(names[0], "blobs");
  EXPECT_EQ(names[1], "blobs/sha256");
  EXPECT_EQ(names[names.size() - 3], "index.json");
  EXPECT_EQ(names[names.size() - 2], "manifest.json");
  EXPECT_EQ(names[names.size() - 1], "oci-layout");

  json m = json::parse(FindEntry(entries, "manifest.json")->content);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["Config"], "blobs/sha256/" + layout->config.digest.substr(7));
  EXPECT_EQ(m[0]["RepoTags"], json::array({"appliance:1.0.0"}));
  ASSERT_EQ(m[0]["Layers"].size(), 2u);
  EXPECT_EQ(m[0]["Layers"][1], "blobs/sha256/" + layout->layers[1].descriptor.digest.substr(7));

  // Deterministic: a second archive of the same layout is byte-identical.
  fs::path tar2 = dir->path() / "again.tar";
  ASSERT_TRUE(WriteOciArchive(dir->path() / "img.oci", tar2).ok());
  EXPECT_EQ(ReadFile(tar2).value(), bytes);

  if (FindProgram("skopeo").empty()) GTEST_SKIP() << "skopeo not installed";
  json j = json::parse(RunTool({"skopeo", "inspect", "oci-archive:" + tar.string()}), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["Digest"], layout->manifest.digest);
  EXPECT_EQ(j["Layers"].size(), 2u);
  // skopeo also reads it as a docker archive through manifest.json.
  json d = json::parse(RunTool({"skopeo", "inspect", "docker-archive:" + tar.string()}), nullptr, false);
  ASSERT_FALSE(d.is_discarded());
  EXPECT_EQ(d["Layers"].size(), 2u);
}

TEST(OciArchive, MissingLayoutIsAnError) {
  auto dir = TempDir::Create({}, "kiln-archive-test");
  ASSERT_TRUE(dir.ok());
  Status s = WriteOciArchive(dir->path() / "nope", dir->path() / "out.tar");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().ToString().find("index.json"), std::string::npos) << s.error().ToString();
  EXPECT_FALSE(fs::exists(dir->path() / "out.tar"));
}

}  // namespace
}  // namespace kiln::oci
