#include "builder/tree/tarball_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/tree/entries.h"

namespace kiln::tree {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kClamp = 2000000000;

struct Member {
  std::string path;
  unsigned type = AE_IFREG;
  unsigned mode = 0644;
  std::int64_t uid = 0, gid = 0;
  std::string data{};  // regular files
  std::string link{};  // symlink text
  std::string hard{};  // hard link target
  unsigned major = 0, minor = 0;
  std::int64_t mtime = 1000;
  std::string xattr_name{}, xattr_value{};
};

enum class Filter { kNone, kGzip, kXz, kZstd };

struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

void WriteTar(const fs::path& path, Filter filter, const std::vector<Member>& members) {
  std::unique_ptr<archive, WriteDeleter> a(archive_write_new());
  ASSERT_EQ(archive_write_set_format_pax(a.get()), ARCHIVE_OK);
  int rc = ARCHIVE_OK;
  switch (filter) {
    case Filter::kNone: break;
    case Filter::kGzip: rc = archive_write_add_filter_gzip(a.get()); break;
    case Filter::kXz: rc = archive_write_add_filter_xz(a.get()); break;
    case Filter::kZstd: rc = archive_write_add_filter_zstd(a.get()); break;
  }
  ASSERT_EQ(rc, ARCHIVE_OK) << archive_error_string(a.get());
  ASSERT_EQ(archive_write_open_filename(a.get(), path.c_str()), ARCHIVE_OK);
  for (const Member& m : members) {
    std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), m.path.c_str());
    archive_entry_set_filetype(e.get(), m.type);
    archive_entry_set_perm(e.get(), m.mode);
    archive_entry_set_uid(e.get(), m.uid);
    archive_entry_set_gid(e.get(), m.gid);
    archive_entry_set_mtime(e.get(), m.mtime, 0);
    if (!m.hard.empty()) archive_entry_set_hardlink(e.get(), m.hard.c_str());
    if (!m.link.empty()) archive_entry_set_symlink(e.get(), m.link.c_str());
    if (m.type == AE_IFCHR || m.type == AE_IFBLK) {
      archive_entry_set_rdevmajor(e.get(), m.major);
      archive_entry_set_rdevminor(e.get(), m.minor);
    }
    if (!m.xattr_name.empty())
      archive_entry_xattr_add_entry(e.get(), m.xattr_name.c_str(), m.xattr_value.data(),
                                    m.xattr_value.size());
    archive_entry_set_size(e.get(), m.type == AE_IFREG && m.hard.empty()
                                        ? static_cast<la_int64_t>(m.data.size())
                                        : 0);
    ASSERT_EQ(archive_write_header(a.get(), e.get()), ARCHIVE_OK) << archive_error_string(a.get());
    if (!m.data.empty()) archive_write_data(a.get(), m.data.data(), m.data.size());
  }
  ASSERT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
}

std::vector<Member> RichMembers() {
  const std::string cap("\x01\x00\x00\x02\x00\x20\x00\x00", 8);
  return {
      {.path = "./", .type = AE_IFDIR, .mode = 0755},
      {.path = "./usr/", .type = AE_IFDIR, .mode = 0755},
      {.path = "./usr/bin/", .type = AE_IFDIR, .mode = 0755},
      {.path = "./bin", .type = AE_IFLNK, .mode = 0777, .link = "usr/bin"},
      {.path = "./bin/su", .mode = 04755, .data = "su binary"},
      {.path = "./bin/su-hard", .hard = "./bin/su"},
      {.path = "./usr/bin/ping", .mode = 0755, .data = "ping", .xattr_name = "security.capability",
       .xattr_value = cap},
      {.path = "./home/user/", .type = AE_IFDIR, .mode = 0700, .uid = 1000, .gid = 1000},
      {.path = "./home/user/notes", .mode = 0640, .uid = 1000, .gid = 1000, .data = "su binary",
       .mtime = 9999999999},
      {.path = "./tmp/", .type = AE_IFDIR, .mode = 01777},
      {.path = "./dev/null", .type = AE_IFCHR, .mode = 0666, .major = 1, .minor = 3},
      {.path = "./dev/sda", .type = AE_IFBLK, .mode = 0660, .gid = 6, .major = 8, .minor = 0},
      {.path = "./run/initctl", .type = AE_IFIFO, .mode = 0600},
      {.path = "./etc", .type = AE_IFLNK, .mode = 0777, .link = "/var/etc"},
      {.path = "./etc/passwd", .data = "root:x:0:0::/root:/bin/sh\n"},
  };
}

class TarballTest : public ::testing::TestWithParam<Filter> {
 protected:
  void SetUp() override {
    auto tmp = TempDir::Create();
    ASSERT_TRUE(tmp.ok());
    dir_ = std::move(tmp).value();
    auto store = ContentStore::Create(dir_.path() / "blobs");
    ASSERT_TRUE(store.ok());
    store_ = std::make_unique<ContentStore>(std::move(store).value());
  }
  TempDir dir_;
  std::unique_ptr<ContentStore> store_;
};

TEST_P(TarballTest, KeepsMetadataOfEveryKind) {
  fs::path tar = dir_.path() / "base.tar";
  WriteTar(tar, GetParam(), RichMembers());
  FileTree tree(kClamp);
  Status s = ImportTarball(tree, tar, *store_, "base");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_TRUE(tree.Validate().ok());

  const FileNode* su = tree.Find("usr/bin/su");  // landed through "bin -> usr/bin"
  ASSERT_NE(su, nullptr);
  EXPECT_EQ(su->type, NodeType::kFile);
  EXPECT_EQ(su->mode, 04755u);
  EXPECT_EQ(su->origin, "base");
  EXPECT_EQ(su->mtime, 1000);
  EXPECT_EQ(*ReadContent(su->content), "su binary");
  EXPECT_EQ(su->content.size, 9u);
  EXPECT_EQ(tree.Find("bin")->type, NodeType::kSymlink);
  EXPECT_EQ(tree.Find("bin")->target, "usr/bin");

  const FileNode* hard = tree.Find("usr/bin/su-hard");
  ASSERT_NE(hard, nullptr);
  EXPECT_EQ(hard->type, NodeType::kHardLink);
  EXPECT_EQ(hard->target, "usr/bin/su");

  const FileNode* ping = tree.Find("usr/bin/ping");
  ASSERT_NE(ping, nullptr);
  ASSERT_EQ(ping->xattrs.count("security.capability"), 1u);
  EXPECT_EQ(ping->xattrs.at("security.capability"), std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8));

  const FileNode* home = tree.Find("home/user");
  ASSERT_NE(home, nullptr);
  EXPECT_EQ(home->uid, 1000u);
  EXPECT_EQ(home->gid, 1000u);
  EXPECT_EQ(home->mode, 0700u);
  const FileNode* notes = tree.Find("home/user/notes");
  EXPECT_EQ(notes->uid, 1000u);
  EXPECT_EQ(notes->mode, 0640u);
  EXPECT_EQ(notes->mtime, kClamp);
  // Same bytes, same blob; blobs are owner-only whatever the umask.
  EXPECT_EQ(notes->content.host_path, su->content.host_path);
  struct stat st {};
  ASSERT_EQ(::stat(su->content.host_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  EXPECT_EQ(tree.Find("tmp")->mode, 01777u);
  EXPECT_EQ(tree.Find("dev/null")->type, NodeType::kCharDevice);
  EXPECT_EQ(tree.Find("dev/null")->rdev_major, 1u);
  EXPECT_EQ(tree.Find("dev/null")->rdev_minor, 3u);
  EXPECT_EQ(tree.Find("dev/sda")->type, NodeType::kBlockDevice);
  EXPECT_EQ(tree.Find("dev/sda")->rdev_major, 8u);
  EXPECT_EQ(tree.Find("dev/sda")->gid, 6u);
  EXPECT_EQ(tree.Find("run/initctl")->type, NodeType::kFifo);
  // "etc -> /var/etc": the file lands inside the image, never on the host.
  EXPECT_NE(tree.Find("var/etc/passwd"), nullptr);
  EXPECT_EQ(tree.Find("etc")->type, NodeType::kSymlink);
}

INSTANTIATE_TEST_SUITE_P(Filters, TarballTest,
                         ::testing::Values(Filter::kNone, Filter::kGzip, Filter::kXz, Filter::kZstd),
                         [](const ::testing::TestParamInfo<Filter>& p) {
                           switch (p.param) {
                             case Filter::kNone: return "plain";
                             case Filter::kGzip: return "gzip";
                             case Filter::kXz: return "xz";
                             case Filter::kZstd: return "zstd";
                           }
                           return "unknown";
                         });

TEST_F(TarballTest, RejectsEscapingMember) {
  fs::path tar = dir_.path() / "evil.tar.gz";
  WriteTar(tar, Filter::kGzip, {{.path = "ok", .data = "x"}, {.path = "../../etc/passwd", .data = "x"}});
  FileTree tree(kClamp);
  Status s = ImportTarball(tree, tar, *store_, "base");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInput);
  EXPECT_NE(s.error().message.find("../../etc/passwd"), std::string::npos);
  EXPECT_NE(s.error().message.find(tar.string()), std::string::npos);
}

TEST_F(TarballTest, RejectsEscapingHardLink) {
  fs::path tar = dir_.path() / "evil.tar";
  WriteTar(tar, Filter::kNone, {{.path = "x", .hard = "a/../../../etc/shadow"}});
  FileTree tree(kClamp);
  Status s = ImportTarball(tree, tar, *store_, "base");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInput);
  EXPECT_NE(s.error().message.find("member 'x'"), std::string::npos);
  EXPECT_NE(s.error().message.find("etc/shadow"), std::string::npos);
}

TEST_F(TarballTest, DirectoryMembersReplaceMetadataAndKeepDirectorySymlinks) {
  FileTree tree(kClamp);
  FileNode etc;
  etc.type = NodeType::kDirectory;
  etc.mode = 0700;
  tree.Insert("etc", etc).value();
  tree.Insert("usr/lib", etc).value();
  FileNode link;
  link.type = NodeType::kSymlink;
  link.target = "usr/lib";
  tree.Insert("lib", link).value();
  fs::path tar = dir_.path() / "layer.tar";
  WriteTar(tar, Filter::kNone, {{.path = "etc/", .type = AE_IFDIR, .mode = 0755, .uid = 3},
                                {.path = "lib/", .type = AE_IFDIR, .mode = 0755},
                                {.path = "lib/libc.so", .data = "elf"}});
  ASSERT_TRUE(ImportTarball(tree, tar, *store_, "layer").ok());
  EXPECT_EQ(tree.Find("etc")->mode, 0755u);
  EXPECT_EQ(tree.Find("etc")->uid, 3u);
  EXPECT_EQ(tree.Find("lib")->type, NodeType::kSymlink);
  EXPECT_EQ(tree.Find("usr/lib")->mode, 0755u);
  EXPECT_NE(tree.Find("usr/lib/libc.so"), nullptr);
}

TEST_F(TarballTest, GnuTarZstdArchiveWithOwnersAndSetuid) {
  fs::path tar_prog = FindProgram("tar");
  if (tar_prog.empty() || FindProgram("zstd").empty()) GTEST_SKIP() << "tar or zstd not installed";
  fs::path src = dir_.path() / "src";
  fs::create_directories(src / "sbin");
  ASSERT_TRUE(WriteFile(src / "sbin" / "mount", "mount", 0755).ok());
  fs::permissions(src / "sbin" / "mount", static_cast<fs::perms>(04755));
  fs::create_symlink("sbin", src / "bin");
  fs::path tar = dir_.path() / "gnu.tar.zst";
  ProcessSpec spec;
  spec.argv = {tar_prog.string(), "--zstd", "--format=gnu", "--numeric-owner", "--owner=1000",
               "--group=1000", "--mtime=@1234", "-C", src.string(), "-cf", tar.string(), "."};
  auto run = RunChecked(spec);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  FileTree tree(kClamp);
  Status s = ImportTarball(tree, tar, *store_, "base");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  const FileNode* mount = tree.Find("sbin/mount");
  ASSERT_NE(mount, nullptr);
  EXPECT_EQ(mount->mode, 04755u);
  EXPECT_EQ(mount->uid, 1000u);
  EXPECT_EQ(mount->gid, 1000u);
  EXPECT_EQ(mount->mtime, 1234);
  EXPECT_EQ(*ReadContent(mount->content), "mount");
  EXPECT_EQ(tree.Find("bin")->target, "sbin");
}

TEST_F(TarballTest, NotAnArchive) {
  fs::path bogus = dir_.path() / "bogus.tar";
  ASSERT_TRUE(WriteFile(bogus, std::string(5000, 'x')).ok());
  FileTree tree(kClamp);
  Status s = ImportTarball(tree, bogus, *store_, "base");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInput);
  EXPECT_NE(s.error().message.find(bogus.string()), std::string::npos);
  EXPECT_FALSE(ImportTarball(tree, dir_.path() / "missing.tar", *store_, "base").ok());
}


// Files read in place from an uncompressed archive have exactly the bytes libarchive's own
// reader gives, in every format GNU tar writes (long names, pax records, sparse files,
// sizes around the 512-byte block), and nothing is staged for them.
class InPlaceTarballTest : public TarballTest {};

TEST_P(InPlaceTarballTest, SameBytesAsStagedImport) {
  fs::path tar_prog = FindProgram("tar");
  if (tar_prog.empty()) GTEST_SKIP() << "tar not installed";
  const std::string format = GetParam() == Filter::kNone ? "gnu" : GetParam() == Filter::kGzip ? "pax" : "ustar";
  fs::path src = dir_.path() / "src";
  fs::create_directories(src / "d");
  std::vector<std::string> names;
  for (std::size_t size : {0u, 1u, 511u, 512u, 513u, 4096u, 70000u, 300001u}) {
    std::string data;
    for (std::size_t i = 0; i < size; ++i) data += static_cast<char>('a' + (i * 7 + size) % 26);
    std::string name = "d/f" + std::to_string(size);
    ASSERT_TRUE(WriteFile(src / name, data).ok());
    names.push_back(name);
  }
  if (format != "ustar") {  // ustar cannot hold a 150-character name
    std::string longname = "d/" + std::string(150, 'n');
    ASSERT_TRUE(WriteFile(src / longname, "long name\n").ok());
    names.push_back(longname);
  }
  {  // sparse: a hole between two data runs (GNU tar --sparse stores it in pieces)
    auto fd = ::open((src / "d/sparse").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "head", 4, 0), 4);
    ASSERT_EQ(::pwrite(fd, "tail", 4, 1 << 20), 4);
    ::close(fd);
    names.push_back("d/sparse");
  }
  fs::path tar = dir_.path() / "in-place.tar";
  ProcessSpec spec;
  spec.argv = {tar_prog.string(), "--format=" + format, "--sort=name", "-C", src.string(), "-cf", tar.string(), "."};
  if (format != "ustar") spec.argv.insert(spec.argv.begin() + 2, "--sparse");
  auto run = RunChecked(spec);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  ASSERT_TRUE(IsUncompressedTarball(tar));

  FileTree staged(kClamp), in_place(kClamp);
  ASSERT_TRUE(ImportTarball(staged, tar, *store_, "base").ok());
  auto empty_store = ContentStore::Create(dir_.path() / "in-place-blobs");
  ASSERT_TRUE(empty_store.ok());
  Status s = ImportTarballInPlace(in_place, tar, *empty_store, "base");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  std::size_t ranged = 0;
  for (const std::string& name : names) {
    SCOPED_TRACE(format + " " + name);
    const FileNode* a = staged.Find(name);
    const FileNode* b = in_place.Find(name);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->content.size, a->content.size);
    auto want = ReadContent(a->content);
    auto got = ReadContent(b->content);
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(*got, *want);
    if (b->content.host_path == fs::absolute(tar)) {
      EXPECT_EQ(b->content.offset % 512, 0u);
      ++ranged;
    }
  }
  EXPECT_GE(ranged, names.size() - 1);  // all but (possibly) the sparse file
  // Only the sparse member, if any, was staged.
  std::size_t blobs = 0;
  for (auto& e : fs::directory_iterator(dir_.path() / "in-place-blobs")) blobs += e.is_regular_file();
  EXPECT_LE(blobs, 1u);
}

// The parameter only picks the tar format here: kNone gnu, kGzip pax, kXz ustar.
INSTANTIATE_TEST_SUITE_P(Formats, InPlaceTarballTest, ::testing::Values(Filter::kNone, Filter::kGzip, Filter::kXz));

TEST_F(TarballTest, CompressedArchiveIsNotReadInPlace) {
  fs::path tar = dir_.path() / "base.tar.gz";
  WriteTar(tar, Filter::kGzip, RichMembers());
  EXPECT_FALSE(IsUncompressedTarball(tar));
  FileTree tree(kClamp);
  ASSERT_TRUE(ImportTarballInPlace(tree, tar, *store_, "base").ok());
  const FileNode* su = tree.Find("usr/bin/su");
  ASSERT_NE(su, nullptr);
  EXPECT_EQ(su->content.offset, 0u);
  EXPECT_EQ(*ReadContent(su->content), "su binary");
}

}  // namespace
}  // namespace kiln::tree
