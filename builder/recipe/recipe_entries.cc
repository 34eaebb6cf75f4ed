// Tree content and accounts: [[overlay]], [[file]], [[directory]], [[symlink]], [[user]],
// [[group]]. Entries of the three entry kinds keep recipe order across kinds (load order
// of the files, then position in the file), since a later entry may replace an earlier one.
#include <algorithm>
#include <set>
#include <tuple>

#include "builder/common/system_text.h"
#include "builder/recipe/recipe_sections.h"
#include "builder/recipe/recipe_values.h"

namespace kiln::recipe {

namespace fs = std::filesystem;

namespace {

std::string CheckAccount(std::string_view v) {
  if (IsValidAccountName(v)) return "";
  return "invalid name '" + std::string(v) + "' (expected [a-z_][a-z0-9_-]*, at most 32 bytes)";
}

Status ParseFile(const TableReader& t, EntrySpec* out) {
  KILN_TRY(t.CheckKeys({"path", "content", "source", "mode", "owner"}));
  KILN_TRY(t.Require("path"));
  bool has_content = t.Find("content") != nullptr;
  bool has_source = t.Find("source") != nullptr;
  if (has_content == has_source) {
    return RecipeError(t.pos(), t.name() + ": needs exactly one of 'content' or 'source' (got " +
                                    (has_content ? "both" : "neither") + ")");
  }
  KILN_TRY(t.ReadString("content", &out->content));
  KILN_TRY(t.ReadHostPath("source", HostPathKind::kFile, &out->source));
  return OkStatus();
}

Status ParseSymlink(const TableReader& t, EntrySpec* out) {
  KILN_TRY(t.CheckKeys({"path", "target", "owner"}));
  KILN_TRY(t.Require("path"));
  KILN_TRY(t.Require("target"));
  return t.ReadString("target", &out->target, [](std::string_view v) -> std::string {
    if (v.empty()) return "must not be empty";
    if (v.find('\0') != std::string_view::npos) return "contains a NUL byte";
    return "";
  });
}

}  // namespace

Status ParseOverlays(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(std::vector<TableReader> overlays, top.TableArray("overlay"));
  for (const TableReader& t : overlays) {
    KILN_TRY(t.CheckKeys({"source", "target"}));
    KILN_TRY(t.Require("source"));
    OverlaySpec overlay;
    overlay.pos = t.pos();
    std::optional<fs::path> source;
    KILN_TRY(t.ReadHostPath("source", HostPathKind::kDirectory, &source));
    overlay.source = *source;
    KILN_TRY(t.ReadImagePath("target", &overlay.target));
    recipe->overlays.push_back(std::move(overlay));
  }
  return OkStatus();
}

Status ParseEntries(const TableReader& top, Recipe* recipe) {
  struct Sorted {
    std::tuple<int, int, int> order;
    EntrySpec entry;
  };
  std::vector<Sorted> all;
  for (EntryKind kind : {EntryKind::kFile, EntryKind::kDirectory, EntryKind::kSymlink}) {
    const char* key = kind == EntryKind::kFile ? "file"
                      : kind == EntryKind::kDirectory ? "directory"
                                                      : "symlink";
    KILN_ASSIGN_OR_RETURN(std::vector<TableReader> tables, top.TableArray(key));
    for (const TableReader& t : tables) {
      EntrySpec entry;
      entry.kind = kind;
      entry.pos = t.pos();
      if (kind == EntryKind::kFile) {
        KILN_TRY(ParseFile(t, &entry));
      } else if (kind == EntryKind::kDirectory) {
        KILN_TRY(t.CheckKeys({"path", "mode", "owner"}));
        KILN_TRY(t.Require("path"));
      } else {
        KILN_TRY(ParseSymlink(t, &entry));
      }
      KILN_TRY(t.ReadImagePath("path", &entry.path));
      if (entry.path == "/" && kind != EntryKind::kDirectory) {
        return t.KeyError("path", "'/' can only be a [[directory]]");
      }
      KILN_TRY(t.ReadMode("mode", &entry.mode));
      KILN_TRY(t.ReadOwner("owner", &entry.owner));
      if (!entry.owner.uid && entry.owner.user.empty()) entry.owner.uid = 0;
      if (!entry.owner.gid && entry.owner.group.empty()) entry.owner.gid = 0;
      all.push_back({{t.FileOrder(*t.table()), entry.pos.line, entry.pos.column},
                     std::move(entry)});
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Sorted& a, const Sorted& b) { return a.order < b.order; });
  for (Sorted& s : all) recipe->entries.push_back(std::move(s.entry));
  return OkStatus();
}

Status ParseAccounts(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(std::vector<TableReader> groups, top.TableArray("group"));
  std::set<std::string> group_names;
  for (const TableReader& t : groups) {
    KILN_TRY(t.CheckKeys({"name", "gid"}));
    KILN_TRY(t.Require("name"));
    GroupSpec group;
    group.pos = t.pos();
    KILN_TRY(t.ReadString("name", &group.name, CheckAccount));
    if (!group_names.insert(group.name).second) {
      return t.KeyError("name", "duplicate group '" + group.name + "'");
    }
    KILN_TRY(t.ReadId("gid", &group.gid));
    recipe->groups.push_back(std::move(group));
  }
  KILN_ASSIGN_OR_RETURN(std::vector<TableReader> users, top.TableArray("user"));
  std::set<std::string> user_names;
  for (const TableReader& t : users) {
    KILN_TRY(t.CheckKeys({"name", "uid", "gid", "home", "shell", "groups"}));
    KILN_TRY(t.Require("name"));
    UserSpec user;
    user.pos = t.pos();
    KILN_TRY(t.ReadString("name", &user.name, CheckAccount));
    if (!user_names.insert(user.name).second) {
      return t.KeyError("name", "duplicate user '" + user.name + "'");
    }
    KILN_TRY(t.ReadId("uid", &user.uid));
    KILN_TRY(t.ReadId("gid", &user.gid));
    user.home = "/home/" + user.name;
    KILN_TRY(t.ReadImagePath("home", &user.home));
    if (std::string why = SystemFieldProblem(SystemField::kHomeDirectory, user.home); !why.empty())
      return t.KeyError("home", why);
    KILN_TRY(t.ReadImagePath("shell", &user.shell));
    if (std::string why = SystemFieldProblem(SystemField::kAccountField, user.shell); !why.empty())
      return t.KeyError("shell", why);
    KILN_TRY(t.ReadStringArray("groups", &user.groups, CheckAccount));
    recipe->users.push_back(std::move(user));
  }
  return OkStatus();
}

}  // namespace kiln::recipe
