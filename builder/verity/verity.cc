#include "builder/verity/verity.h"

#include <algorithm>

#include "builder/verity/verity_format.h"

namespace kiln::verity {
namespace {

VerityResult Assemble(const VerityParams& params, std::span<const Digest> leaves) {
  VeritySuperblock sb;
  sb.uuid = params.uuid;
  sb.data_blocks = leaves.size();
  sb.salt.assign(params.salt.begin(), params.salt.end());
  HashTree tree = BuildHashTree(params.salt, leaves);
  VerityResult r;
  r.root_hash = tree.root_hash;
  r.data_blocks = leaves.size();
  r.hash_device = EncodeSuperblock(sb);
  r.hash_device += tree.blocks;
  return r;
}

}  // namespace

Digest VerityHasher::LeafDigest(const std::uint8_t* block) const {
  return SaltedDigest(params_.salt, block, kBlockSize);
}

void VerityHasher::SetLeaf(std::uint64_t index, const Digest& digest) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index >= leaves_.size()) {
    std::size_t n = std::max<std::size_t>(index + 1, leaves_.size() * 2);
    leaves_.resize(n);
    valid_.resize(n, false);
  }
  leaves_[index] = digest;
  valid_[index] = true;
}

void VerityHasher::HashBlock(std::uint64_t index, const std::uint8_t* block) {
  SetLeaf(index, LeafDigest(block));
}

void VerityHasher::Invalidate(std::uint64_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index < valid_.size()) valid_[index] = false;
}

void VerityHasher::InvalidateFrom(std::uint64_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  for (std::uint64_t i = index; i < valid_.size(); ++i) valid_[i] = false;
}

bool VerityHasher::HasLeaf(std::uint64_t index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return index < valid_.size() && valid_[index];
}

Result<VerityResult> VerityHasher::Finish(std::uint64_t data_blocks) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (data_blocks == 0)
    return MakeError(ErrorCode::kBuild, "verity: the data device has no blocks");
  for (std::uint64_t i = 0; i < data_blocks; ++i) {
    if (i >= valid_.size() || !valid_[i])
      return MakeError(ErrorCode::kBuild,
                       "verity: no digest for data block " + std::to_string(i) + " of " +
                           std::to_string(data_blocks));
  }
  return Assemble(params_, std::span<const Digest>(leaves_.data(), data_blocks));
}

Result<VerityResult> ComputeVerity(int fd, std::uint64_t offset, std::uint64_t size,
                                   const VerityParams& params, unsigned jobs) {
  if (size == 0 || size % kBlockSize != 0)
    return MakeError(ErrorCode::kInput, "verity: data size " + std::to_string(size) +
                                            " is not a positive multiple of 4096");
  KILN_ASSIGN_OR_RETURN(std::vector<Digest> leaves,
                        HashDataBlocks(fd, offset, size / kBlockSize, params.salt, jobs,
                                       "verity data"));
  return Assemble(params, leaves);
}

}  // namespace kiln::verity
