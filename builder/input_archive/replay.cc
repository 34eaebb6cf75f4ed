#include "builder/input_archive/replay.h"

#include <algorithm>
#include <map>
#include <set>

#include "builder/common/confined_file.h"
#include "builder/common/text_escape.h"
#include "builder/common/unique_fd.h"
#include "builder/sources/lock_file.h"

namespace kiln::input_archive {

namespace fs = std::filesystem;

namespace {

// Inputs that live beside the recipe and are laid out again; the others are supplied to the
// build on demand.
bool IsRecipeTreeKind(const std::string& kind) {
  return kind == "recipe" || kind == "file" || kind == "overlay" || kind == "data-seed";
}

}  // namespace

Result<RecipeRelativePath> SplitRecipeRelative(std::string_view path) {
  RecipeRelativePath r;
  while (path.starts_with("../")) {
    ++r.up;
    path.remove_prefix(3);
  }
  if (r.up > 64 || !IsConfinedRelativePath(path))
    return MakeError(ErrorCode::kInput, "'" + EscapeForTerminal(path) + "' is not a path relative to the recipe");
  r.rest = path;
  return r;
}

Result<Replay> PrepareReplay(const fs::path& archive_dir, const manifest::BuildManifest& m, const fs::path& work_dir) {
  Replay out;
  KILN_ASSIGN_OR_RETURN(out.reader, ArchiveReader::Open(archive_dir));
  const ArchiveIndex& index = out.reader->index();
  for (const auto& in : m.inputs) {
    if (in.kind == "debian-suite")
      return MakeError(ErrorCode::kInput, "the manifest records an unlocked Debian base (" + in.uri +
                                              "): only a locked build can be rebuilt from an input archive");
    const ArchiveEntry* e = FindEntry(index, in.kind, in.uri);
    if (!e || e->sha256 != in.sha256)
      return MakeError(ErrorCode::kInput, "input " + in.kind + " " + EscapeForTerminal(in.uri) + " (sha256 " + in.sha256 +
                                              ") is missing from the input archive " + archive_dir.string() +
                                              (e ? " (it holds sha256 " + e->sha256 + ")" : ""));
  }
  // Only what the manifest records is laid out (each checked above): an entry it does not
  // record could land inside a recorded directory ("../r0/..." is the recipe directory) and
  // add files to it unseen.
  std::set<std::pair<std::string, std::string>> recorded;
  for (const auto& in : m.inputs) recorded.insert({in.kind, in.uri});
  // The recipe directory sits as many levels below work_dir as the deepest "../" needs.
  std::vector<std::pair<const ArchiveEntry*, RecipeRelativePath>> tree;
  std::size_t depth = 0;
  for (const auto& e : index.entries) {
    if (!IsRecipeTreeKind(e.kind) || !recorded.count({e.kind, e.name})) continue;
    KILN_ASSIGN_OR_RETURN(RecipeRelativePath p, SplitRecipeRelative(e.name).WithContext("input " + e.kind));
    depth = std::max(depth, p.up);
    tree.emplace_back(&e, std::move(p));
  }
  auto root_path = [depth](const RecipeRelativePath& p) {
    std::string s;
    for (std::size_t i = 0; i < depth - p.up; ++i) s += "r" + std::to_string(i) + "/";
    return s + p.rest;
  };
  KILN_ASSIGN_OR_RETURN(UniqueFd root, OpenDirectory(work_dir));
  // Directories first, so a [[file]] source inside an overlay finds its identical copy there.
  std::stable_sort(tree.begin(), tree.end(), [](const auto& a, const auto& b) { return a.first->is_tree > b.first->is_tree; });
  for (const auto& [e, p] : tree) {
    if (e->is_tree) KILN_TRY(out.reader->MaterializeTree(*e, root.get(), root_path(p)));
    else KILN_TRY(out.reader->MaterializeFile(*e, root.get(), root_path(p), 0644));
  }
  KILN_ASSIGN_OR_RETURN(RecipeRelativePath main, SplitRecipeRelative(m.recipe).WithContext("the manifest's recipe"));
  if (main.up != 0 || main.rest.find('/') != std::string::npos || !FindEntry(index, "recipe", m.recipe))
    return MakeError(ErrorCode::kInput, "the recipe " + EscapeForTerminal(m.recipe) + " is missing from the input archive " +
                                            archive_dir.string());
  out.recipe = work_dir / root_path(main);
  for (const auto& in : m.inputs)
    if (in.kind == "debian-lock")
      KILN_TRY(out.reader->SupplyFile(in.kind, in.uri, in.sha256, sources::LockPathFor(out.recipe)));
  return out;
}

}  // namespace kiln::input_archive
