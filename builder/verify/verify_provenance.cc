#include <map>
#include <nlohmann/json.hpp>

#include "builder/artifacts/artifacts.h"
#include "builder/common/confined_file.h"
#include "builder/common/sha256.h"
#include "builder/verify/verify.h"
#include "signing/dsse.h"

namespace kiln::verify {

namespace {

constexpr std::uint64_t kMaxEnvelopeSize = 64ull << 20;

// The statement's subjects as name -> sha256, or an error saying what is malformed.
Result<std::map<std::string, std::string>> Subjects(std::string_view statement) {
  using nlohmann::json;
  json st = json::parse(statement, nullptr, false);
  if (!st.is_object()) return MakeError(ErrorCode::kInput, "the payload is not a JSON statement");
  auto type = st.find("_type");
  if (type == st.end() || !type->is_string() || type->get<std::string>() != "https://in-toto.io/Statement/v1")
    return MakeError(ErrorCode::kInput, "the payload is not an in-toto Statement v1");
  auto subjects = st.find("subject");
  if (subjects == st.end() || !subjects->is_array()) return MakeError(ErrorCode::kInput, "the statement has no subjects");
  std::map<std::string, std::string> out;
  for (const auto& s : *subjects) {
    if (!s.is_object()) return MakeError(ErrorCode::kInput, "a subject is not an object");
    auto name = s.find("name");
    auto digest = s.find("digest");
    if (name == s.end() || !name->is_string() || digest == s.end() || !digest->is_object())
      return MakeError(ErrorCode::kInput, "a subject has no name or digest");
    auto sha = digest->find("sha256");
    if (sha == digest->end() || !sha->is_string() || !IsSha256Hex(sha->get<std::string>()))
      return MakeError(ErrorCode::kInput, "a subject has no sha256 digest");
    if (!out.emplace(name->get<std::string>(), sha->get<std::string>()).second)
      return MakeError(ErrorCode::kInput, "a subject is listed twice");
  }
  return out;
}

}  // namespace

void CheckProvenance(int dir_fd, const manifest::BuildManifest& m, const signing::Certificate& cert,
                     VerifyReport& report) {
  const std::string name = artifacts::FileName(artifacts::Role::kProvenance, m.image_name + "_" + m.image_version);
  std::map<std::string, std::string> expected;
  bool listed = false;
  for (const auto& a : m.artifacts) {
    if (a.name == name) listed = true;
    else expected[a.name] = a.sha256;
  }
  if (!listed) {
    report.NotCovered("provenance", m.certificate_fingerprint.empty()
                                        ? "unsigned build: no provenance envelope"
                                        : "the signed manifest does not list " + name + " (a manifest from an older kiln)");
    return;
  }
  auto envelope = ReadConfined(dir_fd, name, kMaxEnvelopeSize);
  if (!envelope.ok()) {
    report.Fail("provenance", envelope.error().message);
    return;
  }
  if (Status s = signing::VerifyDsseEnvelope(*envelope, signing::PublicKeyOf(cert)); !s.ok()) {
    report.Fail("provenance", name + ": " + s.error().message);
    return;
  }
  auto env = signing::ParseDsseEnvelope(*envelope);
  if (!env.ok() || env->payload_type != signing::kInTotoPayloadType) {
    report.Fail("provenance", name + ": not an in-toto DSSE envelope");
    return;
  }
  auto subjects = Subjects(env->payload);
  if (!subjects.ok()) {
    report.Fail("provenance", name + ": " + subjects.error().message);
    return;
  }
  if (*subjects != expected) {
    std::string why = "its subjects differ from the manifest's artifacts";
    for (const auto& [n, d] : expected)
      if (auto it = subjects->find(n); it == subjects->end() || it->second != d) {
        why = "subject " + n + (it == subjects->end() ? " is missing" : " has another digest");
        break;
      }
    report.Fail("provenance", name + ": " + why);
    return;
  }
  report.Pass("provenance", name + ": DSSE signature verifies; its " + std::to_string(subjects->size()) +
                                " subjects are the manifest's artifacts");
}

}  // namespace kiln::verify
