#include "builder/input_archive/archive_index.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "builder/common/confined_file.h"
#include "builder/common/sha256.h"
#include "builder/common/text_escape.h"

namespace kiln::input_archive {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxNameBytes = 4096;
constexpr std::size_t kMaxKindBytes = 32;

// Depth-first order of a directory walk that visits names in byte order: '/' sorts first.
bool TreeOrder(const std::string& a, const std::string& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto key = [](char c) { return c == '/' ? 0 : static_cast<int>(static_cast<unsigned char>(c)) + 1; };
    return key(x) < key(y);
  });
}

std::string Mode(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

const char* TypeName(NodeType t) {
  switch (t) {
    case NodeType::kFile: return "file";
    case NodeType::kDirectory: return "directory";
    case NodeType::kSymlink: return "symlink";
  }
  return "?";
}

Error Bad(const std::string& where, const std::string& what) {
  return MakeError(ErrorCode::kInput, "input archive index: " + where + ": " + what);
}

// A string member of a JSON object: type and length checked.
Result<std::string> StringOf(const json& o, const char* key, const std::string& where, std::size_t max,
                             bool required = true) {
  auto it = o.find(key);
  if (it == o.end()) {
    if (required) return Bad(where, std::string("no \"") + key + "\"");
    return std::string();
  }
  if (!it->is_string()) return Bad(where, std::string("\"") + key + "\" is not a string");
  const auto* s = it->get_ptr<const std::string*>();
  if (s->size() > max) return Bad(where, std::string("\"") + key + "\" is too long");
  if (s->find('\0') != std::string::npos) return Bad(where, std::string("\"") + key + "\" holds a NUL byte");
  return *s;
}

Result<std::string> DigestOf(const json& o, const char* key, const std::string& where) {
  KILN_ASSIGN_OR_RETURN(std::string d, StringOf(o, key, where, 64));
  if (!IsSha256Hex(d)) return Bad(where, std::string("\"") + key + "\" is not 64 lowercase hex digits");
  return d;
}

Result<std::uint64_t> SizeOf(const json& o, const std::string& where) {
  auto it = o.find("size");
  if (it == o.end() || !it->is_number_unsigned()) return Bad(where, "\"size\" is not a non-negative integer");
  return it->get<std::uint64_t>();
}

Result<unsigned> ModeOf(const json& o, const std::string& where) {
  KILN_ASSIGN_OR_RETURN(std::string m, StringOf(o, "mode", where, 4));
  if (m.size() != 4 || m.find_first_not_of("01234567") != std::string::npos)
    return Bad(where, "\"mode\" is not four octal digits");
  return static_cast<unsigned>(std::stoul(m, nullptr, 8));
}

Result<TreeNode> ParseNode(const json& j, const std::string& where) {
  if (!j.is_object()) return Bad(where, "a tree node is not an object");
  TreeNode n;
  KILN_ASSIGN_OR_RETURN(n.path, StringOf(j, "path", where, kMaxNameBytes));
  const std::string at = where + " node '" + EscapeForTerminal(n.path) + "'";
  if (!IsConfinedRelativePath(n.path)) return Bad(at, "the path is not a plain relative path");
  KILN_ASSIGN_OR_RETURN(std::string type, StringOf(j, "type", at, 16));
  if (type == "file") {
    n.type = NodeType::kFile;
    KILN_ASSIGN_OR_RETURN(n.blob, DigestOf(j, "blob", at));
    KILN_ASSIGN_OR_RETURN(n.size, SizeOf(j, at));
    KILN_ASSIGN_OR_RETURN(n.mode, ModeOf(j, at));
  } else if (type == "directory") {
    n.type = NodeType::kDirectory;
    KILN_ASSIGN_OR_RETURN(n.mode, ModeOf(j, at));
  } else if (type == "symlink") {
    n.type = NodeType::kSymlink;
    KILN_ASSIGN_OR_RETURN(n.target, StringOf(j, "target", at, kMaxNameBytes));
    if (n.target.empty()) return Bad(at, "empty symlink target");
    // The tree digest lists nodes one per line: a newline in a target could fold the lines of
    // other nodes into it, giving a different tree (files missing) the recorded digest.
    for (unsigned char c : n.target)
      if (c < 0x20 || c == 0x7f) return Bad(at, "control characters in the symlink target");
  } else {
    return Bad(at, "unknown node type '" + EscapeForTerminal(type) + "'");
  }
  return n;
}

Result<ArchiveEntry> ParseEntry(const json& j, std::size_t i) {
  std::string where = "entry " + std::to_string(i);
  if (!j.is_object()) return Bad(where, "not an object");
  ArchiveEntry e;
  KILN_ASSIGN_OR_RETURN(e.kind, StringOf(j, "kind", where, kMaxKindBytes));
  if (e.kind.empty() || e.kind.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string::npos)
    return Bad(where, "bad kind '" + EscapeForTerminal(e.kind) + "'");
  KILN_ASSIGN_OR_RETURN(e.name, StringOf(j, "name", where, kMaxNameBytes));
  if (e.name.empty()) return Bad(where, "empty name");
  where += " (" + e.kind + " " + EscapeForTerminal(e.name) + ")";
  KILN_ASSIGN_OR_RETURN(e.sha256, DigestOf(j, "sha256", where));
  auto tree = j.find("tree");
  if (tree == j.end()) {
    KILN_ASSIGN_OR_RETURN(e.blob, DigestOf(j, "blob", where));
    KILN_ASSIGN_OR_RETURN(e.size, SizeOf(j, where));
    if (e.blob != e.sha256) return Bad(where, "a file's blob differs from its digest");
    return e;
  }
  e.is_tree = true;
  KILN_ASSIGN_OR_RETURN(e.mode, ModeOf(j, where));
  if (!tree->is_array()) return Bad(where, "\"tree\" is not an array");
  std::set<std::string> seen;
  for (const auto& node : *tree) {
    KILN_ASSIGN_OR_RETURN(TreeNode n, ParseNode(node, where));
    if (!seen.insert(n.path).second) return Bad(where, "node '" + EscapeForTerminal(n.path) + "' listed twice");
    e.tree.push_back(std::move(n));
  }
  return e;
}

}  // namespace

std::string TreeDigest(const std::vector<TreeNode>& nodes) {
  std::vector<const TreeNode*> sorted;
  for (const auto& n : nodes) sorted.push_back(&n);
  std::sort(sorted.begin(), sorted.end(), [](const TreeNode* a, const TreeNode* b) { return TreeOrder(a->path, b->path); });
  std::string listing;
  for (const TreeNode* n : sorted) {
    switch (n->type) {
      case NodeType::kDirectory: listing += "d " + Mode(n->mode) + " " + n->path + "\n"; break;
      case NodeType::kSymlink: listing += "l " + n->path + " " + n->target + "\n"; break;
      case NodeType::kFile: listing += "f " + Mode(n->mode) + " " + n->path + " " + n->blob + "\n"; break;
    }
  }
  return ToHex(Sha256Of(listing));
}

std::string IndexToJson(const ArchiveIndex& index) {
  std::vector<ArchiveEntry> entries = index.entries;
  std::sort(entries.begin(), entries.end(), [](const ArchiveEntry& a, const ArchiveEntry& b) {
    return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
  });
  json list = json::array();
  for (auto& e : entries) {
    json j = {{"kind", e.kind}, {"name", e.name}, {"sha256", e.sha256}};
    if (!e.is_tree) {
      j["blob"] = e.blob;
      j["size"] = e.size;
    } else {
      j["mode"] = Mode(e.mode);
      std::sort(e.tree.begin(), e.tree.end(), [](const TreeNode& a, const TreeNode& b) { return TreeOrder(a.path, b.path); });
      json tree = json::array();
      for (const auto& n : e.tree) {
        json node = {{"path", n.path}, {"type", TypeName(n.type)}};
        if (n.type == NodeType::kFile) {
          node["blob"] = n.blob;
          node["size"] = n.size;
        }
        if (n.type != NodeType::kSymlink) node["mode"] = Mode(n.mode);
        else node["target"] = n.target;
        tree.push_back(std::move(node));
      }
      j["tree"] = std::move(tree);
    }
    list.push_back(std::move(j));
  }
  json doc = {{"schemaVersion", 1}, {"mediaType", kMediaType}, {"inputs", std::move(list)}};
  return doc.dump(2) + "\n";
}

Result<ArchiveIndex> ParseIndex(std::string_view text) {
  if (text.size() > kMaxIndexBytes) return Bad("index.json", "larger than " + std::to_string(kMaxIndexBytes) + " bytes");
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Bad("index.json", "not a JSON object");
  auto version = doc.find("schemaVersion");
  if (version == doc.end() || !version->is_number_unsigned() || version->get<std::uint64_t>() != 1)
    return Bad("index.json", "schemaVersion is not 1");
  KILN_ASSIGN_OR_RETURN(std::string media, StringOf(doc, "mediaType", "index.json", 256));
  if (media != kMediaType) return Bad("index.json", "mediaType is not " + std::string(kMediaType));
  auto inputs = doc.find("inputs");
  if (inputs == doc.end() || !inputs->is_array()) return Bad("index.json", "\"inputs\" is not an array");
  ArchiveIndex index;
  std::set<std::pair<std::string, std::string>> seen;
  std::size_t i = 0;
  for (const auto& j : *inputs) {
    KILN_ASSIGN_OR_RETURN(ArchiveEntry e, ParseEntry(j, i++));
    if (!seen.insert({e.kind, e.name}).second)
      return Bad("index.json", "input " + e.kind + " " + EscapeForTerminal(e.name) + " listed twice");
    index.entries.push_back(std::move(e));
  }
  return index;
}

const ArchiveEntry* FindEntry(const ArchiveIndex& index, std::string_view kind, std::string_view name) {
  for (const auto& e : index.entries)
    if (e.kind == kind && e.name == name) return &e;
  return nullptr;
}

std::vector<std::string> BlobsOf(const ArchiveIndex& index) {
  std::set<std::string> blobs;
  for (const auto& e : index.entries) {
    if (!e.is_tree) blobs.insert(e.blob);
    for (const auto& n : e.tree)
      if (n.type == NodeType::kFile) blobs.insert(n.blob);
  }
  return {blobs.begin(), blobs.end()};
}

}  // namespace kiln::input_archive
