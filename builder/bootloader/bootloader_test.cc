#include <gtest/gtest.h>

#include <filesystem>

#include "builder/bootloader/boot_files.h"
#include "builder/bootloader/esp_contents.h"
#include "builder/bootloader/system_config.h"
#include "builder/bootloader/uki.h"
#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/tree/entries.h"

namespace kiln::bootloader {
namespace {

namespace fs = std::filesystem;

tree::FileNode Inline(std::string data, std::uint32_t mode = 0644) {
  tree::FileNode n;
  n.mode = mode;
  n.content.size = data.size();
  n.content.inline_data = std::move(data);
  n.content.is_inline = true;
  return n;
}

tree::FileNode Link(std::string target) {
  tree::FileNode n;
  n.type = tree::NodeType::kSymlink;
  n.mode = 0777;
  n.target = std::move(target);
  return n;
}

TEST(KernelVersion, ComparesDigitRunsNumerically) {
  EXPECT_TRUE(KernelVersionLess("6.1.0-9-amd64", "6.1.0-10-amd64"));
  EXPECT_FALSE(KernelVersionLess("6.1.0-10-amd64", "6.1.0-9-amd64"));
  EXPECT_TRUE(KernelVersionLess("5.10.0-30-amd64", "6.1.0-1-amd64"));
  EXPECT_FALSE(KernelVersionLess("6.1.0-1-amd64", "6.1.0-1-amd64"));
}

TEST(BootFiles, PicksTheNewestKernelThroughMergedUsr) {
  tree::FileTree t;
  ASSERT_TRUE(t.Insert("lib", Link("usr/lib")).ok());
  ASSERT_TRUE(t.Insert("boot/vmlinuz-6.1.0-9-amd64", Inline("k9")).ok());
  ASSERT_TRUE(t.Insert("boot/initrd.img-6.1.0-9-amd64", Inline("i9")).ok());
  ASSERT_TRUE(t.Insert("boot/vmlinuz-6.1.0-10-amd64", Inline("k10")).ok());
  ASSERT_TRUE(t.Insert("boot/initrd.img-6.1.0-10-amd64", Inline("i10")).ok());
  ASSERT_TRUE(t.Insert("lib/systemd/boot/efi/linuxx64.efi.stub", Inline("stub")).ok());
  ASSERT_TRUE(t.Insert("lib/systemd/boot/efi/systemd-bootx64.efi", Inline("sd-boot")).ok());
  ASSERT_TRUE(t.Insert("usr/lib/os-release", Inline("ID=debian\n")).ok());
  ASSERT_TRUE(t.Insert("etc/os-release", Link("../usr/lib/os-release")).ok());
  auto files = FindBootFiles(t, Architecture::kX86_64);
  ASSERT_TRUE(files.ok()) << files.error().message;
  EXPECT_EQ(files->kernel_version, "6.1.0-10-amd64");
  EXPECT_EQ(files->kernel, "boot/vmlinuz-6.1.0-10-amd64");
  EXPECT_EQ(files->initrd, "boot/initrd.img-6.1.0-10-amd64");
  EXPECT_EQ(files->stub, "usr/lib/systemd/boot/efi/linuxx64.efi.stub");
  EXPECT_EQ(files->os_release, "usr/lib/os-release");
}

TEST(BootFiles, MissingPiecesNameThePackage) {
  tree::FileTree t;
  auto none = FindBootFiles(t, Architecture::kX86_64);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("linux-image-amd64"), std::string::npos);
  EXPECT_EQ(none.error().code, ErrorCode::kRecipe);
  ASSERT_TRUE(t.Insert("boot/vmlinuz-6.1.0-9-amd64", Inline("k")).ok());
  auto no_initrd = FindBootFiles(t, Architecture::kX86_64);
  ASSERT_FALSE(no_initrd.ok());
  EXPECT_NE(no_initrd.error().message.find("dracut"), std::string::npos);
  ASSERT_TRUE(t.Insert("boot/initrd.img-6.1.0-9-amd64", Inline("i")).ok());
  auto no_stub = FindBootFiles(t, Architecture::kX86_64);
  ASSERT_FALSE(no_stub.ok());
  EXPECT_NE(no_stub.error().message.find("systemd-boot-efi"), std::string::npos);
}

TEST(SystemConfig, EscapesLikeSystemdEscape) {
  EXPECT_EQ(EscapeUnitPath("/var"), "var");
  EXPECT_EQ(EscapeUnitPath("/"), "-");
  EXPECT_EQ(EscapeUnitPath("/srv/app data/"), "srv-app\\x20data");
  EXPECT_EQ(EscapeUnitPath("/var/lib/my-app"), "var-lib-my\\x2dapp");
  fs::path tool = FindProgram("systemd-escape");
  if (tool.empty()) GTEST_SKIP() << "systemd-escape not installed";
  for (std::string p : {"/var/lib/my-app", "/srv/a b/c.d", "/opt/x_y:z"}) {
    ProcessSpec spec;
    spec.argv = {tool.string(), "--path", p};
    auto r = RunChecked(spec);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(EscapeUnitPath(p) + "\n", r->out) << p;
  }
}

TEST(SystemConfig, CommandLineNamesTheVerityPair) {
  VerityRoot root{"ab" + std::string(62, '0'), *Uuid::Parse("11111111-2222-4333-8444-555555555555"),
                  *Uuid::Parse("66666666-7777-4888-9999-aaaaaaaaaaaa")};
  std::string line = KernelCmdline(root, {"console=ttyS0", "quiet"});
  EXPECT_NE(line.find("roothash=ab00"), std::string::npos);
  EXPECT_NE(line.find("root=/dev/mapper/root ro "), std::string::npos);
  EXPECT_NE(line.find("systemd.verity_root_data=/dev/disk/by-partuuid/11111111-2222-4333-8444-555555555555"),
            std::string::npos);
  EXPECT_NE(line.find("systemd.verity_root_hash=/dev/disk/by-partuuid/66666666-7777-4888-9999-aaaaaaaaaaaa"),
            std::string::npos);
  EXPECT_EQ(line.substr(line.size() - 20), " console=ttyS0 quiet");
}

TEST(SystemConfig, MountsTheDataPartitionByPartuuidAndGrowsIt) {
  tree::FileTree t(1700000000);
  ASSERT_TRUE(t.Insert("etc/fstab", Inline("# UNCONFIGURED FSTAB FOR BASE SYSTEM\n")).ok());
  BootSystemConfig config;
  config.data = DataMount{};
  config.data->mountpoint = "/srv/app-data";
  config.data->partuuid = *Uuid::Parse("0fc63daf-8483-4772-8e79-3d69d8477de4");
  ASSERT_TRUE(ApplyBootSystemConfig(t, config).ok());
  auto fstab = tree::ReadContent(t.Find("etc/fstab")->content);
  ASSERT_TRUE(fstab.ok());
  EXPECT_NE(fstab->find("PARTUUID=0fc63daf-8483-4772-8e79-3d69d8477de4 /srv/app-data ext4 defaults,x-systemd.growfs 0 2\n"),
            std::string::npos);
  EXPECT_NE(fstab->find("tmpfs /tmp tmpfs"), std::string::npos);
  EXPECT_EQ(fstab->find("UNCONFIGURED"), std::string::npos);
  const tree::FileNode* wants = t.Find("usr/lib/systemd/system/srv-app\\x2ddata.mount.wants/kiln-grow-data.service");
  ASSERT_NE(wants, nullptr);
  EXPECT_EQ(wants->type, tree::NodeType::kSymlink);
  auto unit = tree::ReadContent(t.Find("usr/lib/systemd/system/kiln-grow-data.service")->content);
  ASSERT_TRUE(unit.ok());
  EXPECT_NE(unit->find("Before=srv-app\\x2ddata.mount"), std::string::npos);
  EXPECT_EQ(t.Find("usr/lib/kiln/grow-data")->mode, 0755u);
  const tree::FileNode* mid = t.Find("etc/machine-id");
  ASSERT_NE(mid, nullptr);
  EXPECT_EQ(mid->content.size, 0u);
  EXPECT_EQ(mid->mtime, 1700000000);
}

class UkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stub_ = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
    if (!fs::exists(stub_) || FindProgram("objcopy").empty() || FindProgram("objdump").empty())
      GTEST_SKIP() << "systemd-boot-efi or binutils not installed";
    auto d = TempDir::Create(fs::temp_directory_path(), "uki-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::move(*d);
    ASSERT_TRUE(WriteFile(dir_.path() / "vmlinuz", std::string(300000, 'K')).ok());
    ASSERT_TRUE(WriteFile(dir_.path() / "initrd", std::string(123457, 'I')).ok());
  }
  UkiInputs Inputs() {
    return {stub_, dir_.path() / "vmlinuz", dir_.path() / "initrd", "ID=debian\n", "root=/dev/mapper/root ro",
            "6.1.0-9-amd64"};
  }
  fs::path stub_;
  TempDir dir_;
};

TEST_F(UkiTest, SectionsFollowTheStubAndObjdumpReadsThem) {
  fs::path out = dir_.path() / "a.efi";
  ASSERT_TRUE(BuildUki(Inputs(), dir_.path() / "w", out).ok());
  ProcessSpec spec;
  spec.argv = {"objdump", "-h", out.string()};
  auto r = RunChecked(spec);
  ASSERT_TRUE(r.ok());
  for (const char* s : {".osrel", ".cmdline", ".uname", ".initrd", ".linux"})
    EXPECT_NE(r->out.find(s), std::string::npos) << s;
  // The command line section holds exactly the text.
  ProcessSpec dump;
  dump.argv = {"objcopy", "-O", "binary", "--only-section=.cmdline", out.string(), (dir_.path() / "cmd").string()};
  ASSERT_TRUE(RunChecked(dump).ok());
  EXPECT_EQ(*ReadFile(dir_.path() / "cmd"), "root=/dev/mapper/root ro");
  auto info = ReadPeImageInfo(stub_);
  ASSERT_TRUE(info.ok());
  auto placed = PlaceSections(*info, {{".a", "", 10, 0}, {".b", "", 5000, 0}, {".c", "", 1, 0}});
  EXPECT_GE(placed[0].vma, info->image_base + info->size_of_image);
  EXPECT_EQ(placed[1].vma, placed[0].vma + 4096);
  EXPECT_EQ(placed[2].vma, placed[1].vma + 8192);
}

TEST_F(UkiTest, IsDeterministic) {
  ASSERT_TRUE(BuildUki(Inputs(), dir_.path() / "w1", dir_.path() / "a.efi").ok());
  ASSERT_TRUE(BuildUki(Inputs(), dir_.path() / "w2", dir_.path() / "b.efi").ok());
  EXPECT_EQ(*ReadFile(dir_.path() / "a.efi"), *ReadFile(dir_.path() / "b.efi"));
  // Builds in different seconds must agree too: the PE header's time stamp is the stub's.
  auto stamp = [](const fs::path& p) {
    ProcessSpec spec;
    spec.argv = {"objdump", "-p", p.string()};
    auto r = RunChecked(spec);
    auto at = r->out.find("Time/Date");
    return r->out.substr(at, r->out.find('\n', at) - at);
  };
  EXPECT_EQ(stamp(dir_.path() / "a.efi"), stamp(stub_));
}

TEST_F(UkiTest, RejectsANonPeStub) {
  ASSERT_TRUE(WriteFile(dir_.path() / "bogus", std::string(5000, 'x')).ok());
  UkiInputs in = Inputs();
  in.stub = dir_.path() / "bogus";
  auto st = BuildUki(in, dir_.path() / "w", dir_.path() / "c.efi");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("not a PE32+"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_.path() / "c.efi"));
}

TEST_F(UkiTest, SecureBootSignatureVerifiesWithSbverify) {
  if (FindProgram("sbsign").empty() || FindProgram("sbverify").empty() || FindProgram("openssl").empty() ||
      FindProgram("faketime").empty())
    GTEST_SKIP() << "sbsigntool or openssl not installed";
  ProcessSpec gen;
  gen.argv = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kiln test db",
              "-days", "3650", "-keyout", (dir_.path() / "db.key").string(), "-out", (dir_.path() / "db.crt").string()};
  ASSERT_TRUE(RunChecked(gen).ok());
  ASSERT_TRUE(BuildUki(Inputs(), dir_.path() / "w", dir_.path() / "u.efi").ok());
  SecureBootKey key{dir_.path() / "db.key", dir_.path() / "db.crt"};
  ASSERT_TRUE(SignEfiProgram(dir_.path() / "u.efi", key, dir_.path() / "u.signed.efi", 1700000000).ok());
  ASSERT_TRUE(SignEfiProgram(dir_.path() / "u.efi", key, dir_.path() / "u.signed2.efi", 1700000000).ok());
  EXPECT_EQ(*ReadFile(dir_.path() / "u.signed.efi"), *ReadFile(dir_.path() / "u.signed2.efi"))
      << "signing must be reproducible";
  // The signature's signingTime is SOURCE_DATE_EPOCH exactly (a frozen clock, not one that
  // merely starts there and may tick past a second while sbsign runs).
  ProcessSpec detach;
  detach.argv = {"sbattach", "--detach", (dir_.path() / "sig.der").string(), (dir_.path() / "u.signed.efi").string()};
  ASSERT_TRUE(RunChecked(detach).ok());
  ProcessSpec print;
  print.argv = {"openssl", "asn1parse", "-inform", "DER", "-in", (dir_.path() / "sig.der").string()};
  auto printed = RunChecked(print);
  ASSERT_TRUE(printed.ok());
  EXPECT_NE(printed->out.find(":231114221320Z"), std::string::npos) << printed->out;  // 1700000000 in UTC
  ProcessSpec verify;
  verify.argv = {"sbverify", "--cert", (dir_.path() / "db.crt").string(), (dir_.path() / "u.signed.efi").string()};
  EXPECT_TRUE(RunChecked(verify).ok());
  verify.argv[3] = (dir_.path() / "u.efi").string();
  EXPECT_FALSE(RunChecked(verify).ok());
}

}  // namespace
}  // namespace kiln::bootloader
