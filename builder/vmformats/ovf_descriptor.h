// The OVF 1.0 descriptor (DMTF DSP0243 1.0, the version every importer reads) of a one-disk
// virtual machine: the streamOptimized VMDK in References and DiskSection (with its capacity),
// a network, and a modest VirtualHardwareSection (CPUs, memory, a SATA controller with the
// disk, one NIC) plus VMware's EFI firmware setting when the image boots with UEFI.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::vmformats {

struct OvfParams {
  std::string name;         // virtual system name (the image name)
  std::string version;      // image version (in the product section)
  std::string disk_file;    // the VMDK's file name inside the OVA
  std::uint64_t disk_file_size = 0;
  std::uint64_t capacity = 0;  // virtual disk size, bytes
  bool efi = false;
  unsigned cpus = 2;
  std::uint64_t memory_mib = 2048;
};

std::string MakeOvfDescriptor(const OvfParams& p);

// XML-escapes text for element content and attribute values.
std::string XmlEscape(const std::string& text);

}  // namespace kiln::vmformats
