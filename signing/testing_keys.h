// Test-only helpers shared by the signing tests: fixed test keys from testdata/, and
// running the openssl CLI (the independent judge) in a scratch directory.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "signing/key_generation.h"

// Tests outside signing/ point KILN_SIGNING_TESTDATA at signing/testdata.
#ifndef KILN_SIGNING_TESTDATA
#define KILN_SIGNING_TESTDATA KILN_TESTDATA
#endif

namespace kiln::signing::testkeys {

// Loads testdata/NAME.key and NAME.crt (fixed test identities; see testdata/README.md).
inline GeneratedKey LoadTestKey(const std::string& name) {
  std::filesystem::path dir = KILN_SIGNING_TESTDATA;
  std::string key_pem = ReadFile(dir / (name + ".key")).value();
  std::string cert_pem = ReadFile(dir / (name + ".crt")).value();
  // A checkout gives the key 0644, which LoadPrivateKey refuses (like ssh): load a 0600 copy.
  TempDir tmp = TempDir::Create().value();
  const std::filesystem::path key = tmp.path() / (name + ".key");
  if (!WriteFile(key, key_pem, 0600).ok()) std::abort();
  return GeneratedKey{key_pem, cert_pem, LoadPrivateKey(key.string()).value(),
                      LoadCertificate((dir / (name + ".crt")).string()).value()};
}

inline const GeneratedKey& RsaKey() {  // RSA-3072, CN=kiln
  static const GeneratedKey key = LoadTestKey("rsa");
  return key;
}
inline const GeneratedKey& EcKey() {  // P-256, CN=kiln-ec
  static const GeneratedKey key = LoadTestKey("ec");
  return key;
}
// A second identity with the same subject as RsaKey(), to catch checks that compare names.
inline const GeneratedKey& OtherRsaKey() {
  static const GeneratedKey key = LoadTestKey("other_rsa");
  return key;
}

inline std::filesystem::path OpenSsl() { return FindProgram("openssl"); }

// Runs `openssl args...` in dir; returns the result (exit code, stdout, stderr).
inline ProcessResult RunOpenSsl(const std::filesystem::path& dir, std::vector<std::string> args) {
  ProcessSpec spec;
  spec.argv.push_back(OpenSsl().string());
  for (auto& a : args) spec.argv.push_back(std::move(a));
  spec.cwd = dir;
  auto r = RunProcess(spec);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : ProcessResult{};
}

inline void Write(const std::filesystem::path& p, std::string_view data) {
  ASSERT_TRUE(WriteFile(p, data, 0600).ok()) << p;  // LoadPrivateKey refuses group/other access
}

}  // namespace kiln::signing::testkeys

#define KILN_REQUIRE_OPENSSL()                                              \
  do {                                                                      \
    if (::kiln::signing::testkeys::OpenSsl().empty()) GTEST_SKIP() << "openssl CLI not installed"; \
  } while (0)
