#include "builder/sources/dpkg_status.h"

#include <gtest/gtest.h>

#include "builder/sources/source_identity.h"

namespace kiln::sources {
namespace {

const char* kStatus =
    "Package: bash\nEssential: yes\nStatus: install ok installed\nPriority: required\n"
    "Architecture: amd64\nVersion: 5.2.15-2+b2\nDescription: GNU Bourne Again SHell\n"
    " Bash is an sh-compatible command language interpreter.\n .\n More text.\n\n"
    "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n"
    "Source: glibc\nVersion: 2.36-9+deb12u4\n\n"
    "Package: removed-thing\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1\n\n"
    "Package: busybox\nStatus: install ok installed\nArchitecture: amd64\n"
    "Source: busybox (1:1.35.0-4)\nVersion: 1:1.35.0-4+b3\n";

TEST(DpkgStatus, ParsesInstalledPackagesSorted) {
  auto r = ParseDpkgStatus(kStatus);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (Package{"bash", "5.2.15-2+b2", "amd64", "bash", "5.2.15-2+b2", ""}));
  EXPECT_EQ((*r)[1], (Package{"busybox", "1:1.35.0-4+b3", "amd64", "busybox", "1:1.35.0-4", ""}));
  EXPECT_EQ((*r)[2], (Package{"libc6", "2.36-9+deb12u4", "amd64", "glibc", "2.36-9+deb12u4", ""}));
}

TEST(DpkgStatus, MalformedLinesNameTheLine) {
  auto r = ParseDpkgStatus("Package: a\nthis is not a field\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "var/lib/dpkg/status:2: expected 'Field: value', got 'this is not a field'");
  auto m = ParseDpkgStatus("Package: a\nStatus: install ok installed\n\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("var/lib/dpkg/status:1:"), std::string::npos);
}

TEST(DpkgStatus, ReadsFromTheTree) {
  tree::FileTree t(0);
  tree::FileNode n;
  n.content.is_inline = true;
  n.content.inline_data = kStatus;
  n.content.size = n.content.inline_data.size();
  ASSERT_TRUE(t.Insert("/var/lib/dpkg/status", n).ok());
  auto r = ReadDpkgStatus(t);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 3u);
  tree::FileTree empty(0);
  EXPECT_TRUE(ReadDpkgStatus(empty)->empty());
}

TEST(SourceIdentity, CanonicalInputsAreOrderIndependent) {
  std::vector<InputRecord> a = {{"tarball", "https://x/a.tar", "aa"}, {"deb", "pkg:deb/debian/b@1?arch=all", "bb"}};
  std::vector<InputRecord> b = {a[1], a[0]};
  EXPECT_EQ(CanonicalInputs(a), CanonicalInputs(b));
  EXPECT_EQ(CanonicalInputs(a), "deb\tpkg:deb/debian/b@1?arch=all\tbb\ntarball\thttps://x/a.tar\taa\n");
  EXPECT_EQ(DebPurl("busybox", "1:1.35.0-4+b3", "amd64"), "pkg:deb/debian/busybox@1%3A1.35.0-4%2Bb3?arch=amd64");
}

}  // namespace
}  // namespace kiln::sources
