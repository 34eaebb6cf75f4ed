// [vm]: the virtual hardware a VM template declares (cpus, memory).
#include "builder/recipe/recipe_sections.h"

namespace kiln::recipe {

Status ParseVm(const TableReader& top, Recipe* recipe) {
  KILN_ASSIGN_OR_RETURN(TableReader vm, top.SubTable("vm"));
  if (!vm.present()) return OkStatus();
  KILN_TRY(vm.CheckKeys({"cpus", "memory"}));
  std::optional<std::int64_t> cpus;
  KILN_TRY(vm.ReadInt("cpus", 1, 128, &cpus));
  if (cpus) recipe->vm.cpus = static_cast<unsigned>(*cpus);
  std::optional<std::uint64_t> memory;
  KILN_TRY(vm.ReadSize("memory", &memory));
  if (memory) {
    constexpr std::uint64_t kMiB = 1ULL << 20;
    if (*memory % kMiB != 0) return vm.KeyError("memory", "must be a whole number of MiB, got " + std::to_string(*memory) + " bytes");
    if (*memory < 128 * kMiB || *memory > (1ULL << 40))
      return vm.KeyError("memory", "must be from 128M to 1T, got " + std::to_string(*memory / kMiB) + " MiB");
    recipe->vm.memory = *memory;
  }
  return OkStatus();
}

}  // namespace kiln::recipe
