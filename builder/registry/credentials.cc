#include "builder/registry/credentials.h"

#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "builder/common/files.h"

namespace kiln::registry {

namespace {

std::string NormaliseKey(std::string key) {
  for (const char* prefix : {"https://", "http://"})
    if (key.rfind(prefix, 0) == 0) key = key.substr(std::string(prefix).size());
  if (auto slash = key.find('/'); slash != std::string::npos) key.resize(slash);
  return key;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::filesystem::path AuthFilePath(const std::filesystem::path& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  if (const char* f = std::getenv("REGISTRY_AUTH_FILE"); f && *f) return f;
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".docker" / "config.json";
  return {};
}

Result<std::optional<Credentials>> LoadCredentials(const std::string& registry,
                                                   const std::filesystem::path& auth_file) {
  std::filesystem::path path = AuthFilePath(auth_file);
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return std::optional<Credentials>();
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorCode::kInput, "registry auth file " + path.string() + " is not valid JSON");
  auto auths = j.find("auths");
  if (auths == j.end() || !auths->is_object()) return std::optional<Credentials>();
  for (const auto& [key, entry] : auths->items()) {
    if (NormaliseKey(key) != registry || !entry.is_object()) continue;
    auto auth = entry.find("auth");
    if (auth == entry.end() || !auth->is_string() || auth->get<std::string>().empty()) continue;
    return std::optional<Credentials>(Credentials{auth->get<std::string>(), path.string()});
  }
  return std::optional<Credentials>();
}

std::optional<Challenge> ParseChallenge(const std::string& header) {
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
  };
  skip_space();
  std::size_t start = i;
  while (i < header.size() && header[i] != ' ') ++i;
  if (i == start) return std::nullopt;
  Challenge c;
  c.scheme = Lower(header.substr(start, i - start));
  while (i < header.size()) {
    skip_space();
    std::size_t key_start = i;
    while (i < header.size() && header[i] != '=' && header[i] != ',') ++i;
    std::string key = Lower(header.substr(key_start, i - key_start));
    std::string value;
    if (i < header.size() && header[i] == '=') {
      ++i;
      if (i < header.size() && header[i] == '"') {
        ++i;
        while (i < header.size() && header[i] != '"') {
          if (header[i] == '\\' && i + 1 < header.size()) ++i;
          value += header[i++];
        }
        ++i;  // closing quote
      } else {
        while (i < header.size() && header[i] != ',') value += header[i++];
      }
    }
    if (!key.empty()) c.params[key] = value;
    while (i < header.size() && header[i] != ',') ++i;
    ++i;  // comma
  }
  return c;
}

}  // namespace kiln::registry
