#include "builder/manifest/build_manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "builder/common/confined_file.h"
#include "builder/common/sha256.h"

namespace kiln::manifest {

using nlohmann::json;

std::string ToJson(const BuildManifest& m) {
  json j;
  j["manifestVersion"] = m.manifest_version;
  j["kilnVersion"] = m.kiln_version;
  j["image"] = {{"name", m.image_name}, {"version", m.image_version}, {"architecture", m.architecture}};
  j["recipe"] = {{"file", m.recipe}, {"sha256", m.recipe_sha256}};
  j["inputs"] = json::array();
  for (auto& i : m.inputs) j["inputs"].push_back({{"kind", i.kind}, {"uri", i.uri}, {"sha256", i.sha256}});
  j["seed"] = m.seed;
  j["sourceDateEpoch"] = m.source_date_epoch;
  if (!m.disk_guid.empty()) {
    json parts = json::array();
    for (auto& p : m.partitions) {
      json part = {{"name", p.name},     {"typeUuid", p.type_uuid}, {"uuid", p.uuid},
                   {"label", p.label},   {"offset", p.offset},      {"size", p.size},
                   {"attributes", p.attributes}, {"filesystem", p.filesystem}};
      if (!p.slot.empty()) part["slot"] = p.slot;
      parts.push_back(std::move(part));
    }
    j["disk"] = {{"guid", m.disk_guid}, {"size", m.disk_size}, {"partitions", parts}};
    if (!m.esp_files.empty()) {
      json esp = json::array();
      for (auto& f : m.esp_files) esp.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
      j["disk"]["espFiles"] = esp;
    }
  }
  if (!m.root_hash.empty()) j["rootHash"] = m.root_hash;
  if (!m.certificate_fingerprint.empty()) j["certificateFingerprint"] = m.certificate_fingerprint;
  if (!m.data_mountpoint.empty()) j["dataMountpoint"] = m.data_mountpoint;
  if (m.update)
    j["update"] = {{"channel", m.update->channel}, {"slotSize", m.update->slot_size}, {"tries", m.update->tries}};
  j["packages"] = json::array();
  for (auto& p : m.packages)
    j["packages"].push_back({{"name", p.name}, {"version", p.version}, {"architecture", p.architecture}});
  j["artifacts"] = json::array();
  for (auto& a : m.artifacts) j["artifacts"].push_back({{"name", a.name}, {"size", a.size}, {"sha256", a.sha256}});
  return j.dump(2) + "\n";
}

Result<BuildManifest> ParseManifest(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorCode::kInput, "manifest is not valid JSON");
  BuildManifest m;
  try {
    m.manifest_version = j.at("manifestVersion").get<int>();
    if (m.manifest_version != kManifestVersion)
      return MakeError(ErrorCode::kInput, "unsupported manifest version " + std::to_string(m.manifest_version));
    m.kiln_version = j.at("kilnVersion").get<std::string>();
    m.image_name = j.at("image").at("name").get<std::string>();
    m.image_version = j.at("image").at("version").get<std::string>();
    m.architecture = j.at("image").at("architecture").get<std::string>();
    m.recipe = j.at("recipe").at("file").get<std::string>();
    m.recipe_sha256 = j.at("recipe").at("sha256").get<std::string>();
    for (auto& i : j.at("inputs"))
      m.inputs.push_back({i.at("kind").get<std::string>(), i.at("uri").get<std::string>(),
                          i.at("sha256").get<std::string>()});
    m.seed = j.at("seed").get<std::string>();
    m.source_date_epoch = j.at("sourceDateEpoch").get<std::int64_t>();
    if (j.contains("disk")) {
      auto& d = j["disk"];
      m.disk_guid = d.at("guid").get<std::string>();
      m.disk_size = d.at("size").get<std::uint64_t>();
      for (auto& p : d.at("partitions"))
        m.partitions.push_back({p.at("name").get<std::string>(), p.at("typeUuid").get<std::string>(),
                                p.at("uuid").get<std::string>(), p.at("label").get<std::string>(),
                                p.at("offset").get<std::uint64_t>(), p.at("size").get<std::uint64_t>(),
                                p.at("attributes").get<std::uint64_t>(),
                                p.at("filesystem").get<std::string>(), p.value("slot", "")});
      if (d.contains("espFiles")) {
        for (auto& f : d.at("espFiles")) {
          EspFileEntry e{f.at("path").get<std::string>(), f.at("size").get<std::uint64_t>(),
                         f.at("sha256").get<std::string>()};
          if (!e.path.starts_with("/") || !IsConfinedRelativePath(std::string_view(e.path).substr(1)))
            return MakeError(ErrorCode::kInput, "manifest names a malformed ESP path");
          if (!IsSha256Hex(e.sha256))
            return MakeError(ErrorCode::kInput, "manifest has a malformed digest for ESP file " + e.path);
          m.esp_files.push_back(std::move(e));
        }
      }
    }
    m.root_hash = j.value("rootHash", "");
    m.certificate_fingerprint = j.value("certificateFingerprint", "");
    m.data_mountpoint = j.value("dataMountpoint", "");
    if (j.contains("update")) {
      const json& u = j.at("update");
      m.update = UpdateEntry{u.at("channel").get<std::string>(), u.at("slotSize").get<std::uint64_t>(),
                             u.at("tries").get<unsigned>()};
    }
    for (auto& p : j.at("packages"))
      m.packages.push_back({p.at("name").get<std::string>(), p.at("version").get<std::string>(),
                            p.at("architecture").get<std::string>()});
    for (auto& a : j.at("artifacts")) {
      ArtifactEntry e{a.at("name").get<std::string>(), a.at("size").get<std::uint64_t>(),
                      a.at("sha256").get<std::string>()};
      // Names are relative paths inside the output directory ("x.raw", "x.oci/index.json").
      if (!IsConfinedRelativePath(e.name))
        return MakeError(ErrorCode::kInput, "manifest names an artifact outside its directory: '" + e.name + "'");
      if (!IsSha256Hex(e.sha256))
        return MakeError(ErrorCode::kInput, "manifest has a malformed digest for " + e.name);
      m.artifacts.push_back(std::move(e));
    }
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kInput, std::string("malformed manifest: ") + e.what());
  }
  return m;
}

std::string FormatSha256Sums(std::vector<ArtifactEntry> artifacts) {
  std::sort(artifacts.begin(), artifacts.end(),
            [](const ArtifactEntry& a, const ArtifactEntry& b) { return a.name < b.name; });
  std::string out;
  for (auto& a : artifacts) out += a.sha256 + "  " + a.name + "\n";
  return out;
}

Result<std::vector<ArtifactEntry>> ParseSha256Sums(std::string_view text) {
  std::vector<ArtifactEntry> out;
  std::set<std::string_view> seen;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    const std::string where = "SHA256SUMS line " + std::to_string(line_no);
    if (line.size() < 67 || !IsSha256Hex(line.substr(0, 64)) || line.substr(64, 2) != "  ")
      return MakeError(ErrorCode::kInput, where + " is malformed");
    std::string_view name = line.substr(66);
    if (!IsConfinedRelativePath(name))
      return MakeError(ErrorCode::kInput, where + " names a file outside the directory (an absolute path, '..', "
                                                  "or a control character)");
    if (!seen.insert(name).second) return MakeError(ErrorCode::kInput, where + " names a file listed before");
    out.push_back({std::string(name), 0, std::string(line.substr(0, 64))});
  }
  return out;
}

}  // namespace kiln::manifest
