#include "builder/recipe/recipe_loader.h"

#include <algorithm>
#include <set>
#include <system_error>

#include "builder/common/files.h"

namespace kiln::recipe {

namespace fs = std::filesystem;

namespace {

bool IsConcatenated(std::string_view key) {
  static constexpr std::string_view kKeys[] = {"overlay", "file", "directory",
                                               "symlink", "user", "group"};
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

// Moves src's nodes into dst; moving (not copying) keeps toml++ source regions.
void MergeTable(toml::table& dst, toml::table& src, bool top_level) {
  for (auto&& [key, node] : src) {
    toml::node* existing = dst.get(key.str());
    if (existing != nullptr && existing->is_table() && node.is_table()) {
      MergeTable(*existing->as_table(), *node.as_table(), false);
      continue;
    }
    if (top_level && existing != nullptr && existing->is_array() && node.is_array() &&
        IsConcatenated(key.str())) {
      toml::array& to = *existing->as_array();
      for (toml::node& element : *node.as_array()) {
        element.visit([&](auto& concrete) { to.push_back(std::move(concrete)); });
      }
      continue;
    }
    dst.erase(key.str());
    // clang 14 cannot capture a structured binding; an init-capture names it instead.
    node.visit([&dst, &k = key](auto& concrete) { dst.insert(k, std::move(concrete)); });
  }
}

// toml++ says "leading zeroes are prohibited" for `mode = 0644`; say what to write instead.
std::string ParseErrorHint(std::string_view text, const toml::parse_error& e) {
  std::string_view description = e.description();
  if (description.find("leading zero") == std::string_view::npos) return "";
  std::size_t line_start = 0;
  for (std::size_t line = 1; line < e.source().begin.line && line_start != std::string_view::npos;
       ++line) {
    line_start = text.find('\n', line_start);
    if (line_start != std::string_view::npos) ++line_start;
  }
  if (line_start == std::string_view::npos) return "";
  std::string_view line = text.substr(line_start, text.find('\n', line_start) - line_start);
  std::size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos || line.substr(start).rfind("mode", 0) != 0) return "";
  return " (mode must be a string like \"0644\")";
}

class Loader {
 public:
  explicit Loader(MergedToml* out) : out_(out) {}

  Status Load(const std::string& display, const fs::path& absolute, std::string_view text) {
    toml::table table;
    try {
      table = toml::parse(text, display);
    } catch (const toml::parse_error& e) {
      SourcePos pos{display, static_cast<int>(e.source().begin.line),
                    static_cast<int>(e.source().begin.column)};
      return RecipeError(pos, std::string(e.description()) + ParseErrorHint(text, e));
    }
    out_->files.dirs[display] = absolute.parent_path();
    stack_.push_back({absolute, display});
    KILN_TRY(LoadIncludes(table, display, absolute));
    stack_.pop_back();
    table.erase("include");
    MergeTable(out_->root, table, true);
    out_->files.order[display] = static_cast<int>(out_->included.size());
    out_->included.push_back(absolute);
    loaded_.insert(absolute);
    return OkStatus();
  }

 private:
  struct Frame {
    fs::path absolute;
    std::string display;
  };

  Status LoadIncludes(const toml::table& table, const std::string& display,
                      const fs::path& absolute) {
    const toml::node* includes = table.get("include");
    if (includes == nullptr) return OkStatus();
    TableReader reader(&table, "", &out_->files);
    if (!includes->is_array()) {
      return reader.ErrorAt(*includes, "include",
                            std::string("expected an array of strings, got ") +
                                TomlTypeName(includes->type()));
    }
    const toml::array& array = *includes->as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& element = array[i];
      std::string path = "include[" + std::to_string(i) + "]";
      if (!element.is_string() || element.value_exact<std::string>()->empty()) {
        return reader.ErrorAt(element, path, "expected a non-empty string (a recipe file path)");
      }
      fs::path relative = *element.value_exact<std::string>();
      fs::path child_display = relative.is_absolute()
                                   ? relative.lexically_normal()
                                   : (fs::path(display).parent_path() / relative).lexically_normal();
      fs::path child = relative.is_absolute()
                           ? relative.lexically_normal()
                           : (absolute.parent_path() / relative).lexically_normal();
      auto on_stack = std::find_if(stack_.begin(), stack_.end(),
                                   [&](const Frame& f) { return f.absolute == child; });
      if (on_stack != stack_.end()) {
        std::string cycle;
        for (auto it = on_stack; it != stack_.end(); ++it) cycle += it->display + " -> ";
        cycle += child_display.string();
        return reader.ErrorAt(element, path, "include cycle: " + cycle);
      }
      if (loaded_.count(child) != 0) continue;
      std::error_code ec;
      if (!fs::exists(child, ec)) {
        return reader.ErrorAt(element, path,
                              "included file '" + child_display.string() + "' not found");
      }
      Result<std::string> text = ReadFile(child);
      if (!text.ok()) return reader.ErrorAt(element, path, text.error().message);
      KILN_TRY(Load(child_display.string(), child, *text));
    }
    return OkStatus();
  }

  MergedToml* out_;
  std::vector<Frame> stack_;
  std::set<fs::path> loaded_;
};

}  // namespace

Result<MergedToml> LoadMergedToml(std::string_view text, const fs::path& file) {
  MergedToml merged;
  merged.files.top = file.string();
  fs::path absolute = fs::absolute(file).lexically_normal();
  Loader loader(&merged);
  KILN_TRY(loader.Load(file.string(), absolute, text));
  return merged;
}

}  // namespace kiln::recipe
