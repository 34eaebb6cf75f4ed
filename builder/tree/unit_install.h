// The parts of a systemd unit file that `systemctl enable` reads: unit names (prefix,
// instance, suffix), the [Install] section (WantedBy=, RequiredBy=, Also=, Alias=,
// DefaultInstance=) and the few specifiers allowed in it. Parsed the way systemd's config
// parser reads unit files (systemd.syntax(7)): comments, line continuations, empty
// assignments resetting lists. Used by services.cc, which applies [services] enable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln::tree {

struct InstallSection {
  std::vector<std::string> wanted_by;
  std::vector<std::string> required_by;
  std::vector<std::string> also;
  std::vector<std::string> alias;
  std::string default_instance;
  bool operator==(const InstallSection&) const = default;
};

// Reads the [Install] section of a unit file (empty when there is none); other sections and
// unknown keys are ignored, as systemctl does.
InstallSection ParseInstallSection(std::string_view unit_text);

// Whether systemctl would find anything to do (its "no installation config" check).
bool HasInstallConfig(const InstallSection& install);

// "getty@tty1.service" -> {"getty", "tty1", "service"}; "getty@.service" -> instance "" and
// is_template; "sshd.service" -> no '@'. nullopt when the name is not a valid unit name.
struct UnitName {
  std::string prefix;
  std::string instance;
  std::string suffix;  // without the dot: "service", "target", ...
  bool has_at = false;
  bool is_template() const { return has_at && instance.empty(); }
  bool is_instance() const { return has_at && !instance.empty(); }
  std::string Template() const { return prefix + "@." + suffix; }  // only when has_at
  std::string WithInstance(std::string_view i) const { return prefix + "@" + std::string(i) + "." + suffix; }
};
std::optional<UnitName> ParseUnitName(std::string_view name);

// Expands the specifiers systemctl expands in [Install] values: %n (full name), %N (name
// without suffix), %p (prefix), %i (instance), %j (last '-' component of the prefix), %%.
// Any other specifier is an error naming it (they depend on the running host).
Result<std::string> ExpandInstallSpecifiers(std::string_view value, std::string_view unit_name);

}  // namespace kiln::tree
