// The characters each line-oriented system file forbids in the strings kiln writes into it.
// A newline in a [[user]] home would start a new /etc/passwd record (a second uid 0 account),
// a space in a mountpoint a new /etc/fstab field. The recipe loader rejects such values with
// their position; the writers (accounts, fstab, kernel command line) check again, since a
// Recipe can also be built in code.
#pragma once

#include <string>
#include <string_view>

namespace kiln {

enum class SystemField {
  kAccountField,   // a field of /etc/passwd, /etc/group, /etc/shadow, /etc/gshadow (names, gecos, shell)
  kHomeDirectory,  // an /etc/passwd home, also a tmpfiles.d path: no ':' and no whitespace
  kFstabPath,      // an /etc/fstab mount point: no whitespace, no '\' (fstab's octal escapes)
  kKernelArgument, // one kernel command line argument: whitespace only inside double quotes
  kLabel,          // a partition or file system label
  kUnitName,       // a systemd unit name: [A-Za-z0-9:_.@\-]+ with a type suffix, at most 255 bytes
};

// "" when `text` can be written as that field, else what is wrong, for example
// "contains a newline (not allowed in /etc/passwd, /etc/group and /etc/shadow fields)".
// Never echoes the text itself (it may hold terminal escapes).
std::string SystemFieldProblem(SystemField field, std::string_view text);

}  // namespace kiln
