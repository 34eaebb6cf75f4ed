// `kiln build --archive DIR`: the InputHooks that capture every input of a build into an input
// archive (archive_index.h). Blobs are staged in a fresh directory beside DIR and the archive
// appears at DIR only when Finish() wrote its index, so a failed build leaves no half archive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "builder/common/files.h"
#include "builder/common/input_hooks.h"
#include "builder/common/result.h"
#include "builder/input_archive/archive_index.h"

namespace kiln::input_archive {

struct ArchiveSummary {
  std::string index_digest;  // "sha256:<hex>" of index.json
  std::size_t inputs = 0;
  std::size_t blobs = 0;
  std::uint64_t blob_bytes = 0;  // every distinct blob once
};

class ArchiveWriter final : public InputHooks {
 public:
  // dir must not exist or be empty (kUsage otherwise: an archive is never merged into another).
  static Result<std::unique_ptr<ArchiveWriter>> Create(const std::filesystem::path& dir);

  bool Supplying() const override { return false; }
  Status CaptureFile(std::string_view kind, std::string_view name, const std::filesystem::path& file,
                     std::string_view sha256) override;
  Status CaptureDirectory(std::string_view kind, std::string_view name, const std::filesystem::path& dir,
                          std::string_view sha256) override;
  Status SupplyFile(std::string_view kind, std::string_view name, std::string_view sha256,
                    const std::filesystem::path& dest) override;
  Result<std::vector<std::string>> SupplyAll(std::string_view kind, const std::filesystem::path& dir) override;

  // Writes index.json and moves the archive to its directory.
  Result<ArchiveSummary> Finish();

 private:
  ArchiveWriter(std::filesystem::path dir, TempDir staging) : dir_(std::move(dir)), staging_(std::move(staging)) {}
  // Adds e (mu_ held) unless the same (kind, name) is already there with the same digest.
  Status Add(ArchiveEntry e);

  std::filesystem::path dir_;
  TempDir staging_;
  std::mutex mu_;  // captures may come from helper threads
  ArchiveIndex index_;
};

// The record of an archived build beside its manifest, NAME_VERSION.archive.json: the index
// digest, counts and size. Not an artifact (not in SHA256SUMS, not signed), so a build with
// --archive publishes the same artifacts as one without.
std::string ArchiveRecordFileName(const std::string& image_name, const std::string& image_version);
Status WriteArchiveRecord(const std::filesystem::path& out_dir, const std::string& image_name,
                          const std::string& image_version, const ArchiveSummary& summary);

}  // namespace kiln::input_archive
