#include "builder/tree/tarball_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <optional>

#include "builder/tree/archive_read.h"

namespace kiln::tree {

namespace {

Result<NodeType> TypeOf(archive_entry* e) {
  if (archive_entry_hardlink(e)) return NodeType::kHardLink;
  switch (archive_entry_filetype(e)) {
    case AE_IFREG: return NodeType::kFile;
    case AE_IFDIR: return NodeType::kDirectory;
    case AE_IFLNK: return NodeType::kSymlink;
    case AE_IFCHR: return NodeType::kCharDevice;
    case AE_IFBLK: return NodeType::kBlockDevice;
    case AE_IFIFO: return NodeType::kFifo;
    case AE_IFSOCK: return NodeType::kSocket;
    default: break;
  }
  return MakeError(ErrorCode::kInput, "unsupported file type " +
                                          std::to_string(archive_entry_filetype(e)));
}

// Where an uncompressed archive's member data starts, when it lies there contiguously:
// libarchive's position in the (only) filter is just past the member's headers. Sparse
// members are stored in pieces and are read through libarchive instead. The checks are a
// guard against a reader that read ahead: tar data always starts on a 512-byte boundary
// after the entry's first header.
std::optional<std::uint64_t> InPlaceDataOffset(archive* a, archive_entry* e) {
  if (archive_filter_count(a) != 1 || archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE) return std::nullopt;
  if (archive_entry_sparse_count(e) != 0 || !archive_entry_size_is_set(e)) return std::nullopt;
  la_int64_t header = archive_read_header_position(a);
  la_int64_t data = archive_filter_bytes(a, 0);
  if (header < 0 || data <= header || data % 512 != 0) return std::nullopt;
  return static_cast<std::uint64_t>(data);
}

// Reads one member into a FileNode (regular file bytes go to the store, or, with
// in_place_archive, are left where they lie in the archive).
Result<FileNode> ReadMember(archive* a, archive_entry* e, const MemberContentFn& content,
                            std::size_t& file_index, const std::string& origin,
                            const std::filesystem::path* in_place_archive) {
  FileNode node;
  KILN_ASSIGN_OR_RETURN(node.type, TypeOf(e));
  node.mode = static_cast<std::uint32_t>(archive_entry_perm(e)) & 07777;
  node.uid = static_cast<std::uint32_t>(archive_entry_uid(e));
  node.gid = static_cast<std::uint32_t>(archive_entry_gid(e));
  node.mtime = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
  node.origin = origin;

  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
    node.xattrs[name] = std::string(static_cast<const char*>(value), size);

  switch (node.type) {
    case NodeType::kHardLink: {
      KILN_ASSIGN_OR_RETURN(node.target, NormalizePath(archive_entry_hardlink(e)));
      break;
    }
    case NodeType::kSymlink: {
      const char* target = archive_entry_symlink(e);
      node.target = target ? target : "";
      break;
    }
    case NodeType::kCharDevice:
    case NodeType::kBlockDevice:
      node.rdev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(e));
      node.rdev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(e));
      break;
    case NodeType::kFile: {
      if (in_place_archive) {
        if (auto offset = InPlaceDataOffset(a, e)) {
          node.content.host_path = *in_place_archive;
          node.content.offset = *offset;
          node.content.size = static_cast<std::uint64_t>(archive_entry_size(e));
          ++file_index;
          break;
        }
      }
      // archive_read_data fills the holes of sparse members with zeros.
      KILN_ASSIGN_OR_RETURN(node.content,
                            content(file_index++, [a](char* buf, std::size_t cap) -> Result<std::size_t> {
                              la_ssize_t n = archive_read_data(a, buf, cap);
                              if (n < 0)
                                return MakeError(ErrorCode::kInput,
                                                 "cannot read data: " + ArchiveErrorText(a));
                              return static_cast<std::size_t>(n);
                            }));
      break;
    }
    default:
      break;
  }
  return node;
}

Status ImportTarballMembers(FileTree& tree, const std::filesystem::path& tarball, const MemberContentFn& content,
                            const std::string& origin, const std::filesystem::path* in_place_archive);

}  // namespace

Status ImportTarball(FileTree& tree, const std::filesystem::path& tarball, ContentStore& store,
                     const std::string& origin) {
  return ImportTarball(
      tree, tarball,
      [&store](std::size_t, const ContentStore::ChunkReader& read) { return store.Put(read); }, origin);
}

Status ImportTarball(FileTree& tree, const std::filesystem::path& tarball, const MemberContentFn& content,
                     const std::string& origin) {
  return ImportTarballMembers(tree, tarball, content, origin, nullptr);
}

Status ImportTarballInPlace(FileTree& tree, const std::filesystem::path& tarball, ContentStore& store,
                            const std::string& origin) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(tarball, ec);
  if (ec) return MakeError(ErrorCode::kInput, "tarball " + tarball.string() + ": " + ec.message());
  return ImportTarballMembers(
      tree, tarball,
      [&store](std::size_t, const ContentStore::ChunkReader& read) { return store.Put(read); }, origin, &absolute);
}

bool IsUncompressedTarball(const std::filesystem::path& tarball) {
  auto a = OpenTarFile(tarball);
  if (!a.ok()) return false;
  archive_entry* e = nullptr;
  if (archive_read_next_header(a->get(), &e) < ARCHIVE_WARN) return false;
  return archive_filter_count(a->get()) == 1 && archive_filter_code(a->get(), 0) == ARCHIVE_FILTER_NONE;
}

namespace {

Status ImportTarballMembers(FileTree& tree, const std::filesystem::path& tarball, const MemberContentFn& content,
                            const std::string& origin, const std::filesystem::path* in_place_archive) {
  std::size_t file_index = 0;
  const std::string where = "tarball " + tarball.string();
  KILN_ASSIGN_OR_RETURN(ArchiveReadPtr a, OpenTarFile(tarball).WithContext(where));

  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    // ARCHIVE_WARN (e.g. an unknown pax keyword) still yields a usable entry.
    if (rc < ARCHIVE_WARN)
      return MakeError(ErrorCode::kInput, where + ": " + ArchiveErrorText(a.get()));

    const char* raw = archive_entry_pathname(e);
    std::string member = raw ? raw : "";
    auto bad_member = [&](const Error& err) {
      return MakeError(ErrorCode::kInput, where + ": member '" + member + "': " + err.message);
    };
    auto normalized = NormalizePath(member);
    if (!normalized.ok()) return bad_member(normalized.error());
    auto node = ReadMember(a.get(), e, content, file_index, origin, in_place_archive);
    if (!node.ok()) return bad_member(node.error());

    NodeType type = node->type;
    auto opts = ImportInsertOptions(tree, *normalized, type, /*replace_dir_metadata=*/true);
    auto landed = tree.Insert(*normalized, std::move(node).value(), opts);
    if (!landed.ok()) return bad_member(landed.error());
  }
  return OkStatus();
}

}  // namespace

}  // namespace kiln::tree
