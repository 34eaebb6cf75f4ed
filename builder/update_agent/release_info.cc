#include "builder/update_agent/release_info.h"

#include <nlohmann/json.hpp>

namespace kiln::update_agent {

namespace {

Error Bad(const std::string& why) { return MakeError(ErrorCode::kInput, "release.json: " + why); }

Result<std::string> Text(const nlohmann::json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return Bad(std::string("no \"") + key + "\"");
    return std::string();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty() || it->get_ref<const std::string&>().size() > 1024)
    return Bad(std::string("\"") + key + "\" is not a non-empty string");
  return it->get<std::string>();
}

}  // namespace

Result<ReleaseInfo> ParseReleaseInfo(std::string_view json) {
  if (json.size() > kMaxReleaseSize) return Bad("larger than " + std::to_string(kMaxReleaseSize) + " bytes");
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad("not a JSON object");
  KILN_ASSIGN_OR_RETURN(std::string schema, Text(j, "schema", true));
  if (schema != kReleaseSchema) return Bad("unknown schema '" + schema.substr(0, 64) + "'");
  ReleaseInfo info;
  KILN_ASSIGN_OR_RETURN(info.image, Text(j, "image", true));
  KILN_ASSIGN_OR_RETURN(info.version, Text(j, "version", true));
  KILN_ASSIGN_OR_RETURN(info.architecture, Text(j, "architecture", true));
  KILN_ASSIGN_OR_RETURN(info.channel, Text(j, "channel", false));
  if (auto it = j.find("tries"); it != j.end()) {
    if (!it->is_number_integer() || it->get<long long>() < 1 || it->get<long long>() > 15)
      return Bad("\"tries\" is not an integer from 1 to 15");
    info.tries = static_cast<int>(it->get<long long>());
  }
  return info;
}

}  // namespace kiln::update_agent
