#include "builder/sources/dpkg_status.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include "builder/common/files.h"
#include "builder/tree/content_reader.h"

namespace kiln::sources {

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

Result<std::optional<Package>> FinishStanza(const std::map<std::string, std::string>& f, int line) {
  if (f.empty()) return std::optional<Package>();
  auto get = [&](const char* k) {
    auto it = f.find(k);
    return it == f.end() ? std::string() : it->second;
  };
  // Only fully installed packages are in the image's package set.
  if (get("Status") != "install ok installed") return std::optional<Package>();
  Package p;
  p.name = get("Package");
  p.version = get("Version");
  p.architecture = get("Architecture");
  if (p.name.empty() || p.version.empty() || p.architecture.empty())
    return MakeError(ErrorCode::kInput, "var/lib/dpkg/status:" + std::to_string(line) +
                                            ": installed package stanza without Package, Version or Architecture");
  p.source = p.name;
  p.source_version = p.version;
  std::string src = get("Source");  // "name" or "name (version)"
  if (!src.empty()) {
    auto paren = src.find(" (");
    if (paren != std::string::npos && src.back() == ')') {
      p.source_version = src.substr(paren + 2, src.size() - paren - 3);
      src.resize(paren);
    }
    p.source = src;
  }
  return std::optional<Package>(std::move(p));
}

}  // namespace

Result<std::vector<Package>> ParseDpkgStatus(std::string_view text) {
  std::vector<Package> out;
  std::map<std::string, std::string> fields;
  std::string last_key;
  int line_no = 0, stanza_line = 1;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    ++line_no;
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (Trim(line).empty()) {
      KILN_ASSIGN_OR_RETURN(auto p, FinishStanza(fields, stanza_line));
      if (p) out.push_back(std::move(*p));
      fields.clear();
      last_key.clear();
      stanza_line = line_no + 1;
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (last_key.empty())
        return MakeError(ErrorCode::kInput, "var/lib/dpkg/status:" + std::to_string(line_no) +
                                                ": continuation line outside a field");
      continue;  // multi-line fields (Description, Conffiles) are not needed
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      return MakeError(ErrorCode::kInput, "var/lib/dpkg/status:" + std::to_string(line_no) +
                                              ": expected 'Field: value', got '" + std::string(line) + "'");
    last_key = std::string(line.substr(0, colon));
    fields[last_key] = Trim(line.substr(colon + 1));
  }
  KILN_ASSIGN_OR_RETURN(auto p, FinishStanza(fields, stanza_line));
  if (p) out.push_back(std::move(*p));
  std::sort(out.begin(), out.end(), [](const Package& a, const Package& b) {
    return std::tie(a.name, a.architecture) < std::tie(b.name, b.architecture);
  });
  return out;
}

Result<std::vector<Package>> ReadDpkgStatus(const tree::FileTree& tree) {
  std::string path = tree.Resolve("var/lib/dpkg/status");
  const tree::FileNode* node = path.empty() ? nullptr : tree.Find(path);
  if (!node || node->type != tree::NodeType::kFile) return std::vector<Package>();
  KILN_ASSIGN_OR_RETURN(std::string text, tree::ReadWholeContent(node->content));
  return ParseDpkgStatus(text);
}

}  // namespace kiln::sources
