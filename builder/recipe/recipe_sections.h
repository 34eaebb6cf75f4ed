// Internal to the recipe parser: one function per recipe section, each reading the
// merged top-level table through a TableReader and filling its part of the Recipe.
// recipe_parser.cc holds the build-level sections, recipe_entries.cc the tree content
// (overlays, files, directories, symlinks) and accounts (users, groups).
#pragma once

#include "builder/common/result.h"
#include "builder/recipe/recipe.h"
#include "builder/recipe/table_reader.h"

namespace kiln::recipe {

Status ParseOverlays(const TableReader& top, Recipe* recipe);
Status ParseEntries(const TableReader& top, Recipe* recipe);
Status ParseAccounts(const TableReader& top, Recipe* recipe);
// [vm] (recipe_vm.cc).
Status ParseVm(const TableReader& top, Recipe* recipe);
// [update] (recipe_update.cc): its keys, then what it needs of the other sections.
Status ParseUpdate(const TableReader& top, Recipe* recipe);
Status CheckUpdateNeeds(const Recipe& recipe);

}  // namespace kiln::recipe
