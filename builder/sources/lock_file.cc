#include "builder/sources/lock_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/debian_snapshot.h"

namespace kiln::sources {

namespace fs = std::filesystem;

namespace {

// A TOML basic string: control characters (which TOML forbids raw) are escaped, so any
// value a lock file held is written back as a lock file that parses (found by the fuzzer).
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string QuoteList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Quote(v[i]);
  return out + "]";
}

// Error at a node's position: "file:line:column: message".
Error At(const std::string& name, const toml::source_region& src, const std::string& msg) {
  return MakeError(ErrorCode::kInput, name + ":" + std::to_string(src.begin.line) + ":" +
                                          std::to_string(src.begin.column) + ": " + msg);
}

// Reads the keys of one table, rejecting unknown ones and keys of the wrong type.
class Reader {
 public:
  Reader(const toml::table& t, std::string name, std::string where)
      : t_(t), name_(std::move(name)), where_(std::move(where)) {}

  Status CheckKeys(const std::set<std::string>& allowed) const {
    for (const auto& [k, v] : t_) {
      if (!allowed.contains(std::string(k.str()))) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return At(name_, k.source(), "unknown key '" + std::string(k.str()) + "' in " + where_ +
                                         " (allowed: " + list + ")");
      }
    }
    return OkStatus();
  }

  Result<std::string> String(const std::string& key) const {
    const toml::node* n = t_.get(key);
    if (!n) return At(name_, t_.source(), "missing key '" + key + "' in " + where_);
    const auto* s = n->as_string();
    if (!s) return At(name_, n->source(), "'" + key + "' in " + where_ + " must be a string");
    if (s->get().empty()) return At(name_, n->source(), "'" + key + "' in " + where_ + " is empty");
    return s->get();
  }

  Result<std::vector<std::string>> Strings(const std::string& key) const {
    const toml::node* n = t_.get(key);
    if (!n) return At(name_, t_.source(), "missing key '" + key + "' in " + where_);
    const auto* arr = n->as_array();
    if (!arr) return At(name_, n->source(), "'" + key + "' in " + where_ + " must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *arr) {
      const auto* s = e.as_string();
      if (!s) return At(name_, e.source(), "'" + key + "' in " + where_ + " must hold strings only");
      out.push_back(s->get());
    }
    return out;
  }

  const toml::node* Node(const std::string& key) const { return t_.get(key); }

 private:
  const toml::table& t_;
  std::string name_;
  std::string where_;
};

bool ValidPackageName(std::string_view s) {
  // Debian policy 5.6.1: lowercase letters, digits, + - . ; at least two chars, alnum first.
  if (s.size() < 2 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
  });
}

bool ValidVersion(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' ||
           c == '~' || c == ':';
  });
}

Result<LockedPackage> ReadPackage(const toml::table& t, const std::string& name, std::size_t index) {
  const std::string where = "[[package]] #" + std::to_string(index + 1);
  Reader r(t, name, where);
  KILN_TRY(r.CheckKeys({"name", "version", "architecture", "sha256"}));
  LockedPackage p;
  KILN_ASSIGN_OR_RETURN(p.name, r.String("name"));
  KILN_ASSIGN_OR_RETURN(p.version, r.String("version"));
  KILN_ASSIGN_OR_RETURN(p.architecture, r.String("architecture"));
  KILN_ASSIGN_OR_RETURN(p.sha256, r.String("sha256"));
  if (!ValidPackageName(p.name))
    return At(name, r.Node("name")->source(), "invalid package name '" + p.name + "' in " + where);
  if (!ValidVersion(p.version))
    return At(name, r.Node("version")->source(), "invalid version '" + p.version + "' for package " + p.name);
  if (!IsSha256Hex(p.sha256) || p.sha256.find_first_of("ABCDEF") != std::string::npos)
    return At(name, r.Node("sha256")->source(),
              "sha256 of package " + p.name + " must be 64 lowercase hex digits");
  return p;
}

bool PackageLess(const LockedPackage& a, const LockedPackage& b) {
  return std::tie(a.name, a.architecture) < std::tie(b.name, b.architecture);
}

}  // namespace

fs::path LockPathFor(const fs::path& recipe_file) {
  fs::path p = recipe_file;
  p += ".lock";
  return p;
}

std::string DebianArchitecture(Architecture arch) {
  return arch == Architecture::kArm64 ? "arm64" : "amd64";
}

std::string FormatLockFile(const LockFile& lock) {
  std::vector<LockedPackage> pkgs = lock.packages;
  std::sort(pkgs.begin(), pkgs.end(), PackageLess);
  std::ostringstream out;
  out << "# Written by `kiln lock`: the exact Debian package set of this recipe's base.\n"
      << "# Commit it beside the recipe; re-run `kiln lock` to update.\n"
      << "version = " << lock.version << "\n"
      << "suite = " << Quote(lock.suite) << "\n"
      << "variant = " << Quote(lock.variant) << "\n"
      << "mirror = " << Quote(lock.mirror) << "\n";
  // Only snapshot-pinned locks carry the key, so locks without one keep their bytes.
  if (!lock.snapshot.empty()) out << "snapshot = " << Quote(lock.snapshot) << "\n";
  out << "architecture = " << Quote(lock.architecture) << "\n"
      << "components = " << QuoteList(lock.components) << "\n"
      << "requested = " << QuoteList(lock.requested) << "\n";
  for (const auto& p : pkgs) {
    out << "\n[[package]]\n"
        << "name = " << Quote(p.name) << "\n"
        << "version = " << Quote(p.version) << "\n"
        << "architecture = " << Quote(p.architecture) << "\n"
        << "sha256 = " << Quote(p.sha256) << "\n";
  }
  return out.str();
}

Result<LockFile> ParseLockFile(std::string_view text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return At(name, e.source(), std::string(e.description()));
  }
  Reader r(root, name, "the lock file");
  KILN_TRY(r.CheckKeys({"version", "suite", "variant", "mirror", "snapshot", "architecture",
                        "components", "requested", "package"}));
  LockFile lock;
  const toml::node* v = r.Node("version");
  if (!v) return At(name, root.source(), "missing key 'version' in the lock file");
  if (!v->is_integer()) return At(name, v->source(), "'version' must be an integer");
  if (v->as_integer()->get() != kLockFileVersion)
    return At(name, v->source(), "unsupported lock file version " + std::to_string(v->as_integer()->get()) +
                                     " (this kiln reads version " + std::to_string(kLockFileVersion) + ")");
  KILN_ASSIGN_OR_RETURN(lock.suite, r.String("suite"));
  KILN_ASSIGN_OR_RETURN(lock.variant, r.String("variant"));
  KILN_ASSIGN_OR_RETURN(lock.mirror, r.String("mirror"));
  if (const toml::node* snap = r.Node("snapshot")) {
    KILN_ASSIGN_OR_RETURN(lock.snapshot, r.String("snapshot"));
    if (!IsSnapshotTimestamp(lock.snapshot))
      return At(name, snap->source(), "invalid snapshot '" + lock.snapshot + "' (expected YYYYMMDDTHHMMSSZ, UTC)");
  }
  KILN_ASSIGN_OR_RETURN(lock.architecture, r.String("architecture"));
  KILN_ASSIGN_OR_RETURN(lock.components, r.Strings("components"));
  KILN_ASSIGN_OR_RETURN(lock.requested, r.Strings("requested"));

  const toml::node* pkgs = r.Node("package");
  if (!pkgs) return At(name, root.source(), "the lock file lists no [[package]]");
  const auto* arr = pkgs->as_array();
  if (!arr || !arr->is_array_of_tables())
    return At(name, pkgs->source(), "'package' must be an array of tables ([[package]])");
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *arr->get(i)->as_table();
    KILN_ASSIGN_OR_RETURN(LockedPackage p, ReadPackage(t, name, i));
    if (!seen.emplace(p.name, p.architecture).second)
      return At(name, t.source(), "package " + p.name + ":" + p.architecture + " is listed twice");
    lock.packages.push_back(std::move(p));
  }
  std::sort(lock.packages.begin(), lock.packages.end(), PackageLess);
  return lock;
}

Result<LockFile> ReadLockFile(const fs::path& path) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseLockFile(text, path.string());
}

Status CheckLockMatchesRecipe(const LockFile& lock, const DebianBaseSpec& base,
                              const std::string& architecture, const std::string& lock_name) {
  auto stale = [&](const std::string& what, const std::string& in_lock, const std::string& in_recipe) {
    return MakeError(ErrorCode::kRecipe, lock_name + " is stale: it was made for " + what + " " +
                                             in_lock + " but the recipe says " + in_recipe +
                                             " (re-run `kiln lock`)");
  };
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return "[" + s + "]";
  };
  if (lock.suite != base.suite) return stale("suite", lock.suite, base.suite);
  if (lock.variant != base.variant) return stale("variant", lock.variant, base.variant);
  if (lock.mirror != base.mirror) return stale("mirror", lock.mirror, base.mirror);
  if (!base.snapshot.empty() && lock.snapshot != base.snapshot)
    return stale("snapshot", lock.snapshot.empty() ? "(none)" : lock.snapshot, base.snapshot);
  if (lock.architecture != architecture) return stale("architecture", lock.architecture, architecture);
  if (lock.components != base.components)
    return stale("components", join(lock.components), join(base.components));
  std::vector<std::string> a = lock.requested, b = base.packages;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b) return stale("packages", join(a), join(b));
  return OkStatus();
}

}  // namespace kiln::sources
