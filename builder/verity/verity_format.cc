#include "builder/verity/verity_format.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace kiln::verity {
namespace {

constexpr char kMagic[8] = {'v', 'e', 'r', 'i', 't', 'y', 0, 0};
constexpr std::size_t kReadChunkBlocks = 256;  // 1 MiB reads

void PutLe(std::string& out, std::size_t at, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t GetLe(std::span<const std::uint8_t> in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | in[at + i];
  return v;
}

Error SuperblockError(const std::string& what) {
  return MakeError(ErrorCode::kIntegrity, "verity superblock: " + what);
}

}  // namespace

std::string EncodeSuperblock(const VeritySuperblock& sb) {
  std::string out(kBlockSize, '\0');
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  PutLe(out, 8, 1, 4);   // version
  PutLe(out, 12, 1, 4);  // hash type 1: the normal (non-Chrome OS) format
  std::memcpy(out.data() + 16, sb.uuid.bytes.data(), 16);
  std::memcpy(out.data() + 32, sb.algorithm.data(), std::min<std::size_t>(sb.algorithm.size(), 31));
  PutLe(out, 64, sb.data_block_size, 4);
  PutLe(out, 68, sb.hash_block_size, 4);
  PutLe(out, 72, sb.data_blocks, 8);
  PutLe(out, 80, sb.salt.size(), 2);
  // An empty vector's data() may be null, which memcpy must not get even for 0 bytes.
  if (!sb.salt.empty()) std::memcpy(out.data() + 88, sb.salt.data(), std::min(sb.salt.size(), kMaxSaltSize));
  return out;
}

Result<VeritySuperblock> DecodeSuperblock(std::span<const std::uint8_t> in) {
  if (in.size() < kSuperblockSize) return SuperblockError("shorter than 512 bytes");
  if (std::memcmp(in.data(), kMagic, sizeof(kMagic)) != 0)
    return SuperblockError("bad magic (expected \"verity\")");
  if (std::uint64_t v = GetLe(in, 8, 4); v != 1)
    return SuperblockError("unsupported version " + std::to_string(v));
  if (std::uint64_t t = GetLe(in, 12, 4); t != 1)
    return SuperblockError("unsupported hash type " + std::to_string(t));
  VeritySuperblock sb;
  std::copy_n(in.data() + 16, 16, sb.uuid.bytes.begin());
  const char* alg = reinterpret_cast<const char*>(in.data() + 32);
  sb.algorithm.assign(alg, strnlen(alg, 32));
  if (sb.algorithm != "sha256")
    return SuperblockError("unsupported hash algorithm '" + sb.algorithm + "'");
  sb.data_block_size = static_cast<std::uint32_t>(GetLe(in, 64, 4));
  sb.hash_block_size = static_cast<std::uint32_t>(GetLe(in, 68, 4));
  if (sb.data_block_size != kBlockSize)
    return SuperblockError("data block size " + std::to_string(sb.data_block_size) +
                           " (kiln supports 4096)");
  if (sb.hash_block_size != kBlockSize)
    return SuperblockError("hash block size " + std::to_string(sb.hash_block_size) +
                           " (kiln supports 4096)");
  sb.data_blocks = GetLe(in, 72, 8);
  if (sb.data_blocks == 0) return SuperblockError("zero data blocks");
  std::size_t salt_size = GetLe(in, 80, 2);
  if (salt_size > kMaxSaltSize)
    return SuperblockError("salt size " + std::to_string(salt_size) + " exceeds 256");
  sb.salt.assign(in.data() + 88, in.data() + 88 + salt_size);
  return sb;
}

TreeGeometry ComputeGeometry(std::uint64_t data_blocks) {
  TreeGeometry g;
  g.data_blocks = data_blocks;
  for (std::uint64_t n = data_blocks; n > 1;) {
    n = (n + kDigestsPerBlock - 1) / kDigestsPerBlock;
    g.level_blocks.push_back(n);
  }
  g.level_start.resize(g.level_blocks.size());
  // Stored top level first, so level L starts after all the levels above it.
  std::uint64_t pos = 0;
  for (std::size_t i = g.level_blocks.size(); i-- > 0;) {
    g.level_start[i] = pos;
    pos += g.level_blocks[i];
  }
  g.hash_blocks = pos;
  return g;
}

Digest SaltedDigest(std::span<const std::uint8_t> salt, const void* data, std::size_t size) {
  thread_local Sha256 sha;
  sha.Update(salt.data(), salt.size());
  sha.Update(data, size);
  return sha.Finish();
}

HashTree BuildHashTree(std::span<const std::uint8_t> salt, std::span<const Digest> leaves) {
  TreeGeometry g = ComputeGeometry(leaves.size());
  HashTree tree;
  tree.blocks.assign(g.hash_blocks * kBlockSize, '\0');
  if (g.level_blocks.empty()) {
    if (!leaves.empty()) tree.root_hash = leaves[0];
    return tree;
  }
  std::vector<Digest> current(leaves.begin(), leaves.end());
  for (std::size_t level = 0; level < g.level_blocks.size(); ++level) {
    std::vector<Digest> next;
    next.reserve(g.level_blocks[level]);
    for (std::uint64_t b = 0; b < g.level_blocks[level]; ++b) {
      char* block = tree.blocks.data() + (g.level_start[level] + b) * kBlockSize;
      std::size_t first = b * kDigestsPerBlock;
      std::size_t count = std::min<std::size_t>(kDigestsPerBlock, current.size() - first);
      for (std::size_t i = 0; i < count; ++i)
        std::memcpy(block + i * sizeof(Digest), current[first + i].data(), sizeof(Digest));
      next.push_back(SaltedDigest(salt, block, kBlockSize));
    }
    current = std::move(next);
  }
  tree.root_hash = current[0];
  return tree;
}

Status ReadFullAt(int fd, void* buffer, std::size_t size, std::uint64_t offset,
                  const std::string& what) {
  auto* p = static_cast<std::uint8_t*>(buffer);
  while (size > 0) {
    ssize_t n = pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return MakeError(ErrorCode::kIo, "read " + what + " at byte " + std::to_string(offset) +
                                           ": " + std::strerror(errno));
    if (n == 0)
      return MakeError(ErrorCode::kIo, "read " + what + ": unexpected end of file at byte " +
                                           std::to_string(offset));
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return OkStatus();
}

Result<std::vector<Digest>> HashDataBlocks(int fd, std::uint64_t offset, std::uint64_t blocks,
                                           std::span<const std::uint8_t> salt, unsigned jobs,
                                           const std::string& what) {
  std::vector<Digest> digests(blocks);
  unsigned threads = std::max(1u, jobs);
  std::uint64_t per_thread = (blocks + threads - 1) / threads;
  // Round ranges to whole read chunks so threads never share a chunk.
  per_thread = (per_thread + kReadChunkBlocks - 1) / kReadChunkBlocks * kReadChunkBlocks;
  std::vector<Status> status(threads);
  auto work = [&](unsigned t) {
    std::uint64_t begin = std::min<std::uint64_t>(blocks, t * per_thread);
    std::uint64_t end = std::min<std::uint64_t>(blocks, begin + per_thread);
    std::vector<std::uint8_t> buf(kReadChunkBlocks * kBlockSize);
    for (std::uint64_t b = begin; b < end; b += kReadChunkBlocks) {
      std::uint64_t n = std::min<std::uint64_t>(kReadChunkBlocks, end - b);
      Status s = ReadFullAt(fd, buf.data(), n * kBlockSize, offset + b * kBlockSize, what);
      if (!s.ok()) {
        status[t] = std::move(s);
        return;
      }
      for (std::uint64_t i = 0; i < n; ++i)
        digests[b + i] = SaltedDigest(salt, buf.data() + i * kBlockSize, kBlockSize);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  for (auto& s : status)
    if (!s.ok()) return std::move(s).error();
  return digests;
}

}  // namespace kiln::verity
