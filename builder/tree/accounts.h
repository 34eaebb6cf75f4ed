// Applies the recipe's [[group]] and [[user]] entries to the image's own account databases,
// producing the files `groupadd` and `useradd -U -m` (shadow-utils) would write inside the
// image, without running them and without the host's databases or clock. The pipeline calls
// it after the base and the overlays and before [[file]]/[[directory]]/[[symlink]] entries,
// so those entries can name the new accounts as owners. docs/recipe.md documents the rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/source_pos.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

// One [[user]] (the pipeline makes them from the recipe).
struct UserSpec {
  std::string name;
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  std::string home;
  std::string shell = "/usr/sbin/nologin";
  std::vector<std::string> groups;
  SourcePos pos;  // errors start with it
  bool operator==(const UserSpec&) const = default;
};

// One [[group]].
struct GroupSpec {
  std::string name;
  std::optional<std::uint32_t> gid;
  SourcePos pos;
  bool operator==(const GroupSpec&) const = default;
};

struct AccountOptions {
  std::int64_t source_date_epoch = 0;  // shadow's "last password change" = its day number
  std::string data_mountpoint;         // "/var"; homes under it are not made in the tree ("": none)
};

// Groups first, then users, each in recipe order:
//  - [[group]]: "NAME:x:GID:" appended to /etc/group (and "NAME:!::" to /etc/gshadow when the
//    image has one). A group of that name that already exists is kept when its gid agrees;
//    a different gid, or a gid used by another group, is an error.
//  - [[user]]: "NAME:x:UID:GID::HOME:SHELL" to /etc/passwd, "NAME:!:DAY::::::" (locked) to
//    /etc/shadow (aging fields from the image's /etc/login.defs for uid >= 1000, empty for
//    system accounts, as useradd -r), its primary group (the group with the given gid, else an
//    existing group of the user's name, else a new group of the user's name, gid = uid when
//    free), membership of its supplementary groups, and its home directory (see below).
//  - ids not given are the lowest free in 100..999, skipping every id the recipe names.
//  - homes are created (mode from login.defs HOME_MODE/UMASK, default 0755; owner uid:gid;
//    /etc/skel copied in) unless the path exists, is /nonexistent, or lies under the data
//    mountpoint (hidden by the data partition at run time: a line "d HOME MODE USER GROUP -"
//    goes to /usr/lib/tmpfiles.d/kiln-accounts.conf instead when the image has systemd's
//    tmpfiles.d directory).
// New /etc/passwd and /etc/group files are 0644 root:root, a new /etc/shadow is 0640
// root:shadow when group shadow exists, else 0600. Errors are kRecipe and start with the
// entry's recipe position.
Status ApplyAccounts(FileTree& tree, const std::vector<GroupSpec>& groups, const std::vector<UserSpec>& users,
                     const AccountOptions& opts);

}  // namespace kiln::tree
