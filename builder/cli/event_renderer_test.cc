#include "builder/cli/event_renderer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

namespace kiln::cli {
namespace {

using namespace std::chrono_literals;

// Collects what the renderer writes.
class Output {
 public:
  Output() : file_(std::tmpfile()) {}
  ~Output() { std::fclose(file_); }
  std::FILE* file() { return file_; }
  std::string Text() {
    std::fflush(file_);
    std::string s;
    std::rewind(file_);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) s.append(buf, n);
    return s;
  }

 private:
  std::FILE* file_;
};

std::size_t Count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(EventRenderer, TickerRedrawsASilentStepWithElapsedTime) {
  Output out;
  {
    EventRenderer r(false, false, true, out.file(), 20ms);
    r(Event{"sources", "running mmdebstrap", 0, 0});
    std::this_thread::sleep_for(300ms);  // the fake long step: the tool prints nothing
    r.Flush();
  }
  std::string text = out.Text();
  EXPECT_GE(Count(text, "\r\033[K[sources] running mmdebstrap  0s"), 5u) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(EventRenderer, ProgressWithATotalDrawsABar) {
  Output out;
  {
    EventRenderer r(false, false, true, out.file(), 1000ms);
    r(Event{"packages", "unpacking libc6", 5, 10});
  }
  std::string text = out.Text();
  EXPECT_NE(text.find("[packages] unpacking libc6  [##########          ] 5 / 10  50%  0s"), std::string::npos) << text;
}

TEST(EventRenderer, PlainLinesWhenNotATerminal) {
  Output out;
  {
    EventRenderer r(false, false, false, out.file(), 20ms);
    r(Event{"sources", "running mmdebstrap", 0, 0});
    r(Event{"packages", "unpacking a", 1, 3});
    r(Event{"packages", "unpacking b", 2, 3});  // within 10 s of the last: not printed
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(out.Text(), "[sources] running mmdebstrap\n[packages] unpacking a (1 / 3)\n");
}

TEST(EventRenderer, QuietPrintsNothingAndJsonPrintsEvents) {
  Output quiet, json;
  {
    EventRenderer q(false, true, true, quiet.file(), 20ms);
    q(Event{"sources", "running mmdebstrap", 0, 0});
    EventRenderer j(true, false, true, json.file(), 20ms);
    j(Event{"packages", "unpacking a", 1, 3});
    std::this_thread::sleep_for(60ms);
  }
  EXPECT_EQ(quiet.Text(), "");
  EXPECT_EQ(json.Text(),
            "{\"done\":1,\"event\":\"progress\",\"message\":\"unpacking a\",\"stage\":\"packages\",\"total\":3}\n");
}

TEST(EventRenderer, JsonProgressIsRateLimitedButKeepsEveryEndAndTheLatestCount) {
  Output json;
  {
    EventRenderer j(true, false, false, json.file(), 1000ms);
    for (std::uint64_t d = 1; d <= 1000; ++d) j(Event{"squashfs", "writing", d, 1000});
    for (std::uint64_t d = 1; d <= 7; ++d) j(Event{"packages", "unpacking", d, 20});
    j(Event{"build", "done", 0, 0});
  }
  std::string text = json.Text();
  EXPECT_LE(Count(text, "\"stage\":\"squashfs\""), 5u) << text;
  EXPECT_NE(text.find("{\"done\":1000,\"event\":\"progress\",\"message\":\"writing\""), std::string::npos) << text;
  // The last count of a stage, held back by the limit, comes before the next log line.
  EXPECT_NE(text.find("{\"done\":7,\"event\":\"progress\",\"message\":\"unpacking\",\"stage\":\"packages\",\"total\":20}\n"
                      "{\"event\":\"log\",\"message\":\"done\""),
            std::string::npos)
      << text;
}

TEST(EventRenderer, FormatsElapsedTimeAndNarrowLines) {
  EXPECT_EQ(FormatElapsed(5s), "5s");
  EXPECT_EQ(FormatElapsed(65s), "1m05s");
  EXPECT_EQ(FormatElapsed(3725s), "1h02m05s");
  std::string line = FormatProgressLine(Event{"squashfs", std::string(200, 'x'), 1, 2}, 3s, 60);
  EXPECT_LE(line.size(), 60u);
  EXPECT_NE(line.find("50%  3s"), std::string::npos) << line;
}

}  // namespace
}  // namespace kiln::cli
