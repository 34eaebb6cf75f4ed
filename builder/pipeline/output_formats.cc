#include "builder/pipeline/output_formats.h"

#include <algorithm>

#include "builder/vmformats/vm_formats.h"

namespace kiln::pipeline {

bool WantsFormat(const recipe::Recipe& r, const std::string& format) {
  return std::find(r.output.formats.begin(), r.output.formats.end(), format) != r.output.formats.end();
}

bool WantsDisk(const recipe::Recipe& r) {
  return WantsFormat(r, "raw") || std::any_of(vmformats::VmFormatNames().begin(), vmformats::VmFormatNames().end(),
                                              [&](const std::string& f) { return WantsFormat(r, f); });
}

}  // namespace kiln::pipeline
