#include "builder/pipeline/staged_output.h"

#include <gtest/gtest.h>

#include "builder/common/sha256.h"

namespace kiln::pipeline {
namespace {

namespace fs = std::filesystem;

std::string Hex(std::string_view data) { return ToHex(Sha256Of(data)); }

manifest::ArtifactEntry Entry(const std::string& name, std::string_view data) {
  return {name, data.size(), Hex(data)};
}

class StagedOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tmp = TempDir::Create();
    ASSERT_TRUE(tmp.ok());
    tmp_ = std::move(*tmp);
    out_ = tmp_.path() / "out";
    fs::create_directories(out_);
  }
  std::string Read(const std::string& name) { return ReadFile(out_ / name).value(); }
  bool NoStaging() {
    for (const auto& e : fs::directory_iterator(out_))
      if (e.path().filename().string().starts_with(".kiln-staging")) return false;
    return true;
  }
  TempDir tmp_;
  fs::path out_;
};

// Issue 14: a second build into the directory keeps the first build's checksums.
TEST_F(StagedOutputTest, MergesSha256SumsOfOtherBuilds) {
  manifest::BuildManifest old;
  old.artifacts = {Entry("b_1.qcow2", "old qcow2"), Entry("b_1.raw", "old raw")};
  ASSERT_TRUE(WriteFile(out_ / "b_1.manifest.json", manifest::ToJson(old)).ok());
  ASSERT_TRUE(WriteFile(out_ / "SHA256SUMS",
                        manifest::FormatSha256Sums({Entry("a_1.raw", "a"), Entry("b_1.qcow2", "old qcow2"),
                                                    Entry("b_1.raw", "old raw"), Entry("z_2.oci/index.json", "z")}))
                  .ok());
  {
    auto out = StagedOutput::Create(out_);
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(WriteFile(out->Path("b_1.raw"), "new raw").ok());
    out->Keep("b_1.raw");
    ASSERT_TRUE(WriteFile(out->Path("b_1.manifest.json"), "{}").ok());
    out->Keep("b_1.manifest.json");
    Status s = out->Commit({{Entry("b_1.manifest.json", "{}"), Entry("b_1.raw", "new raw")}, "b_1.manifest.json"});
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  EXPECT_EQ(Read("SHA256SUMS"), manifest::FormatSha256Sums({Entry("a_1.raw", "a"), Entry("b_1.manifest.json", "{}"),
                                                            Entry("b_1.raw", "new raw"),
                                                            Entry("z_2.oci/index.json", "z")}));
  EXPECT_EQ(Read("b_1.raw"), "new raw");
  EXPECT_TRUE(NoStaging());
}

TEST_F(StagedOutputTest, UnreadableSha256SumsIsAnErrorNotALoss) {
  ASSERT_TRUE(WriteFile(out_ / "SHA256SUMS", "not a checksum line\n").ok());
  auto out = StagedOutput::Create(out_);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(WriteFile(out->Path("x_1.raw"), "x").ok());
  out->Keep("x_1.raw");
  Status s = out->Commit({{Entry("x_1.raw", "x")}, "x_1.manifest.json"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cannot merge"), std::string::npos) << s.error().message;
  EXPECT_FALSE(fs::exists(out_ / "x_1.raw"));
  EXPECT_EQ(Read("SHA256SUMS"), "not a checksum line\n");
}

// A target of the wrong kind is found before anything moves.
TEST_F(StagedOutputTest, WrongTargetKindPublishesNothing) {
  ASSERT_TRUE(WriteFile(out_ / "x_1.raw", "old").ok());
  fs::create_directories(out_ / "x_1.root.verity" / "sub");
  {
    auto out = StagedOutput::Create(out_);
    ASSERT_TRUE(out.ok());
    for (const char* name : {"x_1.raw", "x_1.root.verity"}) {
      ASSERT_TRUE(WriteFile(out->Path(name), "new").ok());
      out->Keep(name);
    }
    Status s = out->Commit({{Entry("x_1.raw", "new"), Entry("x_1.root.verity", "new")}, "x_1.manifest.json"});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("is a directory"), std::string::npos) << s.error().message;
  }
  EXPECT_EQ(Read("x_1.raw"), "old");
  EXPECT_FALSE(fs::exists(out_ / "SHA256SUMS"));
  EXPECT_TRUE(NoStaging());
}

// A rename failing half way puts back every file and directory already published.
TEST_F(StagedOutputTest, FailedRenameRollsBack) {
  ASSERT_TRUE(WriteFile(out_ / "x_1.raw", "old raw").ok());
  fs::create_directories(out_ / "x_1.oci" / "blobs");
  ASSERT_TRUE(WriteFile(out_ / "x_1.oci" / "index.json", "old index").ok());
  ASSERT_TRUE(WriteFile(out_ / "SHA256SUMS", manifest::FormatSha256Sums({Entry("x_1.raw", "old raw")})).ok());
  int renames = 0;
  {
    auto out = StagedOutput::Create(out_, [&](const fs::path& from, const fs::path& to) -> Status {
      if (++renames == 4) return MakeError(ErrorCode::kIo, "injected failure");
      std::error_code ec;
      fs::rename(from, to, ec);
      if (ec) return MakeError(ErrorCode::kIo, ec.message());
      return OkStatus();
    });
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(WriteFile(out->Path("x_1.raw"), "new raw").ok());
    out->Keep("x_1.raw");
    fs::create_directories(out->Path("x_1.oci"));
    ASSERT_TRUE(WriteFile(out->Path("x_1.oci") / "index.json", "new index").ok());
    out->Keep("x_1.oci");
    ASSERT_TRUE(WriteFile(out->Path("x_1.spdx.json"), "new spdx").ok());
    out->Keep("x_1.spdx.json");
    ASSERT_TRUE(WriteFile(out->Path("x_1.manifest.json"), "{}").ok());
    out->Keep("x_1.manifest.json");
    Status s = out->Commit({{Entry("x_1.raw", "new raw")}, "x_1.manifest.json"});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("injected failure"), std::string::npos) << s.error().message;
  }
  EXPECT_EQ(renames, 4);
  EXPECT_EQ(Read("x_1.raw"), "old raw");
  EXPECT_EQ(Read("x_1.oci/index.json"), "old index");
  EXPECT_FALSE(fs::exists(out_ / "x_1.spdx.json"));
  EXPECT_FALSE(fs::exists(out_ / "x_1.manifest.json"));
  EXPECT_EQ(Read("SHA256SUMS"), manifest::FormatSha256Sums({Entry("x_1.raw", "old raw")}));
  EXPECT_TRUE(NoStaging());
}

}  // namespace
}  // namespace kiln::pipeline
