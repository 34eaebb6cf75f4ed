#include "builder/recipe/recipe_parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace kiln::recipe {
namespace {

namespace fs = std::filesystem;

// Runs each test inside testdata/ so recipe paths (and so messages) are short and relative,
// as a user would type them.
class RecipeParserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = fs::current_path();
    fs::current_path(KILN_TESTDATA);
    data_ = fs::current_path();
  }
  void TearDown() override { fs::current_path(saved_); }

  static constexpr const char* kHeader = "[image]\nname = \"app\"\nversion = \"1\"\n";

  // The message of the kRecipe error from parsing text as recipes/x.toml.
  static std::string Err(const std::string& text) {
    Result<Recipe> r = ParseRecipe(text, "recipes/x.toml");
    if (r.ok()) return "<parsed fine>";
    EXPECT_EQ(r.error().code, ErrorCode::kRecipe);
    return r.error().message;
  }
  // Same with the standard [image] header (3 lines) prepended.
  static std::string ErrH(const std::string& text) { return Err(kHeader + text); }

  static Recipe Ok(const std::string& text, const std::string& file = "recipes/x.toml") {
    Result<Recipe> r = ParseRecipe(text, file);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Recipe{};
  }

  fs::path saved_;
  fs::path data_;
};

TEST_F(RecipeParserTest, FullRecipeRoundTrips) {
  Result<Recipe> r = LoadRecipe("full/recipe.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const fs::path dir = data_ / "full";

  Recipe want;
  want.file = dir / "recipe.toml";
  want.directory = dir;
  want.included = {dir / "recipe.toml"};
  want.image = {"appliance", "1.0.0+build~1", Architecture::kArm64, 1700000000};
  want.base.type = BaseType::kTarball;
  want.base.source = (dir / "rootfs.tar.gz").string();
  want.base.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  want.base.pos = {"full/recipe.toml", 8, 1};
  want.overlays = {{dir / "overlays/web", "/", {"full/recipe.toml", 13, 1}},
                   {dir / "overlays/web/", "/srv/www", {"full/recipe.toml", 16, 1}}};
  EntrySpec motd;
  motd.kind = EntryKind::kFile;
  motd.path = "/etc/motd";
  motd.content = "hello\n";
  motd.mode = 0644;
  motd.owner.uid = 0;
  motd.owner.gid = 0;
  motd.pos = {"full/recipe.toml", 20, 1};
  EntrySpec app_dir;
  app_dir.kind = EntryKind::kDirectory;
  app_dir.path = "/var/lib/app";
  app_dir.mode = 0750;
  app_dir.owner.user = "app";
  app_dir.owner.group = "app";
  app_dir.pos = {"full/recipe.toml", 26, 1};
  EntrySpec tool;
  tool.kind = EntryKind::kFile;
  tool.path = "/usr/bin/tool";
  tool.source = dir / "files/motd";
  tool.mode = 04755;
  tool.owner.uid = 1000;
  tool.owner.gid = 1000;
  tool.pos = {"full/recipe.toml", 31, 1};
  EntrySpec link;
  link.kind = EntryKind::kSymlink;
  link.path = "/etc/localtime";
  link.target = "../usr/share/zoneinfo/UTC";
  link.owner.user = "root";
  link.owner.group = "wheel";
  link.pos = {"full/recipe.toml", 37, 1};
  want.entries = {motd, app_dir, tool, link};
  want.root = {Compression::kXz, 9, 256 * 1024};
  want.output.formats = {"squashfs", "raw", "oci"};
  want.data = DataSection{256ull << 20, "ext4", "state", "/var/lib", dir / "data-seed"};
  want.disk = {2ull << 30, 64ull << 20};
  want.signing = {(dir / "keys/kiln.key").string(), fs::path("pkcs11:token=kiln;object=cert"),
                  true};
  ContainerSection c;
  c.entrypoint = {"/usr/bin/app"};
  c.env = {"PATH=/usr/bin:/bin", "EMPTY="};
  c.user = "1000:1000";
  c.workdir = "/srv";
  c.ports = {"8080/tcp", "53/udp"};
  c.labels = {{"org.opencontainers.image.source", "https://example.com/app"}};
  c.layers = "per-source";
  c.compression = "zstd";
  want.container = c;
  want.boot = {"systemd-boot", {"console=ttyS0", "quiet"}};
  want.groups = {{"app", 900, {"full/recipe.toml", 80, 1}}};
  want.users = {{"app", 900, 900, "/home/app", "/bin/sh", {"app", "systemd-journal"},
                 {"full/recipe.toml", 84, 1}}};
  want.services_enable = {"app.service", "systemd-networkd.service"};
  want.services_pos = {"full/recipe.toml", 92, 10};

  // Field by field first, for readable failures; then the whole struct.
  EXPECT_EQ(r->image, want.image);
  EXPECT_EQ(r->base, want.base);
  EXPECT_EQ(r->overlays, want.overlays);
  ASSERT_EQ(r->entries.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(r->entries[i], want.entries[i]) << i;
  EXPECT_EQ(r->root, want.root);
  EXPECT_EQ(r->output, want.output);
  EXPECT_EQ(r->data, want.data);
  EXPECT_EQ(r->disk, want.disk);
  EXPECT_EQ(r->signing, want.signing);
  EXPECT_EQ(r->container, want.container);
  EXPECT_EQ(r->boot, want.boot);
  EXPECT_EQ(r->groups, want.groups);
  EXPECT_EQ(r->users, want.users);
  EXPECT_EQ(r->services_enable, want.services_enable);
  EXPECT_EQ(r->services_pos, want.services_pos);
  EXPECT_EQ(*r, want);
}

TEST_F(RecipeParserTest, DebianBase) {
  Result<Recipe> r = LoadRecipe("full/debian.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const BaseSection& b = r->base;
  EXPECT_EQ(b.type, BaseType::kDebian);
  EXPECT_EQ(b.suite, "trixie");
  EXPECT_EQ(b.variant, "apt");
  EXPECT_EQ(b.packages, (std::vector<std::string>{"busybox", "ca-certificates"}));
  EXPECT_EQ(b.components, (std::vector<std::string>{"main", "contrib"}));
  EXPECT_EQ(b.mirror, "http://127.0.0.1:8000/debian");
  EXPECT_EQ(b.apt.options, (std::vector<std::string>{"Acquire::Retries=3"}));
  EXPECT_EQ(b.apt.keyrings, (std::vector<std::string>{(data_ / "full/keys/extra.gpg").string()}));
}

TEST_F(RecipeParserTest, DebianSnapshot) {
  const std::string deb = "[base]\ntype = \"debian\"\n";
  Recipe none = Ok(kHeader + deb);
  EXPECT_EQ(none.base.snapshot, "");
  EXPECT_EQ(none.base.snapshot_mirror, "https://snapshot.debian.org");
  Recipe r = Ok(kHeader + deb + "snapshot = \"20240101T000000Z\"\nsnapshot_mirror = \"http://127.0.0.1:9/snap\"\n");
  EXPECT_EQ(r.base.snapshot, "20240101T000000Z");
  EXPECT_EQ(r.base.snapshot_mirror, "http://127.0.0.1:9/snap");
  EXPECT_EQ(ErrH(deb + "snapshot = \"2024-01-01\"\n"),
            "recipes/x.toml:6:12: [base].snapshot: invalid snapshot '2024-01-01' (expected "
            "YYYYMMDDTHHMMSSZ, UTC, like \"20240101T000000Z\")");
  EXPECT_EQ(ErrH(deb + "snapshot = \"20230229T000000Z\"\n"),
            "recipes/x.toml:6:12: [base].snapshot: invalid snapshot '20230229T000000Z' (expected "
            "YYYYMMDDTHHMMSSZ, UTC, like \"20240101T000000Z\")");
  EXPECT_EQ(ErrH(deb + "snapshot = 20240101\n"),
            "recipes/x.toml:6:12: [base].snapshot: expected a string, got integer");
  EXPECT_EQ(ErrH(deb + "snapshot_mirror = \"snapshot.debian.org\"\n"),
            "recipes/x.toml:6:19: [base].snapshot_mirror: invalid snapshot_mirror 'snapshot.debian.org': "
            "expected an http://, https:// or file:// URL");
  EXPECT_EQ(ErrH(deb + "snapshot_mirror = \"http://x/a b\"\n"),
            "recipes/x.toml:6:19: [base].snapshot_mirror: invalid snapshot_mirror 'http://x/a b': "
            "must not contain spaces, quotes, brackets or control characters");
  EXPECT_EQ(ErrH("[base]\nsnapshot = \"20240101T000000Z\"\n"),
            "recipes/x.toml:5:12: [base].snapshot: only used with type = \"debian\" (type is \"scratch\")");
  EXPECT_EQ(ErrH(deb + "snapshots = \"20240101T000000Z\"\n"),
            "recipes/x.toml:6:1: unknown key 'snapshots' in [base] (did you mean 'snapshot'?)");
}

TEST_F(RecipeParserTest, Defaults) {
  Recipe r = Ok(kHeader);
  EXPECT_EQ(r.image.architecture, HostArchitecture());
  EXPECT_FALSE(r.image.source_date_epoch);
  EXPECT_EQ(r.base.type, BaseType::kScratch);
  EXPECT_EQ(r.base.pos, (SourcePos{"recipes/x.toml", 0, 0}));
  EXPECT_EQ(r.root, RootSection{});
  EXPECT_EQ(r.output.formats, std::vector<std::string>{"squashfs"});
  EXPECT_FALSE(r.data);
  EXPECT_FALSE(r.container);
  EXPECT_FALSE(r.disk.size);
  EXPECT_EQ(r.boot.loader, "none");
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(r.file, data_ / "recipes/x.toml");
  EXPECT_EQ(r.included, std::vector<fs::path>{data_ / "recipes/x.toml"});

  Recipe d = Ok(std::string(kHeader) + "[data]\nsize = 1048576\n[disk]\nsize = \"auto\"\n");
  ASSERT_TRUE(d.data);
  EXPECT_EQ(*d.data, (DataSection{1 << 20, "ext4", "data", "/var", std::nullopt}));
  EXPECT_FALSE(d.disk.size);
  EXPECT_EQ(ErrH("[file]\n"),  // a [file] table is not a [[file]] entry
            "recipes/x.toml:4:1: file: expected an array of tables [[file]], got table");
}

TEST_F(RecipeParserTest, MalformedToml) {
  EXPECT_EQ(ErrH("foo = [1,\n"), "recipes/x.toml:4:11: Error while parsing array: encountered end-of-file");
  EXPECT_EQ(ErrH("[[file]]\npath = \"/x\"\nmode = 0644\n"),
            "recipes/x.toml:6:12: Error while parsing decimal integer: leading zeroes are "
            "prohibited (mode must be a string like \"0644\")");
}

TEST_F(RecipeParserTest, UnknownKeys) {
  EXPECT_EQ(ErrH("[base]\npakages = []\n"),
            "recipes/x.toml:5:1: unknown key 'pakages' in [base] (did you mean 'packages'?)");
  EXPECT_EQ(Err("[imgae]\n"),
            "recipes/x.toml:1:2: unknown top-level key 'imgae' (did you mean 'image'?)");
  EXPECT_EQ(ErrH("[root]\nfrobnicate = 1\n"),
            "recipes/x.toml:5:1: unknown key 'frobnicate' in [root] (allowed: compression, "
            "compression_level, block_size)");
  EXPECT_EQ(ErrH("[[overlay]]\nsource = \"../full/overlays/web\"\ntarget = \"/\"\n"
                 "[[overlay]]\nsource = \"../full/overlays/web\"\ntargte = \"/\"\n"),
            "recipes/x.toml:9:1: unknown key 'targte' in [[overlay]][1] (did you mean 'target'?)");
  EXPECT_EQ(ErrH("[base]\ntype = \"debian\"\n[base.apt]\nkeyring = []\n"),
            "recipes/x.toml:7:1: unknown key 'keyring' in [base.apt] (did you mean 'keyrings'?)");
}

TEST_F(RecipeParserTest, WrongTypes) {
  EXPECT_EQ(ErrH("[root]\ncompression_level = \"9\"\n"),
            "recipes/x.toml:5:21: [root].compression_level: expected an integer, got string");
  EXPECT_EQ(Err("[image]\nname = 1\nversion = \"1\"\n"),
            "recipes/x.toml:2:8: [image].name: expected a string, got integer");
  EXPECT_EQ(ErrH("[output]\nformats = \"raw\"\n"),
            "recipes/x.toml:5:11: [output].formats: expected an array of strings, got string");
  EXPECT_EQ(ErrH("[output]\nformats = [\"raw\", 2]\n"),
            "recipes/x.toml:5:19: [output].formats[1]: expected a string, got integer");
  EXPECT_EQ(ErrH("[signing]\nsecure_boot = \"yes\"\n"),
            "recipes/x.toml:5:15: [signing].secure_boot: expected a boolean, got string");
  EXPECT_EQ(Err("image = \"x\"\n"),
            "recipes/x.toml:1:9: image: expected a table [image], got string");
  EXPECT_EQ(ErrH("[overlay]\nsource = \"x\"\n"),
            "recipes/x.toml:4:1: overlay: expected an array of tables [[overlay]], got table");
  EXPECT_EQ(ErrH("[[directory]]\npath = \"/x\"\nmode = 493\n"),
            "recipes/x.toml:6:8: [[directory]][0].mode: mode must be a string like \"0644\", "
            "not an integer");
  EXPECT_EQ(ErrH("[[directory]]\npath = \"/x\"\nowner = 0\n"),
            "recipes/x.toml:6:9: [[directory]][0].owner: expected a string like \"0:0\", got "
            "integer");
}

TEST_F(RecipeParserTest, BadValues) {
  EXPECT_EQ(ErrH("[root]\ncompression = \"brotli\"\n"),
            "recipes/x.toml:5:15: [root].compression: invalid value 'brotli' (allowed: zstd, xz, "
            "gzip, lz4)");
  EXPECT_EQ(Err("[image]\nname = \"App\"\nversion = \"1\"\n"),
            "recipes/x.toml:2:8: [image].name: invalid name 'App' (expected [a-z0-9][a-z0-9._-]*)");
  EXPECT_EQ(Err("[image]\nname = \"a\"\nversion = \"1 0\"\n"),
            "recipes/x.toml:3:11: [image].version: invalid version '1 0' (expected "
            "[A-Za-z0-9._+~-]+)");
  EXPECT_EQ(Err("[image]\nname = \"a\"\nversion = \"1\"\narchitecture = \"amd64\"\n"),
            "recipes/x.toml:4:16: [image].architecture: invalid value 'amd64' (allowed: x86-64, "
            "arm64)");
  EXPECT_EQ(Err("[image]\nname = \"a\"\nversion = \"1\"\nsource_date_epoch = -1\n"),
            "recipes/x.toml:4:21: [image].source_date_epoch: value -1 out of range "
            "(0..9223372036854775807)");
  EXPECT_EQ(ErrH("[root]\ncompression_level = 23\n"),
            "recipes/x.toml:5:21: [root].compression_level: level 23 out of range for zstd (1..22)");
  EXPECT_EQ(ErrH("[root]\ncompression = \"lz4\"\ncompression_level = 1\n"),
            "recipes/x.toml:6:21: [root].compression_level: lz4 takes no compression level");
  EXPECT_EQ(ErrH("[root]\nblock_size = \"3K\"\n"),
            "recipes/x.toml:5:14: [root].block_size: must be a power of two from 4K to 1M, got 3072");
  EXPECT_EQ(ErrH("[root]\nblock_size = \"12Q\"\n"),
            "recipes/x.toml:5:14: [root].block_size: invalid size '12Q' (expected a number with "
            "an optional K, M, G or T suffix)");
  EXPECT_EQ(ErrH("[output]\nformats = [\"raw\", \"iso\"]\n"),
            "recipes/x.toml:5:19: [output].formats[1]: invalid value 'iso' (allowed: squashfs, "
            "raw, qcow2, vmdk, vhd, vhdx, gce, ova, oci, oci-archive, tar)");
  EXPECT_EQ(ErrH("[output]\nformats = [\"raw\", \"raw\"]\n"),
            "recipes/x.toml:5:19: [output].formats[1]: duplicate format 'raw'");
  EXPECT_EQ(ErrH("[output]\nformats = []\n"),
            "recipes/x.toml:5:11: [output].formats: must list at least one format");
  EXPECT_EQ(ErrH("[base]\ntype = \"tarball\"\nsource = \"../full/rootfs.tar.gz\"\nsha256 = \"ABC\"\n"),
            "recipes/x.toml:7:10: [base].sha256: invalid sha256 'ABC' (expected 64 lowercase hex "
            "digits)");
  EXPECT_EQ(ErrH("[base]\ntype = \"scratch\"\npackages = [\"bash\"]\n"),
            "recipes/x.toml:6:12: [base].packages: only used with type = \"debian\" (type is "
            "\"scratch\")");
  EXPECT_EQ(ErrH("[data]\nsize = \"1G\"\nlabel = \"a-very-long-label-indeed\"\n"),
            "recipes/x.toml:6:9: [data].label: label must be 1 to 16 bytes (ext4 limit), got 24");
  EXPECT_EQ(ErrH("[data]\nsize = \"1G\"\nmountpoint = \"var\"\n"),
            "recipes/x.toml:6:14: [data].mountpoint: 'var' is not an absolute path");
  EXPECT_EQ(ErrH("[container]\nenv = [\"PATH\"]\n"),
            "recipes/x.toml:5:8: [container].env[0]: invalid environment entry 'PATH' (expected "
            "\"KEY=VALUE\")");
  EXPECT_EQ(ErrH("[container]\nports = [\"80/sctp\"]\n"),
            "recipes/x.toml:5:10: [container].ports[0]: invalid port '80/sctp' (expected "
            "\"N/tcp\" or \"N/udp\", N 1..65535)");
  EXPECT_EQ(ErrH("[container]\nlabels = { a = 1 }\n"),
            "recipes/x.toml:5:16: [container].labels.\"a\": expected a string");
  EXPECT_EQ(ErrH("[[file]]\npath = \"etc/motd\"\ncontent = \"\"\n"),
            "recipes/x.toml:5:8: [[file]][0].path: 'etc/motd' is not an absolute path");
  EXPECT_EQ(ErrH("[[symlink]]\npath = \"/a/../../b\"\ntarget = \"x\"\n"),
            "recipes/x.toml:5:8: [[symlink]][0].path: '/a/../../b' must not contain '..'");
  EXPECT_EQ(ErrH("[[file]]\npath = \"/x\"\ncontent = \"\"\nmode = \"0800\"\n"),
            "recipes/x.toml:7:8: [[file]][0].mode: invalid mode '0800' (expected octal digits "
            "like \"0644\", at most 07777)");
  EXPECT_EQ(ErrH("[[file]]\npath = \"/x\"\ncontent = \"\"\nowner = \"1000:\"\n"),
            "recipes/x.toml:7:9: [[file]][0].owner: invalid owner '1000:' (empty group; expected "
            "\"uid:gid\", \"user:group\" or \"user\")");
  EXPECT_EQ(ErrH("[[user]]\nname = \"svc\"\n[[user]]\nname = \"svc\"\n"),
            "recipes/x.toml:7:8: [[user]][1].name: duplicate user 'svc'");
  EXPECT_EQ(ErrH("[[group]]\nname = \"Bad Name\"\n"),
            "recipes/x.toml:5:8: [[group]][0].name: invalid name 'Bad Name' (expected "
            "[a-z_][a-z0-9_-]*, at most 32 bytes)");
}

TEST_F(RecipeParserTest, MissingKeys) {
  EXPECT_EQ(Err("[base]\n"), "recipes/x.toml: missing required key 'name' in [image]");
  EXPECT_EQ(Err("[image]\nname = \"a\"\n"),
            "recipes/x.toml:1:1: missing required key 'version' in [image]");
  EXPECT_EQ(ErrH("[base]\ntype = \"tarball\"\n"),
            "recipes/x.toml:4:1: missing required key 'source' in [base]");
  EXPECT_EQ(ErrH("[data]\nlabel = \"x\"\n"),
            "recipes/x.toml:4:1: missing required key 'size' in [data]");
  EXPECT_EQ(ErrH("[[file]]\npath = \"/x\"\n"),
            "recipes/x.toml:4:1: [[file]][0]: needs exactly one of 'content' or 'source' (got "
            "neither)");
  EXPECT_EQ(ErrH("[[file]]\npath = \"/x\"\ncontent = \"\"\nsource = \"y\"\n"),
            "recipes/x.toml:4:1: [[file]][0]: needs exactly one of 'content' or 'source' (got "
            "both)");
  EXPECT_EQ(ErrH("[[symlink]]\npath = \"/x\"\n"),
            "recipes/x.toml:4:1: missing required key 'target' in [[symlink]][0]");
  EXPECT_EQ(ErrH("[[overlay]]\ntarget = \"/\"\n"),
            "recipes/x.toml:4:1: missing required key 'source' in [[overlay]][0]");
  EXPECT_EQ(ErrH("[[user]]\nuid = 5\n"),
            "recipes/x.toml:4:1: missing required key 'name' in [[user]][0]");
}

TEST_F(RecipeParserTest, MissingHostPaths) {
  const std::string base = (data_ / "recipes").string();
  EXPECT_EQ(ErrH("[[overlay]]\nsource = \"../overlays/missing\"\n"),
            "recipes/x.toml:5:10: [[overlay]][0].source: directory '../overlays/missing' not "
            "found (looked for " + (data_ / "overlays/missing").string() + ")");
  EXPECT_EQ(ErrH("[[overlay]]\nsource = \"../full/rootfs.tar.gz\"\n"),
            "recipes/x.toml:5:10: [[overlay]][0].source: '../full/rootfs.tar.gz' is not a "
            "directory (" + (data_ / "full/rootfs.tar.gz").string() + ")");
  EXPECT_EQ(ErrH("[[file]]\npath = \"/x\"\nsource = \"nope.txt\"\n"),
            "recipes/x.toml:6:10: [[file]][0].source: file 'nope.txt' not found (looked for " +
                base + "/nope.txt)");
  EXPECT_EQ(ErrH("[base]\ntype = \"tarball\"\nsource = \"root.tar\"\n"),
            "recipes/x.toml:6:10: [base].source: file 'root.tar' not found (looked for " + base +
                "/root.tar)");
  EXPECT_EQ(ErrH("[data]\nsize = \"1M\"\nseed = \"seed\"\n"),
            "recipes/x.toml:6:8: [data].seed: directory 'seed' not found (looked for " + base +
                "/seed)");
  EXPECT_EQ(ErrH("[base]\ntype = \"image\"\nsource = \"https://example.com/disk.qcow2\"\n"),
            "recipes/x.toml:6:10: [base].source: a remote source needs [base].sha256 (the "
            "download is checked against it)");
}

TEST_F(RecipeParserTest, PathResolution) {
  // Relative paths resolve against the directory of the recipe, whatever the working dir.
  fs::current_path(data_ / "full/files");
  Result<Recipe> r = LoadRecipe("../recipe.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->overlays[0].source, data_ / "full/overlays/web");
  EXPECT_EQ(r->entries[2].source, data_ / "full/files/motd");
  EXPECT_EQ(r->entries[0].pos.file, "../recipe.toml");  // as the user named it
  EXPECT_EQ(r->file, data_ / "full/recipe.toml");
  fs::current_path(data_);

  Recipe urls = Ok(std::string(kHeader) +
                   "[base]\ntype = \"tarball\"\nsource = \"file:///srv/root.tar\"\n"
                   "[signing]\nkey = \"/etc/kiln/../kiln/k.pem\"\ncertificate = \"./c.pem\"\n");
  EXPECT_TRUE(urls.base.source_is_url);
  EXPECT_EQ(urls.base.source, "file:///srv/root.tar");
  EXPECT_TRUE(urls.base.sha256.empty());
  EXPECT_EQ(urls.signing.key, "/etc/kiln/k.pem");
  EXPECT_EQ(urls.signing.certificate, data_ / "recipes/c.pem");

  Recipe remote = Ok(std::string(kHeader) +
                     "[base]\ntype = \"tarball\"\nsource = \"https://example.com/r.tar.zst\"\n"
                     "sha256 = \"" + std::string(64, 'a') + "\"\n"
                     "[signing]\nkey = \"pkcs11:token=ci;object=kiln\"\n");
  EXPECT_TRUE(remote.base.source_is_url);
  EXPECT_EQ(remote.base.source, "https://example.com/r.tar.zst");
  EXPECT_EQ(remote.signing.key, "pkcs11:token=ci;object=kiln");
}

TEST_F(RecipeParserTest, IncludeMerge) {
  Result<Recipe> r = LoadRecipe("include/product.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const fs::path inc = data_ / "include";
  // base.toml is reached twice (directly and through accounts.toml) but read once.
  EXPECT_EQ(r->included, (std::vector<fs::path>{inc / "common/base.toml",
                                                inc / "common/accounts.toml",
                                                inc / "product.toml"}));
  EXPECT_EQ(r->image.name, "product");   // replaced by the later file
  EXPECT_EQ(r->image.version, "0.1");    // kept from the included file
  ASSERT_EQ(r->overlays.size(), 2u);     // concatenated in load order
  EXPECT_EQ(r->overlays[0].source, inc / "overlays/base");  // relative to base.toml
  EXPECT_EQ(r->overlays[0].pos.file, "include/common/base.toml");
  EXPECT_EQ(r->overlays[1].source, inc / "overlays/product");
  ASSERT_EQ(r->entries.size(), 3u);  // recipe order across [[file]] and [[directory]]
  EXPECT_EQ(r->entries[0].path, "/etc/base");
  EXPECT_EQ(r->entries[1].path, "/srv");
  EXPECT_EQ(r->entries[2].path, "/etc/product");
  EXPECT_EQ(r->root.compression, Compression::kZstd);
  EXPECT_EQ(r->root.compression_level, 19);
  EXPECT_EQ(r->output.formats, std::vector<std::string>{"oci"});  // arrays replace
  ASSERT_TRUE(r->container);
  EXPECT_EQ(r->container->env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(r->container->labels,
            (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));  // tables merge
  ASSERT_EQ(r->users.size(), 1u);
  ASSERT_EQ(r->groups.size(), 1u);
}

TEST_F(RecipeParserTest, IncludeErrors) {
  EXPECT_EQ(Err("include = [\"../cycle/a.toml\"]\n"),
            "cycle/b.toml:1:12: include[0]: include cycle: cycle/a.toml -> cycle/b.toml -> "
            "cycle/a.toml");
  EXPECT_EQ(Err("include = [\"common.toml\"]\n"),
            "recipes/x.toml:1:12: include[0]: included file 'recipes/common.toml' not found");
  EXPECT_EQ(Err("include = \"common.toml\"\n"),
            "recipes/x.toml:1:11: include: expected an array of strings, got string");
  // An error in a value an included file wrote names that file.
  EXPECT_EQ(Err("include = [\"../include/product.toml\"]\n[root]\ncompression = \"lz4\"\n"),
            "include/product.toml:18:21: [root].compression_level: lz4 takes no compression level");
}

TEST_F(RecipeParserTest, SizesModesOwners) {
  Recipe r = Ok(std::string(kHeader) +
                "[root]\nblock_size = 4096\n"
                "[data]\nsize = \"1GiB\"\n"
                "[disk]\nsize = \"10G\"\nesp_size = 67108864\n"
                "[[file]]\npath = \"//usr/./bin/x/\"\ncontent = \"\"\nmode = \"755\"\n"
                "owner = \"1000\"\n"
                "[[directory]]\npath = \"/\"\nmode = \"07777\"\nowner = \"0:adm\"\n");
  EXPECT_EQ(r.root.block_size, 4096u);
  EXPECT_EQ(r.data->size, 1ull << 30);
  EXPECT_EQ(r.disk.size, 10ull << 30);
  EXPECT_EQ(r.disk.esp_size, 64ull << 20);
  // A boot loader without esp_size gets the default ESP when the recipe is loaded.
  Recipe booting = Ok(std::string(kHeader) + "[boot]\nloader = \"systemd-boot\"\n");
  EXPECT_EQ(booting.disk.esp_size, kDefaultEspSize);
  EXPECT_EQ(Ok(kHeader).disk.esp_size, 0u);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].path, "/usr/bin/x");
  EXPECT_EQ(r.entries[0].mode, 0755u);
  EXPECT_EQ(r.entries[0].owner, (Owner{1000, 1000, "", ""}));
  EXPECT_EQ(r.entries[1].path, "/");
  EXPECT_EQ(r.entries[1].mode, 07777u);
  EXPECT_EQ(r.entries[1].owner, (Owner{0, std::nullopt, "", "adm"}));
  EXPECT_EQ(ErrH("[data]\nsize = 0\n"), "recipes/x.toml:5:8: [data].size: must be greater than zero");
  EXPECT_EQ(ErrH("[disk]\nsize = \"big\"\n"),
            "recipes/x.toml:5:8: [disk].size: invalid size 'big' (expected a number with an "
            "optional K, M, G or T suffix)");
  EXPECT_EQ(ErrH("[[file]]\npath = \"/\"\ncontent = \"\"\n"),
            "recipes/x.toml:5:8: [[file]][0].path: '/' can only be a [[directory]]");
}

// Values that reach line-oriented system files never carry the characters that split them
// (issue 14: a home with "\n" and ":" wrote a second uid-0 line into /etc/passwd).
TEST_F(RecipeParserTest, SystemFileCharacters) {
  EXPECT_EQ(ErrH("[[user]]\nname = \"svc\"\nhome = \"/x\\nroot::0:0::/:/bin/sh\"\n"),
            "recipes/x.toml:6:8: [[user]][0].home: contains a newline (not allowed in an /etc/passwd "
            "home directory)");
  EXPECT_EQ(ErrH("[[user]]\nname = \"svc\"\nhome = \"/srv/a:b\"\n"),
            "recipes/x.toml:6:8: [[user]][0].home: contains ':' (not allowed in an /etc/passwd home "
            "directory)");
  EXPECT_EQ(ErrH("[[user]]\nname = \"svc\"\nhome = \"/srv/a b\"\n"),
            "recipes/x.toml:6:8: [[user]][0].home: contains a space (not allowed in an /etc/passwd "
            "home directory)");
  EXPECT_EQ(ErrH("[[user]]\nname = \"svc\"\nshell = \"/bin/sh:0\"\n"),
            "recipes/x.toml:6:9: [[user]][0].shell: contains ':' (not allowed in /etc/passwd, "
            "/etc/group and /etc/shadow fields)");
  EXPECT_EQ(ErrH("[[user]]\nname = \"svc\"\ngroups = [\"a\\nb\"]\n"),
            "recipes/x.toml:6:11: [[user]][0].groups[0]: invalid name 'a\nb' (expected "
            "[a-z_][a-z0-9_-]*, at most 32 bytes)");
  EXPECT_EQ(ErrH("[data]\nsize = \"1G\"\nmountpoint = \"/srv/my data\"\n"),
            "recipes/x.toml:6:14: [data].mountpoint: contains a space (not allowed in an /etc/fstab "
            "mount point)");
  EXPECT_EQ(ErrH("[data]\nsize = \"1G\"\nmountpoint = \"/srv\\tx\"\n"),
            "recipes/x.toml:6:14: [data].mountpoint: contains a tab (not allowed in an /etc/fstab "
            "mount point)");
  EXPECT_EQ(ErrH("[data]\nsize = \"1G\"\nlabel = \"a\\u001b[2J\"\n"),
            "recipes/x.toml:6:9: [data].label: contains control byte 0x1b (not allowed in a partition "
            "label)");
  EXPECT_EQ(ErrH("[boot]\nkernel_cmdline = [\"quiet\", \"a\\nb\"]\n"),
            "recipes/x.toml:5:28: [boot].kernel_cmdline[1]: contains a newline (not allowed in a "
            "kernel command line argument)");
  EXPECT_EQ(ErrH("[boot]\nkernel_cmdline = [\"console=ttyS0 quiet\"]\n"),
            "recipes/x.toml:5:19: [boot].kernel_cmdline[0]: contains a space (not allowed in a "
            "kernel command line argument); give each argument its own string");
  EXPECT_EQ(ErrH("[boot]\nkernel_cmdline = [\"x=\\\"a\"]\n"),
            "recipes/x.toml:5:19: [boot].kernel_cmdline[0]: has an unbalanced '\"'");
  Recipe ok = Ok(std::string(kHeader) + "[boot]\nkernel_cmdline = [\"dyndbg=\\\"file a.c +p\\\"\"]\n");
  EXPECT_EQ(ok.boot.kernel_cmdline, std::vector<std::string>{"dyndbg=\"file a.c +p\""});
  EXPECT_EQ(ErrH("[services]\nenable = [\"app.service\\n[Install]\"]\n"),
            "recipes/x.toml:5:11: [services].enable[0]: invalid unit name: contains a newline (not "
            "allowed in a systemd unit name)");
  EXPECT_EQ(ErrH("[services]\nenable = [\"app\"]\n"),
            "recipes/x.toml:5:11: [services].enable[0]: invalid unit name: has no unit type suffix "
            "such as .service, .socket or .timer");
  EXPECT_EQ(Ok(std::string(kHeader) + "[services]\nenable = [\"getty@tty2.service\", \"a\\\\x2db.timer\"]\n")
                .services_enable.size(),
            2u);
}

// Sizes are bounded so that layout arithmetic never wraps (issue 14).
TEST_F(RecipeParserTest, HugeSizes) {
  EXPECT_EQ(ErrH("[data]\nsize = \"18446744073709543425\"\n"),
            "recipes/x.toml:5:8: [data].size: size 18446744073709543425 bytes is larger than 1024T "
            "(1 PiB), the largest kiln supports");
  EXPECT_EQ(ErrH("[data]\nsize = 9223372036854775807\n"),
            "recipes/x.toml:5:8: [data].size: size 9223372036854775807 bytes is larger than 1024T "
            "(1 PiB), the largest kiln supports");
  EXPECT_EQ(ErrH("[disk]\nesp_size = \"16777215T\"\n"),
            "recipes/x.toml:5:12: [disk].esp_size: size 18446742974197923840 bytes is larger than "
            "1024T (1 PiB), the largest kiln supports");
  EXPECT_EQ(Ok(std::string(kHeader) + "[data]\nsize = \"1024T\"\n").data->size, 1ull << 50);
}

TEST_F(RecipeParserTest, LoadRecipeMissingFile) {
  Result<Recipe> r = LoadRecipe("recipes/none.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRecipe);
  EXPECT_EQ(r.error().message, "recipes/none.toml: no such file");
}

TEST(SourcePosTest, ToString) {
  EXPECT_EQ((SourcePos{"r.toml", 12, 5}).ToString(), "r.toml:12:5");
  EXPECT_EQ((SourcePos{"r.toml", 0, 0}).ToString(), "r.toml");
  EXPECT_STREQ(CompressionName(Compression::kLz4), "lz4");
  EXPECT_STREQ(ArchitectureName(Architecture::kX86_64), "x86-64");
}

}  // namespace
}  // namespace kiln::recipe
