#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "builder/common/confined_file.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/input_archive/archive_index.h"
#include "builder/input_archive/archive_reader.h"
#include "builder/input_archive/archive_writer.h"
#include "builder/input_archive/replay.h"
#include "builder/pipeline/build_inputs.h"

namespace kiln::input_archive {
namespace {

namespace fs = std::filesystem;

class InputArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create({}, "archive-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::move(*d);
  }
  fs::path Put(const std::string& rel, const std::string& content, unsigned mode = 0644) {
    fs::path p = dir_.path() / rel;
    fs::create_directories(p.parent_path());
    EXPECT_TRUE(WriteFile(p, content).ok());
    ::chmod(p.c_str(), mode);
    return p;
  }
  // An overlay-like directory: nested files, modes, a symlink.
  fs::path MakeTree() {
    Put("src/overlay/etc/app.conf", "a=1\n");
    Put("src/overlay/usr/bin/tool", "#!/bin/sh\n", 0755);
    Put("src/overlay/etc.d/x", "dot sorts after slash\n");
    fs::create_symlink("tool", dir_.path() / "src/overlay/usr/bin/t");
    ::chmod((dir_.path() / "src/overlay/etc").c_str(), 0750);
    return dir_.path() / "src/overlay";
  }
  std::string Hex(const fs::path& p) { return ToHex(*Sha256File(p)); }
  TempDir dir_;
};

TEST_F(InputArchiveTest, CapturedTreeDigestIsTheBuildsDirectoryDigest) {
  fs::path tree = MakeTree();
  auto want = pipeline::DigestDirectory(tree);
  ASSERT_TRUE(want.ok());
  auto w = ArchiveWriter::Create(dir_.path() / "a");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  // The writer recomputes the digest from what it stored; a mismatch would be kIntegrity.
  Status s = (*w)->CaptureDirectory("overlay", "../overlay", tree, *want);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_FALSE((*w)->CaptureDirectory("overlay", "other", tree, std::string(64, '0')).ok());
}

TEST_F(InputArchiveTest, RoundTripSupplyAndMaterialize) {
  fs::path tree = MakeTree();
  fs::path file = Put("src/recipe.toml", "[image]\n");
  const std::string tree_digest = *pipeline::DigestDirectory(tree);
  auto w = ArchiveWriter::Create(dir_.path() / "a");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->CaptureFile("recipe", "recipe.toml", file, Hex(file)).ok());
  ASSERT_TRUE((*w)->CaptureDirectory("overlay", "overlay", tree, tree_digest).ok());
  EXPECT_FALSE((*w)->CaptureFile("recipe", "x", file, std::string(64, 'a')).ok()) << "a changed file is refused";
  auto summary = (*w)->Finish();
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  EXPECT_EQ(summary->inputs, 2u);
  EXPECT_EQ(summary->blobs, 4u);

  auto r = ArchiveReader::Open(dir_.path() / "a");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)->index_digest(), summary->index_digest);
  ASSERT_TRUE((*r)->SupplyFile("recipe", "recipe.toml", Hex(file), dir_.path() / "copy").ok());
  EXPECT_EQ(*ReadFile(dir_.path() / "copy"), "[image]\n");
  Status missing = (*r)->SupplyFile("deb", "pkg:deb/debian/x@1", "", dir_.path() / "copy2");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInput);
  EXPECT_NE(missing.error().message.find("missing from the input archive"), std::string::npos);
  EXPECT_FALSE((*r)->SupplyFile("recipe", "recipe.toml", std::string(64, 'b'), dir_.path() / "copy3").ok());

  fs::create_directories(dir_.path() / "out");
  auto root = OpenDirectory(dir_.path() / "out");
  ASSERT_TRUE(root.ok());
  const ArchiveEntry* e = FindEntry((*r)->index(), "overlay", "overlay");
  ASSERT_NE(e, nullptr);
  Status m = (*r)->MaterializeTree(*e, root->get(), "x/overlay");
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(*pipeline::DigestDirectory(dir_.path() / "out/x/overlay"), tree_digest);
}

TEST_F(InputArchiveTest, SameInputsGiveTheSameArchive) {
  fs::path tree = MakeTree();
  fs::path file = Put("src/f", "x");
  const std::string d = *pipeline::DigestDirectory(tree);
  std::string digests[2];
  for (int i = 0; i < 2; ++i) {
    auto w = ArchiveWriter::Create(dir_.path() / ("a" + std::to_string(i)));
    ASSERT_TRUE(w.ok());
    // Captured in opposite orders: the index is sorted.
    if (i == 0) {
      ASSERT_TRUE((*w)->CaptureFile("file", "f", file, Hex(file)).ok());
      ASSERT_TRUE((*w)->CaptureDirectory("overlay", "o", tree, d).ok());
    } else {
      ASSERT_TRUE((*w)->CaptureDirectory("overlay", "o", tree, d).ok());
      ASSERT_TRUE((*w)->CaptureFile("file", "f", file, Hex(file)).ok());
    }
    digests[i] = (*w)->Finish()->index_digest;
  }
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_EQ(*ReadFile(dir_.path() / "a0/index.json"), *ReadFile(dir_.path() / "a1/index.json"));
}

TEST_F(InputArchiveTest, WriterRefusesANonEmptyDirectory) {
  Put("a/old", "x");
  auto w = ArchiveWriter::Create(dir_.path() / "a");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::kUsage);
}

TEST_F(InputArchiveTest, TamperedBlobIsFoundBeforeUse) {
  fs::path file = Put("src/f", "original");
  auto w = ArchiveWriter::Create(dir_.path() / "a");
  ASSERT_TRUE((*w)->CaptureFile("file", "f", file, Hex(file)).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  fs::path blob = dir_.path() / "a/blobs/sha256" / Hex(file);
  ::chmod(blob.c_str(), 0644);
  ASSERT_TRUE(WriteFile(blob, "origina!").ok());  // same size, other bytes
  auto r = ArchiveReader::Open(dir_.path() / "a");
  ASSERT_TRUE(r.ok());
  Status s = (*r)->SupplyFile("file", "f", Hex(file), dir_.path() / "copy");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
  EXPECT_FALSE(fs::exists(dir_.path() / "copy")) << "no half-verified copy is left";
}

// A hostile archive whose tree digest is consistent with its own (hostile) tree.
TEST_F(InputArchiveTest, SymlinkInATreeCannotRedirectLaterFiles) {
  Put("payload", "evil");
  fs::create_directories(dir_.path() / "a/blobs/sha256");
  const std::string hex = Hex(dir_.path() / "payload");
  fs::copy_file(dir_.path() / "payload", dir_.path() / "a/blobs/sha256" / hex);
  fs::create_directories(dir_.path() / "victim");
  ArchiveIndex index;
  ArchiveEntry e;
  e.kind = "overlay";
  e.name = "o";
  e.is_tree = true;
  e.mode = 0755;
  e.tree.push_back({"link", NodeType::kSymlink, 0, "", 0, (dir_.path() / "victim").string()});
  e.tree.push_back({"link/pwned", NodeType::kFile, 0644, hex, 4, ""});
  e.sha256 = TreeDigest(e.tree);
  index.entries.push_back(e);
  ASSERT_TRUE(WriteFile(dir_.path() / "a/index.json", IndexToJson(index)).ok());
  auto r = ArchiveReader::Open(dir_.path() / "a");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  fs::create_directories(dir_.path() / "out");
  auto root = OpenDirectory(dir_.path() / "out");
  ASSERT_FALSE((*r)->MaterializeTree((*r)->index().entries[0], root->get(), "o").ok());
  EXPECT_FALSE(fs::exists(dir_.path() / "victim/pwned"));
}

TEST(ArchiveIndexTest, CanonicalJsonRoundTrips) {
  ArchiveIndex index;
  ArchiveEntry deb{"deb", "pkg:deb/debian/b@1?arch=amd64", std::string(64, 'b'), false, std::string(64, 'b'), 3, 0, {}};
  ArchiveEntry rec{"recipe", "a.toml", std::string(64, 'a'), false, std::string(64, 'a'), 1, 0, {}};
  ArchiveEntry tree{"overlay", "../o", "", true, "", 0, 0755, {}};
  tree.tree = {{"a.txt", NodeType::kFile, 0644, std::string(64, 'c'), 2, ""},
               {"a", NodeType::kDirectory, 0755, "", 0, ""},
               {"a/b", NodeType::kSymlink, 0, "", 0, "../a.txt"}};
  tree.sha256 = TreeDigest(tree.tree);
  index.entries = {rec, tree, deb};
  const std::string json = IndexToJson(index);
  auto parsed = ParseIndex(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(IndexToJson(*parsed), json);
  ASSERT_EQ(parsed->entries.size(), 3u);
  EXPECT_EQ(parsed->entries[0].kind, "deb");  // sorted by kind, then name
  EXPECT_EQ(parsed->entries[1].kind, "overlay");
  // Depth-first order, as a directory walk visits them: "a", "a/b", then "a.txt".
  EXPECT_EQ(parsed->entries[1].tree[1].path, "a/b");
  EXPECT_EQ(BlobsOf(*parsed).size(), 3u);
}

TEST(ArchiveIndexTest, RejectsHostileIndexes) {
  const std::string a(64, 'a');
  auto entry = [&](const std::string& body) {
    return R"({"schemaVersion":1,"mediaType":"application/vnd.kiln.input-archive.v1+json","inputs":[)" + body + "]}";
  };
  const std::string ok_file = R"({"kind":"file","name":"f","sha256":")" + a + R"(","blob":")" + a + R"(","size":1})";
  ASSERT_TRUE(ParseIndex(entry(ok_file)).ok());
  const std::vector<std::string> bad = {
      "",
      "[]",
      "{",
      R"({"schemaVersion":2,"mediaType":"application/vnd.kiln.input-archive.v1+json","inputs":[]})",
      R"({"schemaVersion":1,"mediaType":"text/plain","inputs":[]})",
      entry(ok_file + "," + ok_file),                                                               // twice
      entry(R"({"kind":"file","name":"f","sha256":")" + a + R"(","blob":"../../etc/passwd","size":1})"),  // not hex
      entry(R"({"kind":"file","name":"f","sha256":")" + std::string(64, 'A') + R"(","blob":")" + a + R"(","size":1})"),
      entry(R"({"kind":"file","name":"f","sha256":")" + a + R"(","blob":")" + std::string(64, 'b') + R"(","size":1})"),
      entry(R"({"kind":"file","name":"f","sha256":")" + a + R"(","blob":")" + a + R"(","size":-1})"),
      entry(R"({"kind":"File","name":"f","sha256":")" + a + R"(","blob":")" + a + R"(","size":1})"),
      entry(R"({"kind":"file","name":"","sha256":")" + a + R"(","blob":")" + a + R"(","size":1})"),
      entry(R"({"kind":"file","name":7,"sha256":")" + a + R"(","blob":")" + a + R"(","size":1})"),
      entry(R"({"kind":"overlay","name":"o","sha256":")" + a + R"(","mode":"0755","tree":[{"path":"../x","type":"directory","mode":"0755"}]})"),
      entry(R"({"kind":"overlay","name":"o","sha256":")" + a + R"(","mode":"0755","tree":[{"path":"/etc","type":"directory","mode":"0755"}]})"),
      entry(R"({"kind":"overlay","name":"o","sha256":")" + a + R"(","mode":"9999","tree":[]})"),
      entry(R"({"kind":"overlay","name":"o","sha256":")" + a + R"(","mode":"0755","tree":[{"path":"d","type":"fifo"}]})"),
      entry(R"({"kind":"overlay","name":"o","sha256":")" + a + R"(","mode":"0755","tree":{}})"),
  };
  for (const auto& text : bad) {
    auto r = ParseIndex(text);
    EXPECT_FALSE(r.ok()) << text;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInput) << text;
    }
  }
  EXPECT_FALSE(ParseIndex(std::string(kMaxIndexBytes + 1, ' ')).ok());
}

// Audit regression: a symlink target holding a newline folded the next node's line into it,
// so a tree without that file had the recorded digest and was laid out in its place.
TEST(ArchiveIndexTest, RefusesASymlinkTargetThatForgesTheTreeDigest) {
  const std::string blob(64, 'c');
  const std::vector<TreeNode> genuine = {{"a", NodeType::kSymlink, 0, "", 0, "x"},
                                         {"b", NodeType::kFile, 0644, blob, 2, ""}};
  const std::vector<TreeNode> forged = {{"a", NodeType::kSymlink, 0, "", 0, "x\nf 0644 b " + blob}};
  ASSERT_EQ(TreeDigest(forged), TreeDigest(genuine));
  ArchiveIndex index;
  index.entries = {{"overlay", "o", TreeDigest(genuine), true, "", 0, 0755, forged}};
  auto r = ParseIndex(IndexToJson(index));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
  EXPECT_NE(r.error().message.find("symlink target"), std::string::npos) << r.error().ToString();
  index.entries[0].tree = genuine;
  EXPECT_TRUE(ParseIndex(IndexToJson(index)).ok());
}

TEST(ReplayTest, SplitsRecipeRelativePaths) {
  auto p = SplitRecipeRelative("../../overlays/hello");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->up, 2u);
  EXPECT_EQ(p->rest, "overlays/hello");
  EXPECT_EQ(SplitRecipeRelative("recipe.toml")->up, 0u);
  for (const char* bad : {"", "/etc/passwd", "a/../../b", "..", "../", "a/./b", "./a"})
    EXPECT_FALSE(SplitRecipeRelative(bad).ok()) << bad;
}

}  // namespace
}  // namespace kiln::input_archive
