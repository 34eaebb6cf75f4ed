// The CPU architecture an image is built for. A common value type rather than part of the
// recipe: disk (partition types), bootloader (EFI file names), oci (platform) and sources
// (Debian architectures) each need it without depending on the recipe parser.
#pragma once

namespace kiln {

enum class Architecture { kX86_64, kArm64 };

const char* ArchitectureName(Architecture a);  // "x86-64", "arm64"
Architecture HostArchitecture();

}  // namespace kiln
