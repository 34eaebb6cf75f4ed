// One of the image's colon-separated account databases (/etc/passwd, /etc/group, /etc/shadow,
// /etc/gshadow) loaded from the FileTree, edited the way shadow-utils' useradd and groupadd
// edit them (new records appended, member lists extended, every other line kept byte for
// byte) and stored back. Used by accounts.cc, which applies [[user]] and [[group]].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

struct AccountDb {
  std::string path;                // normalised image path as named ("etc/passwd")
  bool exists = false;             // the image had the file
  std::vector<std::string> lines;  // without their '\n'
  bool changed = false;
};

// Reads `path` (symlinks followed inside the image). A missing file gives an empty database
// with exists == false; a path that is not a regular file is an error naming it.
Result<AccountDb> LoadAccountDb(const FileTree& tree, const std::string& path);

// "a:b::c" -> {"a", "b", "", "c"}.
std::vector<std::string> SplitFields(std::string_view line);

// Index of the record whose first field is name.
std::optional<std::size_t> FindByName(const AccountDb& db, std::string_view name);
// Index of the first record whose third field (uid or gid) is id.
std::optional<std::size_t> FindById(const AccountDb& db, std::uint32_t id);
// The third field of record i as a number, if it is one.
std::optional<std::uint32_t> IdOf(const AccountDb& db, std::size_t i);

// Appends a record.
void AppendRecord(AccountDb& db, std::string line);
// Adds member to the comma-separated list in field 3 of record i (/etc/group and /etc/gshadow
// both keep members there), unless it is already listed.
void AddMember(AccountDb& db, std::size_t i, std::string_view member);

// Writes a changed database back. An existing file keeps its node (mode, owner, xattrs) with
// the new content and mtime = clamp time; a new file is inserted with `mode`, uid 0 and `gid`.
Status StoreAccountDb(FileTree& tree, const AccountDb& db, std::uint32_t mode, std::uint32_t gid);

}  // namespace kiln::tree
