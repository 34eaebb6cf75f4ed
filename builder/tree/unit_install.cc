#include "builder/tree/unit_install.h"

#include <array>

namespace kiln::tree {

namespace {

std::string_view Strip(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  std::size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) + 1 - b);
}

// config_parse_strv: whitespace-separated words, quotes removed; an empty value resets.
void AppendWords(std::string_view value, std::vector<std::string>* out) {
  if (value.empty()) {
    out->clear();
    return;
  }
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : value) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out->push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) out->push_back(std::move(word));
}

constexpr std::array<std::string_view, 11> kSuffixes = {
    "service", "socket", "target", "device", "mount", "automount",
    "swap",    "timer",  "path",   "slice",  "scope"};

}  // namespace

InstallSection ParseInstallSection(std::string_view text) {
  InstallSection out;
  bool in_install = false;
  std::string pending;  // a line continued with a trailing backslash
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    std::string_view line = Strip(raw);
    // Comment lines are skipped, also in the middle of a continuation (systemd.syntax(7)).
    if (!line.empty() && (line.front() == '#' || line.front() == ';')) continue;
    if (!line.empty() && line.back() == '\\') {
      pending += std::string(line.substr(0, line.size() - 1)) + " ";
      continue;
    }
    std::string full = pending + std::string(line);
    pending.clear();
    std::string_view l = Strip(full);
    if (l.empty()) continue;
    if (l.front() == '[') {
      in_install = l == "[Install]";
      continue;
    }
    if (!in_install) continue;
    std::size_t eq = l.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = Strip(l.substr(0, eq));
    std::string_view value = Strip(l.substr(eq + 1));
    if (key == "WantedBy") AppendWords(value, &out.wanted_by);
    else if (key == "RequiredBy") AppendWords(value, &out.required_by);
    else if (key == "Also") AppendWords(value, &out.also);
    else if (key == "Alias") AppendWords(value, &out.alias);
    else if (key == "DefaultInstance") out.default_instance = std::string(value);
  }
  return out;
}

bool HasInstallConfig(const InstallSection& install) {
  return !install.wanted_by.empty() || !install.required_by.empty() || !install.also.empty() ||
         !install.alias.empty();
}

std::optional<UnitName> ParseUnitName(std::string_view name) {
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.size() > 255) return std::nullopt;
  UnitName u;
  u.suffix = std::string(name.substr(dot + 1));
  bool known = false;
  for (std::string_view s : kSuffixes) known = known || s == u.suffix;
  if (!known) return std::nullopt;
  std::string_view stem = name.substr(0, dot);
  for (char c : stem) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
    if (!ok) return std::nullopt;
  }
  std::size_t at = stem.find('@');
  if (at == std::string_view::npos) {
    u.prefix = std::string(stem);
    return u;
  }
  if (at == 0 || stem.find('@', at + 1) != std::string_view::npos) return std::nullopt;
  u.has_at = true;
  u.prefix = std::string(stem.substr(0, at));
  u.instance = std::string(stem.substr(at + 1));
  return u;
}

Result<std::string> ExpandInstallSpecifiers(std::string_view value, std::string_view unit_name) {
  if (value.find('%') == std::string_view::npos) return std::string(value);
  auto u = ParseUnitName(unit_name);
  if (!u) return MakeError(ErrorCode::kInput, "invalid unit name '" + std::string(unit_name) + "'");
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    char c = i + 1 < value.size() ? value[++i] : '\0';
    switch (c) {
      case '%': out += '%'; break;
      case 'n': out += unit_name; break;
      case 'N': out += unit_name.substr(0, unit_name.rfind('.')); break;
      case 'p': out += u->prefix; break;
      case 'i': out += u->instance; break;
      case 'j': {
        std::size_t dash = u->prefix.rfind('-');
        out += dash == std::string::npos ? u->prefix : u->prefix.substr(dash + 1);
        break;
      }
      default:
        return MakeError(ErrorCode::kInput, "unsupported specifier '%" + std::string(1, c) +
                                                "' in '" + std::string(value) + "'");
    }
  }
  return out;
}

}  // namespace kiln::tree
