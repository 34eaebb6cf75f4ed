#include "builder/diff/squashfs_listing.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include <sqfs/block.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir.h>
#include <sqfs/dir_reader.h>

#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"
#include "builder/squashfs/sqfs_handles.h"

namespace kiln::diff {
namespace {

using squashfs::LibInodePtr;
using squashfs::SqfsErrorText;
using squashfs::SqfsPtr;

// A read-only sqfs_file_t over a window of a host file or of memory. Every read is checked
// against the window, so libsquashfs never sees bytes beyond the file system's container.
class ImageWindow {
 public:
  ImageWindow(int fd, std::uint64_t base, std::uint64_t size) : fd_(fd), base_(base), size_(size) { Init(); }
  explicit ImageWindow(std::span<const std::uint8_t> mem) : mem_(mem.data()), size_(mem.size()) { Init(); }
  ImageWindow(const ImageWindow&) = delete;
  ImageWindow& operator=(const ImageWindow&) = delete;

  sqfs_file_t* file() { return &shim_.iface; }
  std::uint64_t size() const { return size_; }

 private:
  struct Shim {
    sqfs_file_t iface;
    ImageWindow* owner;
  };

  void Init() {
    shim_.owner = this;
    shim_.iface.base.destroy = [](sqfs_object_t*) {};  // owned by ImageWindow, not libsquashfs
    shim_.iface.base.copy = [](const sqfs_object_t*) -> sqfs_object_t* { return nullptr; };
    shim_.iface.read_at = [](sqfs_file_t* f, sqfs_u64 off, void* buf, size_t n) {
      return reinterpret_cast<Shim*>(f)->owner->ReadAt(off, buf, n);
    };
    shim_.iface.write_at = [](sqfs_file_t*, sqfs_u64, const void*, size_t) { return int{SQFS_ERROR_IO}; };
    shim_.iface.get_size = [](const sqfs_file_t* f) -> sqfs_u64 {
      return reinterpret_cast<const Shim*>(f)->owner->size_;
    };
    shim_.iface.truncate = [](sqfs_file_t*, sqfs_u64) { return int{SQFS_ERROR_IO}; };
  }

  int ReadAt(std::uint64_t off, void* buf, std::size_t n) const {
    if (off > size_ || n > size_ - off) return SQFS_ERROR_OUT_OF_BOUNDS;
    if (mem_) {
      if (n) std::memcpy(buf, mem_ + off, n);
      return 0;
    }
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
      ssize_t got = ::pread(fd_, p, n, static_cast<off_t>(base_ + off));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return SQFS_ERROR_IO;
      p += got;
      n -= static_cast<std::size_t>(got);
      off += static_cast<std::uint64_t>(got);
    }
    return 0;
  }

  Shim shim_{};
  int fd_ = -1;
  const std::uint8_t* mem_ = nullptr;
  std::uint64_t base_ = 0;
  std::uint64_t size_ = 0;
};

bool IsDir(const sqfs_inode_generic_t& in) {
  return in.base.type == SQFS_INODE_DIR || in.base.type == SQFS_INODE_EXT_DIR;
}

// Where a directory's listing lives: two directories sharing one are a loop or a crafted
// hard-linked directory, neither of which a real image has.
std::pair<std::uint64_t, std::uint32_t> ListingLocation(const sqfs_inode_generic_t& in) {
  if (in.base.type == SQFS_INODE_EXT_DIR) return {in.data.dir_ext.start_block, in.data.dir_ext.offset};
  return {in.data.dir.start_block, in.data.dir.offset};
}

std::uint32_t ListingSize(const sqfs_inode_generic_t& in) {
  return in.base.type == SQFS_INODE_EXT_DIR ? in.data.dir_ext.size : in.data.dir.size;
}

// A name as a path component: anything else (empty, ".", "..", '/' or NUL inside) could
// make two entries collide or climb out of the root in the listing.
bool IsSafeName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

std::string Device(std::uint32_t devno) {
  // Linux new_encode_dev, as squashfs stores it.
  std::uint32_t major = (devno >> 8) & 0xfff;
  std::uint32_t minor = (devno & 0xff) | ((devno >> 12) & 0xfff00);
  return std::to_string(major) + "," + std::to_string(minor);
}

class Reader {
 public:
  Reader(ImageWindow& window, const SquashfsLimits& limits) : window_(window), limits_(limits) {}

  Result<RootListing> Read() {
    sqfs_file_t* file = window_.file();
    int rc = sqfs_super_read(&super_, file);
    if (rc) return Fail("superblock", rc);
    if (super_.bytes_used > window_.size())
      return Bad("the superblock says " + std::to_string(super_.bytes_used) + " bytes, the image has " +
                 std::to_string(window_.size()));
    KILN_TRY(CheckTableSizes());
    sqfs_compressor_config_t cfg;
    rc = sqfs_compressor_config_init(&cfg, static_cast<SQFS_COMPRESSOR>(super_.compression_id), super_.block_size,
                                     SQFS_COMP_FLAG_UNCOMPRESS);
    if (rc) return Fail("compressor " + std::to_string(super_.compression_id), rc);
    sqfs_compressor_t* raw_cmp = nullptr;
    rc = sqfs_compressor_create(&cfg, &raw_cmp);
    if (rc) return Fail("compressor " + std::to_string(super_.compression_id), rc);
    cmp_.reset(raw_cmp);
    if (super_.flags & SQFS_FLAG_COMPRESSOR_OPTIONS) {
      rc = cmp_->read_options(cmp_.get(), file);
      if (rc) return Fail("compressor options", rc);
    }
    ids_.reset(sqfs_id_table_create(0));
    if (!ids_) return Fail("id table", SQFS_ERROR_ALLOC);
    rc = sqfs_id_table_read(ids_.get(), file, &super_, cmp_.get());
    if (rc) return Fail("id table", rc);
    dirs_.reset(sqfs_dir_reader_create(&super_, cmp_.get(), file, 0));
    if (!dirs_) return Fail("directory reader", SQFS_ERROR_ALLOC);
    data_.reset(sqfs_data_reader_create(file, super_.block_size, cmp_.get(), 0));
    if (!data_) return Fail("data reader", SQFS_ERROR_ALLOC);
    if (!(super_.flags & SQFS_FLAG_NO_FRAGMENTS) || super_.fragment_entry_count > 0) {
      rc = sqfs_data_reader_load_fragment_table(data_.get(), &super_);
      if (rc) return Fail("fragment table", rc);
    }
    buffer_.resize(super_.block_size);

    sqfs_inode_generic_t* raw_root = nullptr;
    rc = sqfs_dir_reader_get_root_inode(dirs_.get(), &raw_root);
    if (rc) return Fail("root inode", rc);
    LibInodePtr root(raw_root);
    if (!IsDir(*root)) return Bad("the root inode is not a directory");
    KILN_ASSIGN_OR_RETURN(FileState root_state, State("", *root));
    listing_.files[""] = root_state;

    // Depth first with an explicit stack: the directory reader has one cursor, so a
    // directory's entries are read completely before any child directory is opened.
    std::vector<Pending> stack;
    stack.push_back({"", std::move(root), 0});
    while (!stack.empty()) {
      Pending dir = std::move(stack.back());
      stack.pop_back();
      KILN_TRY(ReadDirectory(dir, &stack));
    }
    return std::move(listing_);
  }

 private:
  struct Pending {
    std::string path;
    LibInodePtr inode;
    std::uint32_t depth;
  };

  Error Bad(const std::string& what) const { return MakeError(ErrorCode::kInput, "malformed squashfs: " + what); }
  Error Fail(const std::string& what, int rc) const {
    return MakeError(ErrorCode::kInput, "malformed squashfs: " + what + ": " + SqfsErrorText(rc));
  }

  Status ReadDirectory(const Pending& dir, std::vector<Pending>* stack) {
    if (ListingSize(*dir.inode) > 3 && !listings_.insert(ListingLocation(*dir.inode)).second)
      return Bad("directory /" + dir.path + " repeats the listing of another directory (a loop)");
    int rc = sqfs_dir_reader_open_dir(dirs_.get(), dir.inode.get(), 0);
    if (rc) return Fail("directory /" + dir.path, rc);
    for (;;) {
      sqfs_dir_entry_t* raw_ent = nullptr;
      rc = sqfs_dir_reader_read(dirs_.get(), &raw_ent);
      if (rc > 0) break;
      if (rc < 0) return Fail("directory /" + dir.path, rc);
      std::unique_ptr<sqfs_dir_entry_t, squashfs::SqfsFree> ent(raw_ent);
      std::string_view name(reinterpret_cast<const char*>(ent->name), std::size_t{ent->size} + 1);
      if (!IsSafeName(name)) return Bad("directory /" + dir.path + " holds an entry with an invalid name");
      if (++entries_ > limits_.max_entries)
        return Bad("more than " + std::to_string(limits_.max_entries) + " directory entries");
      std::string path = dir.path.empty() ? std::string(name) : dir.path + "/" + std::string(name);
      if (listing_.files.count(path)) return Bad("/" + path + " is listed twice");
      sqfs_inode_generic_t* raw_inode = nullptr;
      rc = sqfs_dir_reader_get_inode(dirs_.get(), &raw_inode);
      if (rc) return Fail("inode of /" + path, rc);
      LibInodePtr inode(raw_inode);
      KILN_ASSIGN_OR_RETURN(FileState st, State(path, *inode));
      if (st.type == '-' && path == "var/lib/dpkg/status") KILN_TRY(ReadDpkgStatus(*inode));
      listing_.files[path] = std::move(st);
      if (IsDir(*inode)) {
        if (dir.depth + 1 > limits_.max_depth)
          return Bad("directories nested deeper than " + std::to_string(limits_.max_depth));
        stack->push_back({std::move(path), std::move(inode), dir.depth + 1});
      }
    }
    return OkStatus();
  }

  Result<FileState> State(const std::string& path, const sqfs_inode_generic_t& in) {
    FileState st;
    st.mode = in.base.mode & 07777;
    int rc = sqfs_id_table_index_to_id(ids_.get(), in.base.uid_idx, &st.uid);
    if (!rc) rc = sqfs_id_table_index_to_id(ids_.get(), in.base.gid_idx, &st.gid);
    if (rc) return Fail("owner of /" + path, rc);
    switch (in.base.type) {
      case SQFS_INODE_DIR:
      case SQFS_INODE_EXT_DIR: st.type = 'd'; break;
      case SQFS_INODE_FILE:
      case SQFS_INODE_EXT_FILE: {
        st.type = '-';
        sqfs_u64 size = 0;
        if (sqfs_inode_get_file_size(&in, &size)) return Bad("/" + path + " has no file size");
        st.size = size;
        KILN_ASSIGN_OR_RETURN(st.sha256, HashContent(path, in, size));
        break;
      }
      case SQFS_INODE_SLINK:
      case SQFS_INODE_EXT_SLINK:
        st.type = 'l';
        // The target is stored (target_size bytes) right after the inode; libsquashfs
        // allocated exactly that payload.
        if (in.data.slink.target_size > in.payload_bytes_available) return Bad("/" + path + " has a truncated link target");
        st.target.assign(reinterpret_cast<const char*>(in.extra), in.data.slink.target_size);
        st.size = st.target.size();
        break;
      case SQFS_INODE_BDEV:
      case SQFS_INODE_CDEV:
        st.type = in.base.type == SQFS_INODE_BDEV ? 'b' : 'c';
        st.device = Device(in.data.dev.devno);
        break;
      case SQFS_INODE_EXT_BDEV:
      case SQFS_INODE_EXT_CDEV:
        st.type = in.base.type == SQFS_INODE_EXT_BDEV ? 'b' : 'c';
        st.device = Device(in.data.dev_ext.devno);
        break;
      case SQFS_INODE_FIFO:
      case SQFS_INODE_EXT_FIFO: st.type = 'p'; break;
      case SQFS_INODE_SOCKET:
      case SQFS_INODE_EXT_SOCKET: st.type = 's'; break;
      default: return Bad("/" + path + " has unknown inode type " + std::to_string(in.base.type));
    }
    return st;
  }

  // libsquashfs allocates the fragment table (16 bytes an entry) from the superblock's count
  // before reading it: a hostile count of 2^32 asks for 64 GiB. Every fragment belongs to at
  // least one file inode and inodes are bounded by the entry limit, and the table's index (one
  // 8-byte pointer per 8 KiB metadata block) must lie inside the image.
  Status CheckTableSizes() const {
    if (super_.inode_count > limits_.max_entries + 1)
      return Bad("the superblock counts " + std::to_string(super_.inode_count) + " inodes, more than the limit of " +
                 std::to_string(limits_.max_entries + 1));
    if (super_.fragment_entry_count == 0) return OkStatus();
    if (super_.fragment_entry_count > super_.inode_count)
      return Bad("the superblock counts " + std::to_string(super_.fragment_entry_count) + " fragments for " +
                 std::to_string(super_.inode_count) + " inodes");
    std::uint64_t table_bytes = std::uint64_t{super_.fragment_entry_count} * sizeof(sqfs_fragment_t);
    std::uint64_t index_bytes = (table_bytes + SQFS_META_BLOCK_SIZE - 1) / SQFS_META_BLOCK_SIZE * sizeof(sqfs_u64);
    if (super_.fragment_table_start > super_.bytes_used || index_bytes > super_.bytes_used - super_.fragment_table_start)
      return Bad("the fragment table's index lies outside the image");
    return OkStatus();
  }

  // Streams `size` bytes of a regular file through the data reader into `sink`.
  template <typename Sink>
  Status StreamContent(const std::string& path, const sqfs_inode_generic_t& in, std::uint64_t size, Sink&& sink) {
    if (size > limits_.max_content_bytes - std::min(content_bytes_, limits_.max_content_bytes))
      return Bad("file contents exceed " + std::to_string(limits_.max_content_bytes) + " bytes (at /" + path + ")");
    content_bytes_ += size;
    for (std::uint64_t off = 0; off < size;) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), size - off));
      sqfs_s32 got = sqfs_data_reader_read(data_.get(), &in, off, buffer_.data(), want);
      if (got < 0) return Fail("contents of /" + path, got);
      if (got == 0) return Bad("/" + path + " ends before its size of " + std::to_string(size) + " bytes");
      sink(buffer_.data(), static_cast<std::size_t>(got));
      off += static_cast<std::uint64_t>(got);
    }
    return OkStatus();
  }

  Result<std::string> HashContent(const std::string& path, const sqfs_inode_generic_t& in, std::uint64_t size) {
    Sha256 hash;
    KILN_TRY(StreamContent(path, in, size, [&](const std::uint8_t* p, std::size_t n) { hash.Update(p, n); }));
    return ToHex(hash.Finish());
  }

  Status ReadDpkgStatus(const sqfs_inode_generic_t& in) {
    sqfs_u64 size = 0;
    if (sqfs_inode_get_file_size(&in, &size) || size > limits_.max_dpkg_status_bytes)
      return Bad("var/lib/dpkg/status is larger than " + std::to_string(limits_.max_dpkg_status_bytes) + " bytes");
    std::string text;
    text.reserve(size);
    KILN_TRY(StreamContent("var/lib/dpkg/status", in, size, [&](const std::uint8_t* p, std::size_t n) {
      text.append(reinterpret_cast<const char*>(p), n);
    }));
    KILN_ASSIGN_OR_RETURN(listing_.packages, sources::ParseDpkgStatus(text).WithContext("var/lib/dpkg/status"));
    return OkStatus();
  }

  ImageWindow& window_;
  const SquashfsLimits& limits_;
  sqfs_super_t super_{};
  SqfsPtr<sqfs_compressor_t> cmp_;
  SqfsPtr<sqfs_id_table_t> ids_;
  SqfsPtr<sqfs_dir_reader_t> dirs_;
  SqfsPtr<sqfs_data_reader_t> data_;
  std::vector<std::uint8_t> buffer_;
  std::set<std::pair<std::uint64_t, std::uint32_t>> listings_;
  std::uint64_t entries_ = 0;
  std::uint64_t content_bytes_ = 0;
  RootListing listing_;
};

}  // namespace

Result<RootListing> ReadSquashfsListing(const std::filesystem::path& image, std::uint64_t offset,
                                        const SquashfsLimits& limits) {
  UniqueFd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return MakeError(ErrorCode::kInput, "cannot open " + image.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return MakeError(ErrorCode::kInput, image.string() + " is not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (offset > size) return MakeError(ErrorCode::kInput, image.string() + ": squashfs offset beyond the end of the file");
  ImageWindow window(fd.get(), offset, size - offset);
  return Reader(window, limits).Read().WithContext(image.string());
}

Result<RootListing> ReadSquashfsListing(std::span<const std::uint8_t> image, const SquashfsLimits& limits) {
  ImageWindow window(image);
  return Reader(window, limits).Read();
}

}  // namespace kiln::diff
