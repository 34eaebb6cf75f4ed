#include "builder/tree/entries.h"

#include "builder/tree/content_reader.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "builder/common/files.h"

namespace kiln::tree {

namespace {

const char* KindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kFile: return "[[file]]";
    case EntryKind::kDirectory: return "[[directory]]";
    case EntryKind::kSymlink: return "[[symlink]]";
  }
  return "entry";
}

std::optional<std::uint32_t> ParseId(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Fields of the colon-separated line of `db` whose first field is `name`.
std::optional<std::vector<std::string_view>> FindRecord(std::string_view db, std::string_view name) {
  while (!db.empty()) {
    std::size_t nl = db.find('\n');
    std::string_view line = db.substr(0, nl);
    db = nl == std::string_view::npos ? std::string_view() : db.substr(nl + 1);
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    for (;;) {
      std::size_t colon = line.find(':', start);
      fields.push_back(line.substr(start, colon == std::string_view::npos ? colon : colon - start));
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
    if (fields.size() >= 3 && fields[0] == name) return fields;
  }
  return std::nullopt;
}

// Reads an account database ("etc/passwd", "etc/group") from the tree as it is now.
Result<std::string> ReadDatabase(const FileTree& tree, const std::string& path) {
  std::string resolved = tree.Resolve(path);
  const FileNode* node = resolved.empty() ? nullptr : tree.Find(resolved);
  if (node && node->type == NodeType::kHardLink) node = tree.Find(node->target);
  if (!node || node->type != NodeType::kFile)
    return MakeError(ErrorCode::kRecipe, "the image has no /" + path);
  return ReadContent(node->content);
}

struct Ids {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

Result<Ids> ResolveOwner(const FileTree& tree, const Owner& owner, const std::string& where) {
  Ids ids;
  ids.uid = owner.uid.value_or(0);
  ids.gid = owner.gid.value_or(0);
  if (!owner.user.empty()) {
    auto db = ReadDatabase(tree, "etc/passwd");
    if (!db.ok())
      return MakeError(ErrorCode::kRecipe, where + ": cannot resolve user '" + owner.user +
                                               "': " + db.error().message);
    auto rec = FindRecord(*db, owner.user);
    std::optional<std::uint32_t> uid, gid;
    if (rec) uid = ParseId((*rec)[2]);
    if (rec && rec->size() >= 4) gid = ParseId((*rec)[3]);
    if (!uid)
      return MakeError(ErrorCode::kRecipe, where + ": unknown user '" + owner.user +
                                               "' (not in the image's /etc/passwd)");
    ids.uid = *uid;
    if (!owner.gid && owner.group.empty() && gid) ids.gid = *gid;  // the user's primary group
  }
  if (!owner.group.empty()) {
    auto db = ReadDatabase(tree, "etc/group");
    if (!db.ok())
      return MakeError(ErrorCode::kRecipe, where + ": cannot resolve group '" + owner.group +
                                               "': " + db.error().message);
    auto rec = FindRecord(*db, owner.group);
    std::optional<std::uint32_t> gid;
    if (rec) gid = ParseId((*rec)[2]);
    if (!gid)
      return MakeError(ErrorCode::kRecipe, where + ": unknown group '" + owner.group +
                                               "' (not in the image's /etc/group)");
    ids.gid = *gid;
  }
  return ids;
}

Result<FileNode> MakeNode(const EntrySpec& entry, const std::string& where) {
  FileNode node;
  node.origin = "recipe";
  switch (entry.kind) {
    case EntryKind::kFile:
      node.type = NodeType::kFile;
      node.mode = entry.mode.value_or(0644);
      if (entry.source) {
        struct stat st {};
        if (::stat(entry.source->c_str(), &st) != 0)
          return MakeError(ErrorCode::kInput, where + ": cannot read source " +
                                                  entry.source->string() + ": " +
                                                  std::strerror(errno));
        if (!S_ISREG(st.st_mode))
          return MakeError(ErrorCode::kInput, where + ": source " + entry.source->string() +
                                                  " is not a regular file");
        node.content.host_path = *entry.source;
        node.content.size = static_cast<std::uint64_t>(st.st_size);
      } else {
        node.content.is_inline = true;
        node.content.inline_data = entry.content.value_or("");
        node.content.size = node.content.inline_data.size();
      }
      break;
    case EntryKind::kDirectory:
      node.type = NodeType::kDirectory;
      node.mode = entry.mode.value_or(0755);
      break;
    case EntryKind::kSymlink:
      node.type = NodeType::kSymlink;
      node.mode = 0777;
      node.target = entry.target;
      break;
  }
  node.mode &= 07777;
  return node;
}

}  // namespace

Result<std::string> ReadContent(const FileContent& content) { return ReadWholeContent(content); }

namespace {

// Host inode of a [[file]] source with more than one name, else nullopt.
std::optional<std::pair<dev_t, ino_t>> LinkedSource(const FileNode& node) {
  struct stat st {};
  if (node.type != NodeType::kFile || node.content.host_path.empty() ||
      ::stat(node.content.host_path.c_str(), &st) != 0 || st.st_nlink < 2)
    return std::nullopt;
  return std::make_pair(st.st_dev, st.st_ino);
}

// [[file]]s whose sources are hard links of one host file become hard links in the image
// when they can share an inode (same mode and owner) and the first is still in place.
bool LinkToEarlier(const FileTree& tree, const std::map<std::pair<dev_t, ino_t>, std::string>& first,
                   const std::optional<std::pair<dev_t, ino_t>>& inode, FileNode& node) {
  if (!inode) return false;
  auto it = first.find(*inode);
  if (it == first.end()) return false;
  const FileNode* target = tree.Find(it->second);
  if (!target || LinkedSource(*target) != inode || target->mode != node.mode || target->uid != node.uid || target->gid != node.gid)
    return false;
  node.type = NodeType::kHardLink;
  node.target = it->second;
  node.content = {};
  return true;
}

}  // namespace

Status ApplyEntries(FileTree& tree, const std::vector<EntrySpec>& entries) {
  std::map<std::pair<dev_t, ino_t>, std::string> first_name;  // host inode -> image path
  for (const EntrySpec& entry : entries) {
    const std::string where = entry.pos.ToString();
    KILN_ASSIGN_OR_RETURN(FileNode node, MakeNode(entry, where));
    KILN_ASSIGN_OR_RETURN(Ids ids, ResolveOwner(tree, entry.owner, where));
    node.uid = ids.uid;
    node.gid = ids.gid;
    node.mtime = tree.clamp_time();
    const std::optional<std::pair<dev_t, ino_t>> inode = LinkedSource(node);
    const bool linked = LinkToEarlier(tree, first_name, inode, node);

    auto path = NormalizePath(entry.path);
    if (!path.ok())
      return MakeError(ErrorCode::kRecipe, where + ": " + KindName(entry.kind) + " path: " +
                                               path.error().message);
    NodeType type = node.type;
    auto opts = ImportInsertOptions(tree, *path, type,
                                    /*replace_dir_metadata=*/type == NodeType::kDirectory);
    auto landed = tree.Insert(*path, std::move(node), opts);
    if (!landed.ok())
      return MakeError(landed.error().code, where + ": " + KindName(entry.kind) + " '" +
                                                entry.path + "': " + landed.error().message);
    if (inode && !linked) first_name[*inode] = *landed;
  }
  return OkStatus();
}

}  // namespace kiln::tree
