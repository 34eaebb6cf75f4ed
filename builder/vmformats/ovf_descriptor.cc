#include "builder/vmformats/ovf_descriptor.h"

namespace kiln::vmformats {

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// One RASD item; elements in the alphabetical order the CIM schema's sequence requires.
std::string Item(const std::string& body) { return "      <Item>\n" + body + "      </Item>\n"; }
std::string Rasd(const std::string& key, const std::string& value) {
  return "        <rasd:" + key + ">" + value + "</rasd:" + key + ">\n";
}

}  // namespace

std::string MakeOvfDescriptor(const OvfParams& p) {
  const std::string name = XmlEscape(p.name);
  std::string x;
  x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<Envelope vmw:buildId=\"kiln\" xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\""
       " xmlns:cim=\"http://schemas.dmtf.org/wbem/wscim/1/common\""
       " xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\""
       " xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\""
       " xmlns:vmw=\"http://www.vmware.com/schema/ovf\""
       " xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData\""
       " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n";
  x += "  <References>\n";
  x += "    <File ovf:href=\"" + XmlEscape(p.disk_file) + "\" ovf:id=\"file1\" ovf:size=\"" +
       std::to_string(p.disk_file_size) + "\"/>\n";
  x += "  </References>\n";
  x += "  <DiskSection>\n    <Info>Virtual disk information</Info>\n";
  x += "    <Disk ovf:capacity=\"" + std::to_string(p.capacity) +
       "\" ovf:capacityAllocationUnits=\"byte\" ovf:diskId=\"vmdisk1\" ovf:fileRef=\"file1\""
       " ovf:format=\"http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized\"/>\n";
  x += "  </DiskSection>\n";
  x += "  <NetworkSection>\n    <Info>The list of logical networks</Info>\n";
  x += "    <Network ovf:name=\"VM Network\">\n      <Description>The VM Network network</Description>\n    </Network>\n";
  x += "  </NetworkSection>\n";
  x += "  <VirtualSystem ovf:id=\"" + name + "\">\n";
  x += "    <Info>A virtual machine</Info>\n";
  x += "    <Name>" + name + "</Name>\n";
  x += "    <ProductSection>\n      <Info>The image this virtual machine runs</Info>\n";
  x += "      <Product>" + name + "</Product>\n      <Version>" + XmlEscape(p.version) + "</Version>\n";
  x += "    </ProductSection>\n";
  x += "    <OperatingSystemSection ovf:id=\"101\" vmw:osType=\"other5xLinux64Guest\">\n";
  x += "      <Info>The kind of installed guest operating system</Info>\n";
  x += "    </OperatingSystemSection>\n";
  x += "    <VirtualHardwareSection>\n      <Info>Virtual hardware requirements</Info>\n";
  x += "      <System>\n";
  x += "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n";
  x += "        <vssd:InstanceID>0</vssd:InstanceID>\n";
  x += "        <vssd:VirtualSystemIdentifier>" + name + "</vssd:VirtualSystemIdentifier>\n";
  x += "        <vssd:VirtualSystemType>vmx-14</vssd:VirtualSystemType>\n";
  x += "      </System>\n";
  x += Item(Rasd("AllocationUnits", "hertz * 10^6") + Rasd("Description", "Number of Virtual CPUs") +
            Rasd("ElementName", std::to_string(p.cpus) + " virtual CPU(s)") + Rasd("InstanceID", "1") +
            Rasd("ResourceType", "3") + Rasd("VirtualQuantity", std::to_string(p.cpus)));
  x += Item(Rasd("AllocationUnits", "byte * 2^20") + Rasd("Description", "Memory Size") +
            Rasd("ElementName", std::to_string(p.memory_mib) + "MB of memory") + Rasd("InstanceID", "2") +
            Rasd("ResourceType", "4") + Rasd("VirtualQuantity", std::to_string(p.memory_mib)));
  x += Item(Rasd("Address", "0") + Rasd("Description", "SATA Controller") + Rasd("ElementName", "sataController0") +
            Rasd("InstanceID", "3") + Rasd("ResourceSubType", "vmware.sata.ahci") + Rasd("ResourceType", "20"));
  x += Item(Rasd("AddressOnParent", "0") + Rasd("ElementName", "disk0") +
            Rasd("HostResource", "ovf:/disk/vmdisk1") + Rasd("InstanceID", "4") + Rasd("Parent", "3") +
            Rasd("ResourceType", "17"));
  x += Item(Rasd("AddressOnParent", "7") + Rasd("AutomaticAllocation", "true") + Rasd("Connection", "VM Network") +
            Rasd("Description", "E1000 ethernet adapter on &quot;VM Network&quot;") + Rasd("ElementName", "ethernet0") +
            Rasd("InstanceID", "5") + Rasd("ResourceSubType", "E1000") + Rasd("ResourceType", "10"));
  if (p.efi) x += "      <vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=\"efi\"/>\n";
  x += "    </VirtualHardwareSection>\n";
  x += "  </VirtualSystem>\n";
  x += "</Envelope>\n";
  return x;
}

}  // namespace kiln::vmformats
