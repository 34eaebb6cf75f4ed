#include "builder/vm/qemu_command.h"

#include <sys/utsname.h>

#include <fstream>

#include "builder/artifacts/artifacts.h"

namespace kiln::vm {

namespace fs = std::filesystem;

const char* AccelName(Accel a) { return a == Accel::kKvm ? "kvm" : "tcg"; }

Result<ArchProfile> ProfileFor(const std::string& arch) {
  if (arch == "x86_64") return ArchProfile{"x86_64", "qemu-system-x86_64", "q35", "max", "x86_64"};
  // AAVMF needs its pflash images padded to 64 MiB; done when aarch64 images exist.
  if (arch == "aarch64") return ArchProfile{"aarch64", "qemu-system-aarch64", "virt", "max", "aarch64"};
  return MakeError(ErrorCode::kInput, "cannot boot architecture '" + arch + "' (x86_64 or aarch64)");
}

std::string HostArch() {
  struct utsname u {};
  if (::uname(&u) != 0) return "unknown";
  std::string m = u.machine;
  return m == "arm64" ? "aarch64" : m;
}

Result<std::string> DetectDiskFormat(const fs::path& image) {
  std::ifstream in(image, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kInput, "cannot open disk image " + image.string());
  char magic[4] = {};
  in.read(magic, sizeof magic);
  std::string m(magic, static_cast<std::size_t>(in.gcount()));
  if (m == std::string("QFI\xfb", 4)) return std::string("qcow2");
  if (m == "KDMV") return std::string("vmdk");
  if (const auto* kind = artifacts::KindOfFile(image.filename().string()); kind && kind->format == "qcow2")
    return MakeError(ErrorCode::kInput, image.string() + " is named .qcow2 but is not a qcow2 image");
  if (fs::file_size(image) < 512 * 34)
    return MakeError(ErrorCode::kInput, image.string() + " is too small to hold a GPT disk");
  return std::string("raw");
}

std::vector<std::string> BuildQemuArgv(const QemuCommand& c) {
  std::vector<std::string> a = {c.profile.qemu_binary, "-no-user-config", "-nodefaults"};
  a.insert(a.end(), {"-machine", c.profile.machine, "-accel", AccelName(c.accel)});
  a.insert(a.end(), {"-cpu", c.accel == Accel::kKvm ? "host" : c.profile.cpu_tcg});
  a.insert(a.end(), {"-m", std::to_string(c.memory_mib), "-smp", std::to_string(c.cpus)});
  a.insert(a.end(), {"-display", "none"});
  a.insert(a.end(), {"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + c.firmware_code.string()});
  a.insert(a.end(), {"-drive", "if=pflash,format=raw,unit=1,file=" + c.firmware_vars.string()});
  if (!c.disk.empty()) {
    // QEMU's -drive option syntax doubles commas inside values.
    std::string file;
    for (char ch : c.disk.string()) file += ch == ',' ? std::string(",,") : std::string(1, ch);
    std::string drive = "if=none,id=disk0,discard=unmap,format=" + c.disk_format + ",file=" + file;
    if (c.snapshot) drive += ",snapshot=on";
    a.insert(a.end(), {"-drive", drive, "-device", "virtio-blk-pci,drive=disk0,bootindex=1"});
  }
  // The guest's entropy at boot; systemd's random seed and dm-verity setup never wait on it.
  a.insert(a.end(), {"-device", "virtio-rng-pci"});
  // signal=on: Ctrl-C on an attached terminal stops kiln boot (and with it the VM).
  a.insert(a.end(), {"-chardev", "stdio,id=console,signal=on", "-serial", "chardev:console"});
  if (!c.qmp_socket.empty()) a.insert(a.end(), {"-qmp", "unix:" + c.qmp_socket.string() + ",server=on,wait=off"});
  if (c.no_reboot) a.push_back("-no-reboot");
  a.insert(a.end(), c.extra_args.begin(), c.extra_args.end());
  return a;
}

std::string QuoteArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& s : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=,.:/@+") == std::string::npos;
    if (plain) {
      out += s;
    } else {
      out += '\'';
      for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
      out += '\'';
    }
  }
  return out;
}

}  // namespace kiln::vm
