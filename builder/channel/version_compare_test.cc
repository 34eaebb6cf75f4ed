// Test vectors from systemd's src/test/test-string-util.c (TEST(strverscmp_improved) and
// TEST(strverscmp_improved_rpm)), so kiln orders versions exactly as systemd-boot does.
#include "builder/channel/version_compare.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiln::channel {
namespace {

void ExpectNewer(const std::string& older, const std::string& newer) {
  EXPECT_EQ(CompareVersions(older, newer), -1) << older << " < " << newer;
  EXPECT_EQ(CompareVersions(newer, older), 1) << newer << " > " << older;
  EXPECT_EQ(CompareVersions(older, older), 0) << older;
  EXPECT_EQ(CompareVersions(newer, newer), 0) << newer;
}

TEST(CompareVersions, SystemdOrderedList) {
  const std::vector<std::string> versions = {
      "~1",     "",        "ab",     "abb",      "abc",   "0001",       "002",   "12",
      "122",    "122.9",   "123~rc1", "123",     "123-a", "123-a.1",    "123-a1", "123-a1.1",
      "123-3",  "123-3.1", "123^patch1", "123^1", "123.a-1", "123.1-1", "123a-1", "124",
  };
  for (std::size_t i = 0; i < versions.size(); ++i)
    for (std::size_t j = i + 1; j < versions.size(); ++j) ExpectNewer(versions[i], versions[j]);
}

TEST(CompareVersions, SystemdPairs) {
  ExpectNewer("123.45-67.88", "123.45-67.89");
  ExpectNewer("123.45-67.89", "123.45-67.89a");
  ExpectNewer("123.45-67.ab", "123.45-67.89");
  ExpectNewer("123.45-67.9", "123.45-67.89");
  ExpectNewer("123.45-67", "123.45-67.89");
  ExpectNewer("123.45-66.89", "123.45-67.89");
  ExpectNewer("123.45-9.99", "123.45-67.89");
  ExpectNewer("123.42-99.99", "123.45-67.89");
  ExpectNewer("123-99.99", "123.45-67.89");
  // '~': pre-releases
  ExpectNewer("123~rc1-99.99", "123.45-67.89");
  ExpectNewer("123~rc1-99.99", "123-45.67.89");
  ExpectNewer("123~rc1-99.99", "123~rc2-67.89");
  ExpectNewer("123~rc1-99.99", "123^aa2-67.89");
  ExpectNewer("123~rc1-99.99", "123aa2-67.89");
  // '-': separator between version and release
  ExpectNewer("123-99.99", "123.45-67.89");
  ExpectNewer("123-99.99", "123^aa2-67.89");
  ExpectNewer("123-99.99", "123aa2-67.89");
  // '^': patch releases
  ExpectNewer("123^45-67.89", "123.45-67.89");
  ExpectNewer("123^aa1-99.99", "123^aa2-67.89");
  ExpectNewer("123^aa2-67.89", "123aa2-67.89");
  // '.': point release
  ExpectNewer("123.aa2-67.89", "123aa2-67.89");
  ExpectNewer("123.aa2-67.89", "123.ab2-67.89");
}

TEST(CompareVersions, SystemdCornerCases) {
  EXPECT_EQ(CompareVersions("123_aa2-67.89", "123aa+2-67.89"), 0);
  EXPECT_GT(CompareVersions("123.", "123"), 0);
  EXPECT_LT(CompareVersions("12_3", "123"), 0);
  EXPECT_GT(CompareVersions("12_3", "12"), 0);
  EXPECT_GT(CompareVersions("12_3", "12.3"), 0);
  EXPECT_GT(CompareVersions("123.0", "123"), 0);
  EXPECT_GT(CompareVersions("123_0", "123"), 0);
  EXPECT_LT(CompareVersions("123..0", "123.0"), 0);
  EXPECT_EQ(CompareVersions("0_", "0"), 0);
  EXPECT_EQ(CompareVersions("_0_", "0"), 0);
  EXPECT_EQ(CompareVersions("_0", "0"), 0);
  EXPECT_EQ(CompareVersions("0", "0___"), 0);
  EXPECT_EQ(CompareVersions("", "_"), 0);
  EXPECT_EQ(CompareVersions("_", ""), 0);
  EXPECT_EQ(CompareVersions("_", "_"), 0);
  EXPECT_GT(CompareVersions("", "~"), 0);
  EXPECT_LT(CompareVersions("~", ""), 0);
  EXPECT_EQ(CompareVersions("~", "~"), 0);
  // Non-ASCII digits are ignored characters.
  EXPECT_EQ(CompareVersions("1\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669", "1"), 0);
  EXPECT_EQ(CompareVersions("1\u0e50\u0e51\u0e52\u0e53\u0e54\u0e55\u0e56\u0e57\u0e58\u0e59", "1"), 0);
}

TEST(CompareVersions, SystemdRpmVectors) {
  struct Case {
    const char* a;
    const char* b;
    int expected;
  };
  const Case cases[] = {
      {"1.0", "1.0", 0}, {"1.0", "2.0", -1}, {"2.0", "1.0", 1},
      {"2.0.1", "2.0.1", 0}, {"2.0", "2.0.1", -1}, {"2.0.1", "2.0", 1},
      {"2.0.1a", "2.0.1a", 0}, {"2.0.1a", "2.0.1", 1}, {"2.0.1", "2.0.1a", -1},
      {"5.5p1", "5.5p1", 0}, {"5.5p1", "5.5p2", -1}, {"5.5p2", "5.5p1", 1},
      {"5.5p10", "5.5p10", 0}, {"5.5p1", "5.5p10", -1}, {"5.5p10", "5.5p1", 1},
      {"10xyz", "10.1xyz", 1}, {"10.1xyz", "10xyz", -1},
      {"xyz10", "xyz10", 0}, {"xyz10", "xyz10.1", -1}, {"xyz10.1", "xyz10", 1},
      {"xyz.4", "xyz.4", 0}, {"xyz.4", "8", -1}, {"8", "xyz.4", 1}, {"xyz.4", "2", -1}, {"2", "xyz.4", 1},
      {"5.5p2", "5.6p1", -1}, {"5.6p1", "5.5p2", 1},
      {"5.6p1", "6.5p1", -1}, {"6.5p1", "5.6p1", 1},
      {"6.0.rc1", "6.0", 1}, {"6.0", "6.0.rc1", -1},
      {"10b2", "10a1", 1}, {"10a2", "10b2", -1},
      {"1.0aa", "1.0aa", 0}, {"1.0a", "1.0aa", -1}, {"1.0aa", "1.0a", 1},
      {"10.0001", "10.0001", 0}, {"10.0001", "10.1", 0}, {"10.1", "10.0001", 0},
      {"10.0001", "10.0039", -1}, {"10.0039", "10.0001", 1},
      {"4.999.9", "5.0", -1}, {"5.0", "4.999.9", 1},
      {"20101121", "20101121", 0}, {"20101121", "20101122", -1}, {"20101122", "20101121", 1},
      {"2_0", "2_0", 0}, {"2.0", "2_0", -1}, {"2_0", "2.0", 1},
      {"a", "a", 0}, {"a+", "a+", 0}, {"a+", "a_", 0}, {"a_", "a+", 0},
      {"+a", "+a", 0}, {"+a", "_a", 0}, {"_a", "+a", 0}, {"+_", "+_", 0}, {"_+", "+_", 0},
      {"_+", "_+", 0}, {"+", "_", 0}, {"_", "+", 0},
      {"1.0~rc1", "1.0~rc1", 0}, {"1.0~rc1", "1.0", -1}, {"1.0", "1.0~rc1", 1},
      {"1.0~rc1", "1.0~rc2", -1}, {"1.0~rc2", "1.0~rc1", 1},
      {"1.0~rc1~git123", "1.0~rc1~git123", 0}, {"1.0~rc1~git123", "1.0~rc1", -1},
      {"1.0~rc1", "1.0~rc1~git123", 1},
      {"1.0^", "1.0^", 0}, {"1.0^", "1.0", 1}, {"1.0", "1.0^", -1},
      {"1.0^git1", "1.0^git1", 0}, {"1.0^git1", "1.0", 1}, {"1.0", "1.0^git1", -1},
      {"1.0^git1", "1.0^git2", -1}, {"1.0^git2", "1.0^git1", 1},
      {"1.0^git1", "1.01", -1}, {"1.01", "1.0^git1", 1},
      {"1.0^20160101", "1.0^20160101", 0}, {"1.0^20160101", "1.0.1", -1}, {"1.0.1", "1.0^20160101", 1},
      {"1.0^20160101^git1", "1.0^20160101^git1", 0}, {"1.0^20160102", "1.0^20160101^git1", 1},
      {"1.0^20160101^git1", "1.0^20160102", -1},
      {"1.0~rc1^git1", "1.0~rc1^git1", 0}, {"1.0~rc1^git1", "1.0~rc1", 1}, {"1.0~rc1", "1.0~rc1^git1", -1},
      {"1.0^git1~pre", "1.0^git1~pre", 0}, {"1.0^git1", "1.0^git1~pre", 1}, {"1.0^git1~pre", "1.0^git1", -1},
      {"1b.fc17", "1b.fc17", 0}, {"1b.fc17", "1.fc17", 1}, {"1.fc17", "1b.fc17", -1},
      {"1g.fc17", "1g.fc17", 0}, {"1g.fc17", "1.fc17", 1}, {"1.fc17", "1g.fc17", -1},
      {"1.1.\u03b1", "1.1.\u03b1", 0}, {"1.1.\u03b1", "1.1.\u03b2", 0}, {"1.1.\u03b2", "1.1.\u03b1", 0},
      {"1.1.\u03b1\u03b1", "1.1.\u03b1", 0}, {"1.1.\u03b1", "1.1.\u03b2\u03b2", 0},
      {"1.1.\u03b2\u03b2", "1.1.\u03b1\u03b1", 0},
  };
  for (const Case& c : cases) EXPECT_EQ(CompareVersions(c.a, c.b), c.expected) << c.a << " vs " << c.b;
}

TEST(CompareVersions, EmbeddedNulEndsTheString) {
  EXPECT_EQ(CompareVersions(std::string_view("1.0\0" "9", 5), "1.0"), 0);
}

}  // namespace
}  // namespace kiln::channel
