// The agent's verbs end to end in process (so the sanitizer pass covers them): an A/B GPT in
// an image file, a signed channel on a loopback server, an ESP directory.
#include "builder/update_agent/update.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include "builder/channel/signed_index.h"
#include "builder/common/files.h"
#include "builder/disk/partition_types.h"
#include "builder/slots/slot_uuids.h"
#include "builder/transfer/test_http_server.h"
#include "builder/update_agent/partition_sink.h"
#include "builder/update_agent/rollback.h"
#include "builder/update_agent/status.h"
#include "builder/verity/verity.h"
#include "signing/testing_keys.h"

namespace kiln::update_agent {
namespace {

namespace fs = std::filesystem;
using disk::PartitionRole;
using transfer::testing::PseudoRandomBytes;

constexpr std::uint64_t kMiB = 1 << 20;

std::string Zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

std::string Hex(const std::string& bytes) { return ToHex(Sha256Of(bytes)); }

class UpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir::Create({}, "kiln-agent-test").value();
    paths_.disk = dir_.path() / "disk.img";
    paths_.esp = dir_.path() / "esp";
    paths_.cmdline = dir_.path() / "cmdline";
    paths_.release = dir_.path() / "release.json";
    paths_.cert = fs::path(KILN_SIGNING_TESTDATA) / "rsa.crt";
    fs::create_directories(paths_.esp / "EFI/Linux");
    ASSERT_TRUE(WriteFile(paths_.esp / "EFI/Linux/app_1.0.efi", "uki 1.0").ok());
    running_hash_ = Sha256Of("version 1.0");
    Running("1.0", running_hash_);
    MakeDisk();
    MakeVersion();
  }

  void Running(const std::string& version, const Digest& hash) {
    ASSERT_TRUE(WriteFile(paths_.cmdline, "quiet roothash=" + ToHex(hash) + "\n").ok());
    ASSERT_TRUE(WriteFile(paths_.release, R"({"architecture":"x86-64","channel":"http://127.0.0.1:1/","image":"app",)"
                                          R"("schema":"kiln.release.v1","tries":2,"version":")" + version + "\"}")
                    .ok());
  }

  void MakeDisk() {
    auto type = [](PartitionRole r) { return disk::PartitionTypeUuid(r, Architecture::kX86_64); };
    disk::DiskLayout l;
    l.disk_guid = Uuid::Parse("11111111-2222-4333-8444-555555555555").value();
    l.size_bytes = 16 * kMiB;
    std::uint64_t at = kMiB;
    auto add = [&](Uuid t, Uuid u, std::string label, std::uint64_t size) {
      l.partitions.push_back({t, u, std::move(label), at, size, disk::kAttrReadOnly});
      at += size;
    };
    add(type(PartitionRole::kEsp), UuidV4From(Sha256Of("esp")), "esp", kMiB);
    add(type(PartitionRole::kRoot), UuidFromFirstHalf(running_hash_), "app_1.0", 2 * kMiB);
    add(type(PartitionRole::kRootVerity), UuidFromSecondHalf(running_hash_), "app_1.0_verity", 64 * 1024);
    add(type(PartitionRole::kRootVeritySig), slots::SignaturePartitionUuid(running_hash_), "app_1.0_verity_sig", 16 * 1024);
    add(type(PartitionRole::kRoot), UuidV4From(Sha256Of("b1")), "_empty", 2 * kMiB);
    add(type(PartitionRole::kRootVerity), UuidV4From(Sha256Of("b2")), "_empty", 64 * 1024);
    add(type(PartitionRole::kRootVeritySig), UuidV4From(Sha256Of("b3")), "_empty", 16 * 1024);
    UniqueFd fd(::open(paths_.disk.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600));
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(disk::WriteGpt(fd.get(), l).ok());
    // Slot A's contents: a pattern that must survive every verb.
    ASSERT_TRUE(WriteAt(fd.get(), l.partitions[1].offset, PseudoRandomBytes(l.partitions[1].size, 1)).ok());
    // Slot B's signature partition holds an older, longer JSON's bytes.
    ASSERT_TRUE(WriteAt(fd.get(), l.partitions[6].offset, std::string(l.partitions[6].size, 'x')).ok());
    slot_a_ = {l.partitions[1].offset, l.partitions[3].end() - l.partitions[1].offset};
    slot_a_sha_ = HashRange(fd.get(), slot_a_.first, slot_a_.second).value();
  }

  // Version 2.0: a 64 KiB root (16 verity blocks), served zstd-compressed. `version` renames
  // it in the index only (the file names stay).
  void MakeVersion(const std::string& version = "2.0") {
    root_ = PseudoRandomBytes(64 * 1024, 2);
    const fs::path data = dir_.path() / "root";
    ASSERT_TRUE(WriteFile(data, root_).ok());
    UniqueFd fd(::open(data.c_str(), O_RDONLY));
    verity::VerityParams params;
    params.uuid = UuidV4From(Sha256Of("verity"));
    auto v = verity::ComputeVerity(fd.get(), 0, root_.size(), params, 1);
    ASSERT_TRUE(v.ok());
    hash_ = v->root_hash;
    verity_ = v->hash_device;
    const std::string sig = R"({"rootHash":")" + ToHex(hash_) + R"(","signature":"c2ln"})";
    const std::string uki = "uki 2.0 " + PseudoRandomBytes(10000, 3);
    const std::string zroot = Zstd(root_);
    channel::ChannelVersion cv;
    cv.version = version;
    cv.root_hash = ToHex(hash_);
    cv.manifest_sha256 = std::string(64, 'e');
    cv.slot_size = 2 * kMiB;
    cv.root = {{"app_2.0.root.squashfs.zst", zroot.size(), Hex(zroot)}, "zstd", root_.size(), Hex(root_)};
    cv.verity = {"app_2.0.root.verity", verity_.size(), Hex(verity_)};
    cv.signature = {"app_2.0.roothash.p7s.json", sig.size(), Hex(sig)};
    cv.uki = {"app_2.0.efi", uki.size(), Hex(uki)};
    channel::ChannelIndex index{"app", "x86-64", {cv}};
    const auto& key = signing::testkeys::RsaKey();
    server_.files["/index.p7s"] = channel::SignIndex(index, key.key, key.certificate).value();
    server_.files["/app_2.0.root.squashfs.zst"] = zroot;
    server_.files["/app_2.0.root.verity"] = verity_;
    server_.files["/app_2.0.roothash.p7s.json"] = sig;
    server_.files["/app_2.0.efi"] = uki;
    uki_ = uki;
  }

  UpdateOptions Options() {
    UpdateOptions o;
    o.channel.channel_url = server_.Url("/");
    o.channel.retry = {3, std::chrono::milliseconds(5), std::chrono::milliseconds(10)};
    return o;
  }

  disk::DiskLayout Table() {
    UniqueFd fd(::open(paths_.disk.c_str(), O_RDONLY));
    return disk::ReadGpt(fd.get()).value();
  }
  Digest SlotA() {
    UniqueFd fd(::open(paths_.disk.c_str(), O_RDONLY));
    return HashRange(fd.get(), slot_a_.first, slot_a_.second).value();
  }
  std::vector<std::string> Entries() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(paths_.esp / "EFI/Linux")) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir dir_;
  AgentPaths paths_;
  transfer::testing::TestHttpServer server_{""};
  Digest running_hash_{}, hash_{}, slot_a_sha_{};
  std::pair<std::uint64_t, std::uint64_t> slot_a_;
  std::string root_, verity_, uki_;
};

TEST_F(UpdateTest, InstallsIntoTheInactiveSlotThenRollsBack) {
  auto r = Update(paths_, Options());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->kind, UpdateOutcome::Kind::kInstalled);
  EXPECT_EQ(r->slot, "B");
  EXPECT_EQ(r->entry, "app_2.0+2.efi");

  const disk::DiskLayout t = Table();
  EXPECT_EQ(t.partitions[4].label, "app_2.0");
  EXPECT_EQ(t.partitions[5].label, "app_2.0_verity");
  EXPECT_EQ(t.partitions[6].label, "app_2.0_verity_sig");
  EXPECT_EQ(t.partitions[4].uuid, UuidFromFirstHalf(hash_));
  EXPECT_EQ(t.partitions[5].uuid, UuidFromSecondHalf(hash_));
  EXPECT_EQ(t.partitions[6].uuid, slots::SignaturePartitionUuid(hash_));
  UniqueFd fd(::open(paths_.disk.c_str(), O_RDONLY));
  EXPECT_EQ(HashRange(fd.get(), t.partitions[4].offset, root_.size()).value(), Sha256Of(root_));
  std::string sig(t.partitions[6].size, '\0');
  ASSERT_EQ(::pread(fd.get(), sig.data(), sig.size(), static_cast<off_t>(t.partitions[6].offset)), static_cast<ssize_t>(sig.size()));
  const std::size_t json_end = sig.find('}') + 1;
  EXPECT_EQ(sig.substr(json_end), std::string(sig.size() - json_end, '\0'));  // NUL padded, nothing older behind
  EXPECT_EQ(SlotA(), slot_a_sha_);
  EXPECT_EQ(Entries(), (std::vector<std::string>{"app_1.0.efi", "app_2.0+2.efi"}));
  EXPECT_EQ(ReadFile(paths_.esp / "EFI/Linux/app_2.0+2.efi").value(), uki_);

  auto again = Update(paths_, Options());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, UpdateOutcome::Kind::kAlreadyInstalled);

  auto status = GetStatus(paths_, "");
  ASSERT_TRUE(status.ok());
  ASSERT_TRUE(status->pending);
  EXPECT_EQ(status->pending->file_name, "app_2.0+2.efi");
  EXPECT_EQ(status->running_slot, "A");

  // Booted into 2.0, then rolled back to 1.0.
  Running("2.0", hash_);
  auto back = Rollback(paths_);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->to_version, "1.0");
  EXPECT_EQ(back->to_slot, "A");
  EXPECT_EQ(Entries(), (std::vector<std::string>{"app_1.0.efi", "app_2.0+0.efi"}));
}

TEST_F(UpdateTest, AFlippedByteLeavesTheSlotEmptyAndNoEntry) {
  server_.files["/app_2.0.root.verity"][5000] ^= 1;
  auto r = Update(paths_, Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity) << r.error().ToString();
  const disk::DiskLayout t = Table();
  for (int i : {4, 5, 6}) EXPECT_EQ(t.partitions[i].label, "_empty");
  EXPECT_EQ(Entries(), (std::vector<std::string>{"app_1.0.efi"}));
  EXPECT_EQ(SlotA(), slot_a_sha_);
}

TEST_F(UpdateTest, AnIndexSignedByAnotherKeyIsRefusedBeforeAnyWrite) {
  paths_.cert = fs::path(KILN_SIGNING_TESTDATA) / "other_rsa.crt";
  const std::string before = ReadFile(paths_.disk).value();
  auto r = Update(paths_, Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity) << r.error().ToString();
  EXPECT_EQ(ReadFile(paths_.disk).value(), before);
}

// Audit regression: index versions the boot entry or the GPT labels cannot carry. "2.0+1"
// was installed as app_2.0+1+2.efi (blessed into app_2.0+1.efi: version "2.0" with 1 try
// left); "2_0" labelled the slot as image "app_2"; a long version failed only when the labels
// were written, after the slot.
TEST_F(UpdateTest, RefusesVersionsNoEntryOrLabelCanNameBeforeAnyWrite) {
  const std::string before = ReadFile(paths_.disk).value();
  for (const std::string version : {"2.0+1", "2.0+git", "2_0", "2.0.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    MakeVersion(version);
    auto r = Update(paths_, Options());
    ASSERT_FALSE(r.ok()) << version;
    EXPECT_EQ(r.error().code, ErrorCode::kInput) << r.error().ToString();
    EXPECT_EQ(ReadFile(paths_.disk).value(), before) << version;
    EXPECT_EQ(Entries(), (std::vector<std::string>{"app_1.0.efi"})) << version;
  }
}

TEST_F(UpdateTest, RollbackNeedsAVersionInTheOtherSlot) {
  auto r = Rollback(paths_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("slot B is empty"), std::string::npos);
}

}  // namespace
}  // namespace kiln::update_agent
