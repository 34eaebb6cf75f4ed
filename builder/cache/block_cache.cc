#include "builder/cache/block_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "builder/common/unique_fd.h"

namespace kiln::cache {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'B', 'L', 'K', '1'};
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 32;
// Larger than any squashfs block (1 MiB): a bigger size field is corrupt, never allocated.
constexpr std::uint32_t kMaxPayload = 2u << 20;
static_assert(BlockCache::kMaxEntrySize == kHeaderSize + kMaxPayload);

void PutLe32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t GetLe32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

// What a shared entry carries instead of the MAC: it only catches damage; trust comes from
// the signature over the whole pack.
Digest SelfDigest(const Digest& key, const std::uint8_t fields[8], std::span<const std::uint8_t> payload) {
  Sha256 h;
  h.Update(key.data(), key.size());
  h.Update(fields, 8);
  h.Update(payload.data(), payload.size());
  return h.Finish();
}

// Reads exactly size bytes at offset; false on a short read or an error.
bool PreadAll(int fd, void* buf, std::size_t size, off_t offset) {
  auto* p = static_cast<std::uint8_t*>(buf);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return true;
}

bool WriteAll(int fd, const std::uint8_t* p, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Digest BlockKey(std::string_view params, std::span<const std::uint8_t> block) {
  Sha256 h;
  std::string prefix = std::to_string(params.size()) + ":";
  h.Update(prefix);
  h.Update(params);
  h.Update(block.data(), block.size());
  return h.Finish();
}

Result<std::unique_ptr<BlockCache>> BlockCache::Open(const fs::path& dir, const CacheKey& key) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create the block cache " + dir.string() + ": " + ec.message());
  return std::unique_ptr<BlockCache>(new BlockCache(dir, key));
}

Digest BlockCache::EntryMac(const Digest& key, std::uint32_t kind, std::span<const std::uint8_t> payload) const {
  std::uint8_t head[8];
  PutLe32(head, kind);
  PutLe32(head + 4, static_cast<std::uint32_t>(payload.size()));
  CacheKey::Mac m = key_.Start();
  m.Update(key.data(), key.size());
  m.Update(head, sizeof head);
  m.Update(payload.data(), payload.size());
  return m.Finish();
}

fs::path BlockCache::EntryPath(const Digest& key) const {
  std::string hex = ToHex(key);
  return dir_ / hex.substr(0, 2) / hex;
}

void BlockCache::Corrupt(const fs::path& entry) {
  corrupt_.fetch_add(1, std::memory_order_relaxed);
  ::unlink(entry.c_str());
  std::lock_guard<std::mutex> lock(mu_);
  if (first_corrupt_.empty()) first_corrupt_ = entry.string();
}

BlockCache::ReadOutcome BlockCache::ReadEntry(const Digest& key, const BufferFor& buffer_for, bool touch,
                                               std::uint32_t& kind, std::uint32_t& size) {
  const fs::path entry = EntryPath(key);
  // No symbolic links, and no waiting on a FIFO planted in place of an entry.
  constexpr int kFlags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  UniqueFd fd(::open(entry.c_str(), kFlags | O_NOATIME));
  if (!fd.valid() && errno == EPERM) fd = UniqueFd(::open(entry.c_str(), kFlags));
  if (!fd.valid()) return ReadOutcome::kMissing;
  struct stat st {};
  std::uint8_t head[kHeaderSize];
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < static_cast<off_t>(kHeaderSize) ||
      !PreadAll(fd.get(), head, kHeaderSize, 0) || std::memcmp(head, kMagic, 8) != 0)
    return ReadOutcome::kCorrupt;
  kind = GetLe32(head + 8);
  size = GetLe32(head + 12);
  if (size > kMaxPayload || st.st_size != static_cast<off_t>(kHeaderSize + size) ||
      (kind != static_cast<std::uint32_t>(BlockKind::kCompressed) &&
       kind != static_cast<std::uint32_t>(BlockKind::kUncompressed)) ||
      (kind == static_cast<std::uint32_t>(BlockKind::kUncompressed) && size != 0))
    return ReadOutcome::kCorrupt;
  std::span<std::uint8_t> out = buffer_for(size);
  if (out.size() < size) return ReadOutcome::kTooLarge;  // valid, but not for this caller's buffer
  if (size > 0 && !PreadAll(fd.get(), out.data(), size, static_cast<off_t>(kHeaderSize))) return ReadOutcome::kCorrupt;
  Digest want;
  std::memcpy(want.data(), head + 16, want.size());
  if (EntryMac(key, kind, out.first(size)) != want) return ReadOutcome::kCorrupt;
  if (touch) ::futimens(fd.get(), nullptr);  // least-recently-used order for Prune
  return ReadOutcome::kOk;
}

LookupResult BlockCache::Lookup(const Digest& key, std::span<std::uint8_t> out) {
  std::uint32_t kind = 0, size = 0;
  switch (ReadEntry(key, [&](std::uint32_t) { return out; }, true, kind, size)) {
    case ReadOutcome::kOk:
      hits_.fetch_add(1, std::memory_order_relaxed);
      hit_bytes_.fetch_add(size, std::memory_order_relaxed);
      return LookupResult{static_cast<BlockKind>(kind), size};
    case ReadOutcome::kCorrupt:
      Corrupt(EntryPath(key));
      break;
    case ReadOutcome::kMissing:
    case ReadOutcome::kTooLarge:
      break;
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

BlockKind BlockCache::Read(const Digest& key, std::vector<std::uint8_t>& payload) {
  std::uint32_t kind = 0, size = 0;
  auto grow = [&](std::uint32_t n) {
    payload.resize(n);
    return std::span<std::uint8_t>(payload);
  };
  ReadOutcome r = ReadEntry(key, grow, false, kind, size);
  if (r == ReadOutcome::kCorrupt) Corrupt(EntryPath(key));
  if (r != ReadOutcome::kOk) return BlockKind::kMiss;
  return static_cast<BlockKind>(kind);
}

std::optional<std::string> BlockCache::Export(const Digest& key) {
  std::vector<std::uint8_t> payload;
  const BlockKind kind = Read(key, payload);
  if (kind == BlockKind::kMiss) return std::nullopt;
  std::uint8_t fields[8];
  PutLe32(fields, static_cast<std::uint32_t>(kind));
  PutLe32(fields + 4, static_cast<std::uint32_t>(payload.size()));
  std::string out(kMagic, 8);
  out.append(reinterpret_cast<const char*>(fields), sizeof fields);
  const Digest d = SelfDigest(key, fields, payload);
  out.append(reinterpret_cast<const char*>(d.data()), d.size());
  out.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  return out;
}

Result<bool> BlockCache::Import(const Digest& key, std::span<const std::uint8_t> e) {
  auto bad = [](const char* why) { return MakeError(ErrorCode::kIntegrity, std::string("block cache entry ") + why); };
  if (e.size() < kHeaderSize || e.size() > kMaxEntrySize || std::memcmp(e.data(), kMagic, 8) != 0)
    return bad("is truncated or malformed");
  const std::uint32_t kind = GetLe32(e.data() + 8);
  const std::uint32_t size = GetLe32(e.data() + 12);
  const auto payload = e.subspan(kHeaderSize);
  const bool kind_ok = (kind == static_cast<std::uint32_t>(BlockKind::kCompressed) && size > 0) ||
                       (kind == static_cast<std::uint32_t>(BlockKind::kUncompressed) && size == 0);
  Digest want;
  std::memcpy(want.data(), e.data() + 16, want.size());
  if (!kind_ok || size != payload.size() || SelfDigest(key, e.data() + 8, payload) != want)
    return bad("does not match its digest");
  std::vector<std::uint8_t> local;
  if (Read(key, local) != BlockKind::kMiss) return false;  // the local entry wins
  Store(key, static_cast<BlockKind>(kind), payload);
  return true;
}

void BlockCache::Reject(const Digest& key) {
  const fs::path entry = EntryPath(key);
  rejected_.fetch_add(1, std::memory_order_relaxed);
  hits_.fetch_sub(1, std::memory_order_relaxed);  // Lookup counted it
  misses_.fetch_add(1, std::memory_order_relaxed);
  ::unlink(entry.c_str());
  std::lock_guard<std::mutex> lock(mu_);
  if (first_corrupt_.empty()) first_corrupt_ = entry.string();
}

void BlockCache::Store(const Digest& key, BlockKind kind, std::span<const std::uint8_t> payload) {
  const fs::path entry = EntryPath(key);
  const fs::path tmp = entry.parent_path() / (".tmp-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(tmp_counter_.fetch_add(1)));
  std::vector<std::uint8_t> data(kHeaderSize + payload.size());
  std::memcpy(data.data(), kMagic, 8);
  PutLe32(data.data() + 8, static_cast<std::uint32_t>(kind));
  PutLe32(data.data() + 12, static_cast<std::uint32_t>(payload.size()));
  Digest d = EntryMac(key, static_cast<std::uint32_t>(kind), payload);
  std::memcpy(data.data() + 16, d.data(), d.size());
  if (!payload.empty()) std::memcpy(data.data() + kHeaderSize, payload.data(), payload.size());

  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid() && errno == ENOENT) {
    ::mkdir(entry.parent_path().c_str(), 0700);
    fd = UniqueFd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  }
  bool ok = fd.valid() && WriteAll(fd.get(), data.data(), data.size());
  fd = UniqueFd();
  if (ok) ok = ::rename(tmp.c_str(), entry.c_str()) == 0;
  if (!ok) {
    ::unlink(tmp.c_str());
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  stored_.fetch_add(1, std::memory_order_relaxed);
}

BlockCacheStats BlockCache::stats() const {
  BlockCacheStats s;
  s.hits = hits_.load();
  s.misses = misses_.load();
  s.stored = stored_.load();
  s.corrupt = corrupt_.load();
  s.rejected = rejected_.load();
  s.write_errors = write_errors_.load();
  s.hit_bytes = hit_bytes_.load();
  return s;
}

std::string BlockCache::first_corrupt() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_corrupt_;
}

}  // namespace kiln::cache
