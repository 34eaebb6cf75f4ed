#include "builder/recipe/table_reader.h"

#include <algorithm>
#include <system_error>

#include "builder/common/size.h"
#include "builder/recipe/recipe_values.h"

namespace kiln::recipe {

namespace fs = std::filesystem;

const char* TomlTypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
  }
  return "unknown";
}

namespace {

std::string Join(std::initializer_list<std::string_view> items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

std::size_t EditDistance(std::string_view a, std::string_view b) {
  // Rows i-2, i-1 and i of the optimal-string-alignment table (transpositions cost 1,
  // so "imgae" is one edit from "image").
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

Error RecipeError(const SourcePos& pos, std::string message) {
  return MakeError(ErrorCode::kRecipe, pos.ToString() + ": " + message);
}

TableReader::TableReader(const toml::table* table, std::string name, const SourceFiles* files)
    : table_(table), name_(std::move(name)), files_(files) {}

SourcePos TableReader::pos() const {
  if (table_ == nullptr || !table_->source().path) return SourcePos{files_->top, 0, 0};
  return PosOf(*table_);
}

SourcePos TableReader::PosOf(const toml::node& node) const {
  const toml::source_region& src = node.source();
  SourcePos pos;
  pos.file = src.path ? *src.path : files_->top;
  pos.line = static_cast<int>(src.begin.line);
  pos.column = static_cast<int>(src.begin.column);
  return pos;
}

int TableReader::FileOrder(const toml::node& node) const {
  auto it = files_->order.find(PosOf(node).file);
  return it == files_->order.end() ? 0 : it->second;
}

std::string TableReader::KeyPath(std::string_view key) const {
  if (name_.empty()) return std::string(key);
  return name_ + "." + std::string(key);
}

const toml::node* TableReader::Find(std::string_view key) const {
  return table_ == nullptr ? nullptr : table_->get(key);
}

Error TableReader::ErrorAt(const toml::node& node, const std::string& path,
                           std::string message) const {
  return RecipeError(PosOf(node), path + ": " + message);
}

Error TableReader::KeyError(std::string_view key, std::string message) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return RecipeError(pos(), KeyPath(key) + ": " + message);
  return ErrorAt(*node, KeyPath(key), std::move(message));
}

Error TableReader::Missing(std::string_view key) const {
  std::string where = name_.empty() ? "at top level" : "in " + name_;
  return RecipeError(pos(), "missing required key '" + std::string(key) + "' " + where);
}

Status TableReader::Require(std::string_view key) const {
  if (Find(key) == nullptr) return Missing(key);
  return OkStatus();
}

Error TableReader::TypeError(const toml::node& node, const std::string& path,
                             std::string_view expected) const {
  return ErrorAt(node, path,
                 "expected " + std::string(expected) + ", got " + TomlTypeName(node.type()));
}

Status TableReader::CheckKeys(std::initializer_list<std::string_view> allowed) const {
  if (table_ == nullptr) return OkStatus();
  for (const auto& [key, node] : *table_) {
    std::string_view name = key.str();
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string_view best;
    std::size_t best_distance = 3;  // suggest only within two edits
    for (std::string_view candidate : allowed) {
      std::size_t d = EditDistance(name, candidate);
      if (d < best_distance && d < candidate.size()) {
        best = candidate;
        best_distance = d;
      }
    }
    std::string message = name_.empty()
                              ? "unknown top-level key '" + std::string(name) + "'"
                              : "unknown key '" + std::string(name) + "' in " + name_;
    if (!best.empty()) {
      message += " (did you mean '" + std::string(best) + "'?)";
    } else {
      message += " (allowed: " + Join(allowed) + ")";
    }
    SourcePos at;
    at.file = key.source().path ? *key.source().path : PosOf(node).file;
    at.line = static_cast<int>(key.source().begin.line);
    at.column = static_cast<int>(key.source().begin.column);
    if (at.line == 0) at = PosOf(node);
    return RecipeError(at, message);
  }
  return OkStatus();
}

Status TableReader::ReadString(std::string_view key, std::string* out, const Check& check) const {
  std::optional<std::string> value;
  KILN_TRY(ReadString(key, &value, check));
  if (value) *out = std::move(*value);
  return OkStatus();
}

Status TableReader::ReadString(std::string_view key, std::optional<std::string>* out,
                               const Check& check) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return OkStatus();
  if (!node->is_string()) return TypeError(*node, KeyPath(key), "a string");
  std::string value = *node->value_exact<std::string>();
  if (check) {
    if (std::string why = check(value); !why.empty()) return ErrorAt(*node, KeyPath(key), why);
  }
  *out = std::move(value);
  return OkStatus();
}

Status TableReader::ReadChoice(std::string_view key, std::string* out,
                               std::initializer_list<std::string_view> allowed) const {
  return ReadString(key, out, [&](std::string_view v) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return "";
    return "invalid value '" + std::string(v) + "' (allowed: " + Join(allowed) + ")";
  });
}

Status TableReader::ReadInt(std::string_view key, std::int64_t min, std::int64_t max,
                            std::optional<std::int64_t>* out) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return OkStatus();
  if (!node->is_integer()) return TypeError(*node, KeyPath(key), "an integer");
  std::int64_t v = *node->value_exact<std::int64_t>();
  if (v < min || v > max) {
    return ErrorAt(*node, KeyPath(key),
                   "value " + std::to_string(v) + " out of range (" + std::to_string(min) + ".." +
                       std::to_string(max) + ")");
  }
  *out = v;
  return OkStatus();
}

Status TableReader::ReadId(std::string_view key, std::optional<std::uint32_t>* out) const {
  std::optional<std::int64_t> v;
  KILN_TRY(ReadInt(key, 0, 4294967294LL, &v));
  if (v) *out = static_cast<std::uint32_t>(*v);
  return OkStatus();
}

Status TableReader::ReadBool(std::string_view key, bool* out) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return OkStatus();
  if (!node->is_boolean()) return TypeError(*node, KeyPath(key), "a boolean");
  *out = *node->value_exact<bool>();
  return OkStatus();
}

Status TableReader::ReadStringArray(std::string_view key, std::vector<std::string>* out,
                                    const Check& check) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return OkStatus();
  if (!node->is_array()) return TypeError(*node, KeyPath(key), "an array of strings");
  std::vector<std::string> values;
  const toml::array& array = *node->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    const toml::node& element = array[i];
    std::string path = KeyPath(key) + "[" + std::to_string(i) + "]";
    if (!element.is_string()) return TypeError(element, path, "a string");
    std::string value = *element.value_exact<std::string>();
    if (check) {
      if (std::string why = check(value); !why.empty()) return ErrorAt(element, path, why);
    }
    values.push_back(std::move(value));
  }
  *out = std::move(values);
  return OkStatus();
}

Status TableReader::ReadSize(std::string_view key, std::optional<std::uint64_t>* out) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return OkStatus();
  if (node->is_integer()) {
    std::int64_t v = *node->value_exact<std::int64_t>();
    if (v < 0) return ErrorAt(*node, KeyPath(key), "size must not be negative");
    return StoreSize(*node, key, static_cast<std::uint64_t>(v), out);
  }
  if (!node->is_string()) {
    return TypeError(*node, KeyPath(key), "a size string like \"256M\" or an integer");
  }
  Result<std::uint64_t> size = ParseSize(*node->value_exact<std::string>());
  if (!size.ok()) return ErrorAt(*node, KeyPath(key), size.error().message);
  return StoreSize(*node, key, *size, out);
}

Status TableReader::StoreSize(const toml::node& node, std::string_view key, std::uint64_t size,
                              std::optional<std::uint64_t>* out) const {
  // Layout arithmetic (alignment, partition sums) must never wrap: bound every size here.
  if (size > kMaxSize)
    return ErrorAt(node, KeyPath(key), "size " + std::to_string(size) + " bytes is larger than " +
                                           kMaxSizeText + ", the largest kiln supports");
  *out = size;
  return OkStatus();
}

Status TableReader::ReadMode(std::string_view key, std::optional<std::uint32_t>* out) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return OkStatus();
  if (node->is_integer()) {
    // TOML integers are decimal (0o644 is octal but easy to get wrong): insist on a string.
    return ErrorAt(*node, KeyPath(key), "mode must be a string like \"0644\", not an integer");
  }
  if (!node->is_string()) return TypeError(*node, KeyPath(key), "a string like \"0644\"");
  Result<std::uint32_t> mode = ParseMode(*node->value_exact<std::string>());
  if (!mode.ok()) return ErrorAt(*node, KeyPath(key), mode.error().message);
  *out = *mode;
  return OkStatus();
}

Status TableReader::ReadOwner(std::string_view key, Owner* out) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return OkStatus();
  if (!node->is_string()) return TypeError(*node, KeyPath(key), "a string like \"0:0\"");
  Result<Owner> owner = ParseOwner(*node->value_exact<std::string>());
  if (!owner.ok()) return ErrorAt(*node, KeyPath(key), owner.error().message);
  *out = std::move(*owner);
  return OkStatus();
}

Status TableReader::ReadImagePath(std::string_view key, std::string* out) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return OkStatus();
  if (!node->is_string()) return TypeError(*node, KeyPath(key), "a string");
  Result<std::string> path = NormalizeImagePath(*node->value_exact<std::string>());
  if (!path.ok()) return ErrorAt(*node, KeyPath(key), path.error().message);
  *out = std::move(*path);
  return OkStatus();
}

Result<fs::path> TableReader::ResolveHostPath(const toml::node& node, const std::string& path,
                                              HostPathKind kind) const {
  if (!node.is_string()) return TypeError(node, path, "a string");
  std::string text = *node.value_exact<std::string>();
  if (text.empty()) return ErrorAt(node, path, "must not be empty");
  fs::path resolved = fs::path(text);
  if (resolved.is_relative()) {
    auto it = files_->dirs.find(PosOf(node).file);
    fs::path dir = it != files_->dirs.end() ? it->second : fs::current_path();
    resolved = dir / resolved;
  }
  resolved = resolved.lexically_normal();
  if (kind == HostPathKind::kUnchecked) return resolved;
  std::error_code ec;
  fs::file_status status = fs::status(resolved, ec);
  const char* what = kind == HostPathKind::kDirectory ? "directory" : "file";
  if (!fs::exists(status)) {
    return ErrorAt(node, path,
                   std::string(what) + " '" + text + "' not found (looked for " +
                       resolved.string() + ")");
  }
  bool right_kind = kind == HostPathKind::kDirectory ? fs::is_directory(status)
                                                     : fs::is_regular_file(status);
  if (!right_kind) {
    return ErrorAt(node, path, "'" + text + "' is not a " + what + " (" + resolved.string() + ")");
  }
  return resolved;
}

Status TableReader::ReadHostPath(std::string_view key, HostPathKind kind,
                                 std::optional<fs::path>* out) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return OkStatus();
  KILN_ASSIGN_OR_RETURN(*out, ResolveHostPath(*node, KeyPath(key), kind));
  return OkStatus();
}

Result<TableReader> TableReader::SubTable(std::string_view key) const {
  std::string name = name_.empty() ? "[" + std::string(key) + "]"
                                   : name_.substr(0, name_.size() - 1) + "." +
                                         std::string(key) + "]";
  const toml::node* node = Find(key);
  if (node == nullptr) return TableReader(nullptr, name, files_);
  if (!node->is_table()) return TypeError(*node, KeyPath(key), "a table " + name);
  return TableReader(node->as_table(), name, files_);
}

Result<std::vector<TableReader>> TableReader::TableArray(std::string_view key) const {
  std::vector<TableReader> out;
  const toml::node* node = Find(key);
  if (node == nullptr) return out;
  std::string header = "[[" + std::string(key) + "]]";
  if (!node->is_array()) return TypeError(*node, KeyPath(key), "an array of tables " + header);
  const toml::array& array = *node->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string name = header + "[" + std::to_string(i) + "]";
    if (!array[i].is_table()) return TypeError(array[i], name, "a table");
    out.emplace_back(array[i].as_table(), name, files_);
  }
  return out;
}

}  // namespace kiln::recipe
