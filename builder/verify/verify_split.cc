#include <fcntl.h>
#include <unistd.h>

#include <system_error>

#include "builder/artifacts/artifacts.h"
#include "builder/common/files.h"
#include "builder/common/unique_fd.h"
#include "builder/verify/verify.h"
#include "signing/pkcs7.h"

namespace kiln::verify {

namespace fs = std::filesystem;

// NAME.root.squashfs with NAME.root.verity, NAME.root.roothash and NAME.root.roothash.p7s.
Result<VerifyReport> VerifySplitRoot(const VerifyOptions& opt) {
  VerifyReport report{opt.artifact.string(), "split", {}};
  const fs::path dir = opt.artifact.parent_path();
  const std::string base = artifacts::BaseOf(opt.artifact.filename().string(), artifacts::Role::kRootFilesystem);
  fs::path verity = dir / artifacts::FileName(artifacts::Role::kVerityHashTree, base),
           roothash = dir / artifacts::FileName(artifacts::Role::kRootHash, base),
           p7s = dir / artifacts::FileName(artifacts::Role::kRootHashSignature, base);
  for (auto& p : {verity, roothash, p7s}) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      report.Fail(p.filename().string(), "missing beside " + opt.artifact.filename().string());
      return report;
    }
  }
  KILN_ASSIGN_OR_RETURN(std::string hash_text, ReadFile(roothash));
  while (!hash_text.empty() && (hash_text.back() == '\n' || hash_text.back() == '\r')) hash_text.pop_back();
  KILN_ASSIGN_OR_RETURN(std::string sig, ReadFile(p7s));
  Status s = signing::VerifyPkcs7Detached(hash_text, sig, opt.cert);
  if (!s.ok()) {
    report.Fail(p7s.filename().string(), s.error().message);
    return report;
  }
  report.Pass(p7s.filename().string(), "PKCS#7 signature over root hash " + hash_text + " verifies");
  UniqueFd data(::open(opt.artifact.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd hash(::open(verity.c_str(), O_RDONLY | O_CLOEXEC));
  if (data.get() < 0 || hash.get() < 0) return MakeError(ErrorCode::kInput, "cannot open the split artifacts");
  std::error_code ec;
  VerityInputs in;
  in.data_fd = data.get();
  in.data_size = fs::file_size(opt.artifact, ec);
  in.hash_fd = hash.get();
  in.hash_size = fs::file_size(verity, ec);
  in.data_name = opt.artifact.filename().string();
  in.hash_name = verity.filename().string();
  KILN_TRY(CheckVerityPair(in, hash_text, opt.jobs, report));
  return report;
}

}  // namespace kiln::verify
