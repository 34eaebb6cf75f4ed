// The Debian lock file (`kiln lock RECIPE` writes RECIPE.lock): the exact package set a
// `type = "debian"` base resolved to, so later builds install exactly those versions and
// check every .deb's digest. TOML, written deterministically (packages sorted):
//
//   # Written by `kiln lock`; commit it beside the recipe.
//   version = 1
//   suite = "bookworm"
//   variant = "minbase"
//   mirror = "http://deb.debian.org/debian"
//   snapshot = "20240101T000000Z"                 # only in snapshot-pinned locks
//   architecture = "amd64"
//   components = ["main"]
//   requested = ["busybox", "ca-certificates"]   # the recipe's `packages` when locked
//
//   [[package]]
//   name = "base-files"
//   version = "12.4+deb12u5"
//   architecture = "amd64"
//   sha256 = "<64 hex>"
//
// Parsed strictly: unknown keys, wrong types, missing fields and bad values are errors
// naming the file, line and column. Used by debian_source and the CLI's `kiln lock`.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"
#include "builder/sources/debian_base_spec.h"

namespace kiln::sources {

inline constexpr int kLockFileVersion = 1;

struct LockedPackage {
  std::string name;
  std::string version;
  std::string architecture;  // dpkg architecture: "amd64", "all", ...
  std::string sha256;        // of the .deb, lowercase hex
  bool operator==(const LockedPackage&) const = default;
};

struct LockFile {
  int version = kLockFileVersion;
  std::string suite;
  std::string variant;
  std::string mirror;
  std::string snapshot;      // "YYYYMMDDTHHMMSSZ" the packages were resolved at; empty: none
  std::string architecture;  // dpkg architecture of the image
  std::vector<std::string> components;
  std::vector<std::string> requested;    // recipe [base] packages the lock was made for
  std::vector<LockedPackage> packages;   // sorted by name, then architecture
  bool operator==(const LockFile&) const = default;
};

// RECIPE -> RECIPE.lock ("app.toml" -> "app.toml.lock"), beside the recipe.
std::filesystem::path LockPathFor(const std::filesystem::path& recipe_file);

// "x86-64" -> "amd64", "arm64" -> "arm64".
std::string DebianArchitecture(Architecture arch);

// Deterministic TOML text (packages sorted, fixed key order).
std::string FormatLockFile(const LockFile& lock);

// Strict parser; `name` is used in messages ("app.toml.lock:12:1: ...").
Result<LockFile> ParseLockFile(std::string_view text, const std::string& name);
Result<LockFile> ReadLockFile(const std::filesystem::path& path);

// A lock made for another suite, mirror, architecture, package list or (when the recipe names
// one) snapshot is stale: kRecipe error
// telling the user to re-run `kiln lock`.
Status CheckLockMatchesRecipe(const LockFile& lock, const DebianBaseSpec& base,
                              const std::string& architecture, const std::string& lock_name);

}  // namespace kiln::sources
