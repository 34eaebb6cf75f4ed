#include "builder/sbom/provenance.h"

#include <nlohmann/json.hpp>

#include "builder/common/sha256.h"
#include "builder/common/time_format.h"
#include "builder/sbom/sbom_input.h"
#include "signing/dsse.h"

namespace kiln::sbom {

Result<std::string> MakeProvenanceStatement(const manifest::BuildManifest& m, std::string_view lock_sha256,
                                            std::optional<ProvenanceTimes> times) {
  using nlohmann::ordered_json;
  if (m.artifacts.empty()) return MakeError(ErrorCode::kInput, "provenance: the manifest lists no artifacts");
  ordered_json subjects = ordered_json::array();
  for (const auto& a : m.artifacts) {
    if (!IsSha256Hex(a.sha256))
      return MakeError(ErrorCode::kInput, "provenance: artifact " + a.name + " has no valid sha256");
    subjects.push_back({{"name", a.name}, {"digest", {{"sha256", a.sha256}}}});
  }
  if (!IsSha256Hex(m.recipe_sha256))
    return MakeError(ErrorCode::kInput, "provenance: recipe " + m.recipe + " has no valid sha256");
  if (!lock_sha256.empty() && !IsSha256Hex(lock_sha256))
    return MakeError(ErrorCode::kInput, "provenance: lock file digest is not a sha256: " + std::string(lock_sha256));

  ordered_json external = {{"recipe", {{"name", m.recipe}, {"digest", {{"sha256", m.recipe_sha256}}}}}};
  if (!lock_sha256.empty()) external["lock"] = {{"digest", {{"sha256", std::string(lock_sha256)}}}};
  external["image"] = {{"name", m.image_name}, {"version", m.image_version}, {"architecture", m.architecture}};
  external["sourceDateEpoch"] = m.source_date_epoch;

  ordered_json deps = ordered_json::array();
  for (const auto& in : m.inputs) {
    ordered_json d = {{"uri", in.uri}};
    if (IsSha256Hex(in.sha256)) d["digest"] = {{"sha256", in.sha256}};
    d["annotations"] = {{"kind", in.kind}};
    deps.push_back(std::move(d));
  }

  ordered_json run = {{"builder", {{"id", "https://kiln.dev/kiln@" + m.kiln_version}}}};
  if (times) {
    run["metadata"] = {{"startedOn", FormatRfc3339(times->started_on)},
                       {"finishedOn", FormatRfc3339(times->finished_on)}};
  }

  ordered_json st;
  st["_type"] = kStatementType;
  st["subject"] = std::move(subjects);
  st["predicateType"] = kSlsaProvenanceType;
  st["predicate"] = {{"buildDefinition",
                      {{"buildType", kKilnBuildType},
                       {"externalParameters", std::move(external)},
                       {"internalParameters", {{"seed", m.seed}}},
                       {"resolvedDependencies", std::move(deps)}}},
                     {"runDetails", std::move(run)}};
  return st.dump();
}

Result<std::string> SignProvenance(std::string_view statement, const signing::PrivateKey& key,
                                   std::string_view keyid) {
  return signing::MakeDsseEnvelope(signing::kInTotoPayloadType, statement, key, keyid);
}

}  // namespace kiln::sbom
