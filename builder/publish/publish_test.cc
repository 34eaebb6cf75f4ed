#include "builder/publish/publish.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/artifacts/artifacts.h"
#include "builder/channel/signed_index.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"
#include "builder/manifest/build_manifest.h"
#include "signing/pkcs7.h"
#include "signing/testing_keys.h"

namespace kiln::publish {
namespace {

namespace fs = std::filesystem;
namespace testkeys = signing::testkeys;
using artifacts::Role;

// A build output directory as `kiln build` leaves it for a signed disk image with a UKI,
// with synthetic contents: publish only reads the files the signed manifest lists.
void FakeBuild(const fs::path& dir, const std::string& version, const signing::GeneratedKey& key,
               const std::string& image = "app") {
  fs::create_directories(dir);
  const std::string base = image + "_" + version;
  const std::string root_hash = ToHex(Sha256Of("root " + version));
  std::string squashfs = "hsqs" + std::string(300000, 'x') + version;
  for (std::size_t i = 0; i < squashfs.size(); i += 97) squashfs[i] = static_cast<char>(i * 31);
  const std::vector<std::pair<Role, std::string>> files = {
      {Role::kRootFilesystem, squashfs},
      {Role::kVerityHashTree, std::string(8192, 'v') + version},
      {Role::kRootHash, root_hash + "\n"},
      {Role::kRootHashSignature, signing::SignPkcs7Detached(root_hash, key.key, key.certificate).value()},
      {Role::kBootImage, "MZ uki " + version},
  };
  manifest::BuildManifest m;
  m.kiln_version = "test";
  m.image_name = image;
  m.image_version = version;
  m.architecture = "x86-64";
  m.recipe = "recipe.toml";
  m.recipe_sha256 = ToHex(Sha256Of("recipe"));
  m.seed = std::string(32, '0');
  m.disk_guid = "00000000-0000-4000-8000-000000000000";
  m.disk_size = 1 << 30;
  m.partitions.push_back({"root-x86-64", "t", "u", base, 1 << 20, 64 << 20, 0, "squashfs", ""});
  m.root_hash = root_hash;
  m.certificate_fingerprint = signing::CertificateFingerprintSha256(key.certificate);
  for (const auto& [role, content] : files) {
    const std::string name = artifacts::FileName(role, base);
    ASSERT_TRUE(WriteFile(dir / name, content).ok());
    m.artifacts.push_back({name, content.size(), ToHex(Sha256Of(content))});
  }
  const std::string json = manifest::ToJson(m);
  const std::string name = artifacts::FileName(Role::kManifest, base);
  ASSERT_TRUE(WriteFile(dir / name, json).ok());
  ASSERT_TRUE(WriteFile(dir / artifacts::SignatureFileName(name),
                        signing::SignPkcs7Detached(json, key.key, key.certificate).value())
                  .ok());
}

class PublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = TempDir::Create().value();
    channel_ = tmp_.path() / "channel";
  }
  fs::path Build(const std::string& version, const signing::GeneratedKey& key = testkeys::RsaKey()) {
    fs::path out = tmp_.path() / ("out-" + version + "-" + signing::CertificateFingerprintSha256(key.certificate).substr(0, 8));
    FakeBuild(out, version, key);
    return out;
  }
  Result<PublishResult> Run(const fs::path& out, PublishOptions o = {},
                            const signing::GeneratedKey& key = testkeys::RsaKey()) {
    o.out_dir = out;
    if (o.channel_dir.empty()) o.channel_dir = channel_;
    o.on_event = [this, also = o.on_event](const Event& e) {
      events_.push_back(e.message);
      if (also) also(e);
    };
    return Publish(o, key.key, key.certificate);
  }
  channel::ChannelIndex Index(const fs::path& channel, const signing::GeneratedKey& key = testkeys::RsaKey()) {
    auto bytes = ReadFile(channel / "index.p7s");
    EXPECT_TRUE(bytes.ok());
    auto index = channel::VerifyIndex(bytes.ok() ? *bytes : "", key.certificate);
    EXPECT_TRUE(index.ok()) << index.error().ToString();
    return index.ok() ? *index : channel::ChannelIndex{};
  }
  static std::vector<std::string> Versions(const channel::ChannelIndex& index) {
    std::vector<std::string> v;
    for (const auto& e : index.versions) v.push_back(e.version);
    return v;
  }
  std::vector<std::string> Listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir tmp_;
  fs::path channel_;
  std::vector<std::string> events_;
};

TEST_F(PublishTest, PublishesPayloadsAndASignedIndex) {
  const fs::path out = Build("1.9");
  auto r = Run(out);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  channel::ChannelIndex index = Index(channel_);
  EXPECT_EQ(index, r->index);
  ASSERT_EQ(Versions(index), std::vector<std::string>{"1.9"});
  const channel::ChannelVersion& v = index.versions[0];
  EXPECT_EQ(v.slot_size, 64u << 20);
  EXPECT_EQ(v.root.path, "app_1.9.root.squashfs.zst");
  for (const channel::ChannelFile* f : channel::FilesOf(v)) {
    auto bytes = ReadFile(channel_ / f->path);
    ASSERT_TRUE(bytes.ok()) << f->path;
    EXPECT_EQ(bytes->size(), f->size) << f->path;
    EXPECT_EQ(ToHex(Sha256Of(*bytes)), f->sha256) << f->path;
  }
  // The root decompresses to the build's squashfs.
  const std::string squashfs = *ReadFile(out / "app_1.9.root.squashfs");
  const std::string zst = *ReadFile(channel_ / v.root.path);
  std::string plain(squashfs.size(), '\0');
  std::size_t n = ZSTD_decompress(plain.data(), plain.size(), zst.data(), zst.size());
  ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  EXPECT_EQ(plain.substr(0, n), squashfs);
  EXPECT_EQ(v.root.content_sha256, ToHex(Sha256Of(squashfs)));
  EXPECT_EQ(Listing(channel_), (std::vector<std::string>{"app_1.9.efi", "app_1.9.root.squashfs.zst", "app_1.9.root.verity",
                                                          "app_1.9.roothash.p7s.json", "index.p7s"}));
}

TEST_F(PublishTest, OutputIsTheSameForAnyNumberOfThreads) {
  const fs::path out = Build("2.0");
  PublishOptions one, two;
  one.jobs = 1;
  one.channel_dir = tmp_.path() / "one";
  two.jobs = 4;
  two.channel_dir = tmp_.path() / "two";
  ASSERT_TRUE(Run(out, one).ok());
  ASSERT_TRUE(Run(out, two).ok());
  for (const std::string& name : Listing(one.channel_dir))
    EXPECT_EQ(*ReadFile(one.channel_dir / name), *ReadFile(two.channel_dir / name)) << name;
}

TEST_F(PublishTest, OrdersVersionsLikeSystemdBoot) {
  ASSERT_TRUE(Run(Build("1.9")).ok());
  ASSERT_TRUE(Run(Build("1.10")).ok());
  EXPECT_EQ(Versions(Index(channel_)), (std::vector<std::string>{"1.9", "1.10"}));
}

TEST_F(PublishTest, RefusesSameOrOlderVersionAndLeavesTheChannelAlone) {
  ASSERT_TRUE(Run(Build("1.10")).ok());
  const std::string before = *ReadFile(channel_ / "index.p7s");
  auto same = Run(Build("1.10"));
  ASSERT_FALSE(same.ok());
  EXPECT_NE(same.error().ToString().find("already in the channel"), std::string::npos) << same.error().ToString();
  auto equal = Run(Build("1.010"));  // the same version to systemd-boot
  ASSERT_FALSE(equal.ok());
  auto older = Run(Build("1.9"));
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.error().code, ErrorCode::kInput);
  EXPECT_NE(older.error().ToString().find("--allow-older"), std::string::npos);
  EXPECT_EQ(*ReadFile(channel_ / "index.p7s"), before);
  EXPECT_FALSE(fs::exists(channel_ / "app_1.9.efi"));

  PublishOptions o;
  o.allow_older = true;
  ASSERT_TRUE(Run(Build("1.9"), o).ok());
  EXPECT_EQ(Versions(Index(channel_)), (std::vector<std::string>{"1.9", "1.10"}));
}

TEST_F(PublishTest, PrunesBeyondKeepOnlyAfterTheNewIndexIsLive) {
  for (const char* v : {"1", "2", "3"}) ASSERT_TRUE(Run(Build(v)).ok());
  PublishOptions o;
  o.keep = 2;
  events_.clear();
  auto r = Run(Build("4"), o);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->pruned, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(Versions(Index(channel_)), (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(Listing(channel_).size(), 2u * 4u + 1u);
  EXPECT_FALSE(fs::exists(channel_ / "app_1.efi"));
  EXPECT_FALSE(fs::exists(channel_ / "app_2.root.squashfs.zst"));
  auto live = std::find(events_.begin(), events_.end(), "replacing index.p7s");
  auto removed = std::find_if(events_.begin(), events_.end(), [](const std::string& e) { return e.starts_with("removed "); });
  ASSERT_NE(live, events_.end());
  ASSERT_NE(removed, events_.end());
  EXPECT_LT(live, removed);
}

TEST_F(PublishTest, OlderVersionBeyondKeepLeavesNoFiles) {
  ASSERT_TRUE(Run(Build("5")).ok());
  PublishOptions o;
  o.allow_older = true;
  o.keep = 1;
  ASSERT_TRUE(Run(Build("4"), o).ok());
  EXPECT_EQ(Versions(Index(channel_)), std::vector<std::string>{"5"});
  EXPECT_EQ(Listing(channel_).size(), 5u);
}

TEST_F(PublishTest, RefusesATamperedIndex) {
  ASSERT_TRUE(Run(Build("1")).ok());
  std::string bytes = *ReadFile(channel_ / "index.p7s");
  bytes[bytes.size() / 3] ^= 0x20;
  ASSERT_TRUE(WriteFile(channel_ / "index.p7s", bytes).ok());
  auto r = Run(Build("2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity) << r.error().ToString();
}

TEST_F(PublishTest, RefusesAnIndexAnotherKeySignedUnlessAllowed) {
  const auto& other = testkeys::OtherRsaKey();
  ASSERT_TRUE(Run(Build("1", other), {}, other).ok());
  auto r = Run(Build("2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(r.error().ToString().find("--allow-other-signer"), std::string::npos) << r.error().ToString();
  PublishOptions o;
  o.allow_other_signer = true;
  auto taken = Run(Build("2"), o);
  ASSERT_TRUE(taken.ok()) << taken.error().ToString();
  EXPECT_EQ(taken->previous_signer, signing::CertificateFingerprintSha256(other.certificate));
  EXPECT_EQ(Versions(Index(channel_)), (std::vector<std::string>{"1", "2"}));
}

// Replaces `from` by `to` in the channel's index JSON and signs it with `key`, as a hostile or
// hand-edited channel would (WriteIndexJson refuses such indexes, so the JSON is edited).
void RewriteIndex(const fs::path& channel, const std::string& from, const std::string& to,
                  const signing::GeneratedKey& key) {
  std::string json =
      channel::WriteIndexJson(*channel::VerifyIndex(*ReadFile(channel / "index.p7s"), testkeys::RsaKey().certificate))
          .value();
  const std::size_t at = json.find(from);
  ASSERT_NE(at, std::string::npos) << json;
  json.replace(at, from.size(), to);
  ASSERT_TRUE(
      WriteFile(channel / "index.p7s", signing::SignPkcs7Attached(json, key.key, key.certificate).value()).ok());
}

// Audit regression: a foreign channel whose index names index.p7s as a payload made pruning
// that version delete the new, live index.
TEST_F(PublishTest, AHostileIndexCannotMakePruningDeleteTheIndex) {
  ASSERT_TRUE(Run(Build("1")).ok());
  RewriteIndex(channel_, "\"path\":\"app_1.efi\"", "\"path\":\"index.p7s\"", testkeys::OtherRsaKey());
  PublishOptions o;
  o.allow_other_signer = true;
  o.keep = 1;
  auto r = Run(Build("2"), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput) << r.error().ToString();
  EXPECT_TRUE(fs::exists(channel_ / "index.p7s"));
}

// Audit regression: an index naming the new version's file name for an older version made
// publish replace that file under the live index (and then fail on the duplicate name).
TEST_F(PublishTest, NeverRewritesAFileTheIndexNamesForAnotherVersion) {
  ASSERT_TRUE(Run(Build("0.9")).ok());
  fs::rename(channel_ / "app_0.9.efi", channel_ / "app_1.0.efi");
  RewriteIndex(channel_, "\"path\":\"app_0.9.efi\"", "\"path\":\"app_1.0.efi\"", testkeys::RsaKey());
  const std::string before = *ReadFile(channel_ / "app_1.0.efi");
  const std::string index_before = *ReadFile(channel_ / "index.p7s");
  auto r = Run(Build("1.0"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput) << r.error().ToString();
  EXPECT_NE(r.error().message.find("app_1.0.efi"), std::string::npos) << r.error().ToString();
  EXPECT_EQ(*ReadFile(channel_ / "app_1.0.efi"), before);
  EXPECT_EQ(*ReadFile(channel_ / "index.p7s"), index_before);
  EXPECT_FALSE(fs::exists(channel_ / "app_1.0.root.squashfs.zst"));
}

TEST_F(PublishTest, RefusesABuildSignedByAnotherCertificate) {
  auto r = Run(Build("1", testkeys::OtherRsaKey()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_FALSE(fs::exists(channel_ / "index.p7s"));
}

TEST_F(PublishTest, RefusesAnArtifactChangedAfterTheBuild) {
  const fs::path out = Build("1");
  std::string uki = *ReadFile(out / "app_1.efi");
  uki[0] = 'X';
  ASSERT_TRUE(WriteFile(out / "app_1.efi", uki).ok());
  auto r = Run(out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(r.error().ToString().find("app_1.efi"), std::string::npos) << r.error().ToString();
}

TEST_F(PublishTest, RefusesAnotherImageInTheChannel) {
  ASSERT_TRUE(Run(Build("1")).ok());
  const fs::path other = tmp_.path() / "other-image";
  FakeBuild(other, "2", testkeys::RsaKey(), "db");
  auto r = Run(other);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("the channel holds image app"), std::string::npos) << r.error().ToString();
}

// A second publish waits for the lock another publish holds (here another open file
// description, as another process would hold it) and says so; the holder lets go once the
// waiting is reported.
TEST_F(PublishTest, WaitsForAnotherPublish) {
  fs::create_directories(channel_);
  UniqueFd held(::open(channel_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(held.valid());
  ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);
  PublishOptions o;
  bool waited = false;
  o.on_event = [&](const Event& e) {
    if (e.message.starts_with("waiting for another publish")) {
      waited = true;
      ::flock(held.get(), LOCK_UN);
    }
  };
  auto r = Run(Build("1"), o);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(waited);
}

TEST_F(PublishTest, RemovesTemporariesOfAnInterruptedPublish) {
  ASSERT_TRUE(Run(Build("1")).ok());
  ASSERT_TRUE(WriteFile(channel_ / ".kiln-publish-99999-app_2.efi", "half").ok());
  ASSERT_TRUE(Run(Build("2")).ok());
  EXPECT_FALSE(fs::exists(channel_ / ".kiln-publish-99999-app_2.efi"));
}

}  // namespace
}  // namespace kiln::publish
