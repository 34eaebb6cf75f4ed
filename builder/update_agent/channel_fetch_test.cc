#include "builder/update_agent/channel_fetch.h"

#include <gtest/gtest.h>

#include "builder/channel/testing_index.h"

namespace kiln::update_agent {
namespace {

TEST(ChooseVersion, NewestWhenNewerNothingWhenSameDowngradeOnlyWhenAsked) {
  const channel::ChannelIndex index = channel::testing::SampleIndex();  // 1.0.9, 1.0.10
  auto newer = ChooseVersion(index, "1.0.9", false);
  ASSERT_TRUE(newer.ok());
  ASSERT_NE(*newer, nullptr);
  EXPECT_EQ((*newer)->version, "1.0.10");  // systemd-boot's order, not strcmp

  auto same = ChooseVersion(index, "1.0.10", false);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, nullptr);

  auto older = ChooseVersion(index, "1.1", false);
  ASSERT_FALSE(older.ok());
  EXPECT_NE(older.error().message.find("--allow-downgrade"), std::string::npos);
  auto allowed = ChooseVersion(index, "1.1", true);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ((*allowed)->version, "1.0.10");

  auto empty = ChooseVersion(channel::ChannelIndex{}, "1.0", false);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, nullptr);
}

TEST(ChannelFileUrl, JoinsWithOneSlash) {
  EXPECT_EQ(ChannelFileUrl("http://h/c/", "index.p7s"), "http://h/c/index.p7s");
  EXPECT_EQ(ChannelFileUrl("http://h/c", "index.p7s"), "http://h/c/index.p7s");
}

}  // namespace
}  // namespace kiln::update_agent
