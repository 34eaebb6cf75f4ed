#include "builder/channel/channel_index.h"

#include <nlohmann/json.hpp>

#include <set>

#include "builder/channel/version_compare.h"

namespace kiln::channel {
namespace {

using nlohmann::json;

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The recipe's character sets ([image] name and version), so every built image fits.
bool IsValidImageName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength || !(IsLower(s[0]) || IsDigit(s[0]))) return false;
  for (char c : s)
    if (!(IsLower(c) || IsDigit(c) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

bool IsValidVersion(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  for (char c : s)
    if (!(IsLower(c) || IsUpper(c) || IsDigit(c) || c == '.' || c == '_' || c == '+' || c == '~' || c == '-'))
      return false;
  return true;
}

bool IsValidArchitecture(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (!(IsLower(c) || IsDigit(c) || c == '-' || c == '_')) return false;
  return true;
}

bool IsLowerSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!(IsDigit(c) || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Error Bad(std::string what) { return MakeError(ErrorCode::kInput, "channel index: " + std::move(what)); }

// Checks that object j has exactly the keys in `required` plus any of `optional`.
Status ExpectKeys(const json& j, std::string_view where, std::initializer_list<std::string_view> keys) {
  if (!j.is_object()) return Bad(std::string(where) + " is not an object");
  for (std::string_view k : keys)
    if (!j.contains(k)) return Bad(std::string(where) + " lacks \"" + std::string(k) + "\"");
  if (j.size() != keys.size()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = false;
      for (std::string_view k : keys) known = known || it.key() == k;
      // Key names come from hostile text: name the place, not the key.
      if (!known) return Bad(std::string(where) + " has an unknown key");
    }
  }
  return OkStatus();
}

Result<std::string> GetString(const json& j, std::string_view key, std::string_view where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    return Bad(std::string(where) + "." + std::string(key) + " is not a string");
  return it->get<std::string>();
}

// Every channel file has content. A size of 0 would also reach the downloader as its
// max_bytes, where 0 means "no limit": a server could then send endless bytes.
Result<std::uint64_t> GetSize(const json& j, std::string_view key, std::string_view where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() == 0)
    return Bad(std::string(where) + "." + std::string(key) + " is not a positive integer");
  return it->get<std::uint64_t>();
}

Result<std::string> GetHex(const json& j, std::string_view key, std::string_view where) {
  KILN_ASSIGN_OR_RETURN(std::string s, GetString(j, key, where));
  if (!IsLowerSha256Hex(s)) return Bad(std::string(where) + "." + std::string(key) + " is not 64 lowercase hex digits");
  return s;
}

Status ParseFileFields(const json& j, std::string_view where, ChannelFile& out) {
  KILN_ASSIGN_OR_RETURN(out.path, GetString(j, "path", where));
  if (!IsValidChannelFileName(out.path)) return Bad(std::string(where) + ".path is not a plain file name");
  KILN_ASSIGN_OR_RETURN(out.size, GetSize(j, "size", where));
  KILN_ASSIGN_OR_RETURN(out.sha256, GetHex(j, "sha256", where));
  return OkStatus();
}

Result<ChannelFile> ParseFile(const json& j, std::string_view where) {
  KILN_TRY(ExpectKeys(j, where, {"path", "size", "sha256"}));
  ChannelFile f;
  KILN_TRY(ParseFileFields(j, where, f));
  return f;
}

Result<RootFile> ParseRootFile(const json& j, std::string_view where) {
  KILN_TRY(ExpectKeys(j, where, {"path", "size", "sha256", "compression", "content_size", "content_sha256"}));
  RootFile f;
  KILN_TRY(ParseFileFields(j, where, f));
  KILN_ASSIGN_OR_RETURN(f.compression, GetString(j, "compression", where));
  KILN_ASSIGN_OR_RETURN(f.content_size, GetSize(j, "content_size", where));
  KILN_ASSIGN_OR_RETURN(f.content_sha256, GetHex(j, "content_sha256", where));
  if (f.compression == kCompressionNone) {
    if (f.content_size != f.size || f.content_sha256 != f.sha256)
      return Bad(std::string(where) + ": uncompressed, but its content differs from the file");
  } else if (f.compression != kCompressionZstd) {
    return Bad(std::string(where) + ".compression is neither \"none\" nor \"zstd\"");
  }
  return f;
}

Result<ChannelVersion> ParseVersion(const json& j, std::size_t n) {
  const std::string where = "versions[" + std::to_string(n) + "]";
  KILN_TRY(ExpectKeys(j, where, {"version", "root_hash", "manifest_sha256", "slot_size", "files"}));
  ChannelVersion v;
  KILN_ASSIGN_OR_RETURN(v.version, GetString(j, "version", where));
  if (!IsValidVersion(v.version)) return Bad(where + ".version is not a valid version");
  KILN_ASSIGN_OR_RETURN(v.root_hash, GetHex(j, "root_hash", where));
  KILN_ASSIGN_OR_RETURN(v.manifest_sha256, GetHex(j, "manifest_sha256", where));
  KILN_ASSIGN_OR_RETURN(v.slot_size, GetSize(j, "slot_size", where));
  const json& files = j["files"];
  const std::string fw = where + ".files";
  KILN_TRY(ExpectKeys(files, fw, {"root", "verity", "signature", "uki"}));
  KILN_ASSIGN_OR_RETURN(v.root, ParseRootFile(files["root"], fw + ".root"));
  KILN_ASSIGN_OR_RETURN(v.verity, ParseFile(files["verity"], fw + ".verity"));
  KILN_ASSIGN_OR_RETURN(v.signature, ParseFile(files["signature"], fw + ".signature"));
  KILN_ASSIGN_OR_RETURN(v.uki, ParseFile(files["uki"], fw + ".uki"));
  if (v.root.content_size > v.slot_size)
    return Bad(where + ": the root (" + std::to_string(v.root.content_size) +
               " bytes) is larger than its slot (" + std::to_string(v.slot_size) + " bytes)");
  return v;
}

// The checks ParseIndex makes beyond types, shared with WriteIndexJson.
Status CheckIndex(const ChannelIndex& index) {
  if (!IsValidImageName(index.image)) return Bad("image is not a valid image name");
  if (!IsValidArchitecture(index.architecture)) return Bad("architecture is not a valid name");
  if (index.versions.size() > kMaxVersions)
    return Bad("more than " + std::to_string(kMaxVersions) + " versions");
  std::set<std::string_view> paths;
  for (std::size_t i = 0; i < index.versions.size(); ++i) {
    const ChannelVersion& v = index.versions[i];
    if (i > 0 && CompareVersions(index.versions[i - 1].version, v.version) >= 0)
      return Bad("versions are not strictly increasing at versions[" + std::to_string(i) + "]");
    for (const ChannelFile* f : FilesOf(v))
      if (!paths.insert(f->path).second)
        return Bad("versions[" + std::to_string(i) + "] names a file another entry names too");
  }
  return OkStatus();
}

json FileJson(const ChannelFile& f) { return {{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}}; }

}  // namespace

bool IsValidChannelFileName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name[0] == '.') return false;
  // The index itself is no payload: pruning a version naming it would delete the live index.
  if (name == kIndexFileName) return false;
  for (char c : name)
    if (!(IsLower(c) || IsUpper(c) || IsDigit(c) || c == '.' || c == '_' || c == '+' || c == '~' || c == '-'))
      return false;
  return true;
}

std::vector<const ChannelFile*> FilesOf(const ChannelVersion& version) {
  return {&version.root, &version.verity, &version.signature, &version.uki};
}

Result<std::string> WriteIndexJson(const ChannelIndex& index) {
  json versions = json::array();
  for (const ChannelVersion& v : index.versions) {
    json root = FileJson(v.root);
    root["compression"] = v.root.compression;
    root["content_size"] = v.root.content_size;
    root["content_sha256"] = v.root.content_sha256;
    versions.push_back({{"version", v.version},
                        {"root_hash", v.root_hash},
                        {"manifest_sha256", v.manifest_sha256},
                        {"slot_size", v.slot_size},
                        {"files", {{"root", root},
                                   {"verity", FileJson(v.verity)},
                                   {"signature", FileJson(v.signature)},
                                   {"uki", FileJson(v.uki)}}}});
  }
  // nlohmann's object is a std::map: keys come out sorted.
  json doc = {{"schema", kIndexSchema},
              {"image", index.image},
              {"architecture", index.architecture},
              {"versions", versions}};
  std::string text = doc.dump();
  // The writer is held to the reader's rules: round trip it.
  KILN_ASSIGN_OR_RETURN(ChannelIndex again, ParseIndex(text).WithContext("cannot write the channel index"));
  if (!(again == index)) return Bad("cannot write the channel index: it does not read back the same");
  return text;
}

Result<ChannelIndex> ParseIndex(std::string_view text) {
  if (text.size() > kMaxIndexSize)
    return Bad("larger than " + std::to_string(kMaxIndexSize) + " bytes");
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Bad("not valid JSON");
  KILN_TRY(ExpectKeys(doc, "index", {"schema", "image", "architecture", "versions"}));
  KILN_ASSIGN_OR_RETURN(std::string schema, GetString(doc, "schema", "index"));
  if (schema != kIndexSchema) return Bad("unsupported schema (expected " + std::string(kIndexSchema) + ")");
  ChannelIndex index;
  KILN_ASSIGN_OR_RETURN(index.image, GetString(doc, "image", "index"));
  KILN_ASSIGN_OR_RETURN(index.architecture, GetString(doc, "architecture", "index"));
  const json& versions = doc["versions"];
  if (!versions.is_array()) return Bad("versions is not an array");
  if (versions.size() > kMaxVersions) return Bad("more than " + std::to_string(kMaxVersions) + " versions");
  for (std::size_t i = 0; i < versions.size(); ++i) {
    KILN_ASSIGN_OR_RETURN(ChannelVersion v, ParseVersion(versions[i], i));
    index.versions.push_back(std::move(v));
  }
  KILN_TRY(CheckIndex(index));
  return index;
}

}  // namespace kiln::channel
