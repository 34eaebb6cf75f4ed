// Turns a recipe file (TOML, see docs/recipe.md) into the validated Recipe struct.
// Validation is strict: malformed TOML, unknown keys, wrong types, bad values and
// missing required keys are kRecipe errors whose message reads
//   recipes/x.toml:12:5: unknown key 'pakages' in [base] (did you mean 'packages'?)
// with the file as the user named it, the line and column of the offending key or value,
// the key path, and the allowed values for closed sets. Host paths in the recipe are
// resolved against the directory of the file that wrote them and stored absolute;
// overlay directories, [[file]] sources, local base sources, apt keyrings and the data
// seed must exist. The CLI (validate, build) and the pipeline call LoadRecipe.
#pragma once

#include <filesystem>
#include <string_view>

#include "builder/common/result.h"
#include "builder/recipe/recipe.h"

namespace kiln::recipe {

// Reads file and the files it includes, merges and validates them.
Result<Recipe> LoadRecipe(const std::filesystem::path& file);

// The same with the top-level file's text given (tests); file names it in messages and
// anchors relative paths and includes (relative to its directory, itself relative to the
// current directory when file is relative).
Result<Recipe> ParseRecipe(std::string_view text, const std::filesystem::path& file);

}  // namespace kiln::recipe
