#include "builder/sbom/cyclonedx.h"

#include <nlohmann/json.hpp>

#include "builder/common/sha256.h"
#include "builder/common/time_format.h"
#include "builder/common/uuid.h"
#include "builder/sbom/sorted_input.h"

namespace kiln::sbom {
namespace {

using nlohmann::ordered_json;

ordered_json Sha256Hash(const std::string& hex) {
  return ordered_json::array({{{"alg", "SHA-256"}, {"content", hex}}});
}

}  // namespace

std::string MakeCycloneDx(const SbomInput& unsorted) {
  SbomInput in = SortedInput(unsorted);
  ordered_json components = ordered_json::array();
  for (const SbomPackage& p : in.packages) {
    std::string purl = DebianPurl(p);
    ordered_json c = {{"type", "library"}, {"bom-ref", purl}, {"name", p.name}, {"version", p.version}};
    if (!p.license.empty()) c["licenses"] = ordered_json::array({{{"expression", p.license}}});
    c["purl"] = purl;
    if (!p.source.empty() && p.source != p.name)
      c["properties"] = ordered_json::array({{{"name", "kiln:source-package"}, {"value", p.source}}});
    components.push_back(std::move(c));
  }
  for (std::size_t i = 0; i < in.inputs.size(); ++i) {
    const manifest::InputEntry& e = in.inputs[i];
    ordered_json c = {{"type", "file"}, {"bom-ref", "input-" + std::to_string(i + 1)}, {"name", e.uri}};
    if (IsSha256Hex(e.sha256)) c["hashes"] = Sha256Hash(e.sha256);
    if (IsUrl(e.uri))
      c["externalReferences"] = ordered_json::array({{{"type", "distribution"}, {"url", e.uri}}});
    c["properties"] = ordered_json::array({{{"name", "kiln:input-kind"}, {"value", e.kind}}});
    components.push_back(std::move(c));
  }
  for (const SbomFile& f : in.files) {
    components.push_back({{"type", "file"},
                          {"bom-ref", "file:/" + f.path},
                          {"name", "/" + f.path},
                          {"hashes", Sha256Hash(f.sha256)},
                          {"properties", ordered_json::array({{{"name", "kiln:origin"}, {"value", f.origin}},
                                                              {{"name", "kiln:size"},
                                                               {"value", std::to_string(f.size)}}})}});
  }

  ordered_json doc;
  doc["bomFormat"] = "CycloneDX";
  doc["specVersion"] = "1.5";
  doc["serialNumber"] = "";  // filled below from a digest of everything else
  doc["version"] = 1;
  doc["metadata"] = {
      {"timestamp", FormatRfc3339(in.source_date_epoch)},
      {"tools",
       {{"components",
         ordered_json::array({{{"type", "application"}, {"name", "kiln"}, {"version", in.tool_version}}})}}},
      {"component",
       {{"type", "operating-system"},
        {"bom-ref", "image"},
        {"name", in.image_name},
        {"version", in.image_version},
        {"properties", ordered_json::array({{{"name", "kiln:architecture"}, {"value", in.architecture}}})}}}};
  doc["components"] = std::move(components);
  const Digest d = Sha256Of(doc.dump());
  doc["serialNumber"] = "urn:uuid:" + UuidV4From(d).ToString();
  return doc.dump(2) + "\n";
}

}  // namespace kiln::sbom
