// Which artifacts the recipe's [output] formats ask for.
#pragma once

#include <string_view>

#include "builder/recipe/recipe.h"

namespace kiln::pipeline {

bool WantsFormat(const recipe::Recipe& r, recipe::OutputFormat format);
// By name, for the libraries that name their formats ("qcow2": vmformats::VmFormatNames()).
bool WantsFormat(const recipe::Recipe& r, std::string_view format);

// A GPT disk image is made when "raw" or any VM format is asked for.
bool WantsDisk(const recipe::Recipe& r);

}  // namespace kiln::pipeline
