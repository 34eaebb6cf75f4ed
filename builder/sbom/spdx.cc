#include "builder/sbom/spdx.h"

#include <nlohmann/json.hpp>

#include "builder/common/sha256.h"
#include "builder/common/time_format.h"
#include "builder/sbom/sorted_input.h"

namespace kiln::sbom {
namespace {

using nlohmann::ordered_json;

const char* kNoAssertion = "NOASSERTION";

ordered_json Sha256Checksum(const std::string& hex) {
  return ordered_json::array({{{"algorithm", "SHA256"}, {"checksumValue", hex}}});
}

ordered_json Relationship(const std::string& from, const char* type, const std::string& to) {
  return {{"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}};
}

}  // namespace

std::string MakeSpdx(const SbomInput& unsorted) {
  SbomInput in = SortedInput(unsorted);
  const std::string image_id = "SPDXRef-Image";
  ordered_json packages = ordered_json::array();
  ordered_json files = ordered_json::array();
  ordered_json rels = ordered_json::array();
  rels.push_back(Relationship("SPDXRef-DOCUMENT", "DESCRIBES", image_id));

  packages.push_back({{"name", in.image_name},
                      {"SPDXID", image_id},
                      {"versionInfo", in.image_version},
                      {"downloadLocation", kNoAssertion},
                      {"filesAnalyzed", false},
                      {"licenseConcluded", kNoAssertion},
                      {"licenseDeclared", kNoAssertion},
                      {"copyrightText", kNoAssertion},
                      {"primaryPackagePurpose", "OPERATING_SYSTEM"},
                      {"comment", "kiln image, architecture " + in.architecture}});

  for (std::size_t i = 0; i < in.packages.size(); ++i) {
    const SbomPackage& p = in.packages[i];
    std::string id = "SPDXRef-Package-" + std::to_string(i + 1);
    const std::string license = p.license.empty() ? kNoAssertion : p.license;
    ordered_json pkg = {{"name", p.name},
                        {"SPDXID", id},
                        {"versionInfo", p.version},
                        {"downloadLocation", kNoAssertion},
                        {"filesAnalyzed", false},
                        {"licenseConcluded", license},
                        {"licenseDeclared", license},
                        {"copyrightText", kNoAssertion}};
    if (!p.source.empty() && p.source != p.name) pkg["sourceInfo"] = "built from source package " + p.source;
    pkg["externalRefs"] = ordered_json::array(
        {{{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", DebianPurl(p)}}});
    packages.push_back(std::move(pkg));
    rels.push_back(Relationship(image_id, "CONTAINS", id));
  }

  for (std::size_t i = 0; i < in.inputs.size(); ++i) {
    const manifest::InputEntry& e = in.inputs[i];
    std::string id = "SPDXRef-Input-" + std::to_string(i + 1);
    ordered_json pkg = {{"name", e.uri},
                        {"SPDXID", id},
                        {"downloadLocation", IsUrl(e.uri) ? e.uri : kNoAssertion},
                        {"filesAnalyzed", false},
                        {"licenseConcluded", kNoAssertion},
                        {"licenseDeclared", kNoAssertion},
                        {"copyrightText", kNoAssertion},
                        {"comment", "kiln build input of kind " + e.kind}};
    if (IsSha256Hex(e.sha256)) pkg["checksums"] = Sha256Checksum(e.sha256);
    packages.push_back(std::move(pkg));
    rels.push_back(Relationship(image_id, "GENERATED_FROM", id));
  }

  for (std::size_t i = 0; i < in.files.size(); ++i) {
    const SbomFile& f = in.files[i];
    std::string id = "SPDXRef-File-" + std::to_string(i + 1);
    ordered_json checksums = ordered_json::array();
    if (!f.sha1.empty()) checksums.push_back({{"algorithm", "SHA1"}, {"checksumValue", f.sha1}});
    checksums.push_back({{"algorithm", "SHA256"}, {"checksumValue", f.sha256}});
    files.push_back({{"fileName", "./" + f.path},
                     {"SPDXID", id},
                     {"checksums", checksums},
                     {"licenseConcluded", kNoAssertion},
                     {"copyrightText", kNoAssertion},
                     {"comment", "added by " + f.origin + ", " + std::to_string(f.size) + " bytes"}});
    rels.push_back(Relationship(image_id, "CONTAINS", id));
  }

  ordered_json doc;
  doc["spdxVersion"] = "SPDX-2.3";
  doc["dataLicense"] = "CC0-1.0";
  doc["SPDXID"] = "SPDXRef-DOCUMENT";
  doc["name"] = in.image_name + "-" + in.image_version;
  doc["documentNamespace"] = "";  // filled below from a digest of everything else
  doc["creationInfo"] = {{"created", FormatRfc3339(in.source_date_epoch)},
                         {"creators", ordered_json::array({"Tool: kiln-" + in.tool_version})}};
  doc["documentDescribes"] = ordered_json::array({image_id});
  doc["packages"] = std::move(packages);
  if (!files.empty()) doc["files"] = std::move(files);
  doc["relationships"] = std::move(rels);
  const std::string digest = ToHex(Sha256Of(doc.dump()));
  doc["documentNamespace"] = "https://kiln.dev/spdx/" + PurlEncode(in.image_name) + "-" +
                             PurlEncode(in.image_version) + "-" + digest;
  return doc.dump(2) + "\n";
}

}  // namespace kiln::sbom
