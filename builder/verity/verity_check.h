// Verification of a dm-verity data/hash device pair against a root hash, as `kiln verify`
// does for a built disk image: reads the superblock (salt, UUID, block counts, algorithm)
// from the hash device, then checks the stored tree top-down and the data bottom-up, and
// reports the first place where they disagree.
#pragma once

#include <cstdint>
#include <string>

#include "builder/common/result.h"
#include "builder/common/sha256.h"
#include "builder/verity/verity_format.h"

namespace kiln::verity {

enum class VerityFault {
  kNone,
  kSuperblock,  // a superblock field is bad or inconsistent with the devices
  kRootHash,    // the top of the stored tree does not hash to the expected root hash
  kHashBlock,   // a stored hash block does not match its digest one level up
  kDataBlock,   // a data block does not match its stored leaf digest
};

struct VerityCheck {
  bool ok = false;
  std::string message;  // empty when ok; otherwise names the field or block
  VerityFault fault = VerityFault::kNone;
  int level = -1;           // kHashBlock: tree level (0 holds the data blocks' digests)
  std::uint64_t index = 0;  // kHashBlock: block within the level; kDataBlock: data block
};

// A hash device's superblock and tree, read whole and checked top-down against a root hash:
// each stored level is trusted only once its parent is. Its leaves then judge data blocks one at
// a time, e.g. while a root is being written (kiln-update refuses a bad block as it arrives).
class CheckedTree {
 public:
  const VeritySuperblock& superblock() const { return superblock_; }
  std::uint64_t data_blocks() const { return superblock_.data_blocks; }
  // Whether data block `index` (< data_blocks(), kBlockSize bytes at `block`) is the one the
  // tree names.
  bool BlockMatches(std::uint64_t index, const void* block) const;
  // The digest data block `index` must have.
  Digest Leaf(std::uint64_t index) const;

 private:
  friend Result<VerityCheck> LoadCheckedTree(int, std::uint64_t, std::uint64_t, std::uint64_t, const Digest&,
                                             CheckedTree*);
  VeritySuperblock superblock_;
  TreeGeometry geometry_;
  std::string tree_;  // the hash blocks after the superblock block
  Digest root_hash_{};
};

// Reads the hash device (hash_size bytes at hash_off of hash_fd) and checks its superblock
// (against a data device of data_capacity bytes) and its tree against root_hash. Integrity
// problems are reported in the returned VerityCheck (ok = false); when ok, *out holds the tree.
// An Error means the device could not be read.
Result<VerityCheck> LoadCheckedTree(int hash_fd, std::uint64_t hash_off, std::uint64_t hash_size,
                                    std::uint64_t data_capacity, const Digest& root_hash, CheckedTree* out);

// Checks every data block of the data device (at data_off of data_fd) against an already checked
// tree, hashing on `jobs` threads; the first bad block is reported in the returned VerityCheck.
Result<VerityCheck> CheckData(const CheckedTree& tree, int data_fd, std::uint64_t data_off, unsigned jobs);

// Checks the data device (data_size bytes at data_off of data_fd) against the hash device
// (hash_size bytes at hash_off of hash_fd) and root_hash. Integrity problems are reported in
// the returned VerityCheck (ok = false); an Error means the devices could not be read.
Result<VerityCheck> CheckVerity(int data_fd, std::uint64_t data_off, std::uint64_t data_size,
                                int hash_fd, std::uint64_t hash_off, std::uint64_t hash_size,
                                const Digest& root_hash, unsigned jobs);

}  // namespace kiln::verity
