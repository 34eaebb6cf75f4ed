#include "builder/verity/verity_check.h"

#include <cstring>
#include <vector>

#include "builder/verity/verity_format.h"

namespace kiln::verity {
namespace {

VerityCheck Fault(VerityFault fault, std::string message, int level = -1,
                  std::uint64_t index = 0) {
  VerityCheck c;
  c.fault = fault;
  c.message = std::move(message);
  c.level = level;
  c.index = index;
  return c;
}

// The stored digest at position `i` of a level (its blocks start at `level_block`).
Digest StoredDigest(const std::string& tree, std::uint64_t level_block, std::uint64_t i) {
  Digest d;
  std::size_t at = (level_block + i / kDigestsPerBlock) * kBlockSize +
                   (i % kDigestsPerBlock) * sizeof(Digest);
  std::memcpy(d.data(), tree.data() + at, sizeof(Digest));
  return d;
}

}  // namespace

bool CheckedTree::BlockMatches(std::uint64_t index, const void* block) const {
  return index < data_blocks() && SaltedDigest(superblock_.salt, block, kBlockSize) == Leaf(index);
}

Digest CheckedTree::Leaf(std::uint64_t index) const {
  if (geometry_.level_blocks.empty()) return root_hash_;  // one data block: it is the root
  return StoredDigest(tree_, geometry_.level_start[0], index);
}

Result<VerityCheck> LoadCheckedTree(int hash_fd, std::uint64_t hash_off, std::uint64_t hash_size,
                                    std::uint64_t data_capacity, const Digest& root_hash, CheckedTree* out) {
  if (hash_size < kBlockSize)
    return Fault(VerityFault::kSuperblock,
                 "verity superblock: hash device is " + std::to_string(hash_size) +
                     " bytes, smaller than one 4096-byte block");
  std::vector<std::uint8_t> head(kBlockSize);
  KILN_TRY(ReadFullAt(hash_fd, head.data(), head.size(), hash_off, "verity hash device"));
  Result<VeritySuperblock> sb = DecodeSuperblock(head);
  if (!sb.ok()) return Fault(VerityFault::kSuperblock, sb.error().message);

  std::uint64_t data_capacity_blocks = data_capacity / kBlockSize;
  if (sb->data_blocks > data_capacity_blocks)
    return Fault(VerityFault::kSuperblock, "verity superblock: data_blocks is " + std::to_string(sb->data_blocks) +
                                               " but the data device holds only " +
                                               std::to_string(data_capacity_blocks) + " blocks");
  TreeGeometry g = ComputeGeometry(sb->data_blocks);
  if (hash_size < g.DeviceSize())
    return Fault(VerityFault::kSuperblock,
                 "verity superblock: " + std::to_string(sb->data_blocks) +
                     " data blocks need a hash device of " + std::to_string(g.DeviceSize()) +
                     " bytes, found " + std::to_string(hash_size));

  std::string tree(g.hash_blocks * kBlockSize, '\0');
  KILN_TRY(ReadFullAt(hash_fd, tree.data(), tree.size(), hash_off + kBlockSize,
                      "verity hash device"));

  // Top-down, like the kernel: each stored level is trusted only once its parent is.
  std::size_t levels = g.level_blocks.size();
  if (levels > 0) {
    const char* top = tree.data() + g.level_start[levels - 1] * kBlockSize;
    Digest d = SaltedDigest(sb->salt, top, kBlockSize);
    if (d != root_hash)
      return Fault(VerityFault::kRootHash,
                   "root hash mismatch: the top-level hash block digests to " + ToHex(d) +
                       ", expected " + ToHex(root_hash),
                   static_cast<int>(levels - 1), 0);
  }
  for (std::size_t level = levels; level-- > 1;) {
    std::size_t child = level - 1;
    for (std::uint64_t i = 0; i < g.level_blocks[child]; ++i) {
      std::uint64_t block = g.level_start[child] + i;
      Digest d = SaltedDigest(sb->salt, tree.data() + block * kBlockSize, kBlockSize);
      if (d != StoredDigest(tree, g.level_start[level], i))
        return Fault(VerityFault::kHashBlock,
                     "hash block " + std::to_string(i) + " of level " + std::to_string(child) +
                         " (hash device byte " + std::to_string((1 + block) * kBlockSize) +
                         ") does not match its digest in level " + std::to_string(level),
                     static_cast<int>(child), i);
    }
  }
  out->superblock_ = std::move(*sb);
  out->geometry_ = std::move(g);
  out->tree_ = std::move(tree);
  out->root_hash_ = root_hash;
  VerityCheck ok;
  ok.ok = true;
  return ok;
}

Result<VerityCheck> CheckData(const CheckedTree& tree, int data_fd, std::uint64_t data_off, unsigned jobs) {
  KILN_ASSIGN_OR_RETURN(std::vector<Digest> leaves,
                        HashDataBlocks(data_fd, data_off, tree.data_blocks(), tree.superblock().salt, jobs,
                                       "verity data device"));
  const bool single_block = tree.data_blocks() == 1 && ComputeGeometry(1).level_blocks.empty();
  for (std::uint64_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i] != tree.Leaf(i)) {
      if (single_block)
        return Fault(VerityFault::kRootHash, "root hash mismatch: the single data block digests to " +
                                                 ToHex(leaves[i]) + ", expected " + ToHex(tree.Leaf(i)));
      return Fault(VerityFault::kDataBlock,
                   "data block " + std::to_string(i) + " (data device byte " + std::to_string(i * kBlockSize) +
                       ") does not match its digest in the hash tree",
                   -1, i);
    }
  }
  VerityCheck ok;
  ok.ok = true;
  return ok;
}

Result<VerityCheck> CheckVerity(int data_fd, std::uint64_t data_off, std::uint64_t data_size, int hash_fd,
                                std::uint64_t hash_off, std::uint64_t hash_size, const Digest& root_hash,
                                unsigned jobs) {
  CheckedTree tree;
  KILN_ASSIGN_OR_RETURN(VerityCheck loaded, LoadCheckedTree(hash_fd, hash_off, hash_size, data_size, root_hash, &tree));
  if (!loaded.ok) return loaded;
  return CheckData(tree, data_fd, data_off, jobs);
}

}  // namespace kiln::verity
