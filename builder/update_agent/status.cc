#include "builder/update_agent/status.h"

#include <nlohmann/json.hpp>

#include "builder/channel/version_compare.h"
#include "builder/common/files.h"
#include "builder/slots/slot_labels.h"
#include "builder/update_agent/esp_mount.h"
#include "builder/update_agent/kernel_cmdline.h"

namespace kiln::update_agent {

std::optional<std::string> BootCountFileName(std::string_view bytes) {
  if (bytes.size() < 6 || bytes.size() > 4096) return std::nullopt;
  bytes.remove_prefix(4);  // the variable's attributes
  std::string name;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    const unsigned c = static_cast<unsigned char>(bytes[i]) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    if (c == 0) break;
    if (c == '\\' || c == '/') {
      name.clear();
      continue;
    }
    if (c > 0x7e || c < 0x20) return std::nullopt;  // entry names are ASCII
    name += static_cast<char>(c);
  }
  if (name.empty()) return std::nullopt;
  return name;
}

Result<StatusReport> GetStatus(const AgentPaths& paths, const std::string& efivar_path) {
  StatusReport r;
  KILN_ASSIGN_OR_RETURN(std::string release_text, ReadFile(paths.release));
  KILN_ASSIGN_OR_RETURN(ReleaseInfo release, ParseReleaseInfo(release_text).WithContext(paths.release.string()));
  KILN_ASSIGN_OR_RETURN(std::string cmdline, ReadFile(paths.cmdline));
  KILN_ASSIGN_OR_RETURN(Digest root_hash, RootHashFromCmdline(cmdline));
  r.image = release.image;
  r.version = release.version;
  r.architecture = release.architecture;
  r.channel = release.channel;
  r.root_hash = ToHex(root_hash);

  auto state = LoadSystemState(paths, /*writable=*/false);
  if (!state.ok()) {
    r.notes.push_back("slots unknown: " + state.error().ToString());
    return r;
  }
  SystemState& s = *state;
  r.running_slot = slots::SlotNameText(s.running);
  for (slots::SlotName name : {slots::SlotName::kA, slots::SlotName::kB}) {
    const slots::SlotContent content = slots::DescribeSlot(s.layout, s.slots[name], r.image);
    r.slots.push_back({slots::SlotNameText(name), name == s.running, content.empty, content.version,
                       s.layout.partitions.at(s.slots[name].root).uuid.ToString()});
  }
  auto esp = EspMount::Locate(paths, s);
  if (!esp.ok()) {
    r.notes.push_back("boot entries unknown: " + esp.error().ToString());
    return r;
  }
  auto entries = ListEntries(esp->path(), r.image);
  if (!entries.ok()) {
    r.notes.push_back("boot entries unknown: " + entries.error().ToString());
    return r;
  }
  // The loader records the entry it booted; its name carries the counter at boot time.
  if (!efivar_path.empty())
    if (auto bytes = ReadFile(efivar_path); bytes.ok())
      if (auto name = BootCountFileName(*bytes))
        if (auto e = ParseEntryName(*name, r.image); e && e->version == r.version) r.running_entry = e;
  if (!r.running_entry) r.running_entry = FindEntry(*entries, r.version);
  for (const BootEntry& e : *entries) {
    if (!e.counting() || e.bad() || channel::CompareVersions(e.version, r.version) <= 0) continue;
    if (!r.pending || channel::CompareVersions(e.version, r.pending->version) > 0) r.pending = e;
  }
  return r;
}

namespace {

nlohmann::json EntryJson(const std::optional<BootEntry>& e) {
  if (!e) return nullptr;
  nlohmann::json j = {{"file", e->file_name}, {"version", e->version}};
  j["tries_left"] = e->tries_left ? nlohmann::json(*e->tries_left) : nlohmann::json(nullptr);
  j["tries_done"] = e->tries_done ? nlohmann::json(*e->tries_done) : nlohmann::json(nullptr);
  return j;
}

std::string Counter(const BootEntry& e) {
  if (!e.counting()) return "blessed (booted well)";
  return std::to_string(*e.tries_left) + " tries left" +
         (e.tries_done ? ", " + std::to_string(*e.tries_done) + " done" : std::string());
}

// Prometheus label values escape backslash, double quote and newline.
std::string LabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string StatusJson(const StatusReport& r) {
  nlohmann::json slots = nlohmann::json::array();
  for (const auto& s : r.slots)
    slots.push_back({{"name", s.name}, {"running", s.running}, {"empty", s.empty},
                     {"version", s.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.version)},
                     {"root_partition_uuid", s.root_partition_uuid}});
  nlohmann::json j = {{"image", r.image},
                      {"version", r.version},
                      {"architecture", r.architecture},
                      {"root_hash", r.root_hash},
                      {"channel", r.channel},
                      {"running_slot", r.running_slot.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.running_slot)},
                      {"slots", slots},
                      {"running_entry", EntryJson(r.running_entry)},
                      {"pending", EntryJson(r.pending)},
                      {"notes", r.notes}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string StatusText(const StatusReport& r) {
  std::string out = "image:     " + r.image + "\nversion:   " + r.version + "\nroot hash: " + r.root_hash + "\n";
  out += "slot:      " + (r.running_slot.empty() ? std::string("unknown") : r.running_slot) + "\n";
  if (r.running_entry) out += "entry:     " + r.running_entry->file_name + " (" + Counter(*r.running_entry) + ")\n";
  for (const auto& s : r.slots)
    out += "slot " + s.name + ":    " + (s.empty ? std::string("empty") : s.version.empty() ? "unrecognised" : s.version) +
           (s.running ? " (running)" : "") + "\n";
  out += "pending:   " + (r.pending ? r.pending->version + " (" + r.pending->file_name + ", " + Counter(*r.pending) + ")"
                                    : std::string("nothing")) + "\n";
  if (!r.channel.empty()) out += "channel:   " + r.channel + "\n";
  for (const auto& n : r.notes) out += "note:      " + n + "\n";
  return out;
}

std::string PrometheusText(const StatusReport& r) {
  return "# HELP kiln_build_info The kiln build this machine runs.\n# TYPE kiln_build_info gauge\n"
         "kiln_build_info{image=\"" + LabelValue(r.image) + "\",version=\"" + LabelValue(r.version) +
         "\",roothash=\"" + LabelValue(r.root_hash) + "\"} 1\n";
}

}  // namespace kiln::update_agent
