#include "builder/pipeline/build_inputs.h"

#include <sys/stat.h>

#include <algorithm>

#include "builder/common/files.h"
#include "builder/common/sha256.h"

namespace kiln::pipeline {

namespace fs = std::filesystem;

namespace {

Status ListDirectory(const fs::path& root, const fs::path& rel, std::string& out) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::directory_iterator(root / rel, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) return MakeError(ErrorCode::kInput, "cannot list " + (root / rel).string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  for (auto& name : names) {
    fs::path r = rel / name;
    fs::path full = root / r;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) return MakeError(ErrorCode::kInput, "cannot stat " + full.string());
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    if (S_ISDIR(st.st_mode)) {
      out += "d " + std::string(mode) + " " + r.string() + "\n";
      KILN_TRY(ListDirectory(root, r, out));
    } else if (S_ISLNK(st.st_mode)) {
      out += "l " + r.string() + " " + fs::read_symlink(full, ec).string() + "\n";
    } else if (S_ISREG(st.st_mode)) {
      KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(full));
      out += "f " + std::string(mode) + " " + r.string() + " " + ToHex(d) + "\n";
    } else {
      out += "o " + std::string(mode) + " " + r.string() + "\n";
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::string> DigestDirectory(const fs::path& dir) {
  std::string listing;
  KILN_TRY(ListDirectory(dir, fs::path(), listing));
  return ToHex(Sha256Of(listing));
}

std::string RelativeToRecipe(const recipe::Recipe& recipe, const fs::path& p) {
  return p.lexically_relative(recipe.directory).generic_string();
}

Result<std::string> RecipeDigest(const recipe::Recipe& recipe) {
  Sha256 h;
  for (auto& f : recipe.included) {
    KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(f));
    h.Update(RelativeToRecipe(recipe, f));
    h.Update("\n", 1);
    h.Update(ToHex(Sha256Of(text)));
    h.Update("\n", 1);
  }
  return ToHex(h.Finish());
}

Result<std::vector<manifest::InputEntry>> RecipeInputs(const recipe::Recipe& recipe, InputHooks* capture) {
  std::vector<manifest::InputEntry> inputs;
  auto file = [&](const char* kind, const fs::path& p) -> Status {
    KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(p));
    inputs.push_back({kind, RelativeToRecipe(recipe, p), ToHex(d)});
    if (capture) return capture->CaptureFile(kind, inputs.back().uri, p, inputs.back().sha256);
    return OkStatus();
  };
  auto directory = [&](const char* kind, const fs::path& p) -> Status {
    KILN_ASSIGN_OR_RETURN(std::string d, DigestDirectory(p));
    inputs.push_back({kind, RelativeToRecipe(recipe, p), d});
    if (capture) return capture->CaptureDirectory(kind, inputs.back().uri, p, d);
    return OkStatus();
  };
  for (auto& f : recipe.included) KILN_TRY(file("recipe", f));
  for (auto& o : recipe.overlays) KILN_TRY(directory("overlay", o.source));
  for (auto& e : recipe.entries)
    if (e.source) KILN_TRY(file("file", *e.source));
  if (recipe.data && recipe.data->seed) KILN_TRY(directory("data-seed", *recipe.data->seed));
  return inputs;
}

Seed ComputeSeed(const std::vector<manifest::InputEntry>& inputs, std::int64_t source_date_epoch) {
  Sha256 h;
  h.Update("kiln-seed-v1\n");
  for (auto& i : inputs) h.Update(i.kind + " " + i.uri + " " + i.sha256 + "\n");
  h.Update("source-date-epoch " + std::to_string(source_date_epoch) + "\n");
  Digest d = h.Finish();
  Seed s{};
  std::copy(d.begin(), d.begin() + 16, s.begin());
  return s;
}

Result<BuildIdentity> IdentifyBuild(const recipe::Recipe& recipe, const std::vector<manifest::InputEntry>& base_inputs,
                                    std::int64_t source_date_epoch, InputHooks* capture) {
  BuildIdentity id;
  KILN_ASSIGN_OR_RETURN(id.inputs, RecipeInputs(recipe, capture));
  id.inputs.insert(id.inputs.end(), base_inputs.begin(), base_inputs.end());
  id.seed = ComputeSeed(id.inputs, source_date_epoch);
  return id;
}

}  // namespace kiln::pipeline
