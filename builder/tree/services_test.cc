#include "builder/tree/services.h"

#include <gtest/gtest.h>

#include <map>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/tree/tree_test_support.h"
#include "builder/tree/unit_install.h"

namespace kiln::tree {
namespace {

using testing::AddDir;
using testing::AddFile;
using testing::AddSymlink;

const SourcePos kPos{"app.toml", 30, 11};

// A merged-/usr image (lib -> usr/lib) with units in /usr/lib and /etc.
FileTree UnitTree() {
  FileTree tree(1700000000);
  AddDir(tree, "usr/lib/systemd/system");
  AddDir(tree, "etc/systemd/system");
  AddSymlink(tree, "lib", "usr/lib");
  AddSymlink(tree, "bin", "usr/bin");
  const std::string u = "usr/lib/systemd/system/";
  AddFile(tree, u + "app.service",
          "[Unit]\nDescription=app\n[Service]\nExecStart=/bin/true\n\n"
          "[Install]\n# comment\nWantedBy=multi-user.target \\\n  network-online.target\n"
          "RequiredBy=app.target\nAlias=application.service\nAlso=worker@.service app.socket\n");
  AddFile(tree, u + "app.socket", "[Socket]\nListenStream=80\n[Install]\nWantedBy=sockets.target\n");
  AddFile(tree, u + "worker@.service",
          "[Service]\nExecStart=/bin/true %i\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=one\n");
  AddFile(tree, u + "getty@.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=getty.target\n");
  AddFile(tree, u + "static.service", "[Service]\nExecStart=/bin/true\n");
  AddFile(tree, u + "masked.service", "[Install]\nWantedBy=multi-user.target\n");
  AddFile(tree, u + "reset.service", "[Install]\nWantedBy=a.target\nWantedBy=\nWantedBy=b.target\n");
  AddSymlink(tree, u + "alias.service", "app.service");
  AddSymlink(tree, "etc/systemd/system/masked.service", "/dev/null");
  AddFile(tree, "etc/systemd/system/local.service",
          "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=default.target\n");
  return tree;
}

// Every symlink under etc/systemd/system, path -> target.
std::map<std::string, std::string> Links(const FileTree& tree) {
  std::map<std::string, std::string> out;
  for (const auto& [path, node] : tree.nodes())
    if (path.starts_with("etc/systemd/system/") && node.type == NodeType::kSymlink) out[path] = node.target;
  return out;
}

const std::vector<std::string> kEnable = {"app.service", "local.service", "getty@tty1.service",
                                          "reset.service"};

TEST(UnitInstall, ParsesInstallSection) {
  InstallSection s = ParseInstallSection(
      "[Unit]\nWantedBy=ignored.target\n[Install]\n ; c\nWantedBy = a.target \"b.target\"\n"
      "Alias=x.service\\\n# inside a continuation\n y.service\nDefaultInstance=tty1\nAlso=\n");
  EXPECT_EQ(s.wanted_by, (std::vector<std::string>{"a.target", "b.target"}));
  EXPECT_EQ(s.alias, (std::vector<std::string>{"x.service", "y.service"}));
  EXPECT_EQ(s.default_instance, "tty1");
  EXPECT_TRUE(s.also.empty());
  EXPECT_FALSE(HasInstallConfig(ParseInstallSection("[Service]\nExecStart=/x\n[Install]\n")));
}

TEST(UnitInstall, NamesAndSpecifiers) {
  auto u = ParseUnitName("getty@tty1.service");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->prefix, "getty");
  EXPECT_EQ(u->instance, "tty1");
  EXPECT_TRUE(u->is_instance());
  EXPECT_EQ(u->Template(), "getty@.service");
  EXPECT_TRUE(ParseUnitName("getty@.service")->is_template());
  EXPECT_FALSE(ParseUnitName("noext"));
  EXPECT_FALSE(ParseUnitName("a.bogus"));
  EXPECT_FALSE(ParseUnitName("a@b@c.service"));
  EXPECT_EQ(*ExpandInstallSpecifiers("%p-%i.target %n %N %j %%", "foo-bar@x.service"),
            "foo-bar-x.target foo-bar@x.service foo-bar@x bar %");
  EXPECT_FALSE(ExpandInstallSpecifiers("%H.target", "a.service").ok());
}

TEST(Services, EnablesLikeSystemctl) {
  FileTree tree = UnitTree();
  ASSERT_TRUE(EnableServices(tree, kEnable, kPos).ok());
  const std::string l = "/lib/systemd/system/";
  std::map<std::string, std::string> want = {
      {"etc/systemd/system/masked.service", "/dev/null"},
      {"etc/systemd/system/application.service", l + "app.service"},
      {"etc/systemd/system/multi-user.target.wants/app.service", l + "app.service"},
      {"etc/systemd/system/network-online.target.wants/app.service", l + "app.service"},
      {"etc/systemd/system/app.target.requires/app.service", l + "app.service"},
      {"etc/systemd/system/multi-user.target.wants/worker@one.service", l + "worker@.service"},
      {"etc/systemd/system/sockets.target.wants/app.socket", l + "app.socket"},
      {"etc/systemd/system/default.target.wants/local.service", "/etc/systemd/system/local.service"},
      {"etc/systemd/system/getty.target.wants/getty@tty1.service", l + "getty@.service"},
      {"etc/systemd/system/b.target.wants/reset.service", l + "reset.service"},
  };
  EXPECT_EQ(Links(tree), want);
  const FileNode* wants = tree.Find("etc/systemd/system/multi-user.target.wants");
  ASSERT_NE(wants, nullptr);
  EXPECT_EQ(wants->mode, 0755u);
  EXPECT_EQ(wants->mtime, 1700000000);
  // Enabling twice is a no-op.
  ASSERT_TRUE(EnableServices(tree, kEnable, kPos).ok());
  EXPECT_EQ(Links(tree), want);
}

TEST(Services, SplitUsrLinksToUsrLib) {
  FileTree tree(0);
  AddFile(tree, "usr/lib/systemd/system/a.service", "[Install]\nWantedBy=multi-user.target\n");
  AddFile(tree, "usr/local/lib/systemd/system/b.service", "[Install]\nWantedBy=multi-user.target\n");
  ASSERT_TRUE(EnableServices(tree, {"a.service", "b.service"}, kPos).ok());
  EXPECT_EQ(Links(tree), (std::map<std::string, std::string>{
                             {"etc/systemd/system/multi-user.target.wants/a.service", "/usr/lib/systemd/system/a.service"},
                             {"etc/systemd/system/multi-user.target.wants/b.service",
                              "/usr/local/lib/systemd/system/b.service"}}));
}

TEST(Services, Errors) {
  const std::string p = "app.toml:30:11: [services].enable: ";
  std::vector<std::pair<std::string, std::string>> cases = {
      {"nope.service", p + "unit 'nope.service' is not in the image (searched /etc/systemd/system, "
                           "/usr/local/lib/systemd/system, /lib/systemd/system, /usr/lib/systemd/system)"},
      {"static.service", p + "unit 'static.service' has no installation config (WantedBy=, RequiredBy=, "
                             "Also=, Alias= settings in the [Install] section, and DefaultInstance= for "
                             "template units): it is not meant to be enabled, systemctl refuses it too"},
      {"masked.service", p + "unit 'masked.service' is masked (/etc/systemd/system/masked.service -> /dev/null)"},
      {"alias.service", p + "unit 'alias.service': /usr/lib/systemd/system/alias.service is an alias or "
                            "linked unit file (-> app.service); enable the unit it names"},
      {"getty@.service", p + "unit 'getty@.service' is a template without DefaultInstance=; enable an "
                             "instance ('getty@NAME.service')"},
      {"bad", p + "invalid unit name 'bad'"},
  };
  for (const auto& [unit, message] : cases) {
    FileTree tree = UnitTree();
    Status s = EnableServices(tree, {unit}, kPos);
    ASSERT_FALSE(s.ok()) << unit;
    EXPECT_EQ(s.error().code, ErrorCode::kRecipe);
    EXPECT_EQ(s.error().message, message);
  }
  FileTree tree = UnitTree();
  AddSymlink(tree, "etc/systemd/system/multi-user.target.wants/app.service", "/elsewhere");
  Status s = EnableServices(tree, {"app.service"}, kPos);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("already exists and links to /elsewhere"), std::string::npos);
}

// The judge: systemctl --root on the same tree, written out, makes the same links.
TEST(Services, MatchesSystemctl) {
  if (FindProgram("systemctl").empty()) GTEST_SKIP() << "no systemctl";
  FileTree tree = UnitTree();
  auto dir = TempDir::Create({}, "kiln-services");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(testing::WriteTree(tree, dir->path()).ok());
  ProcessSpec spec;
  spec.argv = {"systemctl", "--root=" + dir->path().string(), "enable"};
  spec.argv.insert(spec.argv.end(), kEnable.begin(), kEnable.end());
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.ok());
  if (r->exit_code != 0) GTEST_SKIP() << "systemctl --root refused: " << r->err;

  std::map<std::string, std::string> theirs;
  const std::filesystem::path etc = dir->path() / "etc/systemd/system";
  for (const auto& e : std::filesystem::recursive_directory_iterator(etc))
    if (e.is_symlink())
      theirs["etc/systemd/system/" + e.path().lexically_relative(etc).string()] =
          std::filesystem::read_symlink(e.path()).string();
  ASSERT_TRUE(EnableServices(tree, kEnable, kPos).ok());
  EXPECT_EQ(Links(tree), theirs);
}

}  // namespace
}  // namespace kiln::tree
