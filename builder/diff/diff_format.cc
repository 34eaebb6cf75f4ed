#include "builder/diff/diff_format.h"

#include <nlohmann/json.hpp>

#include "builder/common/text_escape.h"

namespace kiln::diff {
namespace {

using nlohmann::ordered_json;

ordered_json StateJson(const FileState& s) {
  ordered_json j = {{"type", std::string(1, s.type)}, {"mode", s.mode}, {"uid", s.uid}, {"gid", s.gid},
                    {"size", s.size}};
  if (!s.sha256.empty()) j["sha256"] = s.sha256;
  if (!s.target.empty()) j["target"] = s.target;
  if (!s.device.empty()) j["device"] = s.device;
  return j;
}

ordered_json FieldsJson(const std::vector<FieldChange>& fields) {
  ordered_json a = ordered_json::array();
  for (const auto& f : fields) a.push_back({{"field", f.field}, {"old", f.old_value}, {"new", f.new_value}});
  return a;
}

char Sigil(ChangeKind k) { return k == ChangeKind::kAdded ? '+' : k == ChangeKind::kRemoved ? '-' : '~'; }

// Names, link targets, versions and labels come from the images: escaped for the terminal.
std::string E(const std::string& v) { return EscapeForTerminal(v); }
std::string Short(const std::string& v) { return v.size() == 64 ? v.substr(0, 12) : E(v); }

}  // namespace

std::string DiffToJson(const ImageDiff& d) {
  ordered_json j;
  j["a"] = d.a;
  j["b"] = d.b;
  j["kindA"] = d.kind_a;
  j["kindB"] = d.kind_b;
  j["identical"] = d.empty();
  ordered_json added = ordered_json::array(), removed = ordered_json::array(), upgraded = ordered_json::array();
  for (const auto& p : d.packages_added)
    added.push_back({{"name", p.name}, {"architecture", p.architecture}, {"version", p.new_version}});
  for (const auto& p : d.packages_removed)
    removed.push_back({{"name", p.name}, {"architecture", p.architecture}, {"version", p.old_version}});
  for (const auto& p : d.packages_upgraded)
    upgraded.push_back({{"name", p.name}, {"architecture", p.architecture}, {"from", p.old_version}, {"to", p.new_version}});
  j["packages"] = {{"added", added}, {"removed", removed}, {"upgraded", upgraded}};
  ordered_json files = ordered_json::array();
  for (const auto& f : d.files) {
    ordered_json e = {{"path", f.path}, {"change", ChangeKindName(f.kind)}, {"fields", FieldsJson(f.fields)}};
    if (f.old_state) e["old"] = StateJson(*f.old_state);
    if (f.new_state) e["new"] = StateJson(*f.new_state);
    files.push_back(std::move(e));
  }
  j["files"] = std::move(files);
  ordered_json parts = ordered_json::array();
  for (const auto& p : d.partitions)
    parts.push_back({{"name", p.name}, {"change", ChangeKindName(p.kind)}, {"fields", FieldsJson(p.fields)}});
  j["partitions"] = std::move(parts);
  j["config"] = FieldsJson(d.config);
  j["identity"] = d.identity;
  // Any bytes may come from an image; invalid UTF-8 becomes U+FFFD instead of a throw.
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string DiffToText(const ImageDiff& d) {
  std::string out = "--- " + E(d.a) + " (" + d.kind_a + ")\n+++ " + E(d.b) + " (" + d.kind_b + ")\n";
  if (d.empty()) out += "no differences in packages, files, partitions or config\n";
  if (!d.packages_added.empty() || !d.packages_removed.empty() || !d.packages_upgraded.empty()) {
    out += "\npackages:\n";
    for (const auto& p : d.packages_added) out += "  + " + E(p.name) + ":" + E(p.architecture) + " " + E(p.new_version) + "\n";
    for (const auto& p : d.packages_removed) out += "  - " + E(p.name) + ":" + E(p.architecture) + " " + E(p.old_version) + "\n";
    for (const auto& p : d.packages_upgraded)
      out += "  ~ " + E(p.name) + ":" + E(p.architecture) + " " + E(p.old_version) + " -> " + E(p.new_version) + "\n";
  }
  if (!d.files.empty()) {
    out += "\nfiles:\n";
    for (const auto& f : d.files) {
      out += std::string("  ") + Sigil(f.kind) + " " + E(f.path);
      const FileState* s = f.new_state ? &*f.new_state : &*f.old_state;
      if (f.kind != ChangeKind::kChanged) {
        out += " (" + std::string(1, s->type) + ", " + std::to_string(s->size) + " bytes)";
      } else {
        std::string sep = ": ";
        for (const auto& c : f.fields) {
          out += sep + c.field + " " + Short(c.old_value) + " -> " + Short(c.new_value);
          sep = ", ";
        }
        if (f.old_state->size != f.new_state->size || f.old_state->type == '-')
          out += " (" + std::to_string(f.old_state->size) + " -> " + std::to_string(f.new_state->size) + " bytes)";
      }
      out += "\n";
    }
  }
  if (!d.partitions.empty()) {
    out += "\npartitions:\n";
    for (const auto& p : d.partitions) {
      out += std::string("  ") + Sigil(p.kind) + " " + E(p.name);
      std::string sep = ": ";
      for (const auto& c : p.fields) {
        out += sep + c.field + " " + Short(c.old_value) + " -> " + Short(c.new_value);
        sep = ", ";
      }
      out += "\n";
    }
  }
  if (!d.config.empty()) {
    out += "\nconfig:\n";
    for (const auto& c : d.config) {
      char sigil = c.old_value.empty() ? '+' : c.new_value.empty() ? '-' : '~';
      out += std::string("  ") + sigil + " " + E(c.field) + ": " + (c.old_value.empty() ? "(none)" : E(c.old_value)) +
             " -> " + (c.new_value.empty() ? "(none)" : E(c.new_value)) + "\n";
    }
  }
  if (!d.identity.empty()) {
    out += "\nidentity (derived from the content, expected to follow it):\n";
    for (const auto& n : d.identity) out += "  " + E(n) + "\n";
  }
  return out;
}

}  // namespace kiln::diff
