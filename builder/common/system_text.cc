#include "builder/common/system_text.h"

#include <cstdio>

namespace kiln {

namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool IsSpace(unsigned char c) { return c == ' ' || c == '\t'; }

std::string Describe(unsigned char c) {
  switch (c) {
    case '\n': return "a newline";
    case '\r': return "a carriage return";
    case '\t': return "a tab";
    case ' ': return "a space";
    case '\0': return "a NUL byte";
    default: break;
  }
  if (IsControl(c)) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "control byte 0x%02x", c);
    return buf;
  }
  return std::string("'") + static_cast<char>(c) + "'";
}

const char* WhereName(SystemField field) {
  switch (field) {
    case SystemField::kAccountField: return "/etc/passwd, /etc/group and /etc/shadow fields";
    case SystemField::kHomeDirectory: return "an /etc/passwd home directory";
    case SystemField::kFstabPath: return "an /etc/fstab mount point";
    case SystemField::kKernelArgument: return "a kernel command line argument";
    case SystemField::kLabel: return "a partition label";
    case SystemField::kUnitName: return "a systemd unit name";
  }
  return "";
}

bool UnitNameChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
         c == '_' || c == '.' || c == '@' || c == '-' || c == '\\';
}

// The unit types systemd 252 knows (unit-name.c's unit_type_table).
bool HasUnitSuffix(std::string_view name) {
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view type = name.substr(dot + 1);
  for (std::string_view t : {"service", "socket", "target", "device", "mount", "automount", "swap",
                             "timer", "path", "slice", "scope"})
    if (type == t) return true;
  return false;
}

std::string Forbidden(SystemField field, unsigned char c) {
  return "contains " + Describe(c) + " (not allowed in " + WhereName(field) + ")";
}

}  // namespace

std::string SystemFieldProblem(SystemField field, std::string_view text) {
  bool quoted = false;
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsControl(c)) return Forbidden(field, c);
    switch (field) {
      case SystemField::kAccountField:
        if (c == ':') return Forbidden(field, c);
        break;
      case SystemField::kHomeDirectory:
        if (c == ':' || IsSpace(c)) return Forbidden(field, c);
        break;
      case SystemField::kFstabPath:
        if (IsSpace(c) || c == '\\') return Forbidden(field, c);
        break;
      case SystemField::kKernelArgument:
        if (c == '"') quoted = !quoted;
        if (IsSpace(c) && !quoted) return Forbidden(field, c) + "; give each argument its own string";
        break;
      case SystemField::kLabel:
        break;
      case SystemField::kUnitName:
        if (!UnitNameChar(c)) return Forbidden(field, c);
        break;
    }
  }
  if (field == SystemField::kKernelArgument && quoted) return "has an unbalanced '\"'";
  if (field == SystemField::kUnitName) {
    if (text.size() > 255) return "is longer than 255 bytes (systemd's limit for unit names)";
    if (!HasUnitSuffix(text)) return "has no unit type suffix such as .service, .socket or .timer";
  }
  return "";
}

}  // namespace kiln
