#include "builder/sources/debian_archived_inputs.h"

#include <gtest/gtest.h>

namespace kiln::sources {
namespace {

TEST(AptArchiveFileName, QuotesTheEpochLikeApt) {
  LockedPackage p{"libc6", "2.36-9+deb12u4", "amd64", std::string(64, 'a')};
  EXPECT_EQ(*AptArchiveFileName(p), "libc6_2.36-9+deb12u4_amd64.deb");
  p = {"dpkg", "1:1.21.22", "amd64", std::string(64, 'a')};
  EXPECT_EQ(*AptArchiveFileName(p), "dpkg_1%3a1.21.22_amd64.deb");
}

TEST(AptArchiveFileName, RefusesNamesThatAreNotPlainFileNames) {
  EXPECT_FALSE(AptArchiveFileName({"../x", "1", "amd64", ""}).ok());
  EXPECT_FALSE(AptArchiveFileName({".hidden", "1", "amd64", ""}).ok());
  EXPECT_FALSE(AptArchiveFileName({"", "1", "amd64", ""}).ok());
}

}  // namespace
}  // namespace kiln::sources
