// Syntax of the small string values a recipe carries: file modes, owners, image paths,
// image names and versions, account names. Used by the recipe parser (which adds the
// file:line:column and key path to the messages) and by anything else reading the same
// notations (for instance a CLI flag). Messages here never name a position.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/recipe/recipe.h"

namespace kiln::recipe {

// "0644", "4755", "755": octal digits only, at most 07777.
Result<std::uint32_t> ParseMode(std::string_view text);

// "1000:1000" (numeric), "name:group" (names resolved later in the image), or "name"
// (group of the same name). Each side may independently be a number or a name.
Result<Owner> ParseOwner(std::string_view text);

// An absolute path inside the image, lexically normalised: "//etc/./motd/" -> "/etc/motd".
// Rejects relative paths, ".." components and NUL bytes.
Result<std::string> NormalizeImagePath(std::string_view text);

bool IsValidImageName(std::string_view name);  // [a-z0-9][a-z0-9._-]*
bool IsValidVersion(std::string_view version);  // [A-Za-z0-9._+~-]+
bool IsValidAccountName(std::string_view name);  // [a-z_][a-z0-9_-]*$? up to 32 bytes

}  // namespace kiln::recipe
