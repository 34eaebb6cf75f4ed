// The serial console as kiln boot sees it: raw bytes from QEMU are cut into lines, cleaned
// of terminal escapes, and each line is classified against the patterns that say the guest
// booted (systemd reached its default target) or failed (emergency mode, kernel panic, root not
// mounted, dm-verity corruption, firmware found nothing to boot). Used by the QEMU runner
// (qemu_runner.h); pure functions and a small state machine, so it is tested without QEMU.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln::vm {

// Removes ANSI/VT100 escape sequences (CSI "\e[..X", "\e[=3h", OSC), carriage returns and
// other control characters except tab, so patterns match what a person sees.
std::string CleanConsoleLine(std::string_view raw);

// Cuts a byte stream into lines at '\n'. Partial lines are kept until the next chunk.
class ConsoleLineBuffer {
 public:
  // Complete lines (without '\n', not yet cleaned) found in buffer + chunk.
  std::vector<std::string> Feed(std::string_view chunk);
  // The unterminated rest, if any (at end of stream).
  std::optional<std::string> TakeRest();

 private:
  std::string pending_;
};

// One pattern with the failure class it belongs to ("emergency", "panic", "sysroot",
// "verity", "firmware"; "custom" for --fail-on) and a reason for people.
struct ConsolePattern {
  std::string id;
  std::string reason;
  std::regex regex;
};

struct ConsolePatterns {
  std::vector<ConsolePattern> ready;    // the guest reached its default target
  std::vector<ConsolePattern> failure;  // the boot cannot succeed any more
};

// kiln's defaults: systemd's "Reached target ... Multi-User System | Graphical Interface" or the
// line "kiln-boot: default target reached"; failures as listed above.
ConsolePatterns DefaultConsolePatterns();
// ECMAScript regex from a command-line string; a kUsage error names the bad pattern.
Result<std::regex> CompilePattern(const std::string& pattern);

enum class ConsoleSignal { kNone, kReady, kFailure };

struct ConsoleVerdict {
  ConsoleSignal signal = ConsoleSignal::kNone;
  std::string id;      // pattern id ("ready" for success)
  std::string reason;  // for people
  std::string line;    // the (cleaned) line that decided it
};

// Follows the console of one boot. kReady is returned once a ready pattern has been seen AND
// every `expect` pattern has matched some line (in any order); the first failure pattern not
// in `allowed_failures` wins immediately. Keeps the last lines for error messages.
class ConsoleWatcher {
 public:
  ConsoleWatcher(ConsolePatterns patterns, std::vector<std::regex> expect,
                 std::vector<std::string> allowed_failures, std::size_t tail_lines = 40);

  // `line` must be cleaned already.
  ConsoleVerdict Observe(const std::string& line);

  const std::deque<std::string>& tail() const { return tail_; }
  std::size_t lines_seen() const { return lines_seen_; }
  // Indexes of --expect patterns not matched yet.
  std::vector<std::size_t> UnmetExpectations() const;

 private:
  ConsolePatterns patterns_;
  std::vector<std::regex> expect_;
  std::vector<bool> expect_met_;
  std::vector<std::string> allowed_;
  std::size_t tail_max_;
  std::deque<std::string> tail_;
  std::size_t lines_seen_ = 0;
  std::optional<std::string> ready_line_;
};

}  // namespace kiln::vm
