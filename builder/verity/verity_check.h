// Verification of a dm-verity data/hash device pair against a root hash, as `kiln verify`
// does for a built disk image: reads the superblock (salt, UUID, block counts, algorithm)
// from the hash device, then checks the stored tree top-down and the data bottom-up, and
// reports the first place where they disagree.
#pragma once

#include <cstdint>
#include <string>

#include "builder/common/result.h"
#include "builder/common/sha256.h"

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

// Checks the data device (data_size bytes at data_off of data_fd) against the hash device
// (hash_size bytes at hash_off of hash_fd) and root_hash. Integrity problems are reported in
// the returned VerityCheck (ok = false); an Error means the devices could not be read.
Result<VerityCheck> CheckVerity(int data_fd, std::uint64_t data_off, std::uint64_t data_size,
                                int hash_fd, std::uint64_t hash_off, std::uint64_t hash_size,
                                const Digest& root_hash, unsigned jobs);

}  // namespace kiln::verity
