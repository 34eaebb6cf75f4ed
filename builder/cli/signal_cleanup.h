// SIGINT, SIGTERM and SIGHUP stop kiln cleanly: helper programs are stopped, temporary and
// staging directories removed (leftovers.h), and kiln then dies of the same signal, so
// shells and CI see the usual status. Commands that handle a signal themselves (boot) install
// their own handlers while they run.
#pragma once

namespace kiln::cli {

void InstallSignalCleanup();

}  // namespace kiln::cli
