// dm-verity hash tree creation (format 1, sha256, 4 KiB blocks), byte-identical to
// `veritysetup format --salt=... --uuid=...`. The squashfs writer feeds a VerityHasher the
// leaf digests while it writes the image, so no second pass over the data is needed; the
// disk stage writes VerityResult::hash_device into the root-verity partition; `kiln verify`
// uses ComputeVerity and CheckVerity (verity_check.h) on finished images.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/sha256.h"
#include "builder/common/uuid.h"

namespace kiln::verity {

// Salt and UUID are derived from the build seed (formats.md); block sizes and the hash
// algorithm are fixed at 4096/4096/sha256.
struct VerityParams {
  std::array<std::uint8_t, 32> salt{};
  Uuid uuid;
  bool operator==(const VerityParams&) const = default;
};

struct VerityResult {
  Digest root_hash{};
  std::string hash_device;  // superblock block + hash tree; size a multiple of 4096
  std::uint64_t data_blocks = 0;
  bool operator==(const VerityResult&) const = default;
};

// Collects the digests of the data device's 4 KiB blocks in any order, then builds the
// tree. Thread-safe: leaves may be set from several threads.
class VerityHasher {
 public:
  explicit VerityHasher(VerityParams params) : params_(params) {}

  const VerityParams& params() const { return params_; }
  // SHA-256(salt || block) for one 4096-byte data block; does not record it.
  Digest LeafDigest(const std::uint8_t* block) const;
  // Records the digest of data block `index`.
  void SetLeaf(std::uint64_t index, const Digest& digest);
  // LeafDigest + SetLeaf.
  void HashBlock(std::uint64_t index, const std::uint8_t* block);
  // Forgets leaf `index` (the block was rewritten).
  void Invalidate(std::uint64_t index);
  // Forgets every leaf >= index (the data was truncated).
  void InvalidateFrom(std::uint64_t index);
  bool HasLeaf(std::uint64_t index) const;

  // Builds the hash device for data blocks [0, data_blocks); every one of them must have a
  // leaf (an internal error names the first missing one). Leaves beyond are ignored.
  Result<VerityResult> Finish(std::uint64_t data_blocks) const;

 private:
  VerityParams params_;
  mutable std::mutex mu_;
  std::vector<Digest> leaves_;
  std::vector<bool> valid_;
};

// Builds the verity hash device for `size` bytes (a multiple of 4096, at least one block) of
// fd starting at `offset`, hashing on `jobs` threads.
Result<VerityResult> ComputeVerity(int fd, std::uint64_t offset, std::uint64_t size,
                                   const VerityParams& params, unsigned jobs);

}  // namespace kiln::verity
