#include <algorithm>
#include <vector>

#include "builder/common/sha256.h"
#include "builder/verify/verify.h"
#include "builder/verity/verity.h"
#include "builder/verity/verity_check.h"
#include "builder/verity/verity_format.h"

namespace kiln::verify {

namespace {

Result<std::string> ReadAt(int fd, std::uint64_t off, std::uint64_t size) {
  std::string buf(size, '\0');
  KILN_TRY(verity::ReadFullAt(fd, buf.data(), buf.size(), off, "artifact"));
  return buf;
}

// The common case in one pass over the data (issue 8: as fast as `veritysetup verify`): when
// the superblock is sound and covers the whole data partition, rebuild the hash device
// veritysetup would write from the data and compare it byte for byte, zero padding
// included. True only when everything matches; false sends the caller to the slower
// checks that say what is wrong.
Result<bool> MatchesRebuiltTree(const VerityInputs& in, const Digest& root, unsigned jobs) {
  if (in.hash_size < verity::kBlockSize || in.data_size == 0 || in.data_size % verity::kBlockSize != 0) return false;
  KILN_ASSIGN_OR_RETURN(std::string stored, ReadAt(in.hash_fd, in.hash_off, in.hash_size));
  auto sb = verity::DecodeSuperblock(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(stored.data()), verity::kSuperblockSize));
  if (!sb.ok() || sb->data_blocks * verity::kBlockSize != in.data_size) return false;
  verity::VerityParams params;
  if (sb->salt.size() != params.salt.size()) return false;
  std::copy(sb->salt.begin(), sb->salt.end(), params.salt.begin());
  params.uuid = sb->uuid;
  KILN_ASSIGN_OR_RETURN(verity::VerityResult expected,
                        verity::ComputeVerity(in.data_fd, in.data_off, in.data_size, params, jobs));
  if (expected.root_hash != root || expected.hash_device.size() > stored.size()) return false;
  if (stored.compare(0, expected.hash_device.size(), expected.hash_device) != 0) return false;
  return stored.find_first_not_of('\0', expected.hash_device.size()) == std::string::npos;
}

}  // namespace

Status CheckVerityPair(const VerityInputs& in, const std::string& root_hash_hex, unsigned jobs,
                       VerifyReport& report) {
  KILN_ASSIGN_OR_RETURN(std::string raw_hash, FromHex(root_hash_hex));
  if (raw_hash.size() != 32) {
    report.Fail(in.hash_name, "root hash '" + root_hash_hex + "' is not a SHA-256 digest");
    return OkStatus();
  }
  Digest root{};
  std::copy(raw_hash.begin(), raw_hash.end(), root.begin());
  KILN_ASSIGN_OR_RETURN(bool fast, MatchesRebuiltTree(in, root, jobs));
  if (fast) {
    report.Pass(in.hash_name, "hash tree of " + std::to_string(in.data_size / 4096) +
                                  " data blocks matches root hash " + root_hash_hex);
    return OkStatus();
  }
  // Something differs: the checks below find and name it (reading the data again).
  KILN_ASSIGN_OR_RETURN(verity::VerityCheck check,
                        verity::CheckVerity(in.data_fd, in.data_off, in.data_size, in.hash_fd, in.hash_off,
                                            in.hash_size, root, jobs));
  if (!check.ok) {
    std::string where = check.fault == verity::VerityFault::kDataBlock ? in.data_name : in.hash_name;
    report.Fail(where, check.message);
    return OkStatus();
  }
  // The tree checks out; every other byte of both devices must be what veritysetup would
  // write too (zero padding), so that no byte of either partition can change undetected.
  KILN_ASSIGN_OR_RETURN(std::string sb_bytes, ReadAt(in.hash_fd, in.hash_off, 512));
  auto sb = verity::DecodeSuperblock(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(sb_bytes.data()), sb_bytes.size()));
  if (!sb.ok()) {
    report.Fail(in.hash_name, "superblock: " + sb.error().message);
    return OkStatus();
  }
  if (sb->data_blocks * 4096 != in.data_size) {
    report.Fail(in.data_name, std::to_string(in.data_size - std::min(in.data_size, sb->data_blocks * 4096)) +
                                  " bytes of the partition are not covered by the verity tree");
    return OkStatus();
  }
  verity::VerityParams params;
  std::copy(sb->salt.begin(), sb->salt.end(), params.salt.begin());
  params.uuid = sb->uuid;
  KILN_ASSIGN_OR_RETURN(verity::VerityResult expected,
                        verity::ComputeVerity(in.data_fd, in.data_off, in.data_size, params, jobs));
  KILN_ASSIGN_OR_RETURN(std::string stored, ReadAt(in.hash_fd, in.hash_off, in.hash_size));
  std::size_t n = std::min(stored.size(), expected.hash_device.size());
  for (std::size_t i = 0; i < stored.size(); ++i) {
    char want = i < n ? expected.hash_device[i] : '\0';
    if (stored[i] != want) {
      std::string region = i < 4096 ? "superblock block" : "hash block " + std::to_string(i / 4096 - 1);
      report.Fail(in.hash_name, "byte " + std::to_string(i) + " (" + region + ") differs from the tree veritysetup would write");
      return OkStatus();
    }
  }
  report.Pass(in.hash_name, "hash tree of " + std::to_string(sb->data_blocks) + " data blocks matches root hash " +
                                root_hash_hex);
  return OkStatus();
}

}  // namespace kiln::verify
