#include "builder/recipe/recipe_parser.h"

#include <algorithm>
#include <limits>
#include <system_error>

#include "builder/common/compression.h"
#include "builder/common/files.h"
#include "builder/common/debian_snapshot.h"
#include "builder/common/system_text.h"
#include "builder/recipe/recipe_loader.h"
#include "builder/recipe/recipe_sections.h"
#include "builder/recipe/recipe_values.h"
#include "builder/recipe/table_reader.h"

namespace kiln::recipe {

namespace fs = std::filesystem;

namespace {

std::string NonEmpty(std::string_view v) { return v.empty() ? "must not be empty" : ""; }

bool IsUrl(std::string_view s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 || s.rfind("file://", 0) == 0;
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// "pkcs11:token=...;object=..." names a key held by an OpenSSL provider, not a file.
bool IsProviderUri(std::string_view s) {
  return s.find(':') != std::string_view::npos && !s.empty() && s[0] != '/' && s[0] != '.';
}

Status ParseImage(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader image, top.SubTable("image"));
  KILN_TRY(image.CheckKeys({"name", "version", "architecture", "source_date_epoch"}));
  KILN_TRY(image.Require("name"));
  KILN_TRY(image.Require("version"));
  ImageSection& out = recipe->image;
  KILN_TRY(image.ReadString("name", &out.name, [](std::string_view v) -> std::string {
    if (IsValidImageName(v)) return "";
    return "invalid name '" + std::string(v) + "' (expected [a-z0-9][a-z0-9._-]*)";
  }));
  KILN_TRY(image.ReadString("version", &out.version, [](std::string_view v) -> std::string {
    if (IsValidVersion(v)) return "";
    return "invalid version '" + std::string(v) + "' (expected [A-Za-z0-9._+~-]+)";
  }));
  std::string arch = ArchitectureName(HostArchitecture());
  KILN_TRY(image.ReadChoice("architecture", &arch, {"x86-64", "arm64"}));
  out.architecture = arch == "arm64" ? Architecture::kArm64 : Architecture::kX86_64;
  KILN_TRY(image.ReadInt("source_date_epoch", 0, std::numeric_limits<std::int64_t>::max(),
                         &out.source_date_epoch));
  return OkStatus();
}

Status ParseBase(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader base, top.SubTable("base"));
  KILN_TRY(base.CheckKeys({"type", "source", "sha256", "suite", "variant", "packages",
                           "components", "mirror", "apt", "snapshot", "snapshot_mirror"}));
  BaseSection& out = recipe->base;
  out.pos = base.pos();
  std::string type = "scratch";
  KILN_TRY(base.ReadChoice("type", &type, {"scratch", "tarball", "debian", "image"}));
  out.type = type == "tarball" ? BaseType::kTarball
             : type == "debian" ? BaseType::kDebian
             : type == "image"  ? BaseType::kImage
                                : BaseType::kScratch;
  // Keys of another base type are mistakes (a forgotten `type`), not silently ignored.
  bool from_file = out.type == BaseType::kTarball || out.type == BaseType::kImage;
  for (std::string_view key : {"source", "sha256"}) {
    if (!from_file && base.Find(key) != nullptr) {
      return base.KeyError(key, "only used with type = \"tarball\" or \"image\" (type is \"" +
                                    type + "\")");
    }
  }
  for (std::string_view key :
       {"suite", "variant", "packages", "components", "mirror", "apt", "snapshot", "snapshot_mirror"}) {
    if (out.type != BaseType::kDebian && base.Find(key) != nullptr) {
      return base.KeyError(key, "only used with type = \"debian\" (type is \"" + type + "\")");
    }
  }
  if (from_file) {
    KILN_TRY(base.Require("source"));
    KILN_TRY(base.ReadString("sha256", &out.sha256, [](std::string_view v) -> std::string {
      return IsLowerHex64(v) ? "" : "invalid sha256 '" + std::string(v) +
                                        "' (expected 64 lowercase hex digits)";
    }));
    const toml::node& source = *base.Find("source");
    KILN_TRY(base.ReadString("source", &out.source, NonEmpty));
    out.source_is_url = IsUrl(out.source);
    if (out.source_is_url) {
      bool remote = out.source.rfind("file://", 0) != 0;
      if (remote && out.sha256.empty()) {
        return base.ErrorAt(source, base.KeyPath("source"),
                            "a remote source needs [base].sha256 (the download is checked "
                            "against it)");
      }
    } else {
      KILN_ASSIGN_OR_RETURN(fs::path path,
                            base.ResolveHostPath(source, base.KeyPath("source"),
                                                 HostPathKind::kFile));
      out.source = path.string();
    }
  }
  if (out.type == BaseType::kDebian) {
    KILN_TRY(base.ReadString("suite", &out.suite, NonEmpty));
    KILN_TRY(base.ReadChoice("variant", &out.variant,
                             {"extract", "custom", "essential", "apt", "required", "minbase",
                              "buildd", "important", "standard"}));
    KILN_TRY(base.ReadStringArray("packages", &out.packages, NonEmpty));
    KILN_TRY(base.ReadStringArray("components", &out.components, NonEmpty));
    KILN_TRY(base.ReadString("mirror", &out.mirror, NonEmpty));
    KILN_TRY(base.ReadString("snapshot", &out.snapshot, [](std::string_view v) -> std::string {
      return IsSnapshotTimestamp(v) ? "" : "invalid snapshot '" + std::string(v) +
                                               "' (expected YYYYMMDDTHHMMSSZ, UTC, like \"20240101T000000Z\")";
    }));
    KILN_TRY(base.ReadString("snapshot_mirror", &out.snapshot_mirror, [](std::string_view v) -> std::string {
      std::string why = SnapshotMirrorProblem(v);
      return why.empty() ? "" : "invalid snapshot_mirror '" + std::string(v) + "': " + why;
    }));
    KILN_ASSIGN_OR_RETURN(TableReader apt, base.SubTable("apt"));
    KILN_TRY(apt.CheckKeys({"options", "keyrings"}));
    KILN_TRY(apt.ReadStringArray("options", &out.apt.options, NonEmpty));
    if (const toml::node* keyrings = apt.Find("keyrings")) {
      std::vector<std::string> ignored;
      KILN_TRY(apt.ReadStringArray("keyrings", &ignored, NonEmpty));  // type checks
      const toml::array& array = *keyrings->as_array();
      for (std::size_t i = 0; i < array.size(); ++i) {
        KILN_ASSIGN_OR_RETURN(
            fs::path path, apt.ResolveHostPath(array[i],
                                               apt.KeyPath("keyrings") + "[" +
                                                   std::to_string(i) + "]",
                                               HostPathKind::kFile));
        out.apt.keyrings.push_back(path.string());
      }
    }
  }
  return OkStatus();
}

Status ParseRoot(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader root, top.SubTable("root"));
  KILN_TRY(root.CheckKeys({"compression", "compression_level", "block_size"}));
  RootSection& out = recipe->root;
  std::string compression = "zstd";
  KILN_TRY(root.ReadChoice("compression", &compression, {"zstd", "xz", "gzip", "lz4"}));
  out.compression = compression == "xz"     ? Compression::kXz
                    : compression == "gzip" ? Compression::kGzip
                    : compression == "lz4"  ? Compression::kLz4
                                            : Compression::kZstd;
  if (const toml::node* level = root.Find("compression_level")) {
    const std::optional<CompressionLevels> range = CompressionLevelRange(out.compression);
    if (!range) {
      return root.ErrorAt(*level, root.KeyPath("compression_level"),
                          "lz4 takes no compression level");
    }
    const int min = range->min, max = range->max;
    if (!level->is_integer()) {
      std::optional<std::int64_t> unused;
      return root.ReadInt("compression_level", 0, 0, &unused);  // the type error
    }
    std::int64_t v = *level->value_exact<std::int64_t>();
    if (v < min || v > max) {
      return root.ErrorAt(*level, root.KeyPath("compression_level"),
                          "level " + std::to_string(v) + " out of range for " + compression +
                              " (" + std::to_string(min) + ".." + std::to_string(max) + ")");
    }
    out.compression_level = static_cast<int>(v);
  }
  std::optional<std::uint64_t> block_size;
  KILN_TRY(root.ReadSize("block_size", &block_size));
  if (block_size) {
    std::uint64_t b = *block_size;
    if (b < 4096 || b > 1024 * 1024 || (b & (b - 1)) != 0) {
      return root.KeyError("block_size", "must be a power of two from 4K to 1M, got " +
                                             std::to_string(b));
    }
    out.block_size = static_cast<std::uint32_t>(b);
  }
  return OkStatus();
}

Status ParseOutput(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader output, top.SubTable("output"));
  KILN_TRY(output.CheckKeys({"formats", "vmdk_subformat"}));
  std::vector<std::string> formats;
  KILN_TRY(output.ReadStringArray("formats", &formats, [](std::string_view v) -> std::string {
    if (OutputFormatFromName(v)) return "";
    std::string allowed;
    for (OutputFormat f : AllOutputFormats()) allowed += std::string(allowed.empty() ? "" : ", ") + OutputFormatName(f);
    return "invalid value '" + std::string(v) + "' (allowed: " + allowed + ")";
  }));
  KILN_TRY(output.ReadChoice("vmdk_subformat", &recipe->output.vmdk_subformat,
                             {"monolithicSparse", "streamOptimized"}));
  if (const toml::node* node = output.Find("formats")) {
    if (formats.empty()) return output.KeyError("formats", "must list at least one format");
    for (std::size_t i = 1; i < formats.size(); ++i) {
      if (std::find(formats.begin(), formats.begin() + static_cast<std::ptrdiff_t>(i),
                    formats[i]) != formats.begin() + static_cast<std::ptrdiff_t>(i)) {
        return output.ErrorAt((*node->as_array())[i],
                              output.KeyPath("formats") + "[" + std::to_string(i) + "]",
                              "duplicate format '" + formats[i] + "'");
      }
    }
    recipe->output.formats.clear();
    for (const std::string& f : formats) recipe->output.formats.push_back(*OutputFormatFromName(f));
  }
  return OkStatus();
}

Status ParseData(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader data, top.SubTable("data"));
  if (!data.present()) return OkStatus();
  KILN_TRY(data.CheckKeys({"size", "filesystem", "label", "mountpoint", "seed"}));
  KILN_TRY(data.Require("size"));
  DataSection out;
  std::optional<std::uint64_t> size;
  KILN_TRY(data.ReadSize("size", &size));
  if (*size == 0) return data.KeyError("size", "must be greater than zero");
  out.size = *size;
  KILN_TRY(data.ReadChoice("filesystem", &out.filesystem, {"ext4"}));
  KILN_TRY(data.ReadString("label", &out.label, [](std::string_view v) -> std::string {
    if (v.empty() || v.size() > 16)
      return "label must be 1 to 16 bytes (ext4 limit), got " + std::to_string(v.size());
    return SystemFieldProblem(SystemField::kLabel, v);
  }));
  KILN_TRY(data.ReadImagePath("mountpoint", &out.mountpoint));
  if (std::string why = SystemFieldProblem(SystemField::kFstabPath, out.mountpoint); !why.empty())
    return data.KeyError("mountpoint", why);
  if (out.mountpoint == "/") return data.KeyError("mountpoint", "the data partition cannot be /");
  KILN_TRY(data.ReadHostPath("seed", HostPathKind::kDirectory, &out.seed));
  recipe->data = std::move(out);
  return OkStatus();
}

Status ParseDisk(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader disk, top.SubTable("disk"));
  KILN_TRY(disk.CheckKeys({"size", "esp_size"}));
  const toml::node* size = disk.Find("size");
  if (size != nullptr && !(size->is_string() && *size->value_exact<std::string>() == "auto")) {
    KILN_TRY(disk.ReadSize("size", &recipe->disk.size));
    if (*recipe->disk.size == 0) return disk.KeyError("size", "must be \"auto\" or greater than zero");
  }
  std::optional<std::uint64_t> esp;
  KILN_TRY(disk.ReadSize("esp_size", &esp));
  if (esp) recipe->disk.esp_size = *esp;
  return OkStatus();
}

Status ParseSigning(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader signing, top.SubTable("signing"));
  KILN_TRY(signing.CheckKeys({"key", "certificate", "secure_boot"}));
  SigningSection& out = recipe->signing;
  // The files need not exist yet: `kiln build --key/--cert` override them.
  for (std::string_view key : {"key", "certificate"}) {
    const toml::node* node = signing.Find(key);
    if (node == nullptr) continue;
    std::string text;
    KILN_TRY(signing.ReadString(key, &text, NonEmpty));
    std::string value = text;
    if (!IsProviderUri(text)) {
      KILN_ASSIGN_OR_RETURN(fs::path path, signing.ResolveHostPath(*node, signing.KeyPath(key),
                                                                   HostPathKind::kUnchecked));
      value = path.string();
    }
    if (key == "key") {
      out.key = value;
    } else {
      out.certificate = fs::path(value);
    }
  }
  KILN_TRY(signing.ReadBool("secure_boot", &out.secure_boot));
  return OkStatus();
}

std::string CheckEnv(std::string_view v) {
  std::size_t eq = v.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return "invalid environment entry '" + std::string(v) + "' (expected \"KEY=VALUE\")";
  }
  return "";
}

std::string CheckPort(std::string_view v) {
  auto bad = [&] {
    return "invalid port '" + std::string(v) + "' (expected \"N/tcp\" or \"N/udp\", N 1..65535)";
  };
  std::size_t slash = v.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash > 5) return bad();
  std::string_view proto = v.substr(slash + 1);
  if (proto != "tcp" && proto != "udp") return bad();
  unsigned n = 0;
  for (char c : v.substr(0, slash)) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n >= 1 && n <= 65535 ? "" : bad();
}

Status ParseContainer(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader container, top.SubTable("container"));
  if (!container.present()) return OkStatus();
  KILN_TRY(container.CheckKeys({"entrypoint", "cmd", "env", "user", "workdir", "ports", "labels",
                                "layers", "compression"}));
  ContainerSection out;
  KILN_TRY(container.ReadStringArray("entrypoint", &out.entrypoint));
  KILN_TRY(container.ReadStringArray("cmd", &out.cmd));
  KILN_TRY(container.ReadStringArray("env", &out.env, CheckEnv));
  KILN_TRY(container.ReadString("user", &out.user, NonEmpty));
  if (container.Find("workdir") != nullptr) {
    KILN_TRY(container.ReadImagePath("workdir", &out.workdir));
  }
  KILN_TRY(container.ReadStringArray("ports", &out.ports, CheckPort));
  if (const toml::node* labels = container.Find("labels")) {
    std::string path = container.KeyPath("labels");
    if (!labels->is_table()) {
      return container.ErrorAt(*labels, path, "expected a table of strings");
    }
    for (const auto& [key, value] : *labels->as_table()) {
      std::string item = path + ".\"" + std::string(key.str()) + "\"";
      if (!value.is_string()) return container.ErrorAt(value, item, "expected a string");
      out.labels[std::string(key.str())] = *value.value_exact<std::string>();
    }
  }
  std::string layers = "single", compression = "gzip";
  KILN_TRY(container.ReadChoice("layers", &layers, {"single", "per-source"}));
  KILN_TRY(container.ReadChoice("compression", &compression, {"gzip", "zstd"}));
  out.layers = layers == "per-source" ? oci::LayerMode::kPerSource : oci::LayerMode::kSingle;
  out.compression = compression == "zstd" ? oci::LayerCompression::kZstd : oci::LayerCompression::kGzip;
  recipe->container = std::move(out);
  return OkStatus();
}

Status ParseBoot(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader boot, top.SubTable("boot"));
  KILN_TRY(boot.CheckKeys({"loader", "kernel_cmdline"}));
  std::string loader = BootLoaderName(recipe->boot.loader);
  KILN_TRY(boot.ReadChoice("loader", &loader, {"systemd-boot", "none"}));
  recipe->boot.loader = loader == "systemd-boot" ? BootLoader::kSystemdBoot : BootLoader::kNone;
  KILN_TRY(boot.ReadStringArray("kernel_cmdline", &recipe->boot.kernel_cmdline,
                                [](std::string_view v) -> std::string {
                                  if (v.empty()) return "must not be empty";
                                  return SystemFieldProblem(SystemField::kKernelArgument, v);
                                }));
  return OkStatus();
}

Status ParseServices(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader services, top.SubTable("services"));
  KILN_TRY(services.CheckKeys({"enable"}));
  KILN_TRY(services.ReadStringArray("enable", &recipe->services_enable,
                                    [](std::string_view v) -> std::string {
                                      if (v.empty()) return "invalid unit name ''";
                                      if (std::string why = SystemFieldProblem(SystemField::kUnitName, v);
                                          !why.empty())
                                        return "invalid unit name: " + why;
                                      return "";
                                    }));
  const toml::node* enable = services.Find("enable");
  recipe->services_pos = enable ? services.PosOf(*enable) : services.pos();
  return OkStatus();
}

Result<Recipe> Validate(MergedToml& merged, const fs::path& file) {
  TableReader top(&merged.root, "", &merged.files);
  KILN_TRY(top.CheckKeys({"include", "image", "base", "overlay", "file", "directory", "symlink",
                          "root", "output", "data", "disk", "signing", "container", "boot",
                          "user", "group", "services", "vm", "update"}));
  Recipe recipe;
  recipe.file = fs::absolute(file).lexically_normal();
  recipe.directory = recipe.file.parent_path();
  recipe.included = merged.included;
  KILN_TRY(ParseImage(top, &recipe));
  KILN_TRY(ParseBase(top, &recipe));
  KILN_TRY(ParseOverlays(top, &recipe));
  KILN_TRY(ParseEntries(top, &recipe));
  KILN_TRY(ParseRoot(top, &recipe));
  KILN_TRY(ParseOutput(top, &recipe));
  KILN_TRY(ParseVm(top, &recipe));
  KILN_TRY(ParseData(top, &recipe));
  KILN_TRY(ParseDisk(top, &recipe));
  KILN_TRY(ParseSigning(top, &recipe));
  KILN_TRY(ParseContainer(top, &recipe));
  KILN_TRY(ParseBoot(top, &recipe));
  KILN_TRY(ParseAccounts(top, &recipe));
  KILN_TRY(ParseServices(top, &recipe));
  KILN_TRY(ParseUpdate(top, &recipe));
  KILN_TRY(CheckUpdateNeeds(recipe));
  // Defaults that depend on other sections are applied here, once, so no stage changes the recipe.
  if (recipe.boot.loader != BootLoader::kNone && recipe.disk.esp_size == 0) recipe.disk.esp_size = kDefaultEspSize;
  return recipe;
}

}  // namespace

Result<Recipe> ParseRecipe(std::string_view text, const fs::path& file) {
  KILN_ASSIGN_OR_RETURN(MergedToml merged, LoadMergedToml(text, file));
  return Validate(merged, file);
}

Result<Recipe> LoadRecipe(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return MakeError(ErrorCode::kRecipe, file.string() + ": no such file");
  Result<std::string> text = ReadFile(file);
  if (!text.ok()) return MakeError(ErrorCode::kRecipe, text.error().message);
  return ParseRecipe(*text, file);
}

}  // namespace kiln::recipe
