#include "builder/tree/accounts.h"

#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "builder/common/system_text.h"
#include "builder/tree/account_db.h"
#include "builder/tree/entries.h"

namespace kiln::tree {

namespace {

constexpr std::uint32_t kFirstSystemId = 100;  // adduser's FIRST_SYSTEM_UID/GID
constexpr std::uint32_t kLastSystemId = 999;   // login.defs SYS_UID_MAX/SYS_GID_MAX
constexpr std::uint32_t kFirstUserId = 1000;   // login.defs UID_MIN

// The recipe loader already rejects these; a Recipe made in code must not inject records either.
Status CheckFields(const std::string& where, std::initializer_list<std::pair<SystemField, const std::string*>> fields) {
  for (const auto& [field, text] : fields)
    if (std::string why = SystemFieldProblem(field, *text); !why.empty())
      return MakeError(ErrorCode::kRecipe, where + ": " + why);
  return OkStatus();
}

// The image's /etc/login.defs as KEY -> VALUE (shadow-utils' own format: "KEY  VALUE").
Result<std::map<std::string, std::string>> ReadLoginDefs(const FileTree& tree) {
  std::map<std::string, std::string> defs;
  KILN_ASSIGN_OR_RETURN(AccountDb file, LoadAccountDb(tree, "etc/login.defs"));
  for (const std::string& line : file.lines) {
    std::size_t k = line.find_first_not_of(" \t");
    if (k == std::string::npos || line[k] == '#') continue;
    std::size_t ke = line.find_first_of(" \t", k);
    if (ke == std::string::npos) continue;
    std::size_t v = line.find_first_not_of(" \t", ke);
    if (v == std::string::npos) continue;
    std::size_t ve = line.find_last_not_of(" \t\r");
    defs[line.substr(k, ke - k)] = line.substr(v, ve + 1 - v);
  }
  return defs;
}

std::optional<std::uint32_t> OctalDef(const std::map<std::string, std::string>& defs,
                                      const std::string& key) {
  auto it = defs.find(key);
  if (it == defs.end()) return std::nullopt;
  std::uint32_t v = 0;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 8);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v & 07777;
}

std::set<std::uint32_t> IdsIn(const AccountDb& db) {
  std::set<std::uint32_t> ids;
  for (std::size_t i = 0; i < db.lines.size(); ++i)
    if (auto id = IdOf(db, i)) ids.insert(*id);
  return ids;
}

std::optional<std::uint32_t> LowestFree(const std::set<std::uint32_t>& used,
                                        const std::set<std::uint32_t>& reserved) {
  for (std::uint32_t id = kFirstSystemId; id <= kLastSystemId; ++id)
    if (!used.contains(id) && !reserved.contains(id)) return id;
  return std::nullopt;
}

class AccountWriter {
 public:
  AccountWriter(FileTree& tree, const AccountOptions& opts) : tree_(tree), opts_(opts) {}

  Status Load(const std::vector<GroupSpec>& groups,
              const std::vector<UserSpec>& users) {
    KILN_ASSIGN_OR_RETURN(passwd_, LoadAccountDb(tree_, "etc/passwd"));
    KILN_ASSIGN_OR_RETURN(group_, LoadAccountDb(tree_, "etc/group"));
    KILN_ASSIGN_OR_RETURN(shadow_, LoadAccountDb(tree_, "etc/shadow"));
    KILN_ASSIGN_OR_RETURN(gshadow_, LoadAccountDb(tree_, "etc/gshadow"));
    KILN_ASSIGN_OR_RETURN(login_defs_, ReadLoginDefs(tree_));
    // Ids the recipe names are never handed out to an entry that names none.
    for (const auto& g : groups)
      if (g.gid) reserved_gids_.insert(*g.gid);
    for (const auto& u : users) {
      if (u.uid) reserved_uids_.insert(*u.uid);
      if (u.gid) reserved_gids_.insert(*u.gid);
    }
    return OkStatus();
  }

  Status AddGroup(const GroupSpec& spec) {
    KILN_TRY(CheckFields(spec.pos.ToString() + ": [[group]] name", {{SystemField::kAccountField, &spec.name}}));
    const std::string where = spec.pos.ToString() + ": [[group]] '" + spec.name + "'";
    if (auto i = FindByName(group_, spec.name)) {
      auto have = IdOf(group_, *i);
      if (spec.gid && have != spec.gid)
        return MakeError(ErrorCode::kRecipe,
                         where + ": the image already has this group with gid " +
                             (have ? std::to_string(*have) : "?") + ", not " + std::to_string(*spec.gid));
      return OkStatus();  // already there, as asked (groupadd -f)
    }
    std::uint32_t gid = 0;
    if (spec.gid) {
      gid = *spec.gid;
      if (auto j = FindById(group_, gid))
        return MakeError(ErrorCode::kRecipe, where + ": gid " + std::to_string(gid) +
                                                 " is already used by group '" +
                                                 SplitFields(group_.lines[*j])[0] + "'");
    } else {
      auto free = LowestFree(IdsIn(group_), reserved_gids_);
      if (!free) return MakeError(ErrorCode::kRecipe, where + ": no free gid in 100..999");
      gid = *free;
    }
    AppendGroup(spec.name, gid);
    return OkStatus();
  }

  Status AddUser(const UserSpec& spec) {
    KILN_TRY(CheckFields(spec.pos.ToString() + ": [[user]] name", {{SystemField::kAccountField, &spec.name}}));
    const std::string where = spec.pos.ToString() + ": [[user]] '" + spec.name + "'";
    KILN_TRY(CheckFields(where + " home", {{SystemField::kHomeDirectory, &spec.home}}));
    KILN_TRY(CheckFields(where + " shell", {{SystemField::kAccountField, &spec.shell}}));
    for (const std::string& g : spec.groups)
      KILN_TRY(CheckFields(where + " groups", {{SystemField::kAccountField, &g}}));
    if (FindByName(passwd_, spec.name))
      return MakeError(ErrorCode::kRecipe, where + ": the image already has this user in /etc/passwd");
    std::uint32_t uid = 0;
    if (spec.uid) {
      uid = *spec.uid;
      if (auto j = FindById(passwd_, uid))
        return MakeError(ErrorCode::kRecipe, where + ": uid " + std::to_string(uid) +
                                                 " is already used by user '" +
                                                 SplitFields(passwd_.lines[*j])[0] + "'");
    } else {
      auto free = LowestFree(IdsIn(passwd_), reserved_uids_);
      if (!free) return MakeError(ErrorCode::kRecipe, where + ": no free uid in 100..999");
      uid = *free;
    }
    KILN_ASSIGN_OR_RETURN(std::uint32_t gid, PrimaryGroup(spec, uid, where));

    AppendRecord(passwd_, spec.name + ":x:" + std::to_string(uid) + ":" + std::to_string(gid) +
                              "::" + spec.home + ":" + spec.shell);
    AppendRecord(shadow_, ShadowRecord(spec.name, uid));
    for (const std::string& g : spec.groups) {
      auto i = FindByName(group_, g);
      if (!i)
        return MakeError(ErrorCode::kRecipe, where + ": unknown group '" + g +
                                                 "' (neither in the image's /etc/group nor a [[group]])");
      AddMember(group_, *i, spec.name);
      if (auto j = gshadow_.exists ? FindByName(gshadow_, g) : std::nullopt)
        AddMember(gshadow_, *j, spec.name);
    }
    return MakeHome(spec, uid, gid, where);
  }

  Status Store() {
    KILN_TRY(StoreAccountDb(tree_, passwd_, 0644, 0));
    KILN_TRY(StoreAccountDb(tree_, group_, 0644, 0));
    // A new shadow file gets Debian's 0640 root:shadow, or 0600 when there is no such group.
    std::optional<std::uint32_t> shadow_gid;
    if (auto i = FindByName(group_, "shadow")) shadow_gid = IdOf(group_, *i);
    KILN_TRY(StoreAccountDb(tree_, shadow_, shadow_gid ? 0640 : 0600, shadow_gid.value_or(0)));
    KILN_TRY(StoreAccountDb(tree_, gshadow_, shadow_gid ? 0640 : 0600, shadow_gid.value_or(0)));
    if (tmpfiles_.empty()) return OkStatus();
    std::string dir = tree_.Resolve("usr/lib/tmpfiles.d");
    const FileNode* d = dir.empty() ? nullptr : tree_.Find(dir);
    if (!d || d->type != NodeType::kDirectory) return OkStatus();
    FileNode conf;
    conf.type = NodeType::kFile;
    conf.mode = 0644;
    conf.mtime = tree_.clamp_time();
    conf.origin = "recipe";
    conf.content.is_inline = true;
    conf.content.inline_data =
        "# Homes of the recipe's [[user]] entries on the data partition (written by kiln).\n" + tmpfiles_;
    conf.content.size = conf.content.inline_data.size();
    KILN_TRY(tree_.Insert(dir + "/kiln-accounts.conf", std::move(conf)));
    return OkStatus();
  }

 private:
  void AppendGroup(const std::string& name, std::uint32_t gid) {
    AppendRecord(group_, name + ":x:" + std::to_string(gid) + ":");
    if (gshadow_.exists) AppendRecord(gshadow_, name + ":!::");
  }

  // useradd -U: the group given by gid, else the user's own group (made when missing).
  Result<std::uint32_t> PrimaryGroup(const UserSpec& spec, std::uint32_t uid,
                                     const std::string& where) {
    if (spec.gid) {
      if (FindById(group_, *spec.gid)) return *spec.gid;
      if (auto i = FindByName(group_, spec.name))
        return MakeError(ErrorCode::kRecipe, where + ": no group has gid " + std::to_string(*spec.gid) +
                                                 " and group '" + spec.name + "' already has gid " +
                                                 std::to_string(IdOf(group_, *i).value_or(0)));
      AppendGroup(spec.name, *spec.gid);
      return *spec.gid;
    }
    if (auto i = FindByName(group_, spec.name)) {
      if (auto gid = IdOf(group_, *i)) return *gid;
      return MakeError(ErrorCode::kInput, where + ": group '" + spec.name + "' in /etc/group has no numeric gid");
    }
    std::set<std::uint32_t> used = IdsIn(group_);
    std::uint32_t gid = uid;
    if (used.contains(uid) || reserved_gids_.contains(uid)) {
      auto free = LowestFree(used, reserved_gids_);
      if (!free) return MakeError(ErrorCode::kRecipe, where + ": no free gid in 100..999");
      gid = *free;
    }
    AppendGroup(spec.name, gid);
    return gid;
  }

  // Locked password; aging as useradd: empty for system accounts (-r), login.defs otherwise.
  std::string ShadowRecord(const std::string& name, std::uint32_t uid) const {
    std::int64_t day = opts_.source_date_epoch / 86400;
    std::string rec = name + ":!:" + (day > 0 ? std::to_string(day) : "") + ":";
    if (uid >= kFirstUserId) {
      auto def = [&](const char* key) {
        auto it = login_defs_.find(key);
        return it == login_defs_.end() ? std::string() : it->second;
      };
      rec += def("PASS_MIN_DAYS") + ":" + def("PASS_MAX_DAYS") + ":" + def("PASS_WARN_AGE");
    } else {
      rec += "::";
    }
    return rec + ":::";
  }

  Status MakeHome(const UserSpec& spec, std::uint32_t uid, std::uint32_t gid,
                  const std::string& where) {
    std::uint32_t mode = OctalDef(login_defs_, "HOME_MODE")
                             .value_or(0777 & ~OctalDef(login_defs_, "UMASK").value_or(022));
    const std::string& mp = opts_.data_mountpoint;
    if (spec.home == "/nonexistent") return OkStatus();
    if (!mp.empty() && (spec.home == mp || spec.home.starts_with(mp == "/" ? mp : mp + "/"))) {
      std::string group = SplitFields(group_.lines[*FindById(group_, gid)])[0];
      char m[8];
      std::snprintf(m, sizeof m, "%04o", mode);
      tmpfiles_ += "d " + spec.home + " " + m + " " + spec.name + " " + group + " -\n";
      return OkStatus();
    }
    if (!tree_.Resolve(spec.home).empty()) return OkStatus();  // the image has it: left alone
    FileNode dir;
    dir.type = NodeType::kDirectory;
    dir.mode = mode;
    dir.uid = uid;
    dir.gid = gid;
    dir.mtime = tree_.clamp_time();
    dir.origin = "recipe";
    auto home = tree_.Insert(spec.home, std::move(dir));
    if (!home.ok())
      return MakeError(home.error().code, where + ": home " + spec.home + ": " + home.error().message);
    return CopySkel(*home, uid, gid, where);
  }

  // useradd -m copies /etc/skel (times kept, owner the new user).
  Status CopySkel(const std::string& home, std::uint32_t uid, std::uint32_t gid, const std::string& where) {
    std::string skel = tree_.Resolve("etc/skel");
    const FileNode* s = skel.empty() ? nullptr : tree_.Find(skel);
    if (!s || s->type != NodeType::kDirectory) return OkStatus();
    const std::string prefix = skel + "/";
    std::vector<std::pair<std::string, FileNode>> copies;
    for (auto it = tree_.nodes().lower_bound(prefix);
         it != tree_.nodes().end() && it->first.starts_with(prefix); ++it) {
      FileNode node = it->second;
      if (node.type == NodeType::kHardLink) {
        const FileNode* target = tree_.Find(node.target);
        if (!target) continue;
        node = *target;
      }
      node.uid = uid;
      node.gid = gid;
      copies.emplace_back(home + "/" + it->first.substr(prefix.size()), std::move(node));
    }
    for (auto& [path, node] : copies) {
      FileTree::InsertOptions opts;
      opts.follow_symlinks = false;
      auto r = tree_.Insert(path, std::move(node), opts);
      if (!r.ok()) return MakeError(r.error().code, where + ": copying /etc/skel: " + r.error().message);
    }
    return OkStatus();
  }

  FileTree& tree_;
  const AccountOptions& opts_;
  AccountDb passwd_, group_, shadow_, gshadow_;
  std::map<std::string, std::string> login_defs_;
  std::set<std::uint32_t> reserved_uids_, reserved_gids_;
  std::string tmpfiles_;
};

}  // namespace

Status ApplyAccounts(FileTree& tree, const std::vector<GroupSpec>& groups,
                     const std::vector<UserSpec>& users, const AccountOptions& opts) {
  if (groups.empty() && users.empty()) return OkStatus();
  AccountWriter writer(tree, opts);
  KILN_TRY(writer.Load(groups, users));
  for (const auto& g : groups) KILN_TRY(writer.AddGroup(g));
  for (const auto& u : users) KILN_TRY(writer.AddUser(u));
  return writer.Store();
}

}  // namespace kiln::tree
