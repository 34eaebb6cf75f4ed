#include "builder/channel/channel_index.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "builder/channel/testing_index.h"

namespace kiln::channel {
namespace {

using testing::Hex;
using testing::SampleIndex;
using testing::SampleVersion;

TEST(ChannelIndex, RoundTripsAndIsDeterministic) {
  ChannelIndex index = SampleIndex();
  auto json = WriteIndexJson(index);
  ASSERT_TRUE(json.ok()) << json.error().ToString();
  EXPECT_EQ(*json, *WriteIndexJson(SampleIndex()));
  auto parsed = ParseIndex(*json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, index);
  ASSERT_NE(parsed->Newest(), nullptr);
  EXPECT_EQ(parsed->Newest()->version, "1.0.10");
}

TEST(ChannelIndex, WritesTheDocumentedShapeWithSortedKeys) {
  auto json = WriteIndexJson(SampleIndex());
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->rfind("{\"architecture\":\"x86-64\",\"image\":\"appliance\",\"schema\":\"kiln.channel.v1\","
                        "\"versions\":[{\"files\":{\"root\":{\"compression\":\"zstd\",\"content_sha256\":",
                        0),
            0u)
      << *json;
  EXPECT_EQ(json->find('\n'), std::string::npos);
}

TEST(ChannelIndex, UncompressedRootMustDescribeItsFile) {
  ChannelIndex index = SampleIndex();
  index.versions[0].root.compression = std::string(kCompressionNone);
  EXPECT_FALSE(WriteIndexJson(index).ok());
  index.versions[0].root.content_size = index.versions[0].root.size;
  index.versions[0].root.content_sha256 = index.versions[0].root.sha256;
  EXPECT_TRUE(WriteIndexJson(index).ok());
}

TEST(ChannelIndex, RefusesUnorderedOrDuplicateVersions) {
  ChannelIndex index = SampleIndex();
  std::swap(index.versions[0], index.versions[1]);
  auto r = WriteIndexJson(index);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("strictly increasing"), std::string::npos);
  index = SampleIndex();
  index.versions[1] = SampleVersion("1.0.09", '2');  // equal to 1.0.9
  EXPECT_FALSE(WriteIndexJson(index).ok());
}

TEST(ChannelIndex, RefusesSharedFiles) {
  ChannelIndex index = SampleIndex();
  index.versions[1].uki.path = index.versions[0].uki.path;
  EXPECT_FALSE(WriteIndexJson(index).ok());
}

TEST(ChannelIndex, RefusesRootLargerThanItsSlot) {
  ChannelIndex index = SampleIndex();
  index.versions[0].slot_size = index.versions[0].root.content_size - 1;
  EXPECT_FALSE(WriteIndexJson(index).ok());
}

// Each mutation of a valid document must be refused without throwing.
TEST(ChannelIndex, RefusesHostileDocuments) {
  const nlohmann::json good = nlohmann::json::parse(*WriteIndexJson(SampleIndex()));
  auto refuse = [](const nlohmann::json& doc, const char* why) {
    auto r = ParseIndex(doc.dump());
    EXPECT_FALSE(r.ok()) << why;
  };
  auto with = [&](auto mutate) {
    nlohmann::json d = good;
    mutate(d);
    return d;
  };
  refuse(with([](auto& d) { d["schema"] = "kiln.channel.v2"; }), "schema");
  refuse(with([](auto& d) { d["extra"] = 1; }), "unknown key");
  refuse(with([](auto& d) { d.erase("image"); }), "missing image");
  refuse(with([](auto& d) { d["image"] = "../x"; }), "image name");
  refuse(with([](auto& d) { d["versions"] = nlohmann::json::object(); }), "versions type");
  refuse(with([](auto& d) { d["versions"][0]["version"] = 10; }), "version type");
  refuse(with([](auto& d) { d["versions"][0]["version"] = "1 0"; }), "version chars");
  refuse(with([](auto& d) { d["versions"][0]["root_hash"] = Hex('A'); }), "uppercase hex");
  refuse(with([](auto& d) { d["versions"][0]["root_hash"] = "abc"; }), "short hex");
  refuse(with([](auto& d) { d["versions"][0]["slot_size"] = -1; }), "negative size");
  refuse(with([](auto& d) { d["versions"][0]["slot_size"] = 1.5; }), "fractional size");
  refuse(with([](auto& d) { d["versions"][0]["files"]["uki"]["path"] = "../etc/passwd"; }), "path with /");
  refuse(with([](auto& d) { d["versions"][0]["files"]["uki"]["path"] = ".."; }), "path ..");
  refuse(with([](auto& d) { d["versions"][0]["files"]["uki"]["path"] = ".hidden"; }), "hidden path");
  refuse(with([](auto& d) { d["versions"][0]["files"]["uki"]["path"] = ""; }), "empty path");
  refuse(with([](auto& d) { d["versions"][0]["files"]["uki"]["path"] = "a/b"; }), "slash");
  refuse(with([](auto& d) { d["versions"][0]["files"].erase("verity"); }), "missing file");
  refuse(with([](auto& d) { d["versions"][0]["files"]["root"]["compression"] = "gzip"; }), "compression");
  refuse(with([](auto& d) { d["versions"][0]["files"]["uki"]["extra"] = true; }), "unknown file key");
  refuse(with([](auto& d) { d["versions"] = nlohmann::json::array({d["versions"][0], d["versions"][0]}); }),
         "duplicate version");
  EXPECT_FALSE(ParseIndex("").ok());
  EXPECT_FALSE(ParseIndex("[]").ok());
  EXPECT_FALSE(ParseIndex("{\"schema\":").ok());
  EXPECT_FALSE(ParseIndex(std::string(kMaxIndexSize + 1, ' ')).ok());
  EXPECT_FALSE(ParseIndex(std::string(100000, '[')).ok());
}

// Audit regressions: a zero size reached the downloader as "no limit" (a server could send
// endless bytes); a version naming index.p7s made `kiln publish` delete the live index when
// it pruned that version.
TEST(ChannelIndex, RefusesZeroSizesAndTheIndexAsAPayload) {
  const nlohmann::json good = nlohmann::json::parse(*WriteIndexJson(SampleIndex()));
  auto parses = [&](auto mutate) {
    nlohmann::json d = good;
    mutate(d);
    return ParseIndex(d.dump()).ok();
  };
  EXPECT_FALSE(parses([](auto& d) { d["versions"][0]["files"]["uki"]["size"] = 0; }));
  EXPECT_FALSE(parses([](auto& d) { d["versions"][0]["files"]["verity"]["size"] = 0; }));
  EXPECT_FALSE(parses([](auto& d) { d["versions"][0]["files"]["signature"]["size"] = 0; }));
  EXPECT_FALSE(parses([](auto& d) { d["versions"][0]["files"]["root"]["size"] = 0; }));
  EXPECT_FALSE(parses([](auto& d) { d["versions"][0]["files"]["root"]["content_size"] = 0; }));
  EXPECT_FALSE(parses([](auto& d) { d["versions"][0]["slot_size"] = 0; }));
  EXPECT_FALSE(parses([](auto& d) { d["versions"][0]["files"]["uki"]["path"] = "index.p7s"; }));
  EXPECT_FALSE(IsValidChannelFileName(kIndexFileName));
  EXPECT_TRUE(IsValidChannelFileName("index.p7s.old"));
}

TEST(ChannelIndex, RefusesTooManyVersions) {
  ChannelIndex index = SampleIndex();
  index.versions.clear();
  for (std::size_t i = 0; i <= kMaxVersions; ++i) {
    ChannelVersion v = SampleVersion("1." + std::to_string(i), '1');
    index.versions.push_back(v);
  }
  auto r = WriteIndexJson(index);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("more than 64 versions"), std::string::npos) << r.error().ToString();
}

TEST(ChannelIndex, FileNames) {
  EXPECT_TRUE(IsValidChannelFileName("appliance_1.0~rc1+b.root.squashfs.zst"));
  EXPECT_FALSE(IsValidChannelFileName("a b"));
  EXPECT_FALSE(IsValidChannelFileName("index.p7s/x"));
  EXPECT_FALSE(IsValidChannelFileName(".tmp"));
  EXPECT_FALSE(IsValidChannelFileName(std::string(kMaxNameLength + 1, 'a')));
  EXPECT_FALSE(IsValidChannelFileName(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace kiln::channel
