#include "builder/shared_cache/block_pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <vector>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"
#include "builder/oci/byte_sink.h"
#include "builder/oci/tar_writer.h"
#include "builder/sources/debian_source.h"
#include "builder/sources/lock_file.h"
#include "builder/tree/archive_read.h"

namespace kiln::shared_cache {

namespace fs = std::filesystem;

namespace {

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// "ab/ab01...": a block cache entry's place under its directory.
bool IsEntryName(std::string_view name) {
  return name.size() == 2 + 1 + 64 && name[2] == '/' && IsLowerHex(name.substr(0, 2)) &&
         IsLowerHex(name.substr(3)) && name.substr(0, 2) == name.substr(3, 2);
}

struct timespec MtimeOf(const struct stat& st) { return st.st_mtim; }

bool NotBefore(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

Digest KeyOfName(std::string_view name) {
  Digest k{};
  auto raw = FromHex(name.substr(3));
  if (raw.ok() && raw->size() == k.size()) std::copy(raw->begin(), raw->end(), k.begin());
  return k;
}

}  // namespace

Result<std::size_t> PackBlockEntries(cache::BlockCache& cache, const fs::path& since_marker, const fs::path& out) {
  const fs::path& blocks_dir = cache.dir();
  struct stat marker{};
  if (::stat(since_marker.c_str(), &marker) != 0)
    return MakeError(ErrorCode::kIo, "cannot stat " + since_marker.string() + ": " + std::strerror(errno));
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& sub : fs::directory_iterator(blocks_dir, ec)) {
    const std::string dir = sub.path().filename().string();
    if (!sub.is_directory() || dir.size() != 2) continue;
    for (const auto& e : fs::directory_iterator(sub.path(), ec)) {
      const std::string name = dir + "/" + e.path().filename().string();
      struct stat st{};
      if (!IsEntryName(name) || ::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (NotBefore(MtimeOf(st), MtimeOf(marker))) names.push_back(name);
    }
  }
  if (ec) return MakeError(ErrorCode::kIo, "cannot list " + blocks_dir.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  KILN_ASSIGN_OR_RETURN(oci::FileSink sink, oci::FileSink::Create(out));
  oci::TarWriter tar(sink);
  std::size_t packed = 0;
  for (const auto& name : names) {
    const std::optional<std::string> member = cache.Export(KeyOfName(name));
    if (!member) continue;  // pruned meanwhile, or failed its MAC
    oci::TarHeader h;
    h.path = name;
    h.size = member->size();
    KILN_TRY(tar.WriteHeader(h));
    KILN_TRY(tar.WriteData(*member));
    ++packed;
  }
  KILN_TRY(tar.Finish());
  KILN_TRY(sink.Close());
  return packed;
}

Result<std::size_t> UnpackBlockEntries(const fs::path& pack, cache::BlockCache& cache) {
  KILN_ASSIGN_OR_RETURN(tree::ArchiveReadPtr a, tree::OpenTarFile(pack));
  std::size_t added = 0;
  std::vector<std::uint8_t> member;
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return MakeError(ErrorCode::kInput, pack.string() + ": " + tree::ArchiveErrorText(a.get()));
    const char* raw = archive_entry_pathname(e);
    const std::string name = raw ? raw : "";
    auto bad = [&](const std::string& why) {
      return MakeError(ErrorCode::kIntegrity, pack.string() + ": '" + name.substr(0, 80) + "' " + why);
    };
    if (!IsEntryName(name) || archive_entry_filetype(e) != AE_IFREG) return bad("is not a block cache entry");
    const la_int64_t size = archive_entry_size(e);
    if (size < 0 || size > static_cast<la_int64_t>(cache::BlockCache::kMaxEntrySize)) return bad("has an impossible size");
    member.resize(static_cast<std::size_t>(size));
    std::size_t got = 0;
    while (got < member.size()) {
      la_ssize_t n = archive_read_data(a.get(), member.data() + got, member.size() - got);
      if (n < 0) return MakeError(ErrorCode::kInput, pack.string() + ": " + name + ": " + tree::ArchiveErrorText(a.get()));
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got != member.size()) return bad("is truncated");
    auto imported = cache.Import(KeyOfName(name), member);
    if (!imported.ok()) return bad(imported.error().message);
    if (!*imported) continue;  // the local entry wins
    ++added;
  }
  return added;
}

Result<std::string> BlockPackKey(const recipe::Recipe& recipe, const sources::DebianBaseSpec& debian_base) {
  std::string identity;
  if (recipe.base.type == recipe::BaseType::kDebian) {
    const fs::path lock = sources::LockPathFor(recipe.file);
    std::error_code ec;
    if (!fs::exists(lock, ec)) return std::string();
    KILN_ASSIGN_OR_RETURN(std::string lock_bytes, ReadFile(lock));
    identity = "debian " + sources::DebianBaseTreeKey(debian_base, lock_bytes);
  } else if (recipe.base.type == recipe::BaseType::kTarball && !recipe.base.sha256.empty()) {
    identity = "tarball " + recipe.base.sha256;
  } else {
    return std::string();
  }
  const std::string text = "kiln-block-pack 1\n" + identity + "\n" +
                           recipe::CompressionName(recipe.root.compression) + " " +
                           (recipe.root.compression_level ? std::to_string(*recipe.root.compression_level) : "default") +
                           " " + std::to_string(recipe.root.block_size) + "\n";
  return ToHex(Sha256Of(text));
}

}  // namespace kiln::shared_cache
