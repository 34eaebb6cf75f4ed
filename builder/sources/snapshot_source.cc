#include "builder/sources/snapshot_source.h"

#include <algorithm>

#include "builder/common/debian_snapshot.h"

namespace kiln::sources {

namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view SchemeRest(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://", "file://"})
    if (StartsWith(url, scheme)) return url.substr(scheme.size());
  return {};
}

bool ArchiveChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '+';
}

}  // namespace

Result<std::string> SnapshotArchiveName(std::string_view mirror) {
  std::string_view rest = SchemeRest(mirror);
  const auto fail = [&] {
    return MakeError(ErrorCode::kRecipe,
                     "a snapshot needs a mirror URL whose last path segment names the archive "
                     "(like http://deb.debian.org/debian or http://security.debian.org/debian-security); "
                     "mirror is '" + std::string(mirror) + "'");
  };
  if (rest.empty()) return fail();
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const auto slash = rest.rfind('/');
  if (slash == std::string_view::npos) return fail();  // a bare host: no archive named
  const std::string_view name = rest.substr(slash + 1);
  if (name.empty() || !std::all_of(name.begin(), name.end(), ArchiveChar)) return fail();
  return std::string(name);
}

std::string SnapshotArchiveUrl(std::string_view base, std::string_view archive, std::string_view timestamp) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + "/archive/" + std::string(archive) + "/" + std::string(timestamp) + "/";
}

Result<std::string> EffectiveSnapshotMirror(const DebianBaseSpec& spec, const char* env_value) {
  if (env_value == nullptr || *env_value == '\0') return spec.snapshot_mirror;
  if (std::string why = SnapshotMirrorProblem(env_value); !why.empty())
    return MakeError(ErrorCode::kUsage, std::string(kSnapshotMirrorEnv) + ": " + why);
  return std::string(env_value);
}

Result<std::string> AptSourceFor(const DebianBaseSpec& spec, std::string_view snapshot,
                                 std::string_view mirror_base) {
  if (snapshot.empty()) return spec.mirror;
  if (!IsSnapshotTimestamp(snapshot))
    return MakeError(ErrorCode::kRecipe, "invalid snapshot '" + std::string(snapshot) +
                                             "' (expected YYYYMMDDTHHMMSSZ, UTC)");
  if (std::string why = SnapshotMirrorProblem(mirror_base); !why.empty())
    return MakeError(ErrorCode::kRecipe, "snapshot mirror '" + std::string(mirror_base) + "': " + why);
  KILN_ASSIGN_OR_RETURN(std::string archive, SnapshotArchiveName(spec.mirror));
  std::string line = "deb [check-valid-until=no] " + SnapshotArchiveUrl(mirror_base, archive, snapshot) +
                     " " + spec.suite;
  for (const auto& c : spec.components) line += " " + c;
  return line;
}

Result<std::string> LockSnapshot(const std::string& recipe_snapshot, const std::optional<std::string>& requested,
                                 std::int64_t now_unix) {
  if (!requested) return recipe_snapshot;
  std::string snapshot = *requested;
  if (snapshot.empty() || snapshot == "now") {
    // Rounded down: a readable timestamp; the service serves the newest import at or before it.
    snapshot = FormatSnapshotTimestamp(now_unix - now_unix % 3600);
  } else if (!IsSnapshotTimestamp(snapshot)) {
    return MakeError(ErrorCode::kUsage, "--snapshot '" + snapshot +
                                            "' is not a snapshot timestamp (expected YYYYMMDDTHHMMSSZ, UTC, or now)");
  }
  if (!recipe_snapshot.empty() && snapshot != recipe_snapshot)
    return MakeError(ErrorCode::kUsage, "--snapshot " + snapshot + " disagrees with the recipe's [base] snapshot = \"" +
                                            recipe_snapshot + "\" (change the recipe, or drop --snapshot)");
  return snapshot;
}

}  // namespace kiln::sources
