// The dm-verity hash device format 1, exactly as `veritysetup format` writes it: a 512-byte
// superblock in the first 4 KiB block, then the hash tree stored top level first, 128 SHA-256
// digests per 4 KiB hash block (see shared/reference/formats.md). Shared by the hasher that
// builds the tree and the checker that verifies one.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/sha256.h"
#include "builder/common/uuid.h"

namespace kiln::verity {

inline constexpr std::uint32_t kBlockSize = 4096;        // data and hash block size
inline constexpr std::uint32_t kDigestsPerBlock = 128;   // 4096 / 32
inline constexpr std::size_t kSuperblockSize = 512;
inline constexpr std::size_t kMaxSaltSize = 256;

// The superblock fields kiln reads and writes (version 1, hash type 1).
struct VeritySuperblock {
  Uuid uuid;
  std::string algorithm = "sha256";
  std::uint32_t data_block_size = kBlockSize;
  std::uint32_t hash_block_size = kBlockSize;
  std::uint64_t data_blocks = 0;
  std::vector<std::uint8_t> salt;
  bool operator==(const VeritySuperblock&) const = default;
};

// 4096 bytes: the 512-byte superblock followed by zeros (the first hash-device block).
std::string EncodeSuperblock(const VeritySuperblock& sb);
// Parses and validates the first 512 bytes; the message names the bad field.
Result<VeritySuperblock> DecodeSuperblock(std::span<const std::uint8_t> bytes);

// Where each tree level lives. Level 0 holds the data blocks' digests; the highest level is
// a single block whose digest is the root hash. One data block means no levels at all
// (the root hash is then the digest of that data block).
struct TreeGeometry {
  std::uint64_t data_blocks = 0;
  std::vector<std::uint64_t> level_blocks;  // hash blocks per level, level 0 first
  std::vector<std::uint64_t> level_start;   // first hash block of each level, counted from
                                            // the block after the superblock
  std::uint64_t hash_blocks = 0;            // total, excluding the superblock block
  // Bytes of the whole hash device: superblock block plus tree.
  std::uint64_t DeviceSize() const { return (1 + hash_blocks) * std::uint64_t{kBlockSize}; }
};
TreeGeometry ComputeGeometry(std::uint64_t data_blocks);

// SHA-256(salt || data) with a per-thread reusable context.
Digest SaltedDigest(std::span<const std::uint8_t> salt, const void* data, std::size_t size);

// Builds the hash blocks of every level from the leaf digests (one per data block) and
// returns the tree bytes (geometry.hash_blocks * 4096, top level first) and the root hash.
struct HashTree {
  std::string blocks;
  Digest root_hash{};
};
HashTree BuildHashTree(std::span<const std::uint8_t> salt, std::span<const Digest> leaves);

// Digests of `blocks` consecutive 4 KiB blocks of fd starting at byte `offset`, computed on
// `jobs` threads with large reads. `what` names the device in error messages.
Result<std::vector<Digest>> HashDataBlocks(int fd, std::uint64_t offset, std::uint64_t blocks,
                                           std::span<const std::uint8_t> salt, unsigned jobs,
                                           const std::string& what);

// pread that retries short reads; reading past the end of the file is an error.
Status ReadFullAt(int fd, void* buffer, std::size_t size, std::uint64_t offset,
                  const std::string& what);

}  // namespace kiln::verity
