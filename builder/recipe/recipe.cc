#include "builder/recipe/recipe.h"

namespace kiln::recipe {


}  // namespace kiln::recipe
