#include "builder/vm/qemu_console.h"

#include <gtest/gtest.h>

namespace kiln::vm {
namespace {

ConsoleVerdict Classify(const std::string& raw, std::vector<std::string> allowed = {}) {
  ConsoleWatcher w(DefaultConsolePatterns(), {}, std::move(allowed));
  return w.Observe(CleanConsoleLine(raw));
}

TEST(ConsoleLine, StripsEscapesAndCarriageReturns) {
  EXPECT_EQ(CleanConsoleLine("\x1b[2J\x1b[01;01H\x1b[=3hBdsDxe: loading Boot0001\r"), "BdsDxe: loading Boot0001");
  EXPECT_EQ(CleanConsoleLine("[\x1b[0;32m  OK  \x1b[0m] Reached target \x1b[0;1;39mmulti-user.target\x1b[0m.\r"),
            "[  OK  ] Reached target multi-user.target.");
  EXPECT_EQ(CleanConsoleLine("\x1b]0;title\x07plain\ttab \x01"), "plain\ttab");
}

TEST(ConsoleLine, BufferCutsLinesAcrossChunks) {
  ConsoleLineBuffer b;
  EXPECT_TRUE(b.Feed("abc").empty());
  EXPECT_EQ(b.Feed("def\nghi\n\njk"), (std::vector<std::string>{"abcdef", "ghi", ""}));
  EXPECT_EQ(b.TakeRest(), "jk");
  EXPECT_EQ(b.TakeRest(), std::nullopt);
}

TEST(ConsoleClassifier, ReadyLines) {
  // systemd 252 (Debian 12), older systemd, graphical systems, and kiln's own line.
  for (const char* l : {"[  OK  ] Reached target \x1b[0;1;39mmulti-user.target\x1b[0m - Multi-User System.",
                        "[  OK  ] Reached target Multi-User System.",
                        "[  OK  ] Reached target graphical.target - Graphical Interface.",
                        "kiln-boot: default target reached"}) {
    auto v = Classify(l);
    EXPECT_EQ(v.signal, ConsoleSignal::kReady) << l;
  }
  for (const char* l : {"[  OK  ] Reached target initrd.target - Initrd Default Target.",
                        "[  OK  ] Reached target local-fs.target - Local File Systems.",
                        "Starting multi-user.target", ""}) {
    EXPECT_EQ(Classify(l).signal, ConsoleSignal::kNone) << l;
  }
}

TEST(ConsoleClassifier, FailureLines) {
  struct Case { const char* line; const char* id; };
  for (const Case& c : std::vector<Case>{
           {"You are in emergency mode. After logging in, type \"journalctl -xb\" to view", "emergency"},
           {"Give root password for maintenance", "emergency"},
           {"Cannot open access to console, the root account is locked.", "emergency"},
           {"[    3.141592] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)", "panic"},
           {"[FAILED] Failed to mount \x1b[0;1;39msysroot.mount\x1b[0m - /sysroot.", "sysroot"},
           {"[    5.000000] device-mapper: verity: 254:0: data block 0 is corrupted", "verity"},
           {"[    5.000000] device-mapper: verity: 254:0: metadata block 12 is corrupted", "verity"},
           {"UEFI Interactive Shell v2.2", "firmware"},
           {"BdsDxe: No bootable option or device was found.", "firmware"},
           {"BdsDxe: failed to load Boot0001 \"UEFI Misc Device\" from PciRoot(0x0)/Pci(0x3,0x0): Access Denied",
            "firmware"}}) {
    auto v = Classify(c.line);
    EXPECT_EQ(v.signal, ConsoleSignal::kFailure) << c.line;
    EXPECT_EQ(v.id, c.id) << c.line;
    EXPECT_FALSE(v.reason.empty());
  }
  // Ordinary boot noise is neither.
  for (const char* l : {"[    0.000000] Linux version 6.1.0-26-amd64", "Welcome to Debian GNU/Linux 12 (bookworm)!",
                        "BdsDxe: loading Boot0001 \"UEFI Misc Device\" from PciRoot(0x0)/Pci(0x3,0x0)",
                        "[  OK  ] Started systemd-veritysetup@root.service - Integrity Protection Setup for root."}) {
    EXPECT_EQ(Classify(l).signal, ConsoleSignal::kNone) << l;
  }
}

TEST(ConsoleClassifier, AllowedFailureIdsAreIgnored) {
  EXPECT_EQ(Classify("device-mapper: verity: 254:0: data block 9 is corrupted", {"verity"}).signal,
            ConsoleSignal::kNone);
  EXPECT_EQ(Classify("Kernel panic - not syncing: x", {"verity"}).signal, ConsoleSignal::kFailure);
}

TEST(ConsoleWatcher, ExpectationsMustAllMatchBeforeReady) {
  std::vector<std::regex> expect = {std::regex("selftest: root=ok"), std::regex("late line")};
  ConsoleWatcher w(DefaultConsolePatterns(), expect, {}, 3);
  EXPECT_EQ(w.Observe("selftest: root=ok").signal, ConsoleSignal::kNone);
  EXPECT_EQ(w.Observe("[  OK  ] Reached target Multi-User System.").signal, ConsoleSignal::kNone);
  EXPECT_EQ(w.UnmetExpectations(), std::vector<std::size_t>{1});
  auto v = w.Observe("a late line after the target");
  EXPECT_EQ(v.signal, ConsoleSignal::kReady);
  EXPECT_EQ(v.line, "[  OK  ] Reached target Multi-User System.");  // the line that reached the target
  EXPECT_TRUE(w.UnmetExpectations().empty());
  w.Observe("x");
  EXPECT_EQ(w.tail().size(), 3u);
  EXPECT_EQ(w.tail().back(), "x");
  EXPECT_EQ(w.lines_seen(), 4u);
}

TEST(ConsoleWatcher, CustomFailurePatternAndBadRegex) {
  auto p = DefaultConsolePatterns();
  auto re = CompilePattern("appliance: (fatal|crash)");
  ASSERT_TRUE(re.ok());
  p.failure.push_back({"custom", "custom", *re});
  ConsoleWatcher w(p, {}, {});
  EXPECT_EQ(w.Observe("appliance: crash in worker").id, "custom");
  auto bad = CompilePattern("([unclosed");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kUsage);
  EXPECT_NE(bad.error().message.find("([unclosed"), std::string::npos);
}

}  // namespace
}  // namespace kiln::vm
