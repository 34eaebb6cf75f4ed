// libFuzzer harness: the recipe parser and include loader. The input is the top-level recipe;
// it lives in a private scratch directory holding one includable file (inc.toml) so that
// `include = ["inc.toml"]` exercises the merge, and including itself exercises cycles.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "builder/common/fuzz_input.h"
#include "builder/recipe/recipe_parser.h"

namespace {

const std::filesystem::path& RecipeDir() {
  static const std::filesystem::path dir = [] {
    const auto& d = kiln::fuzz::ScratchDir();
    std::ofstream(d / "inc.toml") << "[image]\nname = \"inc\"\n[[user]]\nname = \"u\"\nuid = 1000\n";
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)kiln::recipe::ParseRecipe(text, RecipeDir() / "recipe.toml");
  return 0;
}
