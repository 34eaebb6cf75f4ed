#include "builder/tree/account_db.h"

#include <charconv>

#include "builder/tree/entries.h"

namespace kiln::tree {

namespace {

// The regular-file node behind an image path: symlinks followed, hard links to their file.
const FileNode* FindFile(const FileTree& tree, const std::string& path, std::string* at) {
  std::string resolved = tree.Resolve(path);
  const FileNode* node = resolved.empty() ? nullptr : tree.Find(resolved);
  if (node && node->type == NodeType::kHardLink) {
    resolved = node->target;
    node = tree.Find(resolved);
  }
  if (at) *at = resolved;
  return node;
}

}  // namespace

Result<AccountDb> LoadAccountDb(const FileTree& tree, const std::string& path) {
  AccountDb db;
  db.path = path;
  const FileNode* node = FindFile(tree, path, nullptr);
  if (!node) return db;
  if (node->type != NodeType::kFile)
    return MakeError(ErrorCode::kInput, "/" + path + " in the image is a " +
                                            NodeTypeName(node->type) + ", not a file");
  KILN_ASSIGN_OR_RETURN(std::string text, ReadContent(node->content).WithContext("/" + path));
  db.exists = true;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    db.lines.emplace_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  return db;
}

std::vector<std::string> SplitFields(std::string_view line) {
  std::vector<std::string> fields;
  for (;;) {
    std::size_t colon = line.find(':');
    fields.emplace_back(line.substr(0, colon));
    if (colon == std::string_view::npos) break;
    line.remove_prefix(colon + 1);
  }
  return fields;
}

std::optional<std::size_t> FindByName(const AccountDb& db, std::string_view name) {
  for (std::size_t i = 0; i < db.lines.size(); ++i) {
    std::string_view line = db.lines[i];
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') return i;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> IdOf(const AccountDb& db, std::size_t i) {
  std::vector<std::string> f = SplitFields(db.lines[i]);
  if (f.size() < 3 || f[2].empty()) return std::nullopt;
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), v);
  if (ec != std::errc() || p != f[2].data() + f[2].size()) return std::nullopt;
  return v;
}

std::optional<std::size_t> FindById(const AccountDb& db, std::uint32_t id) {
  for (std::size_t i = 0; i < db.lines.size(); ++i)
    if (IdOf(db, i) == id) return i;
  return std::nullopt;
}

void AppendRecord(AccountDb& db, std::string line) {
  db.lines.push_back(std::move(line));
  db.changed = true;
}

void AddMember(AccountDb& db, std::size_t i, std::string_view member) {
  std::vector<std::string> f = SplitFields(db.lines[i]);
  while (f.size() < 4) f.emplace_back();
  std::string_view list = f[3];
  std::string_view rest = list;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    if (rest.substr(0, comma) == member) return;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  f[3] = list.empty() ? std::string(member) : std::string(list) + "," + std::string(member);
  std::string line;
  for (std::size_t k = 0; k < f.size(); ++k) line += (k ? ":" : "") + f[k];
  db.lines[i] = std::move(line);
  db.changed = true;
}

Status StoreAccountDb(FileTree& tree, const AccountDb& db, std::uint32_t mode, std::uint32_t gid) {
  if (!db.changed) return OkStatus();
  std::string text;
  for (const std::string& line : db.lines) text += line + "\n";
  std::string at;
  if (db.exists && FindFile(tree, db.path, &at)) {
    FileNode* node = tree.FindMutable(at);
    node->content = FileContent{};
    node->content.is_inline = true;
    node->content.size = text.size();
    node->content.inline_data = std::move(text);
    node->mtime = tree.clamp_time();
    return OkStatus();
  }
  FileNode node;
  node.type = NodeType::kFile;
  node.mode = mode;
  node.gid = gid;
  node.mtime = tree.clamp_time();
  node.origin = "recipe";
  node.content.is_inline = true;
  node.content.size = text.size();
  node.content.inline_data = std::move(text);
  KILN_TRY(tree.Insert(db.path, std::move(node)).WithContext("writing /" + db.path));
  return OkStatus();
}

}  // namespace kiln::tree
