#include <algorithm>
#include <optional>
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

// What veritysetup writes for `sb` over the data device: the superblock block, then the tree
// (any salt length the superblock allows, not only the 32 bytes kiln itself uses).
struct RebuiltDevice {
  std::string bytes;
  Digest root_hash{};
};
Result<RebuiltDevice> RebuildHashDevice(const VerityInputs& in, const verity::VeritySuperblock& sb, unsigned jobs) {
  KILN_ASSIGN_OR_RETURN(std::vector<Digest> leaves,
                        verity::HashDataBlocks(in.data_fd, in.data_off, sb.data_blocks, sb.salt, jobs, in.data_name));
  verity::HashTree tree = verity::BuildHashTree(sb.salt, leaves);
  return RebuiltDevice{verity::EncodeSuperblock(sb) + tree.blocks, tree.root_hash};
}

// Offset of the first byte in [from, size) of the hash device that is not zero, if any.
Result<std::optional<std::uint64_t>> FirstNonZeroAt(const VerityInputs& in, std::uint64_t from) {
  KILN_ASSIGN_OR_RETURN(std::optional<std::uint64_t> at,
                        FirstNonZeroByte(in.hash_fd, in.hash_off + from, in.hash_size - std::min(from, in.hash_size)));
  if (at) *at += from;
  return at;
}

// True when the superblock's data blocks cover the data device exactly (no multiplication
// that a crafted block count could overflow).
bool CoversData(const verity::VeritySuperblock& sb, std::uint64_t data_size) {
  return data_size % verity::kBlockSize == 0 && sb.data_blocks == data_size / verity::kBlockSize && sb.data_blocks > 0;
}

// The common case in one pass over the data (issue 8: as fast as `veritysetup verify`): when
// the superblock is sound and covers the whole data partition, rebuild the hash device
// veritysetup would write from the data and compare it byte for byte, zero padding
// included. True only when everything matches; false sends the caller to the slower
// checks that say what is wrong.
Result<bool> MatchesRebuiltTree(const VerityInputs& in, const Digest& root, unsigned jobs) {
  if (in.hash_size < verity::kBlockSize || in.data_size == 0 || in.data_size % verity::kBlockSize != 0) return false;
  KILN_ASSIGN_OR_RETURN(std::string head, ReadAt(in.hash_fd, in.hash_off, verity::kSuperblockSize));
  auto sb = verity::DecodeSuperblock(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(head.data()), verity::kSuperblockSize));
  if (!sb.ok() || !CoversData(*sb, in.data_size)) return false;
  if (verity::ComputeGeometry(sb->data_blocks).DeviceSize() > in.hash_size) return false;
  KILN_ASSIGN_OR_RETURN(RebuiltDevice expected, RebuildHashDevice(in, *sb, jobs));
  if (expected.root_hash != root || expected.bytes.size() > in.hash_size) return false;
  KILN_ASSIGN_OR_RETURN(std::string stored, ReadAt(in.hash_fd, in.hash_off, expected.bytes.size()));
  if (stored != expected.bytes) return false;
  KILN_ASSIGN_OR_RETURN(std::optional<std::uint64_t> junk, FirstNonZeroAt(in, expected.bytes.size()));
  return !junk.has_value();
}

}  // namespace

Result<std::optional<std::uint64_t>> FirstNonZeroByte(int fd, std::uint64_t off, std::uint64_t size) {
  // Bounded chunks: the size comes from an untrusted GPT.
  constexpr std::uint64_t kChunk = 1 << 20;
  for (std::uint64_t at = 0; at < size;) {
    std::uint64_t n = std::min(kChunk, size - at);
    KILN_ASSIGN_OR_RETURN(std::string chunk, ReadAt(fd, off + at, n));
    std::size_t i = chunk.find_first_not_of('\0');
    if (i != std::string::npos) return std::optional<std::uint64_t>(at + i);
    at += n;
  }
  return std::optional<std::uint64_t>();
}

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
  if (!CoversData(*sb, in.data_size)) {
    report.Fail(in.data_name, std::to_string(in.data_size - std::min(in.data_size / 4096, sb->data_blocks) * 4096) +
                                  " bytes of the partition are not covered by the verity tree");
    return OkStatus();
  }
  KILN_ASSIGN_OR_RETURN(RebuiltDevice expected, RebuildHashDevice(in, *sb, jobs));
  const std::uint64_t n = std::min<std::uint64_t>(in.hash_size, expected.bytes.size());
  KILN_ASSIGN_OR_RETURN(std::string stored, ReadAt(in.hash_fd, in.hash_off, n));
  std::optional<std::uint64_t> differs;
  for (std::size_t i = 0; i < n && !differs; ++i)
    if (stored[i] != expected.bytes[i]) differs = i;
  if (!differs) {
    KILN_ASSIGN_OR_RETURN(differs, FirstNonZeroAt(in, n));
  }
  if (differs) {
    std::uint64_t i = *differs;
    std::string region = i < 4096 ? "superblock block" : "hash block " + std::to_string(i / 4096 - 1);
    report.Fail(in.hash_name, "byte " + std::to_string(i) + " (" + region + ") differs from the tree veritysetup would write");
    return OkStatus();
  }
  report.Pass(in.hash_name, "hash tree of " + std::to_string(sb->data_blocks) + " data blocks matches root hash " +
                                root_hash_hex);
  return OkStatus();
}

}  // namespace kiln::verify
