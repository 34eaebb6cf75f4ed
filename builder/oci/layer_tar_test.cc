#include "builder/oci/layer_tar.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/oci/tar_writer.h"
#include "builder/oci/test_support.h"

namespace kiln::oci {
namespace {

using namespace kiln::oci::testing;
using tree::NodeType;

const std::string kLongDir =
    "usr/share/a-rather-long-directory-name-to-push-past-the-ustar-limit/and-another-level-of-nesting";
const std::string kLongName = kLongDir + "/file-with-a-long-name.txt";  // > 100, splits
const std::string kVeryLong = std::string(120, 'd') + "/" + std::string(120, 'f');  // needs pax

tree::FileTree SampleTree(const std::filesystem::path& host_file) {
  tree::FileTree t(1700000000);
  EXPECT_TRUE(t.Insert("/etc", Node(NodeType::kDirectory, 0755)).ok());
  EXPECT_TRUE(t.Insert("/etc/motd", InlineFile("hello\n")).ok());
  EXPECT_TRUE(t.Insert("/usr/bin/app", InlineFile("#!/bin/sh\necho app\n", 04755, "base", 1000, 1000)).ok());
  tree::FileNode host = Node(NodeType::kFile, 0600, "base", 0, 42);
  host.content.host_path = host_file;
  host.content.size = std::filesystem::file_size(host_file);
  EXPECT_TRUE(t.Insert("/var/lib/data.bin", host).ok());
  EXPECT_TRUE(t.Insert("/bin", Symlink("usr/bin")).ok());
  EXPECT_TRUE(t.Insert("/usr/bin/app-link", HardLink("usr/bin/app")).ok());
  EXPECT_TRUE(t.Insert("/" + kLongName, InlineFile("long\n")).ok());
  EXPECT_TRUE(t.Insert("/" + kVeryLong, InlineFile("very long\n")).ok());
  tree::FileNode cap = InlineFile("ping", 0755);
  cap.xattrs["security.capability"] = std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8);
  cap.xattrs["user.note"] = "kiln";
  EXPECT_TRUE(t.Insert("/usr/bin/ping", cap).ok());
  tree::FileNode null = Node(NodeType::kCharDevice, 0666);
  null.rdev_major = 1;
  null.rdev_minor = 3;
  EXPECT_TRUE(t.Insert("/dev/null", null).ok());
  EXPECT_TRUE(t.Insert("/run/fifo", Node(NodeType::kFifo, 0600)).ok());
  EXPECT_TRUE(t.Insert("/run/sock", Node(NodeType::kSocket, 0600)).ok());
  return t;
}

class LayerTarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create({}, "kiln-oci-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::move(d).value();
    host_file_ = dir_.path() / "data.bin";
    std::string data;
    for (unsigned i = 0; i < 300000; ++i) data += static_cast<char>((i * 7919u) % 251u);
    ASSERT_TRUE(WriteFile(host_file_, data).ok());
    host_data_ = data;
  }
  TempDir dir_;
  std::filesystem::path host_file_;
  std::string host_data_;
};

TEST(PaxRecord, LengthCountsItself) {
  EXPECT_EQ(PaxRecord("path", "abc"), "12 path=abc\n");
  // 9 + 1 digit = 10 would need 2 digits: 11.
  std::string r = PaxRecord("a", std::string(5, 'x'));
  EXPECT_EQ(r, "11 a=xxxxx\n");
  EXPECT_EQ(r.size(), 11u);
  std::string big = PaxRecord("k", std::string(95, 'v'));
  EXPECT_EQ(big.size(), std::stoul(big.substr(0, big.find(' '))));
}

TEST_F(LayerTarTest, ReadsBackWithLibarchive) {
  tree::FileTree t = SampleTree(host_file_);
  StringSink sink;
  ASSERT_TRUE(WriteTreeTar(t, sink).ok());
  auto entries = ReadTar(sink.data());

  // Walk order, parents first; no root entry; the socket is skipped.
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.front().path, "bin");
  EXPECT_EQ(FindEntry(entries, "run/sock"), nullptr);
  for (const auto& e : entries) {
    EXPECT_FALSE(e.atime_set) << e.path;
    EXPECT_FALSE(e.ctime_set) << e.path;
    EXPECT_TRUE(e.uname.empty()) << e.path;
    EXPECT_TRUE(e.gname.empty()) << e.path;
    EXPECT_EQ(e.mtime, 1700000000) << e.path;
  }

  const ReadEntry* app = FindEntry(entries, "usr/bin/app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->mode, 04755u);
  EXPECT_EQ(app->uid, 1000);
  EXPECT_EQ(app->gid, 1000);
  EXPECT_EQ(app->content, "#!/bin/sh\necho app\n");
  const ReadEntry* link = FindEntry(entries, "usr/bin/app-link");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->hardlink, "usr/bin/app");  // "app" comes first in walk order

  const ReadEntry* bin = FindEntry(entries, "bin");
  ASSERT_NE(bin, nullptr);
  EXPECT_EQ(bin->filetype, static_cast<unsigned>(AE_IFLNK));
  EXPECT_EQ(bin->symlink, "usr/bin");

  const ReadEntry* data = FindEntry(entries, "var/lib/data.bin");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->content, host_data_);
  EXPECT_EQ(data->mode, 0600u);
  EXPECT_EQ(data->gid, 42);

  ASSERT_NE(FindEntry(entries, kLongName), nullptr);
  EXPECT_EQ(FindEntry(entries, kLongName)->content, "long\n");
  ASSERT_NE(FindEntry(entries, kVeryLong), nullptr);
  EXPECT_EQ(FindEntry(entries, kVeryLong)->content, "very long\n");
  ASSERT_NE(FindEntry(entries, kLongDir), nullptr);
  EXPECT_EQ(FindEntry(entries, kLongDir)->filetype, static_cast<unsigned>(AE_IFDIR));

  const ReadEntry* ping = FindEntry(entries, "usr/bin/ping");
  ASSERT_NE(ping, nullptr);
  EXPECT_EQ(ping->xattrs.at("security.capability"), std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8));
  EXPECT_EQ(ping->xattrs.at("user.note"), "kiln");

  const ReadEntry* null = FindEntry(entries, "dev/null");
  ASSERT_NE(null, nullptr);
  EXPECT_EQ(null->filetype, static_cast<unsigned>(AE_IFCHR));
  EXPECT_EQ(null->dev_major, 1u);
  EXPECT_EQ(null->dev_minor, 3u);
  ASSERT_NE(FindEntry(entries, "run/fifo"), nullptr);
  EXPECT_EQ(FindEntry(entries, "run/fifo")->filetype, static_cast<unsigned>(AE_IFIFO));
}

TEST_F(LayerTarTest, GnuTarListsNumericOwnersAndModes) {
  if (FindProgram("tar").empty()) GTEST_SKIP() << "tar not installed";
  tree::FileTree t = SampleTree(host_file_);
  StringSink sink;
  ASSERT_TRUE(WriteTreeTar(t, sink).ok());
  ASSERT_TRUE(WriteFile(dir_.path() / "layer.tar", sink.data()).ok());
  std::string listing = RunTool({"tar", "tvf", (dir_.path() / "layer.tar").string(), "--numeric-owner"},
                                {{"TZ", "UTC"}, {"LC_ALL", "C"}});
  EXPECT_NE(listing.find("-rwsr-xr-x 1000/1000"), std::string::npos) << listing;
  EXPECT_NE(listing.find("usr/bin/app-link link to usr/bin/app"), std::string::npos) << listing;
  EXPECT_NE(listing.find("bin -> usr/bin"), std::string::npos) << listing;
  EXPECT_NE(listing.find(kVeryLong), std::string::npos) << listing;
  EXPECT_NE(listing.find("crw-rw-rw- 0/0"), std::string::npos) << listing;
  EXPECT_NE(listing.find("2023-11-14 22:13"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("PaxHeaders"), std::string::npos) << listing;
}

TEST_F(LayerTarTest, PaxHeadersOnlyWhereNeeded) {
  tree::FileTree t(1700000000);
  ASSERT_TRUE(t.Insert("/a", InlineFile(std::string(1000, 'x'))).ok());
  ASSERT_TRUE(t.Insert("/" + kLongName, InlineFile("y")).ok());  // fits the prefix split
  StringSink sink;
  ASSERT_TRUE(WriteTreeTar(t, sink).ok());
  // Headers only: one per entry (a, 4 dirs + the long-named file), a's 2 content blocks,
  // the long file's 1 block and the two end blocks.
  std::size_t entries = 1 + 4 + 1;
  EXPECT_EQ(sink.data().size(), (entries + 2 + 1 + 2) * 512u);
  EXPECT_EQ(sink.data().find("PaxHeaders"), std::string::npos);

  tree::FileTree x(1700000000);
  tree::FileNode n = InlineFile("z");
  n.xattrs["user.k"] = "v";
  ASSERT_TRUE(x.Insert("/f", n).ok());
  StringSink sink2;
  ASSERT_TRUE(WriteTreeTar(x, sink2).ok());
  EXPECT_NE(sink2.data().find("SCHILY.xattr.user.k=v\n"), std::string::npos);
  EXPECT_EQ(sink2.data().find("atime"), std::string::npos);
  EXPECT_EQ(sink2.data().find("ctime"), std::string::npos);
}

TEST_F(LayerTarTest, Deterministic) {
  tree::FileTree t = SampleTree(host_file_);
  StringSink a, b;
  ASSERT_TRUE(WriteTreeTar(t, a).ok());
  ASSERT_TRUE(WriteTreeTar(t, b).ok());
  EXPECT_EQ(a.data(), b.data());
}

TEST_F(LayerTarTest, HostFileChangedSizeIsAnError) {
  tree::FileTree t(1700000000);
  tree::FileNode n = Node(NodeType::kFile, 0644);
  n.content.host_path = host_file_;
  n.content.size = 10;  // the file is larger now
  ASSERT_TRUE(t.Insert("/f", n).ok());
  StringSink sink;
  Status s = WriteTreeTar(t, sink);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().ToString().find(host_file_.string()), std::string::npos) << s.error().ToString();
  EXPECT_NE(s.error().ToString().find("/f"), std::string::npos);
}

TEST_F(LayerTarTest, WhiteoutNamesAreRejected) {
  tree::FileTree t(1700000000);
  ASSERT_TRUE(t.Insert("/etc/.wh.passwd", InlineFile("x")).ok());
  StringSink sink;
  Status s = WriteTreeTar(t, sink);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("/etc/.wh.passwd"), std::string::npos);
}

TEST_F(LayerTarTest, PerSourceLayersSplitByOrigin) {
  tree::FileTree t(1700000000);
  ASSERT_TRUE(t.Insert("/etc/os-release", InlineFile("base\n")).ok());
  ASSERT_TRUE(t.Insert("/etc/motd", InlineFile("base motd\n")).ok());
  ASSERT_TRUE(t.Insert("/usr/lib/x", InlineFile("x", 0644, "base")).ok());
  ASSERT_TRUE(t.Insert("/srv/web/index.html", InlineFile("<p>", 0644, "overlay[1]")).ok());
  ASSERT_TRUE(t.Insert("/opt/a", InlineFile("a", 0644, "overlay[0]")).ok());
  ASSERT_TRUE(t.Insert("/etc/motd", InlineFile("recipe motd\n", 0644, "recipe")).ok());
  // A hard link from the recipe to a base file pulls the file into the recipe layer.
  ASSERT_TRUE(t.Insert("/usr/lib/y", HardLink("usr/lib/x", "recipe")).ok());

  auto plan = PlanLayers(t, LayerMode::kPerSource);
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  ASSERT_EQ(plan->names, (std::vector<std::string>{"base", "overlay[0]", "overlay[1]", "recipe"}));

  std::vector<std::vector<ReadEntry>> layers;
  for (std::size_t i = 0; i < plan->names.size(); ++i) {
    StringSink s;
    ASSERT_TRUE(WriteLayerTar(t, *plan, i, s).ok());
    layers.push_back(ReadTar(s.data()));
  }
  auto paths = [](const std::vector<ReadEntry>& es) {
    std::vector<std::string> p;
    for (const auto& e : es) p.push_back(e.path);
    return p;
  };
  EXPECT_EQ(paths(layers[0]), (std::vector<std::string>{"etc", "etc/os-release", "usr", "usr/lib"}));
  EXPECT_EQ(paths(layers[1]), (std::vector<std::string>{"opt", "opt/a"}));
  EXPECT_EQ(paths(layers[2]), (std::vector<std::string>{"srv", "srv/web", "srv/web/index.html"}));
  EXPECT_EQ(paths(layers[3]), (std::vector<std::string>{"etc", "etc/motd", "usr", "usr/lib", "usr/lib/x",
                                                        "usr/lib/y"}));
  EXPECT_EQ(FindEntry(layers[3], "etc/motd")->content, "recipe motd\n");
  EXPECT_EQ(FindEntry(layers[3], "usr/lib/x")->content, "x");
  EXPECT_EQ(FindEntry(layers[3], "usr/lib/y")->hardlink, "usr/lib/x");
}

}  // namespace
}  // namespace kiln::oci
