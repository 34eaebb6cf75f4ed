#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "builder/cli/commands.h"
#include "signing/key_generation.h"
#include "signing/keys.h"

namespace kiln::cli {

int RunKeygen(const GlobalOptions& g, const KeygenOptions& o) {
  auto alg = o.algorithm == "ec" ? signing::KeyAlgorithm::kEcP256 : signing::KeyAlgorithm::kRsa3072;
  auto key = signing::GenerateKey(alg, o.subject, o.days);
  if (!key.ok()) return ReportError(g, key.error());
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return ReportError(g, MakeError(ErrorCode::kIo, "cannot create " + o.out_dir.string() + ": " + ec.message()));
  Status st = signing::WriteKeyFiles(*key, o.out_dir, o.name);
  if (!st.ok()) return ReportError(g, st.error());
  std::string fp = signing::CertificateFingerprintSha256(key->certificate);
  auto key_path = (o.out_dir / (o.name + ".key")).string();
  auto crt_path = (o.out_dir / (o.name + ".crt")).string();
  if (g.json) {
    nlohmann::json j = {{"ok", true}, {"key", key_path}, {"certificate", crt_path}, {"fingerprint", fp}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("wrote %s (private, mode 0600) and %s\ncertificate sha256 fingerprint %s\n", key_path.c_str(),
                crt_path.c_str(), fp.c_str());
    if (alg == signing::KeyAlgorithm::kEcP256)
      std::printf("note: ECDSA signatures differ on every build; use an RSA key for bit-identical images\n");
  }
  return 0;
}

}  // namespace kiln::cli
