// Turns mmdebstrap's --verbose output (its "I: phase..." lines and the apt and dpkg lines it
// passes through) into progress events: the phase, then packages downloaded, unpacked and
// configured (stage "packages"), counted against the total apt announces ("N newly installed") when it does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "builder/common/build_context.h"

namespace kiln::sources {

class MmdebstrapProgress {
 public:
  // The event one output line is worth, if any.
  std::optional<Event> Feed(std::string_view line);

 private:
  std::uint64_t downloaded_ = 0;
  std::uint64_t unpacked_ = 0;
  std::uint64_t configured_ = 0;
  std::uint64_t total_ = 0;  // packages apt announced for this phase; 0: not known
};

}  // namespace kiln::sources
