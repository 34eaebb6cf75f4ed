// Reads a recipe file and every file it includes, and merges them into one TOML table
// before validation, keeping each node's source (file, line, column) so that errors
// name the file that wrote the value. Merge rule (docs/recipe.md): included files load
// first, depth first, in the order listed, then the including file; tables merge key by
// key; a later scalar, plain array or differently-typed value replaces the earlier one;
// top-level arrays of tables ([[overlay]], [[file]], [[directory]], [[symlink]],
// [[user]], [[group]]) are concatenated in load order. A file reached twice is loaded
// once; a cycle is an error. Used by recipe_parser.cc only.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "builder/common/result.h"
#include "builder/recipe/table_reader.h"

namespace kiln::recipe {

struct MergedToml {
  toml::table root;                              // merged, without "include" keys
  SourceFiles files;                             // display path -> directory, load order
  std::vector<std::filesystem::path> included;   // absolute, load order, top-level last
};

// text is the content of file (as the user named it: kept relative in messages);
// included files are read from disk relative to the file that names them.
Result<MergedToml> LoadMergedToml(std::string_view text, const std::filesystem::path& file);

}  // namespace kiln::recipe
