// libarchive read handles shared by the tar importers (tarball_reader) and readers of OCI
// layers (builder/diff): one RAII type, one error text, one way to open a tar file.
#pragma once

#include <archive.h>

#include <filesystem>
#include <memory>
#include <string>

#include "builder/common/result.h"

namespace kiln::tree {

struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReadPtr = std::unique_ptr<archive, ArchiveReadDeleter>;

inline std::string ArchiveErrorText(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

// Opens a tar file (ustar, pax or GNU; plain, gzip, xz or zstd) for reading.
inline Result<ArchiveReadPtr> OpenTarFile(const std::filesystem::path& path) {
  ArchiveReadPtr a(archive_read_new());
  if (!a) return MakeError(ErrorCode::kBuild, "cannot allocate a libarchive reader");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    return MakeError(ErrorCode::kInput, "cannot open " + path.string() + ": " + ArchiveErrorText(a.get()));
  return a;
}

}  // namespace kiln::tree
