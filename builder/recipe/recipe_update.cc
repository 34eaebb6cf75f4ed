// [update]: A/B slots and the release channel (docs/updates.md), and what an updatable image
// needs of the other sections.
#include <algorithm>
#include <set>

#include "builder/common/system_text.h"
#include "builder/recipe/recipe_sections.h"

namespace kiln::recipe {

namespace {

constexpr std::size_t kMaxChannelLength = 2048;
constexpr std::uint64_t kMiB = 1ULL << 20;

// The agent appends payload file names to the channel URL, so it names a directory: no
// query, fragment, spaces or control characters, and a final '/'.
std::string ChannelProblem(std::string_view url) {
  if (url.size() > kMaxChannelLength) return "is longer than " + std::to_string(kMaxChannelLength) + " bytes";
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return "must be an http:// or https:// URL, got '" + std::string(url) + "'";
  }
  if (rest.empty() || rest.front() == '/') return "has no host: '" + std::string(url) + "'";
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\')
      return "must be plain ASCII without spaces, quotes or backslashes";
    if (c == '?' || c == '#') return "must not have a query or fragment ('" + std::string(1, c) + "')";
  }
  if (!url.ends_with("/")) return "must name a directory and end with '/': '" + std::string(url) + "'";
  return "";
}

}  // namespace

Status ParseUpdate(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader update, top.SubTable("update"));
  if (!update.present()) return OkStatus();
  KILN_TRY(update.CheckKeys({"channel", "slot_size", "tries", "health"}));
  KILN_TRY(update.Require("channel"));
  KILN_TRY(update.Require("slot_size"));
  UpdateSection out;
  out.pos = update.pos();
  KILN_TRY(update.ReadString("channel", &out.channel, ChannelProblem));
  std::optional<std::uint64_t> slot_size;
  KILN_TRY(update.ReadSize("slot_size", &slot_size));
  if (*slot_size == 0 || *slot_size % kMiB != 0)
    return update.KeyError("slot_size", "must be a positive whole number of MiB, got " +
                                            std::to_string(*slot_size) + " bytes");
  out.slot_size = *slot_size;
  std::optional<std::int64_t> tries;
  KILN_TRY(update.ReadInt("tries", 1, 15, &tries));
  if (tries) out.tries = static_cast<unsigned>(*tries);
  KILN_TRY(update.ReadStringArray("health", &out.health, [](std::string_view v) -> std::string {
    if (v.empty()) return "invalid unit name ''";
    if (std::string why = SystemFieldProblem(SystemField::kUnitName, v); !why.empty())
      return "invalid unit name: " + why;
    return "";
  }));
  std::set<std::string> seen;
  for (const std::string& unit : out.health)
    if (!seen.insert(unit).second) return update.KeyError("health", "unit '" + unit + "' is listed twice");
  recipe->update = std::move(out);
  return OkStatus();
}

Status CheckUpdateNeeds(const Recipe& recipe) {
  if (!recipe.update) return OkStatus();
  const SourcePos& pos = recipe.update->pos;
  if (recipe.boot.loader != "systemd-boot")
    return RecipeError(pos, "[update] needs [boot] loader = \"systemd-boot\" (its boot counting falls back "
                            "to the previous version)");
  if (!recipe.data)
    return RecipeError(pos, "[update] needs a [data] partition (it keeps the machine's state across versions)");
  return OkStatus();
}

}  // namespace kiln::recipe
