// Where a value came from ("recipe.toml:12:5"): the recipe parser records it for each entry,
// and the stages that apply those entries (tree) start their errors with it. In common so the
// stages need not depend on the recipe parser.
#pragma once

#include <string>

namespace kiln {

struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
  std::string ToString() const;  // "file:line:column" (or just file when line is 0)
  bool operator==(const SourcePos&) const = default;
};

}  // namespace kiln
