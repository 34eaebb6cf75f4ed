#include "builder/tree/accounts.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/tree/account_db.h"
#include "builder/tree/tree_test_support.h"

namespace kiln::tree {
namespace {

using testing::AddDir;
using testing::AddFile;
using testing::Content;

constexpr std::int64_t kEpoch = 1700000000;  // day 19675

const char* kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "messagebus:x:100:101::/nonexistent:/usr/sbin/nologin\n";
const char* kGroup =
    "root:x:0:\ndaemon:x:1:\nshadow:x:42:\nusers:x:100:\nmessagebus:x:101:\nnogroup:x:65534:\n";
const char* kShadow =
    "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n_apt:*:19000:0:99999:7:::\n"
    "nobody:*:19000:0:99999:7:::\nmessagebus:!:19000::::::\n";
const char* kGshadow =
    "root:*::\ndaemon:*::\nshadow:*::\nusers:*::\nmessagebus:!::\nnogroup:*::\n";
const char* kLoginDefs =
    "# shadow-utils settings\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\nUMASK\t\t022\n";

FileTree DebianLikeTree() {
  FileTree tree(kEpoch);
  AddFile(tree, "etc/passwd", kPasswd);
  AddFile(tree, "etc/group", kGroup);
  AddFile(tree, "etc/shadow", kShadow, 0640, 42);
  AddFile(tree, "etc/gshadow", kGshadow, 0640, 42);
  AddFile(tree, "etc/login.defs", kLoginDefs);
  AddFile(tree, "etc/skel/.profile", "# ~/.profile\n");
  AddDir(tree, "usr/lib/tmpfiles.d");
  return tree;
}

SourcePos Pos(int line) { return {"app.toml", line, 1}; }

GroupSpec Group(std::string name, std::optional<std::uint32_t> gid, int line) {
  return {std::move(name), gid, Pos(line)};
}

UserSpec User(std::string name, std::optional<std::uint32_t> uid,
                      std::optional<std::uint32_t> gid, std::string home, std::string shell,
                      std::vector<std::string> groups, int line) {
  UserSpec u;
  u.name = std::move(name);
  u.uid = uid;
  u.gid = gid;
  u.home = std::move(home);
  u.shell = std::move(shell);
  u.groups = std::move(groups);
  u.pos = Pos(line);
  return u;
}

// The recipe every comparison uses: an allocated group, a fixed one, a system user with
// allocated ids whose home is on the data partition, a system user in a fixed group with a
// home in the root, and a regular user (uid >= 1000, password aging from login.defs).
std::vector<GroupSpec> Groups() { return {Group("ops", {}, 1), Group("web", 900, 4)}; }
std::vector<UserSpec> Users() {
  return {User("app", {}, {}, "/var/lib/app", "/usr/sbin/nologin", {"ops", "users"}, 8),
          User("web", 900, 900, "/home/web", "/usr/sbin/nologin", {}, 14),
          User("carol", 1001, {}, "/home/carol", "/bin/bash", {"ops"}, 20)};
}

TEST(Accounts, WritesRecordsLikeShadowUtils) {
  FileTree tree = DebianLikeTree();
  ASSERT_TRUE(ApplyAccounts(tree, Groups(), Users(), {kEpoch, "/var"}).ok());
  EXPECT_EQ(Content(tree, "etc/passwd"), std::string(kPasswd) +
                                              "app:x:101:103::/var/lib/app:/usr/sbin/nologin\n"
                                              "web:x:900:900::/home/web:/usr/sbin/nologin\n"
                                              "carol:x:1001:1001::/home/carol:/bin/bash\n");
  EXPECT_EQ(Content(tree, "etc/group"),
            "root:x:0:\ndaemon:x:1:\nshadow:x:42:\nusers:x:100:app\nmessagebus:x:101:\nnogroup:x:65534:\n"
            "ops:x:102:app,carol\nweb:x:900:\napp:x:103:\ncarol:x:1001:\n");
  EXPECT_EQ(Content(tree, "etc/shadow"), std::string(kShadow) +
                                              "app:!:19675::::::\nweb:!:19675::::::\n"
                                              "carol:!:19675:0:99999:7:::\n");
  EXPECT_EQ(Content(tree, "etc/gshadow"),
            "root:*::\ndaemon:*::\nshadow:*::\nusers:*::app\nmessagebus:!::\nnogroup:*::\n"
            "ops:!::app,carol\nweb:!::\napp:!::\ncarol:!::\n");
  // Existing files keep their metadata.
  EXPECT_EQ(tree.Find("etc/shadow")->mode, 0640u);
  EXPECT_EQ(tree.Find("etc/shadow")->gid, 42u);
  // Homes: in the root with /etc/skel, on the data partition through tmpfiles.d.
  const FileNode* web = tree.Find("home/web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->type, NodeType::kDirectory);
  EXPECT_EQ(web->mode, 0755u);
  EXPECT_EQ(web->uid, 900u);
  EXPECT_EQ(web->gid, 900u);
  ASSERT_NE(tree.Find("home/carol/.profile"), nullptr);
  EXPECT_EQ(tree.Find("home/carol/.profile")->uid, 1001u);
  EXPECT_EQ(tree.Find("var/lib/app"), nullptr);
  EXPECT_EQ(Content(tree, "usr/lib/tmpfiles.d/kiln-accounts.conf"),
            "# Homes of the recipe's [[user]] entries on the data partition (written by kiln).\n"
            "d /var/lib/app 0755 app app -\n");
}

TEST(Accounts, NothingToDoLeavesTheTreeAlone) {
  FileTree tree(kEpoch);
  ASSERT_TRUE(ApplyAccounts(tree, {}, {}, {kEpoch, ""}).ok());
  EXPECT_EQ(tree.size(), 1u);
}

TEST(Accounts, ScratchImageGetsNewDatabases) {
  FileTree tree(kEpoch);
  ASSERT_TRUE(ApplyAccounts(tree, {}, {User("svc", {}, {}, "/nonexistent", "/sbin/nologin", {}, 3)},
                            {kEpoch, ""}).ok());
  EXPECT_EQ(Content(tree, "etc/passwd"), "svc:x:100:100::/nonexistent:/sbin/nologin\n");
  EXPECT_EQ(Content(tree, "etc/group"), "svc:x:100:\n");
  EXPECT_EQ(Content(tree, "etc/shadow"), "svc:!:19675::::::\n");
  EXPECT_EQ(tree.Find("etc/shadow")->mode, 0600u);  // no shadow group
  EXPECT_EQ(tree.Find("etc/passwd")->mode, 0644u);
  EXPECT_EQ(tree.Find("etc/gshadow"), nullptr);
  EXPECT_EQ(tree.Find("nonexistent"), nullptr);
}

TEST(Accounts, AllocationSkipsIdsTheRecipeNames) {
  FileTree tree(kEpoch);
  // "a" must not take 100 or 101, which later entries ask for.
  ASSERT_TRUE(ApplyAccounts(tree, {Group("g", {}, 1), Group("h", 100, 2)},
                            {User("a", {}, {}, "/nonexistent", "/bin/sh", {}, 3),
                             User("b", 101, {}, "/nonexistent", "/bin/sh", {}, 4)},
                            {kEpoch, ""}).ok());
  EXPECT_EQ(Content(tree, "etc/group"), "g:x:101:\nh:x:100:\na:x:102:\nb:x:103:\n");
  EXPECT_EQ(Content(tree, "etc/passwd"),
            "a:x:100:102::/nonexistent:/bin/sh\nb:x:101:103::/nonexistent:/bin/sh\n");
}

TEST(Accounts, ExistingGroupWithTheSameGidIsKept) {
  FileTree tree = DebianLikeTree();
  ASSERT_TRUE(ApplyAccounts(tree, {Group("users", 100, 1), Group("shadow", {}, 2)}, {}, {kEpoch, ""}).ok());
  EXPECT_EQ(Content(tree, "etc/group"), kGroup);
}

TEST(Accounts, Conflicts) {
  struct Case {
    std::vector<GroupSpec> groups;
    std::vector<UserSpec> users;
    std::string message;
  };
  std::vector<Case> cases = {
      {{Group("users", 200, 7)}, {},
       "app.toml:7:1: [[group]] 'users': the image already has this group with gid 100, not 200"},
      {{Group("x", 42, 7)}, {}, "app.toml:7:1: [[group]] 'x': gid 42 is already used by group 'shadow'"},
      {{}, {User("daemon", {}, {}, "/x", "/bin/sh", {}, 9)},
       "app.toml:9:1: [[user]] 'daemon': the image already has this user in /etc/passwd"},
      {{}, {User("x", 42, {}, "/x", "/bin/sh", {}, 9)},
       "app.toml:9:1: [[user]] 'x': uid 42 is already used by user '_apt'"},
      {{}, {User("x", {}, {}, "/x", "/bin/sh", {"wheel"}, 9)},
       "app.toml:9:1: [[user]] 'x': unknown group 'wheel' (neither in the image's /etc/group nor a [[group]])"},
      {{}, {User("users", {}, 555, "/x", "/bin/sh", {}, 9)},
       "app.toml:9:1: [[user]] 'users': no group has gid 555 and group 'users' already has gid 100"},
  };
  for (const Case& c : cases) {
    FileTree tree = DebianLikeTree();
    Status s = ApplyAccounts(tree, c.groups, c.users, {kEpoch, ""});
    ASSERT_FALSE(s.ok()) << c.message;
    EXPECT_EQ(s.error().code, ErrorCode::kRecipe);
    EXPECT_EQ(s.error().message, c.message);
  }
}

TEST(Accounts, ExistingHomeIsLeftAlone) {
  FileTree tree = DebianLikeTree();
  AddDir(tree, "srv/app");
  ASSERT_TRUE(ApplyAccounts(tree, {}, {User("app", 300, {}, "/srv/app", "/bin/sh", {}, 1)}, {kEpoch, ""}).ok());
  EXPECT_EQ(tree.Find("srv/app")->uid, 0u);
  EXPECT_EQ(tree.Find("srv/app/.profile"), nullptr);
}

TEST(Accounts, Deterministic) {
  FileTree a = DebianLikeTree(), b = DebianLikeTree();
  ASSERT_TRUE(ApplyAccounts(a, Groups(), Users(), {kEpoch, "/var"}).ok());
  ASSERT_TRUE(ApplyAccounts(b, Groups(), Users(), {kEpoch, "/var"}).ok());
  EXPECT_EQ(a.nodes(), b.nodes());
}

// The judge: groupadd/useradd --root (shadow-utils, with SOURCE_DATE_EPOCH) on the same base,
// told the ids kiln chose, write the same four files and the same homes.
TEST(Accounts, MatchesUseraddAndGroupadd) {
  if (FindProgram("useradd").empty() || FindProgram("groupadd").empty()) GTEST_SKIP() << "no shadow-utils";
  if (::geteuid() != 0) GTEST_SKIP() << "useradd --root needs root (chroot)";
  FileTree base = DebianLikeTree();
  auto dir = TempDir::Create({}, "kiln-accounts");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(testing::WriteTree(base, dir->path()).ok());
  const std::string root = dir->path().string();
  const std::vector<std::vector<std::string>> commands = {
      {"groupadd", "--root", root, "-g", "102", "ops"},
      {"groupadd", "--root", root, "-g", "900", "web"},
      {"groupadd", "--root", root, "-g", "103", "app"},
      {"useradd", "--root", root, "-r", "-u", "101", "-g", "app", "-G", "ops,users", "-M", "-d",
       "/var/lib/app", "-s", "/usr/sbin/nologin", "app"},
      {"useradd", "--root", root, "-r", "-u", "900", "-g", "900", "-m", "-d", "/home/web", "-s",
       "/usr/sbin/nologin", "web"},
      {"groupadd", "--root", root, "-g", "1001", "carol"},
      {"useradd", "--root", root, "-u", "1001", "-g", "1001", "-G", "ops", "-m", "-d", "/home/carol",
       "-s", "/bin/bash", "carol"},
  };
  for (const auto& argv : commands) {
    ProcessSpec spec;
    spec.argv = argv;
    spec.env["SOURCE_DATE_EPOCH"] = std::to_string(kEpoch);
    auto r = RunProcess(spec);
    ASSERT_TRUE(r.ok());
    if (r->exit_code != 0) GTEST_SKIP() << argv[0] << " refused: " << r->err;
  }
  FileTree ours = DebianLikeTree();
  ASSERT_TRUE(ApplyAccounts(ours, Groups(), Users(), {kEpoch, "/var"}).ok());
  for (const char* f : {"etc/passwd", "etc/group", "etc/shadow", "etc/gshadow"}) {
    auto theirs = ReadFile(dir->path() / f);
    ASSERT_TRUE(theirs.ok());
    EXPECT_EQ(Content(ours, f), *theirs) << f;
  }
  for (const char* home : {"home/web", "home/carol", "home/carol/.profile"}) {
    struct stat st {};
    ASSERT_EQ(::lstat((dir->path() / home).c_str(), &st), 0) << home;
    const FileNode* n = ours.Find(home);
    ASSERT_NE(n, nullptr) << home;
    EXPECT_EQ(n->mode, st.st_mode & 07777) << home;
    EXPECT_EQ(n->uid, st.st_uid) << home;
    EXPECT_EQ(n->gid, st.st_gid) << home;
  }
}

}  // namespace
}  // namespace kiln::tree
