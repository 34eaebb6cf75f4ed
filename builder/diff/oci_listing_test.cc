#include "builder/diff/oci_listing.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/diff/diff_format.h"
#include "builder/diff/image_diff.h"
#include "builder/oci/blob_store.h"
#include "builder/oci/image_config.h"
#include "builder/oci/layout.h"
#include "builder/oci/oci_archive.h"
#include "builder/oci/tar_writer.h"
#include "builder/oci/test_support.h"

namespace kiln::diff {
namespace {

namespace fs = std::filesystem;
using namespace kiln::oci::testing;
using nlohmann::json;
using tree::NodeType;

constexpr std::int64_t kEpoch = 1704067200;
constexpr const char* kDpkgStatus =
    "Package: busybox\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.35.0-4+b3\n\n";

tree::FileTree ImageTree(const std::string& motd) {
  tree::FileTree t(kEpoch);
  EXPECT_TRUE(t.Insert("/etc/motd", InlineFile(motd)).ok());
  EXPECT_TRUE(t.Insert("/usr/bin/app", InlineFile("#!/bin/sh\n", 04755, "overlay[0]", 1000, 1001)).ok());
  EXPECT_TRUE(t.Insert("/usr/bin/tool", HardLink("usr/bin/app", "overlay[0]")).ok());
  EXPECT_TRUE(t.Insert("/bin", Symlink("usr/bin")).ok());
  tree::FileNode null = Node(NodeType::kCharDevice, 0666);
  null.rdev_major = 1;
  null.rdev_minor = 3;
  EXPECT_TRUE(t.Insert("/dev/null", null).ok());
  EXPECT_TRUE(t.Insert("/var/lib/dpkg/status", InlineFile(kDpkgStatus)).ok());
  return t;
}

oci::OciOptions Options(const std::string& user) {
  oci::OciOptions o;
  o.name = "app";
  o.version = "1";
  oci::ContainerConfig c;
  c.entrypoint = {"/usr/bin/app"};
  c.env = {"PATH=/usr/bin:/bin", "MODE=prod"};
  c.user = user;
  c.labels = {{"org.example.team", "infra"}};
  o.container = c;
  o.data_mountpoint = "/srv";
  o.source_date_epoch = kEpoch;
  return o;
}

class OciListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create({}, "kiln-oci-diff-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::move(d).value();
  }
  fs::path Layout(const std::string& name, const std::string& motd, const oci::OciOptions& o) {
    auto r = oci::WriteOciLayout(ImageTree(motd), o, dir_.path() / name);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return dir_.path() / name;
  }
  TempDir dir_;
};

TEST_F(OciListingTest, ReadsFilesPackagesAndConfigFromLayers) {
  for (auto compression : {oci::LayerCompression::kGzip, oci::LayerCompression::kZstd}) {
    oci::OciOptions o = Options("1000");
    o.compression = compression;
    o.layers = oci::LayerMode::kPerSource;  // two layers: base and overlay[0]
    fs::path layout = Layout(compression == oci::LayerCompression::kGzip ? "gz.oci" : "zst.oci", "hello\n", o);
    ASSERT_TRUE(LooksLikeOciLayout(layout));
    auto l = ReadOciLayout(layout);
    ASSERT_TRUE(l.ok()) << l.error().ToString();
    const auto& f = l->root.files;
    ASSERT_TRUE(f.count("etc/motd"));
    EXPECT_EQ(f.at("etc/motd").type, '-');
    EXPECT_EQ(f.at("etc/motd").size, 6u);
    EXPECT_EQ(f.at("etc/motd").sha256, ToHex(Sha256Of("hello\n")));
    const FileState& app = f.at("usr/bin/app");
    EXPECT_EQ(app.mode, 04755u);
    EXPECT_EQ(app.uid, 1000u);
    EXPECT_EQ(app.gid, 1001u);
    EXPECT_EQ(f.at("usr/bin/tool"), app);  // a hard link reads as its file
    EXPECT_EQ(f.at("bin").type, 'l');
    EXPECT_EQ(f.at("bin").target, "usr/bin");
    EXPECT_EQ(f.at("dev/null").type, 'c');
    EXPECT_EQ(f.at("dev/null").device, "1,3");
    ASSERT_EQ(l->root.packages.size(), 1u);
    EXPECT_EQ(l->root.packages[0].name, "busybox");
    EXPECT_EQ(l->root.packages[0].version, "1:1.35.0-4+b3");
    EXPECT_EQ(l->config.at("entrypoint"), R"(["/usr/bin/app"])");
    EXPECT_EQ(l->config.at("env.MODE"), R"("prod")");
    EXPECT_EQ(l->config.at("user"), R"("1000")");
    EXPECT_EQ(l->config.at("label.org.example.team"), R"("infra")");
    EXPECT_TRUE(l->config.count("volume./srv"));
    EXPECT_EQ(l->config.at("architecture"), R"("amd64")");
    EXPECT_EQ(l->manifest_digest.substr(0, 7), "sha256:");
  }
}

TEST_F(OciListingTest, DiffOfTwoLayoutsAndOfTheirArchives) {
  fs::path a = Layout("a.oci", "hello\n", Options("1000"));
  fs::path b = Layout("b.oci", "hello, world\n", Options("0"));
  auto same = DiffImages(a, a, dir_.path());
  ASSERT_TRUE(same.ok()) << same.error().ToString();
  EXPECT_TRUE(same->empty());
  EXPECT_TRUE(same->identity.empty());

  auto d = DiffImages(a, b, dir_.path());
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->kind_a, "oci");
  ASSERT_EQ(d->files.size(), 1u);
  EXPECT_EQ(d->files[0].path, "/etc/motd");
  ASSERT_EQ(d->files[0].fields.size(), 1u);
  EXPECT_EQ(d->files[0].fields[0].field, "content");
  EXPECT_EQ(d->files[0].new_state->size, 13u);
  ASSERT_EQ(d->config.size(), 1u);
  EXPECT_EQ(d->config[0], (FieldChange{"user", R"("1000")", R"("0")"}));
  ASSERT_EQ(d->identity.size(), 1u);
  EXPECT_EQ(d->identity[0].substr(0, 9), "manifest ");
  EXPECT_NE(DiffToText(*d).find("~ user: \"1000\" -> \"0\""), std::string::npos) << DiffToText(*d);
  json j = json::parse(DiffToJson(*d));
  EXPECT_EQ(j["config"][0]["field"], "user");

  // The same images packed as oci-archive tars.
  ASSERT_TRUE(oci::WriteOciArchive(a, dir_.path() / "a.oci.tar").ok());
  ASSERT_TRUE(oci::WriteOciArchive(b, dir_.path() / "b.oci.tar").ok());
  ASSERT_TRUE(LooksLikeTar(dir_.path() / "a.oci.tar"));
  auto t = DiffImages(dir_.path() / "a.oci.tar", dir_.path() / "b.oci.tar", dir_.path());
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(t->kind_a, "oci-archive");
  EXPECT_EQ(t->files, d->files);
  EXPECT_EQ(t->config, d->config);
  // Mixed: a layout against an archive of the other image.
  auto m = DiffImages(a, dir_.path() / "b.oci.tar", dir_.path());
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->files, d->files);
}

// Writes one uncompressed layer of hand-made entries.
oci::LayerBlob HandLayer(const fs::path& layout, const std::vector<std::pair<oci::TarHeader, std::string>>& entries) {
  auto blob = oci::WriteLayerBlob(layout, oci::LayerCompression::kGzip, {}, [&](oci::ByteSink& sink) -> Status {
    oci::TarWriter w(sink);
    for (const auto& [h, data] : entries) {
      KILN_TRY(w.WriteHeader(h));
      if (h.type == oci::TarType::kFile) KILN_TRY(w.WriteData(data));
    }
    return w.Finish();
  });
  EXPECT_TRUE(blob.ok()) << blob.error().ToString();
  return *blob;
}

std::pair<oci::TarHeader, std::string> Entry(std::string path, oci::TarType type, std::string data = "") {
  oci::TarHeader h;
  h.path = std::move(path);
  h.type = type;
  h.mode = type == oci::TarType::kDirectory ? 0755 : 0644;
  h.size = type == oci::TarType::kFile ? data.size() : 0;
  return {h, data};
}

TEST_F(OciListingTest, AppliesWhiteoutsAndOpaqueDirectories) {
  const fs::path layout = dir_.path() / "wh.oci";
  fs::create_directories(layout);
  using oci::TarType;
  std::vector<oci::LayerBlob> layers;
  layers.push_back(HandLayer(layout, {Entry("etc", TarType::kDirectory), Entry("etc/gone", TarType::kFile, "x"),
                                      Entry("etc/kept", TarType::kFile, "k"), Entry("opt", TarType::kDirectory),
                                      Entry("opt/old", TarType::kFile, "o"), Entry("opt/sub", TarType::kDirectory),
                                      Entry("opt/sub/deep", TarType::kFile, "d"), Entry("srv", TarType::kDirectory),
                                      Entry("srv/a", TarType::kFile, "a")}));
  // Upper layer: deletes etc/gone, hides opt's old contents but adds opt/new in the same
  // layer, and replaces the directory srv by a file.
  layers.push_back(HandLayer(layout, {Entry("etc/.wh.gone", TarType::kFile), Entry("opt/new", TarType::kFile, "n"),
                                      Entry("opt/.wh..wh..opq", TarType::kFile), Entry("srv", TarType::kFile, "f")}));
  oci::OciOptions o;
  o.name = "wh";
  o.version = "1";
  auto config = oci::BuildConfigJson(o, layers, {"base", "upper"});
  ASSERT_TRUE(config.ok());
  auto cd = oci::WriteBlob(layout, oci::kMediaTypeConfig, *config);
  ASSERT_TRUE(cd.ok());
  auto manifest = oci::BuildManifestJson(*cd, layers);
  ASSERT_TRUE(manifest.ok());
  auto md = oci::WriteBlob(layout, oci::kMediaTypeManifest, *manifest);
  ASSERT_TRUE(md.ok());
  auto index = oci::BuildIndexJson(*md, o);
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE(WriteFile(layout / "index.json", *index).ok());
  ASSERT_TRUE(WriteFile(layout / "oci-layout", oci::kOciLayoutJson).ok());

  auto l = ReadOciLayout(layout);
  ASSERT_TRUE(l.ok()) << l.error().ToString();
  std::vector<std::string> paths;
  for (const auto& [p, st] : l->root.files) paths.push_back(p);
  EXPECT_EQ(paths, (std::vector<std::string>{"etc", "etc/kept", "opt", "opt/new", "srv"}));
  EXPECT_EQ(l->root.files.at("srv").type, '-');
  EXPECT_TRUE(l->root.packages.empty());
}

TEST(FlattenImageConfig, OneFieldPerVariableLabelVolumeAndPort) {
  auto f = FlattenImageConfig(R"({"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
    "config":{"Env":["A=1","B=x=y","C"],"Entrypoint":["/bin/sh"],"Cmd":null,"User":"app","WorkingDir":"/srv",
    "Labels":{"k":"v"},"Volumes":{"/data":{}},"ExposedPorts":{"80/tcp":{}},"StopSignal":"SIGTERM"},
    "rootfs":{"type":"layers","diff_ids":[]},"history":[]})");
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  std::map<std::string, std::string> want = {
      {"architecture", R"("amd64")"}, {"os", R"("linux")"}, {"created", R"("2024-01-01T00:00:00Z")"},
      {"env.A", R"("1")"}, {"env.B", R"("x=y")"}, {"env.C", R"("")"}, {"entrypoint", R"(["/bin/sh"])"},
      {"user", R"("app")"}, {"workingDir", R"("/srv")"}, {"label.k", R"("v")"}, {"volume./data", "{}"},
      {"port.80/tcp", "{}"}, {"stopSignal", R"("SIGTERM")"}};
  EXPECT_EQ(*f, want);
  EXPECT_FALSE(FlattenImageConfig("[]").ok());

  auto changes = DiffConfig({{"env.A", "\"1\""}, {"user", "\"app\""}}, {{"env.A", "\"2\""}, {"label.k", "\"v\""}});
  EXPECT_EQ(changes, (std::vector<FieldChange>{{"env.A", "\"1\"", "\"2\""}, {"label.k", "", "\"v\""}, {"user", "\"app\"", ""}}));
}

TEST(OciListing, ErrorsNameTheInput) {
  auto d = TempDir::Create({}, "kiln-oci-diff-err");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(WriteFile(d->path() / "oci-layout", oci::kOciLayoutJson).ok());
  ASSERT_TRUE(WriteFile(d->path() / "index.json", R"({"schemaVersion":2,"manifests":[]})").ok());
  auto l = ReadOciLayout(d->path());
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().ToString().find("0 images"), std::string::npos) << l.error().ToString();
  ASSERT_TRUE(WriteFile(d->path() / "plain.tar", std::string(1024, '\0')).ok());
  EXPECT_FALSE(LooksLikeTar(d->path() / "plain.tar"));
}

// Issue 14: descriptors of the wrong JSON type are errors, not exceptions (which aborted).
TEST(OciListing, WrongJsonTypesAreErrors) {
  auto d = TempDir::Create({}, "kiln-oci-diff-types");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(WriteFile(d->path() / "oci-layout", oci::kOciLayoutJson).ok());
  const std::string manifest = R"({"schemaVersion":2,"config":"oops","layers":[7]})";
  const std::string manifest_digest = "sha256:" + ToHex(Sha256Of(manifest));
  fs::create_directories(d->path() / "blobs/sha256");
  ASSERT_TRUE(WriteFile(d->path() / "blobs/sha256" / manifest_digest.substr(7), manifest).ok());
  for (const std::string& index : std::vector<std::string>{
           R"({"schemaVersion":2,"manifests":[7]})", R"({"schemaVersion":2,"manifests":[{"digest":7,"mediaType":[]}]})",
        R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
            manifest_digest + R"("}]})"}) {
    SCOPED_TRACE(index);
    ASSERT_TRUE(WriteFile(d->path() / "index.json", index).ok());
    Result<OciListing> l = MakeError(ErrorCode::kBuild, "not run");
    EXPECT_NO_THROW(l = ReadOciLayout(d->path()));
    ASSERT_FALSE(l.ok());
    EXPECT_TRUE(l.error().code == ErrorCode::kInput || l.error().code == ErrorCode::kIntegrity) << l.error().ToString();
  }
}

}  // namespace
}  // namespace kiln::diff
