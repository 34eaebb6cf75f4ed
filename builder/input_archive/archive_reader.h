// `kiln rebuild --from DIR`: the InputHooks that supply a build's inputs from an input archive
// (archive_index.h) instead of the network. The archive is untrusted: its index is parsed with
// bounds, every blob is copied out of it and hashed before anything reads the copy, and host
// paths are only built from validated hex digests and from confined relative paths below a
// directory the caller owns (never following a symlink on the way).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "builder/common/input_hooks.h"
#include "builder/common/result.h"
#include "builder/common/unique_fd.h"
#include "builder/input_archive/archive_index.h"

namespace kiln::input_archive {

class ArchiveReader final : public InputHooks {
 public:
  static Result<std::unique_ptr<ArchiveReader>> Open(const std::filesystem::path& dir);

  const ArchiveIndex& index() const { return index_; }
  const std::string& index_digest() const { return index_digest_; }  // "sha256:<hex>"

  bool Supplying() const override { return true; }
  Status CaptureFile(std::string_view kind, std::string_view name, const std::filesystem::path& file,
                     std::string_view sha256) override;
  Status CaptureDirectory(std::string_view kind, std::string_view name, const std::filesystem::path& dir,
                          std::string_view sha256) override;
  Status SupplyFile(std::string_view kind, std::string_view name, std::string_view sha256,
                    const std::filesystem::path& dest) override;
  Result<std::vector<std::string>> SupplyAll(std::string_view kind, const std::filesystem::path& dir) override;

  // Writes directory entry `e` (is_tree) below dir_fd at `rel` (IsConfinedRelativePath),
  // checking its tree digest first and every blob while copying. Directory modes are applied
  // last, deepest first.
  Status MaterializeTree(const ArchiveEntry& e, int dir_fd, const std::string& rel) const;
  // Writes file entry `e` below dir_fd at `rel`; an identical file already there is kept.
  Status MaterializeFile(const ArchiveEntry& e, int dir_fd, const std::string& rel, unsigned mode) const;

 private:
  ArchiveReader(std::filesystem::path dir, UniqueFd blobs, ArchiveIndex index, std::string digest)
      : dir_(std::move(dir)), blobs_(std::move(blobs)), index_(std::move(index)), index_digest_(std::move(digest)) {}
  Result<const ArchiveEntry*> Lookup(std::string_view kind, std::string_view name, std::string_view sha256) const;

  std::filesystem::path dir_;
  UniqueFd blobs_;  // DIR/blobs/sha256
  ArchiveIndex index_;
  std::string index_digest_;
};

}  // namespace kiln::input_archive
