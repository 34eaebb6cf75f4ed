#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "builder/common/files.h"
#include "builder/common/result.h"
#include "builder/common/sha256.h"
#include "builder/common/size.h"
#include "builder/common/subprocess.h"
#include "builder/common/uuid.h"

namespace kiln {
namespace {

Result<int> Half(int v) {
  if (v % 2) return MakeError(ErrorCode::kInput, "odd value " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v) {
  KILN_ASSIGN_OR_RETURN(int h, Half(v));
  return Half(h).WithContext("second half");
}

TEST(Result, PropagatesErrorsWithContext) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(), "second half: odd value 3");
  EXPECT_EQ(ExitCodeFor(r.error().code), 1);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kRecipe), 2);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(ToHex(Sha256Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.Finish(), Sha256Of("abc"));
  // RFC 4231 test case 2.
  std::string key = "Jefe";
  auto mac = HmacSha256(std::span<const std::uint8_t>(
                            reinterpret_cast<const std::uint8_t*>(key.data()), key.size()),
                        "what do ya want for nothing?");
  EXPECT_EQ(ToHex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(IsSha256Hex(ToHex(mac)));
  EXPECT_EQ(*FromHex("41ff"), std::string("A\xff"));
  EXPECT_FALSE(FromHex("4").ok());
}

TEST(Uuid, V4AndGptOrder) {
  Digest d{};
  for (int i = 0; i < 32; ++i) d[i] = static_cast<std::uint8_t>(0xff);
  Uuid u = UuidV4From(d);
  EXPECT_EQ(u.ToString(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  auto esp = *Uuid::Parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
  auto gpt = esp.ToGptBytes();
  EXPECT_EQ(gpt[0], 0x28);
  EXPECT_EQ(gpt[3], 0xc1);
  EXPECT_EQ(gpt[4], 0x1f);
  EXPECT_EQ(gpt[6], 0xd2);
  EXPECT_EQ(gpt[8], 0xba);
  EXPECT_EQ(Uuid::FromGptBytes(gpt.data()), esp);
  EXPECT_FALSE(Uuid::Parse("not-a-uuid").ok());
}

TEST(Size, ParsesSuffixes) {
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("128K"), 128u * 1024);
  EXPECT_EQ(*ParseSize("256M"), 256u << 20);
  EXPECT_EQ(*ParseSize("256MiB"), 256u << 20);
  EXPECT_EQ(*ParseSize("2G"), 2ull << 30);
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_FALSE(ParseSize("12Q").ok());
  EXPECT_FALSE(ParseSize("M").ok());
  EXPECT_FALSE(ParseSize("99999999999999999999").ok());
  EXPECT_EQ(AlignUp(1, 4096), 4096u);
  EXPECT_EQ(FormatSize(1536), "1.5 KiB");
}

TEST(Subprocess, CapturesOutputAndStatus) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "cat; echo err >&2; exit 3"};
  spec.stdin_data = "hello";
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "hello");
  EXPECT_EQ(r->err, "err\n");
  auto checked = RunChecked(spec);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().message, "sh failed with exit status 3: err");
  spec.argv = {"kiln-no-such-program"};
  EXPECT_FALSE(RunProcess(spec).ok());
}

// A descriptor the parent left open without O_CLOEXEC does not reach the child: children
// such as mmdebstrap hand their own descriptors to /bin/sh, which only names 0-9.
TEST(Subprocess, ChildInheritsOnlyStandardDescriptors) {
  int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 3);
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "if [ -e /proc/self/fd/" + std::to_string(leaked) + " ]; then echo open; else echo closed; fi"};
  auto r = RunChecked(spec);
  ::close(leaked);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "closed\n");
}

TEST(Files, AtomicWriteAndTempDir) {
  std::filesystem::path p;
  {
    auto dir = TempDir::Create();
    ASSERT_TRUE(dir.ok());
    p = dir->path();
    ASSERT_TRUE(WriteFileAtomic(p / "a", "data", 0600).ok());
    EXPECT_EQ(*ReadFile(p / "a"), "data");
    EXPECT_EQ(std::filesystem::status(p / "a").permissions(),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  EXPECT_FALSE(std::filesystem::exists(p));
}

}  // namespace
}  // namespace kiln
