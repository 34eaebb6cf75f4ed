// The one real QEMU test among the unit tests: OVMF under TCG with an empty disk must be seen
// falling back to its UEFI shell (nothing to boot) within seconds, proving the wiring of
// process, console pipe, QMP socket, classifier and cleanup. A few seconds on 2 cores.
#include "builder/vm/qemu_runner.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "builder/vm/ovmf_firmware.h"
#include "builder/vm/qemu_accel.h"
#include "builder/common/files.h"
#include "builder/common/subprocess.h"

namespace kiln::vm {
namespace {

namespace fs = std::filesystem;

bool HaveQemu() { return !FindProgram("qemu-system-x86_64").empty() && FindFirmware("x86_64").ok(); }

// Runs with TMPDIR pointing at a fresh directory so the test can see that nothing is left.
class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveQemu()) GTEST_SKIP() << "qemu-system-x86_64 or OVMF not installed";
    dir_ = TempDir::Create().value();
    tmp_ = dir_.path() / "tmp";
    fs::create_directory(tmp_);
    const char* old = std::getenv("TMPDIR");
    old_tmpdir_ = old ? old : "";
    ::setenv("TMPDIR", tmp_.c_str(), 1);
    disk_ = dir_.path() / "empty.raw";
    ASSERT_TRUE(WriteFile(disk_, "").ok());
    fs::resize_file(disk_, 32 << 20);
  }
  void TearDown() override {
    if (old_tmpdir_.empty()) ::unsetenv("TMPDIR");
    else ::setenv("TMPDIR", old_tmpdir_.c_str(), 1);
  }
  BootOptions Options() {
    BootOptions o;
    o.image = disk_;
    o.accel = "tcg";
    o.check = true;
    o.snapshot = true;
    o.memory_mib = 256;
    o.cpus = 1;
    o.timeout = std::chrono::seconds(60);
    o.failure_drain = std::chrono::seconds(0);
    return o;
  }
  TempDir dir_;
  fs::path tmp_, disk_;
  std::string old_tmpdir_;
};

TEST_F(RunnerTest, EmptyDiskFallsBackToTheFirmwareShell) {
  BootOptions o = Options();
  o.serial_log = dir_.path() / "serial.log";
  std::vector<BootEvent> events;
  auto r = BootImage(o, [&](const BootEvent& e) { events.push_back(e); });
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->result, BootResult::kFailed) << r->reason;
  EXPECT_EQ(r->failure_id, "firmware") << r->reason;
  EXPECT_NE(r->line.find("UEFI Interactive Shell"), std::string::npos) << r->line;
  EXPECT_EQ(r->accel, Accel::kTcg);
  EXPECT_FALSE(r->ok());
  // The firmware tried the virtio disk first (it has no boot loader).
  bool tried_disk = false;
  for (const auto& l : r->last_lines) tried_disk |= l.find("BdsDxe: failed to load Boot0001") != std::string::npos;
  EXPECT_TRUE(tried_disk);
  bool logged_accel = false, saw_line = false;
  std::vector<BootPhase> phases;
  for (const auto& e : events) {
    if (e.kind == BootEventKind::kPhase) {
      phases.push_back(e.phase);
      EXPECT_GT(e.seconds, 0) << "phase " << e.text;
    }
    logged_accel |= e.kind == BootEventKind::kLog && e.text.find("accelerator: tcg") != std::string::npos;
    saw_line |= e.kind == BootEventKind::kConsoleLine && e.text.find("BdsDxe") != std::string::npos;
  }
  EXPECT_TRUE(logged_accel);
  EXPECT_TRUE(saw_line);
  EXPECT_EQ(phases, std::vector<BootPhase>{BootPhase::kFirmware}) << "no kernel on an empty disk";
  EXPECT_NE(ReadFile(o.serial_log).value().find("UEFI Interactive Shell"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(tmp_)) << "temporary files left in " << tmp_;
  std::printf("firmware shell reached in %.1f s, run %.1f s\n", r->ready_seconds, r->seconds);
}

TEST_F(RunnerTest, AllowedFirmwareShellThenTimeoutAndExpectReported) {
  BootOptions o = Options();
  o.allow_failures = {"firmware"};
  o.expect = {"never printed"};
  // The shell counts as "ready" here, but the expectation is never met.
  ConsolePatterns p;
  p.ready.push_back({"ready", "shell", std::regex("UEFI Interactive Shell")});
  o.patterns = p;
  o.timeout = std::chrono::seconds(7);
  auto r = BootImage(o, {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->result, BootResult::kTimeout) << r->reason;
  EXPECT_EQ(r->unmet_expect, std::vector<std::string>{"never printed"});
  EXPECT_NE(r->reason.find("never printed"), std::string::npos) << r->reason;
  EXPECT_TRUE(fs::is_empty(tmp_));
}

TEST_F(RunnerTest, SetupErrors) {
  BootOptions o = Options();
  o.image = dir_.path() / "missing.raw";
  auto r = BootImage(o, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("missing.raw"), std::string::npos);
  o = Options();
  o.expect = {"("};
  r = BootImage(o, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  o = Options();
  o.accel = "hvf";
  EXPECT_FALSE(BootImage(o, {}).ok());
}

TEST(Accel, EnvironmentOverrideSkipsTheProbe) {
  auto profile = ProfileFor("x86_64").value();
  FirmwarePair fw{"/nonexistent/CODE.fd", "/nonexistent/VARS.fd"};
  ::setenv("KILN_QEMU_ACCEL", "tcg", 1);
  auto c = ChooseAccel("auto", profile, fw);
  ::setenv("KILN_QEMU_ACCEL", "quantum", 1);
  auto bad = ChooseAccel("auto", profile, fw);
  ::unsetenv("KILN_QEMU_ACCEL");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->accel, Accel::kTcg);
  EXPECT_EQ(c->note, "KILN_QEMU_ACCEL=tcg");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kUsage);
  EXPECT_EQ(ChooseAccel("kvm", profile, fw)->accel, Accel::kKvm);  // explicit: no probe
}

}  // namespace
}  // namespace kiln::vm
