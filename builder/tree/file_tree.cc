#include "builder/tree/file_tree.h"

#include <algorithm>
#include <deque>

namespace kiln::tree {

namespace {

// POSIX SYMLOOP_MAX is at least 8; Linux allows 40 and images built for Linux rely on it.
constexpr int kMaxSymlinks = 40;

std::string Join(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  out += '/';
  out += name;
  return out;
}

// Splits on '/', dropping empty components (so "a//b" and "/a" collapse).
std::vector<std::string> SplitComponents(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Byte order on components: "a/b" sorts right after "a" and before "a-c", so sorting whole
// paths this way gives a depth-first walk with siblings in byte order.
bool ComponentLess(const std::string& a, const std::string& b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    auto ca = static_cast<unsigned char>(a[i]);
    auto cb = static_cast<unsigned char>(b[i]);
    if (ca == cb) continue;
    if (ca == '/') return true;
    if (cb == '/') return false;
    return ca < cb;
  }
  return a.size() < b.size();
}

}  // namespace

const char* NodeTypeName(NodeType type) {
  switch (type) {
    case NodeType::kFile: return "regular file";
    case NodeType::kDirectory: return "directory";
    case NodeType::kSymlink: return "symlink";
    case NodeType::kHardLink: return "hard link";
    case NodeType::kCharDevice: return "character device";
    case NodeType::kBlockDevice: return "block device";
    case NodeType::kFifo: return "fifo";
    case NodeType::kSocket: return "socket";
  }
  return "unknown";
}

Result<std::string> NormalizePath(std::string_view path) {
  if (path.find('\0') != std::string_view::npos)
    return MakeError(ErrorCode::kInput, "path contains a NUL byte: '" +
                                            std::string(path.substr(0, path.find('\0'))) + "...'");
  std::vector<std::string> stack;
  for (std::string& c : SplitComponents(path)) {
    if (c == ".") continue;
    if (c == "..") {
      if (stack.empty())
        return MakeError(ErrorCode::kInput,
                         "path '" + std::string(path) + "' climbs above the image root");
      stack.pop_back();
      continue;
    }
    stack.push_back(std::move(c));
  }
  std::string out;
  for (const std::string& c : stack) out = Join(out, c);
  return out;
}

std::string ParentPath(std::string_view normalized) {
  std::size_t slash = normalized.rfind('/');
  if (slash == std::string_view::npos) return "";
  return std::string(normalized.substr(0, slash));
}

std::string BaseName(std::string_view normalized) {
  std::size_t slash = normalized.rfind('/');
  if (slash == std::string_view::npos) return std::string(normalized);
  return std::string(normalized.substr(slash + 1));
}

FileTree::FileTree(std::int64_t clamp_time) : clamp_time_(clamp_time) {
  FileNode root;
  root.type = NodeType::kDirectory;
  root.mode = 0755;
  root.mtime = clamp_time;
  nodes_.emplace("", std::move(root));
}

const FileNode* FileTree::Find(std::string_view normalized) const {
  auto it = nodes_.find(std::string(normalized));
  return it == nodes_.end() ? nullptr : &it->second;
}

FileNode* FileTree::FindMutable(std::string_view normalized) {
  auto it = nodes_.find(std::string(normalized));
  return it == nodes_.end() ? nullptr : &it->second;
}

Result<std::string> FileTree::ResolveComponents(std::string_view normalized, bool follow_final,
                                                const std::function<void(const std::string&)>* create,
                                                bool* missing) const {
  std::deque<std::string> rest;
  for (std::string& c : SplitComponents(normalized)) rest.push_back(std::move(c));
  std::string cur;
  int links = 0;
  if (missing) *missing = false;
  while (!rest.empty()) {
    std::string c = std::move(rest.front());
    rest.pop_front();
    if (c == ".") continue;
    if (c == "..") {  // only symlink targets bring these; the root is its own parent
      cur = ParentPath(cur);
      continue;
    }
    std::string cand = Join(cur, c);
    const FileNode* node = Find(cand);
    bool is_final = rest.empty();
    if (node && node->type == NodeType::kSymlink && (!is_final || follow_final)) {
      if (++links > kMaxSymlinks)
        return MakeError(ErrorCode::kInput, "too many levels of symbolic links resolving '" +
                                                std::string(normalized) + "' (at '" + cand + "')");
      std::vector<std::string> target = SplitComponents(node->target);
      rest.insert(rest.begin(), target.begin(), target.end());
      // Absolute targets are relative to the image root, never the host's.
      if (!node->target.empty() && node->target.front() == '/') cur.clear();
      continue;
    }
    if (is_final) {
      cur = std::move(cand);
      if (!node && missing) *missing = true;
      break;
    }
    if (!node) {
      if (!create) {
        if (missing) *missing = true;
        return std::string();
      }
      (*create)(cand);
    } else if (node->type != NodeType::kDirectory) {
      return MakeError(ErrorCode::kInput, "cannot resolve '" + std::string(normalized) + "': '" +
                                              cand + "' is a " + NodeTypeName(node->type) +
                                              ", not a directory");
    }
    cur = std::move(cand);
  }
  return cur;
}

Result<std::string> FileTree::Insert(std::string_view path, FileNode node, InsertOptions opts) {
  KILN_ASSIGN_OR_RETURN(std::string normalized, NormalizePath(path));
  node.mtime = std::min(node.mtime, clamp_time_);
  if (node.type != NodeType::kFile) node.content = FileContent{};

  const std::string origin = node.origin;
  std::function<void(const std::string&)> create = [this, &origin](const std::string& p) {
    FileNode dir;
    dir.type = NodeType::kDirectory;
    dir.mode = 0755;
    dir.mtime = clamp_time_;
    dir.origin = origin;
    nodes_[p] = std::move(dir);
  };
  KILN_ASSIGN_OR_RETURN(std::string dest,
                        ResolveComponents(normalized, opts.follow_symlinks, &create, nullptr));

  if (node.type == NodeType::kHardLink) {
    // Hard links name the file as archived; it may have landed elsewhere through a
    // symlinked parent ("bin/x" in "usr/bin/x"), so resolve the parents the same way.
    KILN_ASSIGN_OR_RETURN(std::string target, NormalizePath(node.target));
    bool missing = false;
    auto resolved = ResolveComponents(target, false, nullptr, &missing);
    if (resolved.ok() && !resolved->empty()) target = *resolved;
    node.target = std::move(target);
  }

  FileNode* existing = FindMutable(dest);
  if (dest.empty() && node.type != NodeType::kDirectory)
    return MakeError(ErrorCode::kInput, "cannot replace the image root with a " +
                                            std::string(NodeTypeName(node.type)) + " ('" +
                                            std::string(path) + "')");
  if (existing && existing->type == NodeType::kDirectory) {
    if (node.type == NodeType::kDirectory) {
      if (opts.replace_dir_metadata) *existing = std::move(node);
      return dest;
    }
    Remove(dest);  // a non-directory replaces the directory and its subtree
  }
  nodes_[dest] = std::move(node);
  return dest;
}

void FileTree::Remove(std::string_view normalized) {
  std::string prefix = normalized.empty() ? std::string() : std::string(normalized) + "/";
  // Keys sharing a prefix are contiguous in the map.
  auto it = nodes_.lower_bound(prefix);
  while (it != nodes_.end() && it->first.compare(0, prefix.size(), prefix) == 0) {
    if (it->first.empty()) {  // the root always stays
      ++it;
      continue;
    }
    it = nodes_.erase(it);
  }
  if (!normalized.empty()) nodes_.erase(std::string(normalized));
}

std::string FileTree::Resolve(std::string_view path) const {
  auto normalized = NormalizePath(path);
  if (!normalized.ok()) return "";
  bool missing = false;
  auto r = ResolveComponents(*normalized, true, nullptr, &missing);
  if (!r.ok() || missing) return "";
  return *r;
}

std::vector<std::string> FileTree::Children(std::string_view normalized) const {
  std::vector<std::string> out;
  std::string prefix = normalized.empty() ? std::string() : std::string(normalized) + "/";
  for (auto it = nodes_.lower_bound(prefix);
       it != nodes_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (it->first.size() == prefix.size()) continue;  // the root itself
    std::string_view rest = std::string_view(it->first).substr(prefix.size());
    if (rest.find('/') == std::string_view::npos) out.emplace_back(rest);
  }
  // Same prefix, so map order is already byte order of the names.
  return out;
}

void FileTree::Walk(
    const std::function<void(const std::string& path, const FileNode& node)>& fn) const {
  std::vector<const std::pair<const std::string, FileNode>*> order;
  order.reserve(nodes_.size());
  for (const auto& entry : nodes_) order.push_back(&entry);
  std::sort(order.begin(), order.end(),
            [](const auto* a, const auto* b) { return ComponentLess(a->first, b->first); });
  for (const auto* entry : order) fn(entry->first, entry->second);
}

Status FileTree::Validate() const {
  for (const auto& [path, node] : nodes_) {
    if (!path.empty()) {
      const FileNode* parent = Find(ParentPath(path));
      if (!parent || parent->type != NodeType::kDirectory)
        return MakeError(ErrorCode::kBuild, "'" + path + "' has no parent directory");
    }
    if (node.type != NodeType::kHardLink) continue;
    const FileNode* target = Find(node.target);
    if (!target)
      return MakeError(ErrorCode::kInput, "hard link '" + path + "' points at '" + node.target +
                                              "', which does not exist");
    if (target->type != NodeType::kFile)
      return MakeError(ErrorCode::kInput, "hard link '" + path + "' points at '" + node.target +
                                              "', which is a " + NodeTypeName(target->type) +
                                              ", not a regular file");
  }
  return OkStatus();
}

FileTree::InsertOptions ImportInsertOptions(const FileTree& tree, std::string_view normalized,
                                            NodeType type, bool replace_dir_metadata) {
  FileTree::InsertOptions opts;
  opts.replace_dir_metadata = replace_dir_metadata;
  opts.follow_symlinks = false;
  if (type == NodeType::kDirectory) {
    std::string resolved = tree.Resolve(normalized);
    const FileNode* node = resolved.empty() && !normalized.empty() ? nullptr : tree.Find(resolved);
    opts.follow_symlinks = node && node->type == NodeType::kDirectory;
  }
  return opts;
}

}  // namespace kiln::tree
