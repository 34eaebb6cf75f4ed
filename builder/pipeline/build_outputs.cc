#include "builder/pipeline/build_outputs.h"

#include "builder/common/files.h"

namespace kiln::pipeline {

void BuildOutputs::Keep(const std::string& name) {
  staged_.Keep(name);
  kept_.push_back(name);
}

Status BuildOutputs::Write(artifacts::Role role, std::string_view content) {
  KILN_TRY(WriteFile(Path(role), content));
  Keep(role);
  return OkStatus();
}

}  // namespace kiln::pipeline
