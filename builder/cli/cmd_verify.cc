#include <cstdio>
#include <nlohmann/json.hpp>

#include "builder/cli/commands.h"
#include "builder/common/text_escape.h"
#include "builder/verify/inspect.h"
#include "builder/verify/verify.h"
#include "signing/keys.h"

namespace kiln::cli {

int RunVerify(const GlobalOptions& g, const std::filesystem::path& artifact, const std::string& cert_path,
              bool allow_backing_file) {
  auto cert = signing::LoadCertificate(cert_path);
  if (!cert.ok()) return ReportError(g, Error{ErrorCode::kUsage, cert.error().ToString(), {}});
  verify::VerifyOptions opt{artifact, *cert, EffectiveJobs(g), {}, allow_backing_file};
  auto report = verify::Verify(opt);
  if (!report.ok()) return ReportError(g, report.error());
  bool ok = report->ok();
  if (g.json) {
    nlohmann::json j = {{"ok", ok}, {"artifact", report->artifact}, {"kind", report->kind}};
    j["checks"] = nlohmann::json::array();
    for (auto& c : report->checks) j["checks"].push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    for (auto& c : report->checks) {
      // Details quote the artifact (labels, hashes, signer names): escaped for the terminal.
      if (c.ok) std::printf("ok    %s: %s\n", c.name.c_str(), EscapeForTerminal(c.detail).c_str());
      else std::fprintf(stderr, "FAIL  %s: %s\n", c.name.c_str(), EscapeForTerminal(c.detail).c_str());
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
