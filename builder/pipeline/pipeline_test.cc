// Build end to end on scratch recipes (no network, no root): what is published, that it is
// reproducible, and that a refused build leaves nothing behind.
#include "builder/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/subprocess.h"
#include "signing/key_generation.h"

namespace kiln::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRecipeHead = R"(
[image]
name = "t"
version = "1"
source_date_epoch = 1700000000
[base]
type = "scratch"
[[file]]
path = "/etc/motd"
content = "hello\n"
mode = "0644"
[[directory]]
path = "/var/lib/t"
)";

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override { tmp_ = TempDir::Create().value(); }

  BuildRequest Request(const std::string& formats, const std::string& out) {
    const fs::path recipe = tmp_.path() / "t.toml";
    EXPECT_TRUE(WriteFile(recipe, std::string(kRecipeHead) + "[output]\nformats = " + formats + "\n").ok());
    BuildRequest req;
    req.recipe = recipe;
    req.out_dir = tmp_.path() / out;
    req.ctx.cache_dir = tmp_.path() / "cache";
    return req;
  }
  std::string Read(const fs::path& p) {
    auto r = ReadFile(p);
    return r.ok() ? *r : "";
  }
  TempDir tmp_;
};

TEST_F(PipelineTest, ScratchRecipePublishesWhatTheManifestLists) {
  BuildRequest req = Request(R"(["squashfs", "oci", "oci-archive"])", "out");
  auto r = Build(req);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const fs::path out = req.out_dir;
  for (const char* f : {"t_1.root.squashfs", "t_1.oci/index.json", "t_1.oci.tar", "t_1.spdx.json",
                        "t_1.manifest.json", "SHA256SUMS"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  EXPECT_FALSE(fs::exists(out / "t_1.intoto.json"));  // unsigned: no provenance
  auto parsed = manifest::ParseManifest(Read(out / "t_1.manifest.json"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, r->manifest);
  // SHA256SUMS: every artifact of the manifest, and the manifest itself.
  std::vector<manifest::ArtifactEntry> sums = parsed->artifacts;
  sums.push_back({"t_1.manifest.json", 0, ToHex(Sha256File(out / "t_1.manifest.json").value())});
  for (auto& e : sums) e.size = 0;
  auto listed = manifest::ParseSha256Sums(Read(out / "SHA256SUMS"));
  ASSERT_TRUE(listed.ok());
  std::sort(sums.begin(), sums.end(), [](auto& a, auto& b) { return a.name < b.name; });
  EXPECT_EQ(*listed, sums);
  for (auto& e : *listed) EXPECT_EQ(ToHex(Sha256File(out / e.name).value()), e.sha256) << e.name;
  // The squashfs holds the recipe's file (judged by squashfs-tools).
  if (!FindProgram("unsquashfs").empty()) {
    ProcessSpec spec;
    spec.argv = {"unsquashfs", "-cat", (out / "t_1.root.squashfs").string(), "etc/motd"};
    auto cat = RunProcess(spec);
    ASSERT_TRUE(cat.ok());
    EXPECT_EQ(cat->out, "hello\n");
  }
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_FALSE(e.path().filename().string().starts_with(".kiln-staging")) << "staging left behind";
}

TEST_F(PipelineTest, SameRecipeSameBytes) {
  BuildRequest a = Request(R"(["squashfs", "oci"])", "a");
  BuildRequest b = Request(R"(["squashfs", "oci"])", "b");
  b.ctx.jobs = 2;
  ASSERT_TRUE(Build(a).ok());
  ASSERT_TRUE(Build(b).ok());
  EXPECT_EQ(Read(a.out_dir / "SHA256SUMS"), Read(b.out_dir / "SHA256SUMS"));
  EXPECT_FALSE(Read(a.out_dir / "SHA256SUMS").empty());
}

TEST_F(PipelineTest, DiskImageWithoutAKeyIsRefusedBeforeAnyWork) {
  BuildRequest req = Request(R"(["raw"])", "out");
  auto r = Build(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  EXPECT_FALSE(fs::exists(req.out_dir));
}

TEST_F(PipelineTest, SignedDiskImageHasSplitRootProvenanceAndSignatures) {
  auto k = signing::GenerateKey(signing::KeyAlgorithm::kEcP256, "t", 30);
  ASSERT_TRUE(k.ok());
  ASSERT_TRUE(signing::WriteKeyFiles(*k, tmp_.path(), "k").ok());
  BuildRequest req = Request(R"(["raw"])", "out");
  req.key = (tmp_.path() / "k.key").string();
  req.cert = (tmp_.path() / "k.crt").string();
  auto r = Build(req);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const fs::path out = req.out_dir;
  for (const char* f : {"t_1.raw", "t_1.bmap", "t_1.root.squashfs", "t_1.root.verity", "t_1.root.roothash",
                        "t_1.root.roothash.p7s", "t_1.intoto.json", "t_1.manifest.json.p7s"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  EXPECT_EQ(Read(out / "t_1.root.roothash"), r->manifest.root_hash + "\n");
  EXPECT_FALSE(r->manifest.partitions.empty());
  EXPECT_FALSE(r->manifest.certificate_fingerprint.empty());
  // The split root is the root partition's bytes.
  const std::string raw = Read(out / "t_1.raw"), root = Read(out / "t_1.root.squashfs");
  bool found = false;
  for (auto& p : r->manifest.partitions)
    if (p.offset + root.size() <= raw.size() && raw.compare(p.offset, root.size(), root) == 0) found = true;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace kiln::pipeline
