// Typed, strict access to one TOML table of a recipe. Every read checks the TOML type
// exactly (toml++ converts loosely on its own), and every error is a kRecipe Error whose
// message reads "file:line:column: [section].key: what is wrong", pointing at the
// offending key or value in whichever (possibly included) file wrote it. Only the recipe
// parser uses it; the struct it fills is recipe.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "builder/common/result.h"
#include "builder/recipe/recipe.h"

namespace kiln::recipe {

// The files a merged recipe came from, keyed by the display path toml++ recorded in
// each node's source() (the path as the user wrote it, never made absolute).
struct SourceFiles {
  std::string top;                                   // display path of the top-level file
  std::map<std::string, std::filesystem::path> dirs;  // display path -> absolute directory
  std::map<std::string, int> order;                   // display path -> load index
};

// Optimal-string-alignment edit distance, for "did you mean" hints.
std::size_t EditDistance(std::string_view a, std::string_view b);

// "string", "integer", "table", ... for "expected X, got Y" messages.
const char* TomlTypeName(toml::node_type type);

// "file:line:column: message" as a kRecipe error.
Error RecipeError(const SourcePos& pos, std::string message);

enum class HostPathKind { kFile, kDirectory, kUnchecked };

class TableReader {
 public:
  // "" when valid, else what is wrong with the value (the key path is prefixed).
  using Check = std::function<std::string(std::string_view)>;

  // table may be null when the section is absent: reads then leave their outputs alone.
  // name is how messages call the table: "" (top level), "[base]", "[[overlay]][0]".
  TableReader(const toml::table* table, std::string name, const SourceFiles* files);

  bool present() const { return table_ != nullptr; }
  const toml::table* table() const { return table_; }
  const std::string& name() const { return name_; }
  SourcePos pos() const;  // the table's header, or the top-level file when absent
  SourcePos PosOf(const toml::node& node) const;
  int FileOrder(const toml::node& node) const;
  std::string KeyPath(std::string_view key) const;  // "[base].sha256", "include"
  const toml::node* Find(std::string_view key) const;

  Error KeyError(std::string_view key, std::string message) const;  // at the key's value
  Error ErrorAt(const toml::node& node, const std::string& path, std::string message) const;
  Error Missing(std::string_view key) const;
  Status Require(std::string_view key) const;

  // Rejects any key not in allowed, naming the closest allowed key when there is one.
  Status CheckKeys(std::initializer_list<std::string_view> allowed) const;

  Status ReadString(std::string_view key, std::string* out, const Check& check = {}) const;
  Status ReadString(std::string_view key, std::optional<std::string>* out,
                    const Check& check = {}) const;
  Status ReadChoice(std::string_view key, std::string* out,
                    std::initializer_list<std::string_view> allowed) const;
  Status ReadInt(std::string_view key, std::int64_t min, std::int64_t max,
                 std::optional<std::int64_t>* out) const;
  Status ReadId(std::string_view key, std::optional<std::uint32_t>* out) const;  // uid/gid
  Status ReadBool(std::string_view key, bool* out) const;
  Status ReadStringArray(std::string_view key, std::vector<std::string>* out,
                         const Check& check = {}) const;
  // A size string for kiln::ParseSize ("256M") or an integer number of bytes.
  Status ReadSize(std::string_view key, std::optional<std::uint64_t>* out) const;
  Status ReadMode(std::string_view key, std::optional<std::uint32_t>* out) const;
  Status ReadOwner(std::string_view key, Owner* out) const;
  // An absolute, normalised path inside the image.
  Status ReadImagePath(std::string_view key, std::string* out) const;
  // A host path, resolved against the directory of the file that wrote it (absolute,
  // lexically normal) and, unless kUnchecked, required to exist with that kind.
  Status ReadHostPath(std::string_view key, HostPathKind kind,
                      std::optional<std::filesystem::path>* out) const;
  // The same for an already-located string node (array elements).
  Result<std::filesystem::path> ResolveHostPath(const toml::node& node, const std::string& path,
                                                HostPathKind kind) const;

  // A nested table ([base.apt]); absent gives a reader with present() == false.
  Result<TableReader> SubTable(std::string_view key) const;
  // An array of tables ([[overlay]]); absent gives an empty vector.
  Result<std::vector<TableReader>> TableArray(std::string_view key) const;

 private:
  Error TypeError(const toml::node& node, const std::string& path, std::string_view expected) const;
  Status StoreSize(const toml::node& node, std::string_view key, std::uint64_t size,
                   std::optional<std::uint64_t>* out) const;

  const toml::table* table_;
  std::string name_;
  const SourceFiles* files_;
};

}  // namespace kiln::recipe
