#include <algorithm>

#include "builder/artifacts/artifacts.h"
#include "builder/verify/verify.h"
#include "builder/vmformats/vm_formats.h"

namespace kiln::verify {

namespace fs = std::filesystem;

void CheckVmFormats(const fs::path& dir, const std::vector<std::string>& names, VerifyReport& report) {
  for (const std::string& name : names) {
    const std::string format = vmformats::VmFormatOfFile(name);
    if (format.empty()) continue;
    // Every VM format of a build is made from NAME_VERSION.raw; the ova's inner disk is
    // NAME_VERSION-disk1.vmdk, which is not an artifact of its own.
    std::string base = name.substr(0, name.size() - vmformats::VmFormatFileName(format, "").size());
    const std::string raw = artifacts::FileName(artifacts::Role::kDiskImage, base);
    if (std::find(names.begin(), names.end(), raw) == names.end()) {
      report.Pass("content " + name, "not compared: the build kept no raw image");
      continue;
    }
    Status s = vmformats::CheckVmFormat(dir / name, dir / raw);
    if (!s.ok()) {
      report.Fail("content " + name, s.error().message);
      return;
    }
    report.Pass("content " + name, format == "gce" ? "disk.raw holds the partitions of " + raw + " with a GPT for its size"
                                                     : "same content as " + raw);
  }
}

}  // namespace kiln::verify
