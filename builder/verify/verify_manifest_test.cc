// VerifyManifest on a small signed output directory: SHA256SUMS confinement and coverage, the
// provenance envelope's signature and subjects, artifacts opened without following symlinks.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/manifest/build_manifest.h"
#include "builder/verify/verify.h"
#include "signing/dsse.h"
#include "signing/key_generation.h"
#include "signing/pkcs7.h"

namespace kiln::verify {
namespace {

namespace fs = std::filesystem;

class VerifyManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() / "out";
    fs::create_directories(dir_);
  }

  // Writes a signed output directory; `subjects` overrides the provenance subjects.
  void Write(std::optional<std::vector<manifest::ArtifactEntry>> subjects = std::nullopt,
             const signing::PrivateKey* envelope_key = nullptr) {
    manifest::BuildManifest m;
    m.kiln_version = "0";
    m.image_name = "a";
    m.image_version = "1";
    m.architecture = "x86-64";
    m.recipe = "a.toml";
    m.recipe_sha256 = std::string(64, '0');
    m.seed = std::string(32, '0');
    m.certificate_fingerprint = std::string(64, 'f');
    for (auto [name, content] : {std::pair{"a_1.raw", "disk"}, {"a_1.spdx.json", "{}"}}) {
      ASSERT_TRUE(WriteFile(dir_ / name, content).ok());
      m.artifacts.push_back({name, std::string(content).size(), ToHex(Sha256Of(content))});
    }
    nlohmann::json st{{"_type", "https://in-toto.io/Statement/v1"}, {"subject", nlohmann::json::array()}};
    for (const auto& a : subjects.value_or(m.artifacts))
      st["subject"].push_back({{"name", a.name}, {"digest", {{"sha256", a.sha256}}}});
    std::string env = signing::MakeDsseEnvelope(signing::kInTotoPayloadType, st.dump(),
                                                 envelope_key ? *envelope_key : key_.key, "k").value();
    ASSERT_TRUE(WriteFile(dir_ / "a_1.intoto.json", env).ok());
    m.artifacts.insert(m.artifacts.begin(), {"a_1.intoto.json", env.size(), ToHex(Sha256Of(env))});
    std::string mj = manifest::ToJson(m);
    std::string p7s = signing::SignPkcs7Detached(mj, key_.key, key_.certificate).value();
    ASSERT_TRUE(WriteFile(dir_ / "a_1.manifest.json", mj).ok());
    ASSERT_TRUE(WriteFile(dir_ / "a_1.manifest.json.p7s", p7s).ok());
    auto sums = m.artifacts;
    sums.push_back({"a_1.manifest.json", mj.size(), ToHex(Sha256Of(mj))});
    sums.push_back({"a_1.manifest.json.p7s", p7s.size(), ToHex(Sha256Of(p7s))});
    ASSERT_TRUE(WriteFile(dir_ / "SHA256SUMS", manifest::FormatSha256Sums(sums)).ok());
  }

  VerifyReport Run() {
    VerifyOptions o{dir_ / "a_1.manifest.json", key_.certificate, 1, {}, false, {}};
    auto r = VerifyManifest(o);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  void AppendSums(const std::string& line) {
    ASSERT_TRUE(WriteFile(dir_ / "SHA256SUMS", ReadFile(dir_ / "SHA256SUMS").value() + line + "\n").ok());
  }

  static std::string FailureOf(const VerifyReport& r) {
    auto* f = r.first_failure();
    return f ? f->name + ": " + f->detail : "";
  }

  TempDir tmp_ = TempDir::Create().value();
  fs::path dir_;
  signing::GeneratedKey key_ = signing::GenerateKey(signing::KeyAlgorithm::kEcP256, "t", 1).value();
};

TEST_F(VerifyManifestTest, PristineDirectoryVerifiesEveryPart) {
  Write();
  VerifyReport r = Run();
  EXPECT_TRUE(r.ok()) << FailureOf(r);
  std::set<std::string> verified;
  for (const auto& c : r.checks)
    if (c.coverage == Coverage::kVerified) verified.insert(c.name);
  EXPECT_EQ(verified, (std::set<std::string>{"manifest signature", "artifacts", "provenance", "SHA256SUMS"}));
}

TEST_F(VerifyManifestTest, ExtraSha256SumsLineFails) {
  Write();
  ASSERT_TRUE(WriteFile(dir_ / "evil.sh", "x").ok());
  AppendSums(ToHex(Sha256Of("x")) + "  evil.sh");
  VerifyReport r = Run();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(FailureOf(r).find("SHA256SUMS: entry"), std::string::npos) << FailureOf(r);
  EXPECT_NE(FailureOf(r).find("evil.sh"), std::string::npos);
}

TEST_F(VerifyManifestTest, AbsoluteAndDeviceLinesFailWithoutBeingRead) {
  for (std::string name : {"/dev/zero", "/etc/passwd", "../out/a_1.raw"}) {
    Write();
    AppendSums(std::string(64, '0') + "  " + name);
    auto start = std::chrono::steady_clock::now();
    VerifyReport r = Run();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_FALSE(r.ok()) << name;
    EXPECT_NE(FailureOf(r).find("SHA256SUMS"), std::string::npos) << FailureOf(r);
  }
}

TEST_F(VerifyManifestTest, OversizedSha256SumsFails) {
  Write();
  std::string big(manifest::kMaxSha256SumsSize + 1, '\n');
  ASSERT_TRUE(WriteFile(dir_ / "SHA256SUMS", big).ok());
  VerifyReport r = Run();
  EXPECT_NE(FailureOf(r).find("larger than"), std::string::npos) << FailureOf(r);
}

TEST_F(VerifyManifestTest, ArtifactThatIsASymlinkFails) {
  Write();
  ASSERT_TRUE(WriteFile(tmp_.path() / "elsewhere", "disk").ok());
  fs::remove(dir_ / "a_1.raw");
  fs::create_symlink(tmp_.path() / "elsewhere", dir_ / "a_1.raw");
  VerifyReport r = Run();
  EXPECT_NE(FailureOf(r).find("artifact a_1.raw"), std::string::npos) << FailureOf(r);
  EXPECT_NE(FailureOf(r).find("symbolic link"), std::string::npos) << FailureOf(r);
}

TEST_F(VerifyManifestTest, ProvenanceSubjectsMustBeTheManifestsArtifacts) {
  Write(std::vector<manifest::ArtifactEntry>{{"a_1.raw", 4, std::string(64, '1')}});
  VerifyReport r = Run();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(FailureOf(r).find("provenance: a_1.intoto.json: subject a_1.raw"), std::string::npos) << FailureOf(r);
}

TEST_F(VerifyManifestTest, ProvenanceSignedByAnotherKeyFails) {
  auto other = signing::GenerateKey(signing::KeyAlgorithm::kEcP256, "o", 1).value();
  Write(std::nullopt, &other.key);  // the manifest signed with the certificate's key, the envelope not
  VerifyReport r = Run();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(FailureOf(r).find("provenance: a_1.intoto.json: no signature"), std::string::npos) << FailureOf(r);
}

}  // namespace
}  // namespace kiln::verify
