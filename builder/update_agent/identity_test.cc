// release.json, the kernel command line and the LoaderBootCountPath variable: the small
// untrusted inputs the agent reads about the running system.
#include <gtest/gtest.h>

#include "builder/update_agent/kernel_cmdline.h"
#include "builder/update_agent/release_info.h"
#include "builder/update_agent/status.h"

namespace kiln::update_agent {
namespace {

const std::string kHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(KernelCmdline, TakesTheLastRootHash) {
  auto d = RootHashFromCmdline("quiet roothash=" + std::string(64, 'f') + " x=1\troothash=" + kHash + "\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(ToHex(*d), kHash);
  auto upper = RootHashFromCmdline("roothash=" + std::string(64, 'A'));
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(ToHex(*upper), std::string(64, 'a'));
}

TEST(KernelCmdline, RefusesMissingOrMalformed) {
  for (const std::string& c : std::vector<std::string>{"", "quiet", "roothash=", "roothash=xyz", "roothash=" + kHash + "0",
                                                      "myroothash=" + kHash})
    EXPECT_FALSE(RootHashFromCmdline(c).ok()) << c;
}

TEST(ReleaseInfo, ReadsWhatTheAgentNeeds) {
  auto r = ParseReleaseInfo(R"({"architecture":"x86-64","channel":"http://u/","health":["a.service"],"image":"app",)"
                            R"("inputs_sha256":"00","schema":"kiln.release.v1","signer_sha256":"11","tries":2,"version":"1.0"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->image, "app");
  EXPECT_EQ(r->version, "1.0");
  EXPECT_EQ(r->architecture, "x86-64");
  EXPECT_EQ(r->channel, "http://u/");
  EXPECT_EQ(r->tries, 2);
}

TEST(ReleaseInfo, RefusesBadDocuments) {
  for (const char* j : {"", "[]", "{", R"({"schema":"other","image":"a","version":"1","architecture":"x86-64"})",
                        R"({"schema":"kiln.release.v1","version":"1","architecture":"x86-64"})",
                        R"({"schema":"kiln.release.v1","image":7,"version":"1","architecture":"x86-64"})",
                        R"({"schema":"kiln.release.v1","image":"a","version":"1","architecture":"x86-64","tries":0})",
                        R"({"schema":"kiln.release.v1","image":"a","version":"1","architecture":"x86-64","tries":"3"})"})
    EXPECT_FALSE(ParseReleaseInfo(j).ok()) << j;
  EXPECT_FALSE(ParseReleaseInfo(std::string(kMaxReleaseSize + 1, ' ')).ok());
}

std::string EfiVar(const std::u16string& path) {
  std::string s = std::string("\x06\0\0\0", 4);
  for (char16_t c : path) {
    s += static_cast<char>(c & 0xff);
    s += static_cast<char>(c >> 8);
  }
  return s + std::string(2, '\0');
}

TEST(BootCountPath, FileNameFromTheVariable) {
  EXPECT_EQ(BootCountFileName(EfiVar(u"\\EFI\\Linux\\app_2.0+2-1.efi")), "app_2.0+2-1.efi");
  EXPECT_FALSE(BootCountFileName(""));
  EXPECT_FALSE(BootCountFileName(EfiVar(u"\\EFI\\Linux\\")));
  EXPECT_FALSE(BootCountFileName(EfiVar(u"\\EFI\\Linux\\app\u00e9.efi")));
}

TEST(Prometheus, EscapesLabelValues) {
  StatusReport r;
  r.image = "app";
  r.version = "1.0\"x\\y\nz";
  r.root_hash = kHash;
  const std::string text = PrometheusText(r);
  EXPECT_NE(text.find("kiln_build_info{image=\"app\",version=\"1.0\\\"x\\\\y\\nz\",roothash=\"" + kHash + "\"} 1\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace kiln::update_agent
