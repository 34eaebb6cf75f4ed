// What travels through every stage instead of globals: the clamp time, parallelism,
// where temporary files go, and where progress events are reported.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace kiln {

class InputHooks;  // input_hooks.h

// A progress or log event. The CLI renders these on a terminal or as JSON lines (--json).
struct Event {
  std::string stage;    // "recipe", "sources", "squashfs", "disk", ...
  std::string message;  // one line for a person
  std::uint64_t done = 0;   // progress units done (bytes or items), 0 when not a progress event
  std::uint64_t total = 0;  // 0 when unknown
};

struct BuildContext {
  std::int64_t source_date_epoch = 0;   // every timestamp is clamped to this
  unsigned jobs = 1;                    // worker threads for compression and hashing
  std::filesystem::path work_dir;       // scratch space for this build (removed afterwards)
  std::filesystem::path cache_dir;      // persistent cache ($XDG_CACHE_HOME/kiln)
  std::uint64_t cache_max = 0;          // --cache-max: block/tree caches pruned to this after a build; 0: no limit
  bool offline = false;                 // any network access is an error
  InputHooks* inputs = nullptr;         // --archive captures / --from supplies inputs (not owned)
  // May be empty. Called from helper threads too (a file watcher), so it must be thread-safe.
  std::function<void(const Event&)> on_event;

  void Report(std::string stage, std::string message, std::uint64_t done = 0,
              std::uint64_t total = 0) const {
    if (on_event) on_event(Event{std::move(stage), std::move(message), done, total});
  }

  // One step's progress as a callback for libraries that know nothing of events; empty when
  // nobody listens. Rate-limit it with ProgressThrottle (progress_throttle.h).
  std::function<void(std::uint64_t, std::uint64_t)> ProgressTo(std::string stage, std::string message) const {
    if (!on_event) return {};
    return [fn = on_event, stage = std::move(stage), message = std::move(message)](std::uint64_t done,
                                                                                     std::uint64_t total) {
      fn(Event{stage, message, done, total});
    };
  }
};

}  // namespace kiln
