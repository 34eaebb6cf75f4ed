// [update]: values, defaults, and every error with its exact text.
#include <gtest/gtest.h>

#include <string>

#include "builder/recipe/recipe_parser.h"

namespace kiln::recipe {
namespace {

// Lines 1-9; [update] starts on line 10.
constexpr const char* kUpdatable =
    "[image]\nname = \"app\"\nversion = \"1\"\n"
    "[boot]\nloader = \"systemd-boot\"\n"
    "[data]\nsize = \"64M\"\n"
    "[output]\nformats = [\"raw\"]\n";

std::string Err(const std::string& text) {
  Result<Recipe> r = ParseRecipe(text, "x.toml");
  if (r.ok()) return "<parsed fine>";
  EXPECT_EQ(r.error().code, ErrorCode::kRecipe);
  return r.error().message;
}

std::string UpdateErr(const std::string& body) { return Err(std::string(kUpdatable) + "[update]\n" + body); }

TEST(RecipeUpdateTest, AbsentByDefault) {
  Result<Recipe> r = ParseRecipe(kUpdatable, "x.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->update);
}

TEST(RecipeUpdateTest, ValuesAndDefaults) {
  Result<Recipe> r = ParseRecipe(std::string(kUpdatable) +
                                     "[update]\nchannel = \"http://10.0.2.100/\"\nslot_size = \"512M\"\n",
                                 "x.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->update);
  EXPECT_EQ(r->update->channel, "http://10.0.2.100/");
  EXPECT_EQ(r->update->slot_size, 512ULL << 20);
  EXPECT_EQ(r->update->tries, 3u);
  EXPECT_TRUE(r->update->health.empty());
  EXPECT_EQ(r->update->pos.line, 10);

  r = ParseRecipe(std::string(kUpdatable) +
                      "[update]\nchannel = \"https://updates.example.com/appliance/\"\nslot_size = 1073741824\n"
                      "tries = 1\nhealth = [\"appliance.service\", \"check@x.service\"]\n",
                  "x.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->update->slot_size, 1ULL << 30);
  EXPECT_EQ(r->update->tries, 1u);
  EXPECT_EQ(r->update->health, (std::vector<std::string>{"appliance.service", "check@x.service"}));
}

TEST(RecipeUpdateTest, KeyErrors) {
  EXPECT_EQ(UpdateErr("slot_size = \"1G\"\n"), "x.toml:10:1: missing required key 'channel' in [update]");
  EXPECT_EQ(UpdateErr("channel = \"http://h/\"\n"), "x.toml:10:1: missing required key 'slot_size' in [update]");
  EXPECT_EQ(UpdateErr("channel = \"http://h/\"\nslot_size = \"1G\"\nkeep = 2\n"),
            "x.toml:13:1: unknown key 'keep' in [update] (allowed: channel, slot_size, tries, health)");
  EXPECT_EQ(UpdateErr("channel = \"http://h/\"\nslot_size = \"1G\"\ntries = 0\n"),
            "x.toml:13:9: [update].tries: value 0 out of range (1..15)");
  EXPECT_EQ(UpdateErr("channel = \"http://h/\"\nslot_size = \"1G\"\ntries = 16\n"),
            "x.toml:13:9: [update].tries: value 16 out of range (1..15)");
  EXPECT_EQ(UpdateErr("channel = \"http://h/\"\nslot_size = \"1G\"\ntries = \"3\"\n"),
            "x.toml:13:9: [update].tries: expected an integer, got string");
  EXPECT_EQ(UpdateErr("channel = \"http://h/\"\nslot_size = \"1000K\"\n"),
            "x.toml:12:13: [update].slot_size: must be a positive whole number of MiB, got 1024000 bytes");
  EXPECT_EQ(UpdateErr("channel = \"http://h/\"\nslot_size = 0\n"),
            "x.toml:12:13: [update].slot_size: must be a positive whole number of MiB, got 0 bytes");
}

TEST(RecipeUpdateTest, ChannelErrors) {
  auto channel = [](const std::string& url) {
    return UpdateErr("channel = \"" + url + "\"\nslot_size = \"1G\"\n");
  };
  EXPECT_EQ(channel("ftp://h/"), "x.toml:11:11: [update].channel: must be an http:// or https:// URL, got 'ftp://h/'");
  EXPECT_EQ(channel("file:///srv/channel/"),
            "x.toml:11:11: [update].channel: must be an http:// or https:// URL, got 'file:///srv/channel/'");
  EXPECT_EQ(channel("http:///x/"), "x.toml:11:11: [update].channel: has no host: 'http:///x/'");
  EXPECT_EQ(channel("https://h/x"), "x.toml:11:11: [update].channel: must name a directory and end with '/': 'https://h/x'");
  EXPECT_EQ(channel("https://h/?a=1/"), "x.toml:11:11: [update].channel: must not have a query or fragment ('?')");
  EXPECT_EQ(channel("https://h/a b/"),
            "x.toml:11:11: [update].channel: must be plain ASCII without spaces, quotes or backslashes");
  EXPECT_EQ(channel("https://h/\\n/"),
            "x.toml:11:11: [update].channel: must be plain ASCII without spaces, quotes or backslashes");
  EXPECT_EQ(UpdateErr("channel = 5\nslot_size = \"1G\"\n"), "x.toml:11:11: [update].channel: expected a string, got integer");
}

TEST(RecipeUpdateTest, HealthErrors) {
  auto health = [](const std::string& list) {
    return UpdateErr("channel = \"http://h/\"\nslot_size = \"1G\"\nhealth = " + list + "\n");
  };
  EXPECT_EQ(health("[\"app\"]"), "x.toml:13:11: [update].health[0]: invalid unit name: has no unit type suffix such as .service, .socket or .timer");
  EXPECT_EQ(health("[\"a.service\", \"a.service\"]"), "x.toml:13:10: [update].health: unit 'a.service' is listed twice");
  EXPECT_EQ(health("[\"\"]"), "x.toml:13:11: [update].health[0]: invalid unit name ''");
  EXPECT_EQ(health("\"a.service\""), "x.toml:13:10: [update].health: expected an array of strings, got string");
}

TEST(RecipeUpdateTest, NeedsSystemdBootAndData) {
  const std::string update = "[update]\nchannel = \"http://h/\"\nslot_size = \"1G\"\n";
  const std::string image = "[image]\nname = \"app\"\nversion = \"1\"\n";
  EXPECT_EQ(Err(image + "[data]\nsize = \"64M\"\n" + update),
            "x.toml:6:1: [update] needs [boot] loader = \"systemd-boot\" (its boot counting falls back to the "
            "previous version)");
  EXPECT_EQ(Err(image + "[boot]\nloader = \"systemd-boot\"\n" + update),
            "x.toml:6:1: [update] needs a [data] partition (it keeps the machine's state across versions)");
}

}  // namespace
}  // namespace kiln::recipe
