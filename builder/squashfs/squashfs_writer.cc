// WriteSquashfs: drives libsquashfs in the order the format needs (superblock placeholder,
// file data, inodes, directory table, fragment/id/xattr tables, final superblock, padding).
#include <set>
#include <vector>

#include "builder/squashfs/cached_compressor.h"
#include "builder/squashfs/compressor.h"
#include "builder/squashfs/file_data.h"
#include "builder/squashfs/inode_plan.h"
#include "builder/squashfs/inodes.h"
#include "builder/squashfs/output_file.h"
#include "builder/squashfs/sqfs_handles.h"
#include "builder/squashfs/squashfs.h"

namespace kiln::squashfs {
namespace {

// Frees the file inodes the block processor allocates; their slots must not move while the
// processor runs (it keeps pointers to them), so the vector is sized once.
class FileInodes {
 public:
  explicit FileInodes(std::size_t n) : slots_(n, nullptr) {}
  ~FileInodes() {
    for (auto* p : slots_) sqfs_free(p);
  }
  FileInodes(const FileInodes&) = delete;
  FileInodes& operator=(const FileInodes&) = delete;
  sqfs_inode_generic_t** slot(std::size_t i) { return &slots_[i]; }
  sqfs_inode_generic_t* get(std::size_t i) const { return slots_[i]; }

 private:
  std::vector<sqfs_inode_generic_t*> slots_;
};

class ImageWriter {
 public:
  ImageWriter(const SquashfsOptions& opts,
              const std::filesystem::path& out, InodePlan plan, Compressors cmp,
              std::unique_ptr<OutputFile> file)
      : opts_(opts), out_(out), plan_(std::move(plan)), cmp_(std::move(cmp)),
        file_(std::move(file)), file_inodes_(plan_.files.size()), refs_(plan_.entries.size()) {}

  Result<SquashfsStats> Run() {
    KILN_TRY(Begin());
    KILN_TRY(WriteData());
    KILN_TRY(WriteInodesAndDirectories());
    KILN_TRY(Check(sqfs_frag_table_write(frags_.get(), file(), &super_, cmp_.compress.get()),
                   "writing the fragment table"));
    KILN_TRY(Check(sqfs_id_table_write(ids_.get(), file(), &super_, cmp_.compress.get()),
                   "writing the id table"));
    // The xattr table must be the last thing in the image.
    KILN_TRY(Check(sqfs_xattr_writer_flush(xattrs_.get(), file(), &super_, cmp_.compress.get()),
                   "writing the xattr table"));
    super_.bytes_used = file()->get_size(file());
    KILN_TRY(Check(sqfs_super_write(&super_, file()), "writing the superblock"));
    KILN_ASSIGN_OR_RETURN(stats_.size, file_->Finish());
    stats_.inodes = plan_.inode_count;
    return stats_;
  }

 private:
  sqfs_file_t* file() { return file_->file(); }

  // Turns a libsquashfs status into an error naming the image and the step.
  Status Check(int rc, const std::string& step) {
    if (rc == 0) return OkStatus();
    std::string io = file_->last_error();
    if (rc == SQFS_ERROR_IO && !io.empty())
      return MakeError(ErrorCode::kIo, "squashfs " + out_.string() + ": " + step + ": " + io);
    return MakeError(ErrorCode::kBuild,
                     "squashfs " + out_.string() + ": " + step + ": " + SqfsErrorText(rc));
  }
  Status CheckPtr(const void* p, const std::string& what) {
    if (p) return OkStatus();
    return MakeError(ErrorCode::kBuild, "squashfs: cannot create the " + what);
  }

  Status Begin() {
    KILN_TRY(Check(sqfs_super_init(&super_, opts_.block_size, ClampTime(opts_.mkfs_time), cmp_.id),
                   "initialising the superblock"));
    KILN_TRY(Check(sqfs_super_write(&super_, file()), "writing the superblock"));
    int rc = cmp_.compress->write_options(cmp_.compress.get(), file());
    if (rc < 0) KILN_TRY(Check(rc, "writing the compressor options"));
    if (rc > 0) super_.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;

    ids_.reset(sqfs_id_table_create(0));
    xattrs_.reset(sqfs_xattr_writer_create(0));
    frags_.reset(sqfs_frag_table_create(0));
    KILN_TRY(CheckPtr(ids_.get(), "id table"));
    KILN_TRY(CheckPtr(xattrs_.get(), "xattr writer"));
    KILN_TRY(CheckPtr(frags_.get(), "fragment table"));
    // Register every owner id up front in numeric order so the id table does not depend
    // on the order inodes happen to be written in.
    std::set<std::uint32_t> owners;
    for (const PlanEntry& e : plan_.entries) {
      if (e.link_target != kNoEntry) continue;
      owners.insert(e.node->uid);
      owners.insert(e.node->gid);
    }
    for (std::uint32_t id : owners) {
      sqfs_u16 idx = 0;
      if (sqfs_id_table_id_to_index(ids_.get(), id, &idx) != 0)
        return MakeError(ErrorCode::kInput,
                         "squashfs: too many distinct uids and gids (at most 65536)");
    }
    return OkStatus();
  }

  Status WriteData() {
    SqfsPtr<sqfs_block_writer_t> blocks(sqfs_block_writer_create(file(), SQFS_DEVBLK_SIZE, 0));
    KILN_TRY(CheckPtr(blocks.get(), "block writer"));
    unsigned workers = std::max(1u, opts_.jobs);
    sqfs_block_processor_desc_t desc{};
    desc.size = sizeof(desc);
    desc.max_block_size = opts_.block_size;
    desc.num_workers = workers;
    desc.max_backlog = 10 * workers;
    SqfsPtr<sqfs_compressor_t> cached;
    if (opts_.block_cache) {
      KILN_ASSIGN_OR_RETURN(cached, MakeCachedCompressor(cmp_.compress.get(), opts_.block_cache));
    }
    desc.cmp = cached ? cached.get() : cmp_.compress.get();
    desc.wr = blocks.get();
    desc.tbl = frags_.get();
    // With the file and a decompressor, fragment deduplication compares bytes, not just hashes.
    desc.file = file();
    desc.uncmp = cmp_.uncompress.get();
    sqfs_block_processor_t* raw = nullptr;
    KILN_TRY(Check(sqfs_block_processor_create_ex(&desc, &raw), "starting the block processor"));
    SqfsPtr<sqfs_block_processor_t> proc(raw);

    std::vector<std::uint8_t> buffer(opts_.block_size);
    const std::vector<std::size_t> order = DataOrder();
    std::uint64_t total = 0;
    for (std::size_t f : order) total += plan_.entries[plan_.files[f]].node->content.size;
    ProgressThrottle progress(opts_.on_progress, total);
    progress.Update(0);
    for (std::size_t f : order) {
      const PlanEntry& e = plan_.entries[plan_.files[f]];
      KILN_TRY(Check(sqfs_block_processor_begin_file(proc.get(), file_inodes_.slot(f), nullptr, 0),
                     "starting '/" + e.path + "'"));
      KILN_ASSIGN_OR_RETURN(std::uint64_t n,
                            AppendFileData(proc.get(), e.path, e.node->content, buffer, progress));
      stats_.data_bytes += n;
      KILN_TRY(Check(sqfs_block_processor_end_file(proc.get()), "finishing '/" + e.path + "'"));
    }
    KILN_TRY(Check(sqfs_block_processor_finish(proc.get()), "writing file data"));
    progress.Finish();
    return OkStatus();
  }

  // Base files first, then what the recipe added (see squashfs.h), each in plan order.
  std::vector<std::size_t> DataOrder() const {
    std::vector<std::size_t> order;
    order.reserve(plan_.files.size());
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t f = 0; f < plan_.files.size(); ++f)
        if ((plan_.entries[plan_.files[f]].node->origin == "base") == (pass == 0)) order.push_back(f);
    return order;
  }

  Result<std::uint32_t> XattrIndex(const PlanEntry& e) {
    if (e.node->xattrs.empty()) return kNoXattr;
    KILN_TRY(Check(sqfs_xattr_writer_begin(xattrs_.get(), 0), "xattrs of '/" + e.path + "'"));
    for (const auto& [key, value] : e.node->xattrs)
      KILN_TRY(Check(sqfs_xattr_writer_add(xattrs_.get(), key.c_str(), value.data(), value.size()),
                     "xattr '" + key + "' of '/" + e.path + "'"));
    std::uint32_t idx = kNoXattr;
    KILN_TRY(Check(sqfs_xattr_writer_end(xattrs_.get(), &idx), "xattrs of '/" + e.path + "'"));
    return idx;
  }

  Status WriteInode(std::size_t i, const sqfs_inode_generic_t* inode) {
    sqfs_u64 block = 0;
    sqfs_u32 offset = 0;
    sqfs_meta_writer_get_position(inode_meta_.get(), &block, &offset);
    refs_[i] = (block << 16) | offset;
    return Check(sqfs_meta_writer_write_inode(inode_meta_.get(), inode),
                 "writing the inode of '/" + plan_.entries[i].path + "'");
  }

  Status WriteNonDirectory(std::size_t i) {
    const PlanEntry& e = plan_.entries[i];
    KILN_ASSIGN_OR_RETURN(std::uint32_t xattr, XattrIndex(e));
    if (e.file_index != kNoEntry) {
      sqfs_inode_generic_t* inode = file_inodes_.get(e.file_index);
      if (!inode) return MakeError(ErrorCode::kBuild, "squashfs: no inode for '/" + e.path + "'");
      KILN_TRY(SetInodeBase(inode, e, ids_.get()));
      KILN_TRY(SetLinksAndXattrs(inode, e.nlink, xattr));
      return WriteInode(i, inode);
    }
    KILN_ASSIGN_OR_RETURN(OwnInodePtr inode, MakeSpecialInode(e));
    KILN_TRY(SetInodeBase(inode.get(), e, ids_.get()));
    KILN_TRY(SetLinksAndXattrs(inode.get(), e.nlink, xattr));
    return WriteInode(i, inode.get());
  }

  Status WriteDirectory(std::size_t i) {
    const PlanEntry& e = plan_.entries[i];
    KILN_TRY(Check(sqfs_dir_writer_begin(dir_writer_.get(), 0), "directory '/" + e.path + "'"));
    for (std::size_t c : e.children) {
      const PlanEntry& child = plan_.entries[c];
      std::size_t owner = child.link_target != kNoEntry ? child.link_target : c;
      KILN_TRY(Check(sqfs_dir_writer_add_entry(dir_writer_.get(), child.name.c_str(),
                                               child.inode_number, refs_[owner],
                                               InodeMode(*plan_.entries[owner].node)),
                     "adding '" + child.name + "' to directory '/" + e.path + "'"));
    }
    KILN_TRY(Check(sqfs_dir_writer_end(dir_writer_.get()), "directory '/" + e.path + "'"));
    KILN_ASSIGN_OR_RETURN(std::uint32_t xattr, XattrIndex(e));
    // The root's ".." points one past the last inode, as mksquashfs does.
    std::uint32_t parent =
        e.parent == kNoEntry ? plan_.inode_count + 1 : plan_.entries[e.parent].inode_number;
    LibInodePtr inode(sqfs_dir_writer_create_inode(dir_writer_.get(), e.nlink, xattr, parent));
    KILN_TRY(CheckPtr(inode.get(), "inode of directory '/" + e.path + "'"));
    KILN_TRY(SetInodeBase(inode.get(), e, ids_.get()));
    return WriteInode(i, inode.get());
  }

  Status WriteInodesAndDirectories() {
    inode_meta_.reset(sqfs_meta_writer_create(file(), cmp_.compress.get(), 0));
    dir_meta_.reset(sqfs_meta_writer_create(file(), cmp_.compress.get(),
                                            SQFS_META_WRITER_KEEP_IN_MEMORY));
    KILN_TRY(CheckPtr(inode_meta_.get(), "inode table writer"));
    KILN_TRY(CheckPtr(dir_meta_.get(), "directory table writer"));
    dir_writer_.reset(sqfs_dir_writer_create(dir_meta_.get(), 0));
    KILN_TRY(CheckPtr(dir_writer_.get(), "directory writer"));

    super_.inode_table_start = file()->get_size(file());
    for (std::size_t i : plan_.non_dirs) KILN_TRY(WriteNonDirectory(i));
    for (std::size_t i : plan_.dirs) KILN_TRY(WriteDirectory(i));
    KILN_TRY(Check(sqfs_meta_writer_flush(inode_meta_.get()), "writing the inode table"));
    KILN_TRY(Check(sqfs_meta_writer_flush(dir_meta_.get()), "writing the directory table"));
    super_.directory_table_start = file()->get_size(file());
    KILN_TRY(Check(sqfs_meta_write_write_to_file(dir_meta_.get()), "writing the directory table"));
    super_.inode_count = plan_.inode_count;
    super_.root_inode_ref = refs_[0];
    return OkStatus();
  }

  const SquashfsOptions& opts_;
  std::filesystem::path out_;
  InodePlan plan_;
  Compressors cmp_;
  std::unique_ptr<OutputFile> file_;
  sqfs_super_t super_{};
  SqfsPtr<sqfs_id_table_t> ids_;
  SqfsPtr<sqfs_xattr_writer_t> xattrs_;
  SqfsPtr<sqfs_frag_table_t> frags_;
  SqfsPtr<sqfs_meta_writer_t> inode_meta_;
  SqfsPtr<sqfs_meta_writer_t> dir_meta_;
  SqfsPtr<sqfs_dir_writer_t> dir_writer_;
  FileInodes file_inodes_;
  std::vector<sqfs_u64> refs_;  // inode reference of each plan entry
  SquashfsStats stats_;
};

}  // namespace

Result<SquashfsStats> WriteSquashfs(const tree::FileTree& tree, const SquashfsOptions& opts,
                                    const std::filesystem::path& out, std::uint64_t offset,
                                    verity::VerityHasher* verity) {
  KILN_TRY(tree.Validate());
  KILN_ASSIGN_OR_RETURN(Compressors cmp, MakeCompressors(opts));
  KILN_ASSIGN_OR_RETURN(InodePlan plan, PlanInodes(tree));
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> file, OutputFile::Open(out, offset, verity));
  ImageWriter writer(opts, out, std::move(plan), std::move(cmp), std::move(file));
  return writer.Run();
}

}  // namespace kiln::squashfs
