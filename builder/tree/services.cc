#include "builder/tree/services.h"

#include <optional>
#include <set>

#include "builder/tree/entries.h"
#include "builder/tree/unit_install.h"

namespace kiln::tree {

namespace {

constexpr const char* kUnitDir = "etc/systemd/system";  // where enable writes its links

struct FoundUnit {
  std::string dir;        // search directory as listed ("lib/systemd/system")
  std::string file_name;  // "foo.service" or the template "foo@.service"
  std::string node_path;  // where the file really is in the tree
};

std::string SearchPathText() {
  std::string s;
  for (const std::string& d : UnitSearchPath()) s += (s.empty() ? "/" : ", /") + d;
  return s;
}

// systemd's unit_file_search: the exact name in every directory, then the template.
std::optional<FoundUnit> FindUnit(const FileTree& tree, const UnitName& u, const std::string& name) {
  std::vector<std::string> candidates = {name};
  if (u.is_instance()) candidates.push_back(u.Template());
  for (const std::string& file : candidates) {
    for (const std::string& dir : UnitSearchPath()) {
      std::string resolved = tree.Resolve(dir);
      const FileNode* d = resolved.empty() ? nullptr : tree.Find(resolved);
      if (!d || d->type != NodeType::kDirectory) continue;
      std::string path = resolved + "/" + file;
      if (tree.Find(path)) return FoundUnit{dir, file, path};
    }
  }
  return std::nullopt;
}

class Enabler {
 public:
  Enabler(FileTree& tree, std::string where) : tree_(tree), where_(std::move(where)) {}

  // via: the unit whose Also= named this one ("" for the recipe's own list).
  Status Enable(const std::string& name, const std::string& via) {
    if (!done_.insert(name).second) return OkStatus();
    const std::string what = "unit '" + name + "'" + (via.empty() ? "" : " (Also= of '" + via + "')");
    auto u = ParseUnitName(name);
    if (!u) return Fail("invalid unit name '" + name + "'");
    auto found = FindUnit(tree_, *u, name);
    if (!found) {
      if (!via.empty()) return OkStatus();  // systemctl: "Failed to enable auxiliary unit, ignoring"
      return Fail(what + " is not in the image (searched " + SearchPathText() + ")");
    }
    const FileNode* node = tree_.Find(found->node_path);
    if (node->type == NodeType::kHardLink) node = tree_.Find(node->target);
    if (node && node->type == NodeType::kSymlink) {
      if (node->target == "/dev/null") return Fail(what + " is masked (/" + found->node_path + " -> /dev/null)");
      return Fail(what + ": /" + found->node_path + " is an alias or linked unit file (-> " +
                  node->target + "); enable the unit it names");
    }
    if (!node || node->type != NodeType::kFile)
      return Fail(what + ": /" + found->node_path + " is not a regular file");
    auto text = ReadContent(node->content);
    if (!text.ok()) return Fail(what + ": " + text.error().ToString());
    InstallSection install = ParseInstallSection(*text);
    if (!HasInstallConfig(install))
      return Fail(what + " has no installation config (WantedBy=, RequiredBy=, Also=, Alias= settings "
                  "in the [Install] section, and DefaultInstance= for template units): it is not "
                  "meant to be enabled, systemctl refuses it too");

    // The name the links carry: the unit, the requested instance, or the default instance.
    std::string link_name = name;
    if (u->is_template())
      link_name = install.default_instance.empty() ? "" : u->WithInstance(install.default_instance);
    const std::string target = "/" + found->dir + "/" + found->file_name;
    auto link_deps = [&](const std::vector<std::string>& units, const char* kind) -> Status {
      for (const std::string& raw : units) {
        if (link_name.empty())
          return Fail(what + " is a template without DefaultInstance=; enable an instance ('" +
                      u->WithInstance("NAME") + "')");
        KILN_ASSIGN_OR_RETURN(std::string dep, Expand(raw, link_name, what));
        if (!ParseUnitName(dep)) return Fail(what + ": invalid unit name '" + dep + "' in [Install]");
        KILN_TRY(Link(std::string(kUnitDir) + "/" + dep + kind + "/" + link_name, target));
      }
      return OkStatus();
    };
    KILN_TRY(link_deps(install.wanted_by, ".wants"));
    KILN_TRY(link_deps(install.required_by, ".requires"));
    for (const std::string& raw : install.alias) {
      KILN_ASSIGN_OR_RETURN(std::string alias, Expand(raw, link_name.empty() ? name : link_name, what));
      auto a = ParseUnitName(alias);
      if (!a || a->suffix != u->suffix)
        return Fail(what + ": invalid Alias= '" + alias + "' (must be a unit name ending in ." + u->suffix + ")");
      KILN_TRY(Link(std::string(kUnitDir) + "/" + alias, target));
    }
    for (const std::string& raw : install.also) {
      KILN_ASSIGN_OR_RETURN(std::string also, Expand(raw, link_name.empty() ? name : link_name, what));
      KILN_TRY(Enable(also, name));
    }
    return OkStatus();
  }

 private:
  Error Fail(const std::string& message) const {
    return MakeError(ErrorCode::kRecipe, where_ + ": [services].enable: " + message);
  }

  Result<std::string> Expand(const std::string& value, const std::string& unit, const std::string& what) {
    auto r = ExpandInstallSpecifiers(value, unit);
    if (!r.ok()) return Fail(what + ": " + r.error().message);
    return r;
  }

  Status Link(const std::string& path, const std::string& target) {
    std::string parent = tree_.Resolve(ParentPath(path));
    if (!parent.empty()) {
      if (const FileNode* existing = tree_.Find(parent + "/" + BaseName(path))) {
        if (existing->type == NodeType::kSymlink && existing->target == target) return OkStatus();
        return Fail("/" + path + " already exists" +
                    (existing->type == NodeType::kSymlink ? " and links to " + existing->target
                                                          : std::string(" (a ") + NodeTypeName(existing->type) + ")") +
                    ", not " + target);
      }
    }
    FileNode link;
    link.type = NodeType::kSymlink;
    link.mode = 0777;
    link.target = target;
    link.mtime = tree_.clamp_time();
    link.origin = "recipe";
    FileTree::InsertOptions opts;
    opts.follow_symlinks = false;
    auto r = tree_.Insert(path, std::move(link), opts);
    if (!r.ok()) return Fail("/" + path + ": " + r.error().message);
    return OkStatus();
  }

  FileTree& tree_;
  std::string where_;
  std::set<std::string> done_;
};

}  // namespace

const std::vector<std::string>& UnitSearchPath() {
  static const std::vector<std::string> kPath = {"etc/systemd/system", "usr/local/lib/systemd/system",
                                                 "lib/systemd/system", "usr/lib/systemd/system"};
  return kPath;
}

Status EnableServices(FileTree& tree, const std::vector<std::string>& units,
                      const SourcePos& pos) {
  Enabler enabler(tree, pos.ToString());
  for (const std::string& unit : units) KILN_TRY(enabler.Enable(unit, ""));
  return OkStatus();
}

}  // namespace kiln::tree
