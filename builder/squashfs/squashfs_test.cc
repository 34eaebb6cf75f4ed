#include "builder/squashfs/squashfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <random>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/verity/verity.h"

namespace kiln::squashfs {
namespace {

namespace fs = std::filesystem;
using tree::FileNode;
using tree::NodeType;

constexpr std::int64_t kClamp = 1700000000;

std::string RandomData(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

ProcessSpec Spec(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.env["TZ"] = "UTC";
  return spec;
}

FileNode Node(NodeType type, std::uint32_t mode, std::uint32_t uid = 0, std::uint32_t gid = 0) {
  FileNode n;
  n.type = type;
  n.mode = mode;
  n.uid = uid;
  n.gid = gid;
  n.mtime = 1600000000;
  return n;
}

FileNode Inline(const std::string& data, std::uint32_t mode = 0644) {
  FileNode n = Node(NodeType::kFile, mode);
  n.content.is_inline = true;
  n.content.inline_data = data;
  n.content.size = data.size();
  return n;
}

FileNode Link(NodeType type, const std::string& target) {
  FileNode n = Node(type, type == NodeType::kSymlink ? 0777 : 0644);
  n.target = target;
  return n;
}

FileNode Device(NodeType type, std::uint32_t major, std::uint32_t minor, std::uint32_t mode) {
  FileNode n = Node(type, mode);
  n.rdev_major = major;
  n.rdev_minor = minor;
  return n;
}

std::string ReadRange(const fs::path& p, std::uint64_t off, std::uint64_t size) {
  std::string all = ReadFile(p).value();
  return all.substr(off, size);
}

class SquashfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir::Create({}, "kiln-squashfs-test").value();
    unsquashfs_ = FindProgram("unsquashfs");
    big_ = RandomData(5 * 1024 * 1024 + 123, 1);
    ASSERT_TRUE(WriteFile(Path("big.bin"), big_).ok());
    ASSERT_TRUE(WriteFile(Path("su.bin"), "#!/bin/true\n").ok());
  }
  fs::path Path(const std::string& name) const { return dir_.path() / name; }

  FileNode HostFile(const std::string& name, std::uint32_t mode) {
    FileNode n = Node(NodeType::kFile, mode);
    n.content.host_path = Path(name);
    n.content.size = fs::file_size(Path(name));
    return n;
  }

  void Add(tree::FileTree& t, const std::string& path, FileNode node) {
    auto r = t.Insert(path, std::move(node));
    ASSERT_TRUE(r.ok()) << path << ": " << r.error().ToString();
  }

  // A tree with every node type, odd modes, big ids, hard links and xattrs.
  tree::FileTree FullTree(bool with_big = true) {
    tree::FileTree t(kClamp);
    Add(t, "/etc", Node(NodeType::kDirectory, 0755));
    Add(t, "/etc/hello", Inline("hello world\n"));
    FileNode empty = Inline("", 0600);
    empty.uid = empty.gid = 1000;
    Add(t, "/etc/empty", empty);
    Add(t, "/bin/su", HostFile("su.bin", 04755));
    Add(t, "/bin/big", HostFile(with_big ? "big.bin" : "su.bin", 0755));
    Add(t, "/bin/big-link", Link(NodeType::kHardLink, "bin/big"));
    Add(t, "/usr/big-link2", Link(NodeType::kHardLink, "/bin/big"));
    Add(t, "/bin/sh", Link(NodeType::kSymlink, "dash"));
    Add(t, "/usr/lib", Node(NodeType::kDirectory, 0755));
    Add(t, "/lib", Link(NodeType::kSymlink, "usr/lib"));
    Add(t, "/shared", Node(NodeType::kDirectory, 02775, 0, 50));
    Add(t, "/tmp", Node(NodeType::kDirectory, 01777));
    Add(t, "/dev/null", Device(NodeType::kCharDevice, 1, 3, 0666));
    FileNode sda = Device(NodeType::kBlockDevice, 8, 1, 0660);
    sda.gid = 6;
    Add(t, "/dev/sda1", sda);
    Add(t, "/dev/odd", Device(NodeType::kCharDevice, 300, 70000, 0600));
    Add(t, "/run/fifo", Node(NodeType::kFifo, 0644));
    Add(t, "/run/sock", Node(NodeType::kSocket, 0755));
    FileNode xf = Inline("with xattrs\n");
    xf.xattrs["user.kiln"] = "yes";
    xf.xattrs["security.capability"] = std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8);
    Add(t, "/var/xattr", xf);
    FileNode nobody = Inline("nobody\n");
    nobody.uid = nobody.gid = 4294967294u;
    Add(t, "/var/nobody", nobody);
    FileNode xd = Node(NodeType::kDirectory, 0750);
    xd.xattrs["user.dir"] = "1";
    Add(t, "/var/xdir", xd);
    for (const char* name : {"B", "a", "a.b", "a-b", "\xc3\xa9", "a b", "Z"})
      Add(t, std::string("/order/") + name, Inline(name));
    return t;
  }

  Result<SquashfsStats> Write(const tree::FileTree& t, const fs::path& out,
                              SquashfsOptions opts = DefaultOptions(), std::uint64_t offset = 0,
                              verity::VerityHasher* verity = nullptr) {
    return WriteSquashfs(t, opts, out, offset, verity);
  }
  // zstd level 1 keeps the tests fast; EveryNodeTypeReadsBack uses the default level.
  static SquashfsOptions DefaultOptions() {
    SquashfsOptions o;
    o.mkfs_time = kClamp;
    o.jobs = 1;
    o.level = 1;
    return o;
  }

  // `unsquashfs -lln` output as path -> line.
  std::map<std::string, std::string> List(const fs::path& image) {
    auto r = RunChecked(Spec({unsquashfs_.string(), "-lln", "-UTC", image.string()}));
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    std::map<std::string, std::string> out;
    std::istringstream in(r.ok() ? r->out : "");
    for (std::string line; std::getline(in, line);) {
      std::size_t at = line.find("squashfs-root");
      if (at == std::string::npos) continue;
      std::string path = line.substr(at + 13);
      std::size_t arrow = path.find(" -> ");
      if (arrow != std::string::npos) path = path.substr(0, arrow);
      out[path.empty() ? "/" : path] = line;
    }
    return out;
  }

  TempDir dir_;
  fs::path unsquashfs_;
  std::string big_;
};

TEST_F(SquashfsTest, EveryNodeTypeReadsBack) {
  if (unsquashfs_.empty()) GTEST_SKIP() << "unsquashfs not installed";
  tree::FileTree t = FullTree();
  fs::path image = Path("full.sqfs");
  SquashfsOptions opts = DefaultOptions();
  opts.level.reset();
  auto stats = Write(t, image, opts);
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->size % 4096, 0u);
  EXPECT_EQ(stats->size, fs::file_size(image));
  EXPECT_EQ(stats->data_bytes, big_.size() + 12 + 12 + 12 + 7 + 14);
  // Every tree node but the two hard links is an inode.
  EXPECT_EQ(stats->inodes, t.size() - 2);

  auto ls = List(image);
  auto has = [&](const std::string& path, const std::vector<std::string>& parts) {
    ASSERT_TRUE(ls.count(path)) << "missing " << path;
    for (const auto& p : parts) EXPECT_THAT(ls[path], ::testing::HasSubstr(p)) << path;
  };
  has("/", {"drwxr-xr-x 0/0"});
  has("/bin/su", {"-rwsr-xr-x 0/0", " 12 ", "2020-09-13 12:26"});
  has("/bin/big", {"-rwxr-xr-x 0/0", std::to_string(big_.size())});
  has("/bin/big-link", {std::to_string(big_.size())});
  has("/usr/big-link2", {std::to_string(big_.size())});
  has("/bin/sh", {"lrwxrwxrwx 0/0", "-> dash"});
  has("/lib", {"-> usr/lib"});
  has("/etc/empty", {"-rw------- 1000/1000", " 0 "});
  has("/shared", {"drwxrwsr-x 0/50"});
  has("/tmp", {"drwxrwxrwt 0/0"});
  has("/dev/null", {"crw-rw-rw- 0/0"});
  EXPECT_THAT(ls["/dev/null"], ::testing::ContainsRegex(" 1, *3 "));
  has("/dev/sda1", {"brw-rw---- 0/6"});
  EXPECT_THAT(ls["/dev/sda1"], ::testing::ContainsRegex(" 8, *1 "));
  has("/dev/odd", {"crw------- 0/0"});
  has("/run/fifo", {"prw-r--r-- 0/0"});
  has("/run/sock", {"srwxr-xr-x 0/0"});
  has("/var/nobody", {"4294967294/4294967294"});
  has("/var/xdir", {"drwxr-x--- 0/0"});
  // Directory entries in byte order.
  std::vector<std::string> order;
  for (const auto& [path, line] : ls)
    if (path.rfind("/order/", 0) == 0) order.push_back(path.substr(7));
  EXPECT_EQ(order, (std::vector<std::string>{"B", "Z", "a", "a b", "a-b", "a.b", "\xc3\xa9"}));

  // Extract what an unprivileged user can create and compare bytes and links.
  fs::path out = Path("extract");
  auto r = RunProcess(Spec({unsquashfs_.string(), "-no-xattrs", "-d", out.string(), image.string(),
                            "bin", "etc", "usr", "lib", "order"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_EQ(ReadFile(out / "bin/big").value(), big_);
  EXPECT_EQ(ReadFile(out / "etc/hello").value(), "hello world\n");
  EXPECT_EQ(ReadFile(out / "etc/empty").value(), "");
  EXPECT_EQ(ReadFile(out / "bin/su").value(), "#!/bin/true\n");
  EXPECT_EQ(fs::read_symlink(out / "bin/sh"), "dash");
  struct stat st {};
  ASSERT_EQ(::stat((out / "bin/big").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 3u);
  struct stat st2 {};
  ASSERT_EQ(::stat((out / "usr/big-link2").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((out / "bin/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_mtime, 1600000000);
}

TEST_F(SquashfsTest, XattrsLinkCountAndBigDeviceNumbers) {
  fs::path rdsquashfs = FindProgram("rdsquashfs");
  if (rdsquashfs.empty()) GTEST_SKIP() << "rdsquashfs not installed";
  fs::path image = Path("x.sqfs");
  ASSERT_TRUE(Write(FullTree(), image).ok());
  auto r = RunChecked(Spec({rdsquashfs.string(), "-x", "/var/xattr", image.string()}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(r->out, ::testing::HasSubstr("user.kiln=yes"));
  EXPECT_THAT(r->out, ::testing::HasSubstr("security.capability="));
  r = RunChecked(Spec({rdsquashfs.string(), "-x", "/var/xdir", image.string()}));
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->out, ::testing::HasSubstr("user.dir=1"));
  r = RunChecked(Spec({rdsquashfs.string(), "-s", "/bin/big", image.string()}));
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->out, ::testing::HasSubstr("Hard link count: 3"));
  r = RunChecked(Spec({rdsquashfs.string(), "-s", "/dev/odd", image.string()}));
  ASSERT_TRUE(r.ok());
  // unsquashfs -lln mangles minors above 255 in its listing; rdsquashfs decodes them.
  EXPECT_THAT(r->out, ::testing::HasSubstr("Device number: 300:70000"));
}

TEST_F(SquashfsTest, RejectsUnsupportedXattrNamespace) {
  tree::FileTree t(kClamp);
  FileNode n = Inline("x");
  n.xattrs["system.posix_acl_access"] = "acl";
  Add(t, "/f", n);
  auto r = Write(t, Path("bad.sqfs"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("'/f'"));
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("system.posix_acl_access"));
}

TEST_F(SquashfsTest, EachCompressor) {
  if (unsquashfs_.empty()) GTEST_SKIP() << "unsquashfs not installed";
  struct Case {
    Compression c;
    std::optional<int> level;
    const char* name;
  };
  // Half random, half text: some blocks compress, some are stored, plus a fragment.
  std::string mixed = big_.substr(0, 150000);
  while (mixed.size() < 300000) mixed += "kiln squashfs compressor test line\n";
  for (const Case& c : {Case{Compression::kZstd, std::nullopt, "zstd"},
                        Case{Compression::kZstd, 3, "zstd"},
                        Case{Compression::kXz, 9, "xz"},
                        Case{Compression::kGzip, std::nullopt, "gzip"},
                        Case{Compression::kLz4, std::nullopt, "lz4"}}) {
    SCOPED_TRACE(c.name);
    SquashfsOptions o = DefaultOptions();
    o.compression = c.c;
    o.level = c.level;
    o.block_size = 64 * 1024;
    fs::path image = Path(std::string(c.name) + ".sqfs");
    tree::FileTree t = FullTree(/*with_big=*/false);
    Add(t, "/bin/mixed", Inline(mixed));
    ASSERT_TRUE(Write(t, image, o).ok());
    auto s = RunChecked(Spec({unsquashfs_.string(), "-s", image.string()}));
    ASSERT_TRUE(s.ok());
    EXPECT_THAT(s->out, ::testing::HasSubstr(std::string("Compression ") + c.name));
    EXPECT_THAT(s->out, ::testing::HasSubstr("Block size 65536"));
    auto cat = RunChecked(Spec({unsquashfs_.string(), "-cat", image.string(), "bin/mixed"}));
    ASSERT_TRUE(cat.ok()) << cat.error().ToString();
    EXPECT_TRUE(cat->out == mixed) << "content differs";
  }
}

TEST_F(SquashfsTest, RejectsBadOptions) {
  SquashfsOptions o = DefaultOptions();
  o.compression = Compression::kLz4;
  o.level = 3;
  EXPECT_FALSE(Write(FullTree(), Path("a.sqfs"), o).ok());
  o = DefaultOptions();
  o.level = 23;
  EXPECT_FALSE(Write(FullTree(), Path("b.sqfs"), o).ok());
  o = DefaultOptions();
  o.block_size = 100000;
  EXPECT_FALSE(Write(FullTree(), Path("c.sqfs"), o).ok());
}

TEST_F(SquashfsTest, DeterministicAcrossRunsAndJobs) {
  tree::FileTree t = FullTree();
  SquashfsOptions one = DefaultOptions();
  SquashfsOptions two = DefaultOptions();
  two.jobs = 2;
  ASSERT_TRUE(Write(t, Path("a.sqfs"), one).ok());
  ASSERT_TRUE(Write(t, Path("b.sqfs"), one).ok());
  ASSERT_TRUE(Write(t, Path("c.sqfs"), two).ok());
  std::string a = ReadFile(Path("a.sqfs")).value();
  EXPECT_TRUE(a == ReadFile(Path("b.sqfs")).value()) << "two writes differ";
  EXPECT_TRUE(a == ReadFile(Path("c.sqfs")).value()) << "jobs=1 and jobs=2 differ";
}

TEST_F(SquashfsTest, ReportsIncreasingBytesEndingAtTheTotalWithoutChangingTheImage) {
  tree::FileTree t = FullTree();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> reports;
  SquashfsOptions opts = DefaultOptions();
  opts.jobs = 2;
  opts.on_progress = [&](std::uint64_t done, std::uint64_t total) { reports.emplace_back(done, total); };
  auto stats = Write(t, Path("progress.sqfs"), opts);
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  ASSERT_GE(reports.size(), 2u);
  EXPECT_EQ(reports.front().first, 0u);
  for (std::size_t i = 1; i < reports.size(); ++i) {
    EXPECT_GT(reports[i].first, reports[i - 1].first) << "report " << i;
    EXPECT_EQ(reports[i].second, reports.front().second) << "the total changed";
  }
  // Every file's bytes once (hard links share them), the last report says all of them.
  EXPECT_GT(stats->data_bytes, big_.size());
  EXPECT_EQ(reports.front().second, stats->data_bytes);
  EXPECT_EQ(reports.back().first, stats->data_bytes);

  opts.on_progress = nullptr;
  ASSERT_TRUE(Write(t, Path("quiet.sqfs"), opts).ok());
  EXPECT_TRUE(ReadFile(Path("progress.sqfs")).value() == ReadFile(Path("quiet.sqfs")).value())
      << "progress changed the image";
}

TEST_F(SquashfsTest, WritesAtAnOffsetInsideABiggerFile) {
  if (unsquashfs_.empty()) GTEST_SKIP() << "unsquashfs not installed";
  tree::FileTree t = FullTree();
  ASSERT_TRUE(Write(t, Path("plain.sqfs")).ok());
  std::string plain = ReadFile(Path("plain.sqfs")).value();
  constexpr std::uint64_t kOff = 1 << 20;
  std::string disk(kOff + plain.size() + 65536, 'D');
  ASSERT_TRUE(WriteFile(Path("disk.img"), disk).ok());
  auto stats = Write(t, Path("disk.img"), DefaultOptions(), kOff);
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  std::string after = ReadFile(Path("disk.img")).value();
  ASSERT_EQ(after.size(), disk.size());
  EXPECT_TRUE(after.substr(0, kOff) == disk.substr(0, kOff));
  EXPECT_TRUE(after.substr(kOff, plain.size()) == plain);
  EXPECT_TRUE(after.substr(kOff + plain.size()) == disk.substr(kOff + plain.size()));
  auto cat = RunChecked(Spec({unsquashfs_.string(), "-o", std::to_string(kOff), "-cat",
                              Path("disk.img").string(), "etc/hello"}));
  ASSERT_TRUE(cat.ok());
  EXPECT_EQ(cat->out, "hello world\n");
}

verity::VerityParams TestVerityParams() {
  verity::VerityParams p;
  p.salt.fill(0x5a);
  p.uuid = Uuid::Parse("0badc0de-0000-4000-8000-000000000001").value();
  return p;
}

TEST_F(SquashfsTest, VerityLeavesWhileWriting) {
  // Duplicate files make the block writer truncate and rewrite the tail.
  tree::FileTree t = FullTree();
  Add(t, "/dup/one", HostFile("big.bin", 0644));
  Add(t, "/dup/two", HostFile("big.bin", 0644));
  constexpr std::uint64_t kOff = 12288;
  ASSERT_TRUE(WriteFile(Path("disk.img"), std::string(kOff, 'D')).ok());
  verity::VerityHasher hasher(TestVerityParams());
  SquashfsOptions o = DefaultOptions();
  o.jobs = 2;
  auto stats = Write(t, Path("disk.img"), o, kOff, &hasher);
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_LT(stats->size, 2 * big_.size()) << "duplicate files were not deduplicated";
  auto streamed = hasher.Finish(stats->size / 4096);
  ASSERT_TRUE(streamed.ok()) << streamed.error().ToString();

  int fd = ::open(Path("disk.img").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  auto full = verity::ComputeVerity(fd, kOff, stats->size, TestVerityParams(), 2);
  ::close(fd);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(streamed->root_hash, full->root_hash);
  EXPECT_TRUE(streamed->hash_device == full->hash_device);

  fs::path veritysetup = FindProgram("veritysetup");
  if (veritysetup.empty()) return;
  ASSERT_TRUE(WriteFile(Path("root.sqfs"), ReadRange(Path("disk.img"), kOff, stats->size)).ok());
  ASSERT_TRUE(WriteFile(Path("root.verity"), streamed->hash_device).ok());
  auto v = RunProcess(Spec({veritysetup.string(), "verify", Path("root.sqfs").string(),
                            Path("root.verity").string(), ToHex(streamed->root_hash)}));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->exit_code, 0) << v->err;
}

}  // namespace
}  // namespace kiln::squashfs
