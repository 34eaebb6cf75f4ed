#include "builder/oci/layer_tar.h"

#include <algorithm>
#include <tuple>

#include "builder/oci/tar_writer.h"
#include "builder/tree/content_reader.h"

namespace kiln::oci {
namespace {

// A host file's bytes (a whole file, or a range of an uncompressed base tarball) as the
// current entry's content; the header announced exactly content.size bytes.
Status CopyContent(TarWriter& tar, const tree::FileContent& content, std::string& buffer) {
  KILN_ASSIGN_OR_RETURN(tree::ContentReader reader, tree::ContentReader::Open(content));
  if (buffer.empty()) buffer.resize(std::size_t{1} << 20);
  for (;;) {
    KILN_ASSIGN_OR_RETURN(std::size_t n, reader.Read(buffer.data(), buffer.size()));
    if (n == 0) return OkStatus();
    KILN_TRY(tar.WriteData(std::string_view(buffer.data(), n)));
  }
}

using tree::FileNode;
using tree::NodeType;

// Input order of origins: base, overlay[N] by N, recipe, then anything else by name.
std::tuple<int, unsigned long long, std::string> OriginKey(const std::string& origin) {
  if (origin.empty() || origin == "base") return {0, 0, origin};
  if (origin.rfind("overlay[", 0) == 0 && origin.back() == ']') {
    std::string digits = origin.substr(8, origin.size() - 9);
    if (!digits.empty() && digits.size() < 19 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return {1, std::stoull(digits), origin};
  }
  if (origin == "recipe") return {2, 0, origin};
  return {3, 0, origin};
}

bool IsHardLinkTarget(const std::set<std::string>& targets, const std::string& path) {
  return targets.count(path) != 0;
}

void FillCommon(TarHeader& h, const FileNode& n) {
  h.mode = n.mode & 07777;
  h.uid = n.uid;
  h.gid = n.gid;
  h.mtime = n.mtime;
}

TarHeader RegularFileHeader(const std::string& path, const FileNode& file) {
  TarHeader h;
  h.path = path;
  h.type = TarType::kFile;
  FillCommon(h, file);
  h.size = file.content.is_inline ? file.content.inline_data.size() : file.content.size;
  h.xattrs = file.xattrs;
  return h;
}

}  // namespace

Result<LayerPlan> PlanLayers(const tree::FileTree& tree, LayerMode mode) {
  KILN_TRY(tree.Validate());
  LayerPlan plan;
  if (mode == LayerMode::kSingle) {
    plan.names = {"rootfs"};
    return plan;
  }
  std::set<std::tuple<int, unsigned long long, std::string>> keys;
  for (const auto& [path, node] : tree.nodes())
    if (!path.empty()) keys.insert(OriginKey(node.origin));
  std::map<std::string, std::size_t> rank;
  std::vector<std::string> origins;
  for (const auto& key : keys) {
    rank[std::get<2>(key)] = origins.size();
    origins.push_back(std::get<2>(key));
  }
  for (const auto& [path, node] : tree.nodes())
    if (!path.empty()) plan.layer_of[path] = rank[node.origin];

  // A hard-link group (the file and every link to it) lives in one layer: its latest.
  std::map<std::string, std::size_t> group_layer;
  for (const auto& [path, node] : tree.nodes()) {
    if (node.type != NodeType::kHardLink) continue;
    std::size_t& g = group_layer.try_emplace(node.target, plan.layer_of[node.target]).first->second;
    g = std::max(g, plan.layer_of[path]);
  }
  for (auto& [path, layer] : plan.layer_of) {
    const FileNode* node = tree.Find(path);
    const std::string& key = node->type == NodeType::kHardLink ? node->target : path;
    auto it = group_layer.find(key);
    if (it != group_layer.end()) layer = it->second;
  }

  // Drop layers left empty (all their nodes moved with a hard-link group) and renumber.
  std::vector<bool> used(origins.size(), false);
  for (const auto& [path, layer] : plan.layer_of) used[layer] = true;
  std::vector<std::size_t> renumber(origins.size(), 0);
  for (std::size_t i = 0; i < origins.size(); ++i) {
    if (!used[i]) continue;
    renumber[i] = plan.names.size();
    plan.names.push_back(origins[i].empty() ? "(no origin)" : origins[i]);
  }
  for (auto& [path, layer] : plan.layer_of) layer = renumber[layer];
  if (plan.names.empty()) plan.names = {"rootfs"};  // an empty tree still makes one layer
  return plan;
}

Status WriteLayerTar(const tree::FileTree& tree, const LayerPlan& plan, std::size_t index,
                     ByteSink& out) {
  if (index >= plan.names.size())
    return MakeError(ErrorCode::kBuild, "layer " + std::to_string(index) + " is not in the plan");
  const bool all = plan.layer_of.empty();

  // What this layer holds: its own nodes and, for per-source, their parent directories.
  std::set<std::string> parents;
  if (!all) {
    for (const auto& [path, layer] : plan.layer_of) {
      if (layer != index) continue;
      for (std::string p = tree::ParentPath(path); !p.empty() && parents.insert(p).second;
           p = tree::ParentPath(p)) {
      }
    }
  }
  auto included = [&](const std::string& path) {
    if (path.empty()) return false;  // the root itself is never an entry
    if (all) return true;
    auto it = plan.layer_of.find(path);
    return (it != plan.layer_of.end() && it->second == index) || parents.count(path) != 0;
  };

  // Hard links: the first member of a group in walk order carries the content; the others,
  // the original file included, become tar hard links to it (tar links point backwards).
  std::set<std::string> targets;
  for (const auto& [path, node] : tree.nodes())
    if (node.type == NodeType::kHardLink) targets.insert(node.target);
  std::map<std::string, std::string> leader;  // group (target path) -> first member
  tree.Walk([&](const std::string& path, const FileNode& node) {
    if (!included(path)) return;
    if (node.type == NodeType::kHardLink) leader.try_emplace(node.target, path);
    else if (node.type == NodeType::kFile && IsHardLinkTarget(targets, path)) leader.try_emplace(path, path);
  });

  TarWriter tar(out);
  Status status;
  std::string copy_buffer;
  tree.Walk([&](const std::string& path, const FileNode& node) {
    if (!status.ok() || !included(path)) return;
    if (tree::BaseName(path).rfind(".wh.", 0) == 0) {
      status = MakeError(ErrorCode::kBuild, "'/" + path + "': names starting with '.wh.' are "
                                            "reserved for OCI whiteouts and cannot be in a layer");
      return;
    }
    TarHeader h;
    h.path = path;
    FillCommon(h, node);
    const FileNode* content_node = nullptr;
    switch (node.type) {
      case NodeType::kDirectory:
        h.type = TarType::kDirectory;
        h.xattrs = node.xattrs;
        break;
      case NodeType::kSymlink:
        h.type = TarType::kSymlink;
        h.link = node.target;
        h.xattrs = node.xattrs;
        break;
      case NodeType::kCharDevice:
      case NodeType::kBlockDevice:
        h.type = node.type == NodeType::kCharDevice ? TarType::kCharDevice : TarType::kBlockDevice;
        h.dev_major = node.rdev_major;
        h.dev_minor = node.rdev_minor;
        h.xattrs = node.xattrs;
        break;
      case NodeType::kFifo:
        h.type = TarType::kFifo;
        h.xattrs = node.xattrs;
        break;
      case NodeType::kSocket:
        return;  // not representable in tar; sockets are created at run time anyway
      case NodeType::kFile:
      case NodeType::kHardLink: {
        const std::string& group = node.type == NodeType::kHardLink ? node.target : path;
        const FileNode* file = node.type == NodeType::kHardLink ? tree.Find(group) : &node;
        if (!file || file->type != NodeType::kFile) {
          status = MakeError(ErrorCode::kBuild, "hard link '/" + path + "' points at '/" + group +
                                                    "', which is not a regular file");
          return;
        }
        auto it = leader.find(group);
        if (it != leader.end() && it->second != path) {
          h.type = TarType::kHardLink;
          FillCommon(h, *file);
          h.link = it->second;
        } else {
          h = RegularFileHeader(path, *file);
          content_node = file;
        }
        break;
      }
    }
    status = tar.WriteHeader(h);
    if (!status.ok() || !content_node || h.size == 0) return;
    const tree::FileContent& c = content_node->content;
    status = c.is_inline ? tar.WriteData(c.inline_data) : CopyContent(tar, c, copy_buffer);
    if (!status.ok()) status = std::move(status).WithContext("layer entry '/" + path + "'");
  });
  KILN_TRY(status);
  return tar.Finish();
}

Status WriteTreeTar(const tree::FileTree& tree, ByteSink& out) {
  KILN_TRY(tree.Validate());
  LayerPlan plan;
  plan.names = {"rootfs"};
  return WriteLayerTar(tree, plan, 0, out);
}

}  // namespace kiln::oci
