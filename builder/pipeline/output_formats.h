// Which artifacts the recipe's [output] formats ask for.
#pragma once

#include <string>

#include "builder/recipe/recipe.h"

namespace kiln::pipeline {

bool WantsFormat(const recipe::Recipe& r, const std::string& format);

// A GPT disk image is made when "raw" or any VM format is asked for.
bool WantsDisk(const recipe::Recipe& r);

}  // namespace kiln::pipeline
