#include "builder/vm/qemu_command.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "builder/vm/ovmf_firmware.h"
#include "builder/common/files.h"
#include "builder/common/subprocess.h"

namespace kiln::vm {
namespace {

namespace fs = std::filesystem;

bool HasPair(const std::vector<std::string>& argv, const std::string& flag, const std::string& value) {
  for (std::size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag && argv[i + 1] == value) return true;
  return false;
}

QemuCommand Sample() {
  QemuCommand c;
  c.profile = ProfileFor("x86_64").value();
  c.firmware_code = "/fw/CODE.fd";
  c.firmware_vars = "/tmp/x/VARS.fd";
  c.disk = "/images/a,b.raw";
  c.qmp_socket = "/tmp/x/qmp.sock";
  return c;
}

TEST(QemuCommand, X86Argv) {
  QemuCommand c = Sample();
  auto a = BuildQemuArgv(c);
  EXPECT_EQ(a[0], "qemu-system-x86_64");
  EXPECT_TRUE(HasPair(a, "-machine", "q35"));
  EXPECT_TRUE(HasPair(a, "-accel", "tcg"));
  EXPECT_TRUE(HasPair(a, "-cpu", "max"));
  EXPECT_TRUE(HasPair(a, "-m", "1024"));
  EXPECT_TRUE(HasPair(a, "-smp", "2"));
  EXPECT_TRUE(HasPair(a, "-display", "none"));
  EXPECT_TRUE(HasPair(a, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd"));
  EXPECT_TRUE(HasPair(a, "-drive", "if=pflash,format=raw,unit=1,file=/tmp/x/VARS.fd"));
  // Commas in file names are doubled for QEMU's option parser.
  EXPECT_TRUE(HasPair(a, "-drive", "if=none,id=disk0,discard=unmap,format=raw,file=/images/a,,b.raw"));
  EXPECT_TRUE(HasPair(a, "-device", "virtio-blk-pci,drive=disk0,bootindex=1"));
  EXPECT_TRUE(HasPair(a, "-serial", "chardev:console"));
  EXPECT_TRUE(HasPair(a, "-qmp", "unix:/tmp/x/qmp.sock,server=on,wait=off"));
  EXPECT_EQ(std::count(a.begin(), a.end(), "-no-reboot"), 0);
  EXPECT_EQ(std::count(a.begin(), a.end(), "-nographic"), 0);

  c.accel = Accel::kKvm;
  c.snapshot = true;
  c.no_reboot = true;
  c.disk_format = "qcow2";
  c.memory_mib = 2048;
  c.extra_args = {"-device", "e1000"};
  a = BuildQemuArgv(c);
  EXPECT_TRUE(HasPair(a, "-accel", "kvm"));
  EXPECT_TRUE(HasPair(a, "-cpu", "host"));
  EXPECT_TRUE(HasPair(a, "-m", "2048"));
  EXPECT_TRUE(HasPair(a, "-drive", "if=none,id=disk0,discard=unmap,format=qcow2,file=/images/a,,b.raw,snapshot=on"));
  EXPECT_EQ(std::count(a.begin(), a.end(), "-no-reboot"), 1);
  EXPECT_EQ(a[a.size() - 2], "-device");
  EXPECT_EQ(a.back(), "e1000");

  c.disk.clear();  // the KVM probe: firmware only
  a = BuildQemuArgv(c);
  EXPECT_FALSE(HasPair(a, "-device", "virtio-blk-pci,drive=disk0,bootindex=1"));
}

TEST(QemuCommand, Profiles) {
  EXPECT_EQ(ProfileFor("aarch64")->qemu_binary, "qemu-system-aarch64");
  EXPECT_EQ(ProfileFor("aarch64")->machine, "virt");
  auto bad = ProfileFor("riscv64");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("riscv64"), std::string::npos);
  EXPECT_FALSE(HostArch().empty());
}

TEST(QemuCommand, QuoteArgv) {
  EXPECT_EQ(QuoteArgv({"qemu", "-m", "1024", "a b", "it's"}), "qemu -m 1024 'a b' 'it'\\''s'");
}

TEST(DiskFormat, DetectsByContent) {
  auto dir = TempDir::Create().value();
  fs::path raw = dir.path() / "disk.img";
  ASSERT_TRUE(WriteFile(raw, std::string(1 << 20, '\0')).ok());
  EXPECT_EQ(DetectDiskFormat(raw).value(), "raw");
  fs::path fake = dir.path() / "disk.qcow2";
  ASSERT_TRUE(WriteFile(fake, std::string(1 << 20, '\0')).ok());
  auto r = DetectDiskFormat(fake);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a qcow2"), std::string::npos);
  fs::path tiny = dir.path() / "tiny.raw";
  ASSERT_TRUE(WriteFile(tiny, "x").ok());
  EXPECT_FALSE(DetectDiskFormat(tiny).ok());
  EXPECT_FALSE(DetectDiskFormat(dir.path() / "missing.raw").ok());
  if (FindProgram("qemu-img").empty()) GTEST_SKIP() << "qemu-img not installed";
  fs::path q = dir.path() / "real.img";  // named without .qcow2: detected by its magic
  ProcessSpec spec;
  spec.argv = {"qemu-img", "create", "-f", "qcow2", q.string(), "64M"};
  ASSERT_TRUE(RunChecked(spec).ok());
  EXPECT_EQ(DetectDiskFormat(q).value(), "qcow2");
}

TEST(Firmware, OverridesAndVarsCopy) {
  auto dir = TempDir::Create().value();
  auto missing = FindFirmware("x86_64", dir.path() / "CODE.fd", dir.path() / "VARS.fd");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("CODE.fd"), std::string::npos);
  EXPECT_FALSE(FindFirmware("x86_64", dir.path() / "CODE.fd").ok());  // vars missing
  ASSERT_TRUE(WriteFile(dir.path() / "CODE.fd", "code").ok());
  ASSERT_TRUE(WriteFile(dir.path() / "VARS.fd", "vars", 0444).ok());
  auto fw = FindFirmware("x86_64", dir.path() / "CODE.fd", dir.path() / "VARS.fd");
  ASSERT_TRUE(fw.ok());
  fs::create_directory(dir.path() / "run");
  auto copy = CopyFirmwareVars(*fw, dir.path() / "run");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(ReadFile(*copy).value(), "vars");
  EXPECT_EQ(fs::status(*copy).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  auto none = FindFirmware("sparc");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kInput);
}

}  // namespace
}  // namespace kiln::vm
