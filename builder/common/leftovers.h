// What a stopped kiln would otherwise leave behind: temporary and staging directories (often
// gigabytes of file trees) and running helper programs.
//
// - Live TempDirs and child processes are registered while they exist, so a signal handler
//   thread (the CLI's) can stop the children and remove the directories before kiln exits.
// - A SIGKILLed kiln cannot clean up. Every TempDir holds an exclusive flock(2) on its own
//   directory for its lifetime; the kernel drops it when the process dies, however it dies.
//   SweepAbandonedDirs removes sibling directories nobody holds, so the next run cleans up.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string_view>

namespace kiln {

void RegisterLiveDir(const std::filesystem::path& dir);
void UnregisterLiveDir(const std::filesystem::path& dir);
void RegisterLiveChild(pid_t pid);
void UnregisterLiveChild(pid_t pid);

// Sends SIGTERM to every live child, gives them up to `grace` to be reaped by the threads
// that started them, then removes every live directory. For a signal handler thread only:
// the directories are removed under the feet of whatever still uses them.
void CleanUpLiveResources(std::chrono::milliseconds grace);

// Removes a directory tree that may hold read-only directories (staged roots do). Never
// follows symlinks. Returns false if anything remained.
bool RemoveTree(const std::filesystem::path& dir);

// Removes the directories in `parent` named PREFIX-XXXXXX (mkdtemp's six characters) that
// belong to this user, are at least `min_age` old (a directory younger than that may be one
// a concurrent run has just made and not yet locked) and whose flock nobody holds. Returns
// how many were removed. Entries that are not such directories are never touched.
std::size_t SweepAbandonedDirs(const std::filesystem::path& parent, std::string_view prefix,
                               std::chrono::seconds min_age = std::chrono::seconds(60));

// The same for kiln's own top-level temporary directories in $TMPDIR (or /tmp): every name
// of the form kiln[-word...]-XXXXXX.
std::size_t SweepAbandonedTempDirs(std::chrono::seconds min_age = std::chrono::seconds(60));

// $TMPDIR, or /tmp when unset or empty.
std::filesystem::path DefaultTempParent();

}  // namespace kiln
