// VerifyOciLayout (declared in layout.h): walks index -> manifests -> config and layers.
#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/oci/image_config.h"
#include "builder/oci/layout.h"

namespace kiln::oci {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Result<json> ParseJson(std::string_view text, const std::string& where) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorCode::kIntegrity, where + " is not a JSON object");
  return j;
}

Result<Descriptor> ParseDescriptor(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("digest") || !j["digest"].is_string() || !j.contains("size") ||
      !j["size"].is_number_unsigned())
    return MakeError(ErrorCode::kIntegrity, where + ": malformed descriptor (needs digest and size)");
  Descriptor d;
  d.digest = j["digest"].get<std::string>();
  d.size = j["size"].get<std::uint64_t>();
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.media_type = j["mediaType"].get<std::string>();
  return d;
}

Result<std::string> ReadCheckedBlob(const fs::path& dir, const Descriptor& d) {
  KILN_TRY(CheckBlob(dir, d));
  KILN_ASSIGN_OR_RETURN(fs::path path, BlobPath(dir, d.digest));
  return ReadFile(path);
}

Status VerifyManifestList(const fs::path& dir, const json& index, const std::string& where, int depth);

Status VerifyManifest(const fs::path& dir, const Descriptor& d, int depth) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadCheckedBlob(dir, d));
  const std::string where = "manifest " + d.digest;
  KILN_ASSIGN_OR_RETURN(json j, ParseJson(text, where));
  std::string media_type = d.media_type;
  if (j.contains("mediaType") && j["mediaType"].is_string()) media_type = j["mediaType"].get<std::string>();
  if (media_type == kMediaTypeIndex || (j.contains("manifests") && !j.contains("layers")))
    return VerifyManifestList(dir, j, "index " + d.digest, depth + 1);
  if (!j.contains("config"))
    return MakeError(ErrorCode::kIntegrity, where + " has no config descriptor");
  KILN_ASSIGN_OR_RETURN(Descriptor config, ParseDescriptor(j["config"], where + " config"));
  KILN_TRY(CheckBlob(dir, config));
  if (j.contains("layers")) {
    if (!j["layers"].is_array()) return MakeError(ErrorCode::kIntegrity, where + ": layers is not a list");
    std::size_t i = 0;
    for (const json& l : j["layers"]) {
      KILN_ASSIGN_OR_RETURN(Descriptor layer, ParseDescriptor(l, where + " layer " + std::to_string(i++)));
      KILN_TRY(CheckBlob(dir, layer));
    }
  }
  return OkStatus();
}

Status VerifyManifestList(const fs::path& dir, const json& index, const std::string& where, int depth) {
  if (depth > 8) return MakeError(ErrorCode::kIntegrity, where + ": indexes nested too deeply");
  if (!index.contains("manifests") || !index["manifests"].is_array())
    return MakeError(ErrorCode::kIntegrity, where + " has no manifests list");
  std::size_t i = 0;
  for (const json& m : index["manifests"]) {
    KILN_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(m, where + " entry " + std::to_string(i++)));
    KILN_TRY(VerifyManifest(dir, d, depth));
  }
  return OkStatus();
}

}  // namespace

Status VerifyOciLayout(const fs::path& dir) {
  const std::string where = "OCI layout " + dir.string();
  auto layout_text = ReadFile(dir / "oci-layout");
  if (!layout_text.ok()) return std::move(layout_text).WithContext(where).error();
  auto layout = ParseJson(*layout_text, (dir / "oci-layout").string());
  if (!layout.ok()) return std::move(layout).WithContext(where).error();
  if (!layout->contains("imageLayoutVersion") || (*layout)["imageLayoutVersion"] != "1.0.0")
    return MakeError(ErrorCode::kIntegrity, (dir / "oci-layout").string() +
                                                ": imageLayoutVersion is not \"1.0.0\"");
  auto index_text = ReadFile(dir / "index.json");
  if (!index_text.ok()) return std::move(index_text).WithContext(where).error();
  auto index = ParseJson(*index_text, (dir / "index.json").string());
  if (!index.ok()) return std::move(index).WithContext(where).error();
  return VerifyManifestList(dir, *index, (dir / "index.json").string(), 0).WithContext(where);
}

}  // namespace kiln::oci
