// Test helpers for the OCI tests (header only: not part of the library): read a tar back
// with libarchive, build small trees, run external judges.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "builder/common/subprocess.h"
#include "builder/tree/file_tree.h"

namespace kiln::oci::testing {

struct ReadEntry {
  std::string path;
  unsigned filetype = 0;  // AE_IFREG, AE_IFDIR, ...
  unsigned mode = 0;      // permission bits
  long long uid = 0, gid = 0;
  std::string uname, gname;
  long long mtime = 0;
  bool atime_set = false, ctime_set = false;
  std::string symlink, hardlink;
  unsigned dev_major = 0, dev_minor = 0;
  std::map<std::string, std::string> xattrs;
  std::string content;
};

// Reads every entry of an (optionally compressed) tar held in memory with libarchive.
inline std::vector<ReadEntry> ReadTar(const std::string& data) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  std::vector<ReadEntry> out;
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    ADD_FAILURE() << "libarchive cannot open: " << archive_error_string(a.get());
    return out;
  }
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    ReadEntry r;
    r.path = archive_entry_pathname(e);
    if (r.path.size() > 1 && r.path.back() == '/') r.path.pop_back();  // directories
    r.filetype = archive_entry_filetype(e);
    r.mode = archive_entry_perm(e);
    r.uid = archive_entry_uid(e);
    r.gid = archive_entry_gid(e);
    if (archive_entry_uname(e)) r.uname = archive_entry_uname(e);
    if (archive_entry_gname(e)) r.gname = archive_entry_gname(e);
    r.mtime = archive_entry_mtime(e);
    r.atime_set = archive_entry_atime_is_set(e);
    r.ctime_set = archive_entry_ctime_is_set(e);
    if (archive_entry_symlink(e)) r.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) r.hardlink = archive_entry_hardlink(e);
    r.dev_major = archive_entry_rdevmajor(e);
    r.dev_minor = archive_entry_rdevminor(e);
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
      r.xattrs[name] = std::string(static_cast<const char*>(value), size);
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) r.content.append(buf, static_cast<size_t>(n));
    out.push_back(std::move(r));
  }
  EXPECT_EQ(rc, ARCHIVE_EOF) << archive_error_string(a.get());
  return out;
}

inline const ReadEntry* FindEntry(const std::vector<ReadEntry>& entries, const std::string& path) {
  for (const auto& e : entries)
    if (e.path == path) return &e;
  return nullptr;
}

inline tree::FileNode Node(tree::NodeType type, std::uint32_t mode, std::string origin = "base",
                           std::uint32_t uid = 0, std::uint32_t gid = 0) {
  tree::FileNode n;
  n.type = type;
  n.mode = mode;
  n.uid = uid;
  n.gid = gid;
  n.mtime = 1700000000;
  n.origin = std::move(origin);
  return n;
}

inline tree::FileNode InlineFile(std::string data, std::uint32_t mode = 0644, std::string origin = "base",
                                 std::uint32_t uid = 0, std::uint32_t gid = 0) {
  tree::FileNode n = Node(tree::NodeType::kFile, mode, std::move(origin), uid, gid);
  n.content.is_inline = true;
  n.content.size = data.size();
  n.content.inline_data = std::move(data);
  return n;
}

inline tree::FileNode Symlink(std::string target, std::string origin = "base") {
  tree::FileNode n = Node(tree::NodeType::kSymlink, 0777, std::move(origin));
  n.target = std::move(target);
  return n;
}

inline tree::FileNode HardLink(std::string target, std::string origin = "base") {
  tree::FileNode n = Node(tree::NodeType::kHardLink, 0644, std::move(origin));
  n.target = std::move(target);
  return n;
}

// Runs a judge; returns stdout, or fails the test with its stderr.
inline std::string RunTool(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env = {}) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.env = env;
  auto r = RunProcess(spec);
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    return "";
  }
  EXPECT_EQ(r->exit_code, 0) << argv[0] << " failed: " << r->err;
  return r->out;
}

}  // namespace kiln::oci::testing
