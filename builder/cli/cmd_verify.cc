#include <cstdio>
#include <nlohmann/json.hpp>

#include "builder/cli/commands.h"
#include "builder/common/text_escape.h"
#include "builder/verify/inspect.h"
#include "builder/verify/verify.h"
#include "signing/keys.h"

namespace kiln::cli {

int RunVerify(const GlobalOptions& g, const std::filesystem::path& artifact, const std::string& cert_path,
              bool allow_backing_file, const std::filesystem::path& manifest) {
  auto cert = signing::LoadCertificate(cert_path);
  if (!cert.ok()) return ReportError(g, Error{ErrorCode::kUsage, cert.error().ToString(), {}});
  verify::VerifyOptions opt{artifact, *cert, EffectiveJobs(g), {}, allow_backing_file, manifest};
  auto report = verify::Verify(opt);
  if (!report.ok()) return ReportError(g, report.error());
  bool ok = report->ok();
  if (g.json) {
    nlohmann::json j = {{"ok", ok}, {"artifact", report->artifact}, {"kind", report->kind}};
    j["checks"] = nlohmann::json::array();
    for (auto& c : report->checks)
      j["checks"].push_back({{"name", c.name}, {"ok", c.ok}, {"status", verify::CoverageName(c.coverage)},
                             {"detail", c.detail}});
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    for (auto& c : report->checks) {
      // Details quote the artifact (labels, hashes, signer names): escaped for the terminal.
      const std::string detail = EscapeForTerminal(c.detail);
      switch (c.coverage) {
        case verify::Coverage::kVerified: std::printf("ok           %s: %s\n", c.name.c_str(), detail.c_str()); break;
        case verify::Coverage::kWritable: std::printf("writable     %s: %s\n", c.name.c_str(), detail.c_str()); break;
        case verify::Coverage::kNotCovered: std::printf("not covered  %s: %s\n", c.name.c_str(), detail.c_str()); break;
        case verify::Coverage::kFailed: std::fprintf(stderr, "FAIL         %s: %s\n", c.name.c_str(), detail.c_str()); break;
      }
    }
    if (ok) std::printf("%s: verified\n", artifact.c_str());
    else std::fprintf(stderr, "kiln: verification failed: %s: %s\n", report->first_failure()->name.c_str(),
                      EscapeForTerminal(report->first_failure()->detail).c_str());
  }
  return ok ? 0 : 1;
}

int RunInspect(const GlobalOptions& g, const std::filesystem::path& image, bool allow_backing_file) {
  auto r = verify::InspectImage(image, {}, allow_backing_file);
  if (!r.ok()) return ReportError(g, r.error());
  std::fputs((g.json ? verify::InspectToJson(*r) : verify::InspectToText(*r)).c_str(), stdout);
  return 0;
}

}  // namespace kiln::cli
