#include "builder/squashfs/inode_plan.h"

#include <algorithm>
#include <unordered_map>

#include <sqfs/xattr.h>

namespace kiln::squashfs {
namespace {

Status CheckNode(const std::string& path, const tree::FileNode& node) {
  std::string shown = "/" + path;
  for (const auto& [key, value] : node.xattrs) {
    if (sqfs_get_xattr_prefix_id(key.c_str()) < 0)
      return MakeError(ErrorCode::kInput,
                       "'" + shown + "': xattr '" + key +
                           "' cannot be stored in squashfs (only user., trusted. and "
                           "security. attributes are supported)");
    if (value.size() > 0xffffffffu)
      return MakeError(ErrorCode::kInput, "'" + shown + "': xattr '" + key + "' is too large");
  }
  if (node.type == tree::NodeType::kCharDevice || node.type == tree::NodeType::kBlockDevice) {
    if (node.rdev_major >= (1u << 12) || node.rdev_minor >= (1u << 20))
      return MakeError(ErrorCode::kInput,
                       "'" + shown + "': device number " + std::to_string(node.rdev_major) +
                           ":" + std::to_string(node.rdev_minor) +
                           " does not fit squashfs (major < 4096, minor < 1048576)");
  }
  return OkStatus();
}

}  // namespace

std::uint32_t EncodeDevice(std::uint32_t major, std::uint32_t minor) {
  return (minor & 0xffu) | (major << 8) | ((minor & ~0xffu) << 12);
}

Result<InodePlan> PlanInodes(const tree::FileTree& tree) {
  InodePlan plan;
  std::unordered_map<std::string, std::size_t> index;
  plan.entries.reserve(tree.size());
  Status bad;
  tree.Walk([&](const std::string& path, const tree::FileNode& node) {
    if (!bad.ok()) return;
    bad = CheckNode(path, node);
    PlanEntry e;
    e.path = path;
    e.name = path.empty() ? std::string() : tree::BaseName(path);
    e.node = &node;
    if (!path.empty()) {
      auto parent = index.find(tree::ParentPath(path));
      if (parent == index.end()) {
        bad = MakeError(ErrorCode::kBuild, "'/" + path + "' was visited before its parent");
        return;
      }
      e.parent = parent->second;
      plan.entries[e.parent].children.push_back(plan.entries.size());
    }
    index.emplace(path, plan.entries.size());
    plan.entries.push_back(std::move(e));
  });
  KILN_TRY(bad);
  if (plan.entries.empty() || plan.entries[0].node->type != tree::NodeType::kDirectory)
    return MakeError(ErrorCode::kBuild, "the file tree has no root directory");

  std::uint64_t next = 1;
  for (std::size_t i = 0; i < plan.entries.size(); ++i) {
    PlanEntry& e = plan.entries[i];
    // The dir writer does not sort, and readers stop at the first name sorting after the
    // one they look for: keep children in strict byte (strcmp) order.
    std::sort(e.children.begin(), e.children.end(), [&](std::size_t a, std::size_t b) {
      return plan.entries[a].name < plan.entries[b].name;
    });
    switch (e.node->type) {
      case tree::NodeType::kDirectory:
        e.nlink = 2;
        for (std::size_t c : e.children)
          if (plan.entries[c].node->type == tree::NodeType::kDirectory) ++e.nlink;
        break;
      case tree::NodeType::kHardLink: {
        auto target = index.find(e.node->target);
        if (target == index.end() ||
            plan.entries[target->second].node->type != tree::NodeType::kFile)
          return MakeError(ErrorCode::kInput, "hard link '/" + e.path + "' points at '/" +
                                                  e.node->target +
                                                  "', which is not a regular file");
        e.link_target = target->second;
        ++plan.entries[target->second].nlink;
        break;
      }
      default:
        e.inode_number = static_cast<std::uint32_t>(next++);
        plan.non_dirs.push_back(i);
        if (e.node->type == tree::NodeType::kFile) {
          e.file_index = plan.files.size();
          plan.files.push_back(i);
        }
    }
  }
  // Directories in post-order (children first), numbered after every non-directory.
  std::vector<std::pair<std::size_t, bool>> stack{{0, false}};
  while (!stack.empty()) {
    auto [i, expanded] = stack.back();
    stack.pop_back();
    if (expanded) {
      plan.entries[i].inode_number = static_cast<std::uint32_t>(next++);
      plan.dirs.push_back(i);
      continue;
    }
    stack.push_back({i, true});
    const auto& kids = plan.entries[i].children;
    for (auto it = kids.rbegin(); it != kids.rend(); ++it)
      if (plan.entries[*it].node->type == tree::NodeType::kDirectory) stack.push_back({*it, false});
  }
  if (next - 1 > 0xfffffffeu)
    return MakeError(ErrorCode::kInput, "the tree has more inodes than squashfs can number");
  for (PlanEntry& e : plan.entries)
    if (e.link_target != kNoEntry) e.inode_number = plan.entries[e.link_target].inode_number;
  plan.inode_count = static_cast<std::uint32_t>(next - 1);
  return plan;
}

}  // namespace kiln::squashfs
