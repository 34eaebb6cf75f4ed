#include "builder/oci/layout.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/oci/image_config.h"
#include "builder/oci/test_support.h"

namespace kiln::oci {
namespace {

namespace fs = std::filesystem;
using namespace kiln::oci::testing;
using nlohmann::json;
using tree::NodeType;

constexpr std::int64_t kEpoch = 1704067200;  // 2024-01-01T00:00:00Z

tree::FileTree ImageTree() {
  tree::FileTree t(kEpoch);
  EXPECT_TRUE(t.Insert("/etc/motd", InlineFile("hello\n")).ok());
  EXPECT_TRUE(t.Insert("/usr/bin/app", InlineFile("#!/bin/sh\necho app\n", 04755, "overlay[0]", 1000, 1000)).ok());
  EXPECT_TRUE(t.Insert("/usr/bin/tool", HardLink("usr/bin/app", "overlay[0]")).ok());
  EXPECT_TRUE(t.Insert("/bin", Symlink("usr/bin")).ok());
  EXPECT_TRUE(t.Insert("/srv/secret", InlineFile("s3cr3t", 0600, "recipe", 1000, 1000)).ok());
  EXPECT_TRUE(t.Insert("/var", Node(NodeType::kDirectory, 0755)).ok());
  return t;
}

OciOptions Options() {
  OciOptions o;
  o.name = "appliance";
  o.version = "1.0.0";
  o.architecture = "amd64";
  ContainerConfig c;
  c.entrypoint = {"/usr/bin/app"};
  c.env = {"PATH=/usr/bin:/bin"};
  c.user = "1000:1000";
  c.workdir = "/";
  c.ports = {"8080/tcp"};
  c.labels = {{"org.opencontainers.image.source", "https://example.com/app"}};
  o.container = c;
  o.data_mountpoint = "/var";
  o.source_date_epoch = kEpoch;
  o.jobs = 2;
  return o;
}

json ReadJson(const fs::path& p) {
  auto text = ReadFile(p);
  EXPECT_TRUE(text.ok());
  return json::parse(*text);
}

class LayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create({}, "kiln-layout-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::move(d).value();
  }
  fs::path Write(const OciOptions& o, const std::string& name = "img.oci") {
    auto r = WriteOciLayout(ImageTree(), o, dir_.path() / name);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    if (r.ok()) result_ = *r;
    return dir_.path() / name;
  }
  TempDir dir_;
  OciResult result_;
};

TEST(DockerTag, ReplacesCharactersOutsideTheTagSet) { EXPECT_EQ(DockerTag("1.0+git.5"), "1.0_git.5"); }

TEST_F(LayoutTest, ConfigManifestAndIndex) {
  fs::path out = Write(Options());
  EXPECT_EQ(ReadFile(out / "oci-layout").value(), "{\"imageLayoutVersion\":\"1.0.0\"}");
  json index = ReadJson(out / "index.json");
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["digest"], result_.manifest.digest);
  EXPECT_EQ(index["manifests"][0]["annotations"][kAnnotationRefName], "1.0.0");
  json manifest = ReadJson(out / "blobs/sha256" / result_.manifest.digest.substr(7));
  EXPECT_EQ(manifest["schemaVersion"], 2);
  EXPECT_EQ(manifest["mediaType"], kMediaTypeManifest);
  EXPECT_EQ(manifest["config"]["digest"], result_.config.digest);
  ASSERT_EQ(manifest["layers"].size(), 1u);
  EXPECT_EQ(manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");

  json config = ReadJson(out / "blobs/sha256" / result_.config.digest.substr(7));
  EXPECT_EQ(config["architecture"], "amd64");
  EXPECT_EQ(config["os"], "linux");
  EXPECT_EQ(config["created"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(config["config"]["Entrypoint"], json::array({"/usr/bin/app"}));
  EXPECT_EQ(config["config"]["Env"], json::array({"PATH=/usr/bin:/bin"}));
  EXPECT_EQ(config["config"]["User"], "1000:1000");
  EXPECT_EQ(config["config"]["WorkingDir"], "/");
  EXPECT_TRUE(config["config"]["Volumes"].contains("/var"));
  EXPECT_TRUE(config["config"]["ExposedPorts"].contains("8080/tcp"));
  EXPECT_EQ(config["config"]["Labels"]["org.opencontainers.image.source"], "https://example.com/app");
  EXPECT_EQ(config["rootfs"]["type"], "layers");
  EXPECT_EQ(config["rootfs"]["diff_ids"], json::array({result_.layers[0].diff_id}));
  ASSERT_EQ(config["history"].size(), 1u);
  EXPECT_EQ(config["history"][0]["created"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(config["history"][0]["created_by"], "kiln");

  // The layer decompresses to a tar whose sha256 is the diff_id.
  std::string layer = ReadFile(out / "blobs/sha256" / result_.layers[0].descriptor.digest.substr(7)).value();
  auto entries = ReadTar(layer);
  ASSERT_NE(FindEntry(entries, "usr/bin/app"), nullptr);
  EXPECT_EQ(FindEntry(entries, "usr/bin/app")->mode, 04755u);

  struct stat st{};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_TRUE(VerifyOciLayout(out).ok());
}

TEST_F(LayoutTest, SameDigestsAcrossWritesAndThreadCounts) {
  OciOptions o = Options();
  Write(o, "a.oci");
  OciResult first = result_;
  o.jobs = 1;
  Write(o, "b.oci");
  EXPECT_EQ(result_.manifest.digest, first.manifest.digest);
  EXPECT_EQ(result_.layers, first.layers);
  // Rewriting over an existing layout replaces it.
  Write(o, "a.oci");
  EXPECT_EQ(result_.manifest.digest, first.manifest.digest);
  EXPECT_TRUE(VerifyOciLayout(dir_.path() / "a.oci").ok());
  // Nothing else is left beside the outputs.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.oci", "b.oci"}));
}

TEST_F(LayoutTest, VerifyDetectsAFlippedByte) {
  fs::path out = Write(Options());
  fs::path layer = out / "blobs/sha256" / result_.layers[0].descriptor.digest.substr(7);
  {
    std::fstream f(layer, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x01);
    f.seekp(100);
    f.write(&c, 1);
  }
  Status s = VerifyOciLayout(out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(s.error().message.find(layer.string()), std::string::npos) << s.error().ToString();

  fs::remove(layer);
  s = VerifyOciLayout(out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("missing"), std::string::npos) << s.error().ToString();
}

TEST_F(LayoutTest, SkopeoInspectShowsTheDigest) {
  if (FindProgram("skopeo").empty()) GTEST_SKIP() << "skopeo not installed";
  fs::path out = Write(Options());
  std::string text = RunTool({"skopeo", "inspect", "oci:" + out.string() + ":1.0.0"});
  json j = json::parse(text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text;
  EXPECT_EQ(j["Digest"], result_.manifest.digest);
  EXPECT_EQ(j["Architecture"], "amd64");
  EXPECT_EQ(j["Os"], "linux");
  EXPECT_EQ(j["Layers"], json::array({result_.layers[0].descriptor.digest}));
  std::string config = RunTool({"skopeo", "inspect", "--config", "oci:" + out.string() + ":1.0.0"});
  json c = json::parse(config, nullptr, false);
  ASSERT_FALSE(c.is_discarded()) << config;
  EXPECT_EQ(c["config"]["User"], "1000:1000");
}

TEST_F(LayoutTest, PerSourceAndZstdLayouts) {
  OciOptions o = Options();
  o.layers = LayerMode::kPerSource;
  o.compression = LayerCompression::kZstd;
  fs::path out = Write(o);
  EXPECT_EQ(result_.layer_names, (std::vector<std::string>{"base", "overlay[0]", "recipe"}));
  ASSERT_EQ(result_.layers.size(), 3u);
  EXPECT_EQ(result_.layers[0].descriptor.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_TRUE(VerifyOciLayout(out).ok());
  json config = ReadJson(out / "blobs/sha256" / result_.config.digest.substr(7));
  EXPECT_EQ(config["rootfs"]["diff_ids"].size(), 3u);
  EXPECT_EQ(config["history"].size(), 3u);
  if (FindProgram("skopeo").empty()) GTEST_SKIP() << "skopeo not installed";
  json j = json::parse(RunTool({"skopeo", "inspect", "oci:" + out.string() + ":1.0.0"}), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["Layers"].size(), 3u);
}

// umoci --rootless records the owner it could not set in the user.rootlesscontainers
// xattr (a protobuf: field 1 uid, field 2 gid, varints; absent fields are 0).
// Returns {uid, gid}, or {-1, -1} when the file system keeps no user xattrs.
std::pair<long, long> RootlessOwner(const fs::path& p) {
  char buf[64];
  ssize_t n = ::lgetxattr(p.c_str(), "user.rootlesscontainers", buf, sizeof buf);
  if (n < 0) return errno == ENODATA ? std::pair<long, long>{0, 0} : std::pair<long, long>{-1, -1};
  long ids[3] = {0, 0, 0};
  for (ssize_t i = 0; i < n;) {
    int field = static_cast<unsigned char>(buf[i++]) >> 3;
    long v = 0;
    for (int shift = 0; i < n; shift += 7) {
      unsigned char b = static_cast<unsigned char>(buf[i++]);
      v |= static_cast<long>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (field == 1 || field == 2) ids[field] = v;
  }
  return {ids[1], ids[2]};
}

// umoci applies the layers the way container runtimes do: modes, contents, hard links and
// (through its rootless owner records) uid/gid.
TEST_F(LayoutTest, UmociUnpacksTheTree) {
  if (FindProgram("umoci").empty()) GTEST_SKIP() << "umoci not installed";
  for (LayerMode mode : {LayerMode::kSingle, LayerMode::kPerSource}) {
    OciOptions o = Options();
    o.layers = mode;
    std::string name = mode == LayerMode::kSingle ? "single.oci" : "per-source.oci";
    fs::path out = Write(o, name);
    fs::path bundle = dir_.path() / (name + ".bundle");
    RunTool({"umoci", "unpack", "--rootless", "--image", out.string() + ":1.0.0", bundle.string()});
    fs::path root = bundle / "rootfs";
    EXPECT_EQ(ReadFile(root / "etc/motd").value(), "hello\n");
    EXPECT_EQ(ReadFile(root / "srv/secret").value(), "s3cr3t");
    EXPECT_EQ(ReadFile(root / "usr/bin/tool").value(), "#!/bin/sh\necho app\n");
    struct stat app{}, tool{}, secret{};
    ASSERT_EQ(::lstat((root / "usr/bin/app").c_str(), &app), 0);
    ASSERT_EQ(::lstat((root / "usr/bin/tool").c_str(), &tool), 0);
    ASSERT_EQ(::lstat((root / "srv/secret").c_str(), &secret), 0);
    EXPECT_EQ(app.st_mode & 07777, 04755u);
    EXPECT_EQ(app.st_ino, tool.st_ino);  // the hard link survived
    EXPECT_EQ(secret.st_mode & 07777, 0600u);
    EXPECT_EQ(fs::read_symlink(root / "bin"), "usr/bin");
    EXPECT_EQ(app.st_mtime, 1700000000);
    auto owner = RootlessOwner(root / "usr/bin/app");
    if (owner.first != -1) {
      EXPECT_EQ(owner, (std::pair<long, long>{1000, 1000}));
      EXPECT_EQ(RootlessOwner(root / "srv/secret"), (std::pair<long, long>{1000, 1000}));
      EXPECT_EQ(RootlessOwner(root / "etc/motd"), (std::pair<long, long>{0, 0}));
    }  // the node mtime (already below the clamp)
  }
}

TEST_F(LayoutTest, FailedWriteLeavesNothing) {
  tree::FileTree t(kEpoch);
  tree::FileNode n = Node(NodeType::kFile, 0644);
  n.content.host_path = dir_.path() / "does-not-exist";
  n.content.size = 5;
  ASSERT_TRUE(t.Insert("/f", n).ok());
  auto r = WriteOciLayout(t, Options(), dir_.path() / "bad.oci");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("does-not-exist"), std::string::npos) << r.error().ToString();
  EXPECT_TRUE(fs::is_empty(dir_.path()));
}

}  // namespace
}  // namespace kiln::oci
