#include "builder/recipe/recipe_values.h"

#include <limits>
#include <vector>

namespace kiln::recipe {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

Error Bad(std::string message) { return MakeError(ErrorCode::kRecipe, std::move(message)); }

// uid_t and gid_t are 32 bits and (uid_t)-1 means "unchanged" to chown: not a real id.
constexpr std::uint64_t kMaxId = std::numeric_limits<std::uint32_t>::max() - 1;

bool ParseId(std::string_view text, std::uint32_t* out) {
  if (text.empty() || text.size() > 10) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > kMaxId) return false;
  *out = static_cast<std::uint32_t>(v);
  return true;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

}  // namespace

Result<std::uint32_t> ParseMode(std::string_view text) {
  auto bad = [&] {
    return Bad("invalid mode '" + std::string(text) +
               "' (expected octal digits like \"0644\", at most 07777)");
  };
  if (text.empty() || text.size() > 5) return bad();
  std::uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return bad();
    v = v * 8 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > 07777) return bad();
  return v;
}

Result<Owner> ParseOwner(std::string_view text) {
  auto bad = [&](std::string why) {
    return Bad("invalid owner '" + std::string(text) + "' (" + why +
               "; expected \"uid:gid\", \"user:group\" or \"user\")");
  };
  std::string_view user = text;
  std::string_view group = text;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    user = text.substr(0, colon);
    group = text.substr(colon + 1);
  }
  Owner owner;
  struct Side {
    std::string_view text;
    std::optional<std::uint32_t>* id;
    std::string* name;
    const char* what;
  };
  for (const Side& side : {Side{user, &owner.uid, &owner.user, "user"},
                           Side{group, &owner.gid, &owner.group, "group"}}) {
    if (side.text.empty()) return bad(std::string("empty ") + side.what);
    if (AllDigits(side.text)) {
      std::uint32_t id = 0;
      if (!ParseId(side.text, &id)) return bad(std::string(side.what) + " id out of range");
      *side.id = id;
    } else if (IsValidAccountName(side.text)) {
      *side.name = std::string(side.text);
    } else {
      return bad(std::string("bad ") + side.what + " name '" + std::string(side.text) + "'");
    }
  }
  return owner;
}

Result<std::string> NormalizeImagePath(std::string_view text) {
  if (text.empty() || text[0] != '/') {
    return Bad("'" + std::string(text) + "' is not an absolute path");
  }
  if (text.find('\0') != std::string_view::npos) return Bad("path contains a NUL byte");
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = text.find('/', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(i, end - i);
    i = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return Bad("'" + std::string(text) + "' must not contain '..'");
    out += '/';
    out += part;
  }
  if (out.empty()) out = "/";
  return out;
}

bool IsValidImageName(std::string_view name) {
  if (name.empty() || !(IsLower(name[0]) || IsDigit(name[0]))) return false;
  for (char c : name) {
    if (!(IsLower(c) || IsDigit(c) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

bool IsValidVersion(std::string_view version) {
  if (version.empty()) return false;
  for (char c : version) {
    if (!(IsLower(c) || IsUpper(c) || IsDigit(c) || c == '.' || c == '_' || c == '+' ||
          c == '~' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool IsValidAccountName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (!(IsLower(name[0]) || name[0] == '_')) return false;
  for (std::size_t i = 1; i < name.size(); ++i) {
    char c = name[i];
    bool last = i + 1 == name.size();
    if (!(IsLower(c) || IsDigit(c) || c == '_' || c == '-' || (last && c == '$'))) return false;
  }
  return true;
}

}  // namespace kiln::recipe
