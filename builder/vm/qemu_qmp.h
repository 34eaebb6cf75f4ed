// A minimal QMP (QEMU Machine Protocol) client over a unix socket: read the greeting,
// negotiate capabilities, run commands and wait for their reply, skipping asynchronous events
// (which are kept for the caller, e.g. POWERDOWN, SHUTDOWN). The runner uses it to press the
// ACPI power button (system_powerdown), ask the run state, and quit.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/common/result.h"
#include "builder/common/unique_fd.h"

namespace kiln::vm {

class QmpClient {
 public:
  // Connects (retrying while the socket does not exist yet or refuses, until `timeout`),
  // reads the greeting and sends qmp_capabilities.
  static Result<QmpClient> Connect(const std::filesystem::path& socket, std::chrono::milliseconds timeout);

  // Runs `command` and returns its "return" member; a QMP "error" reply is a kBuild error
  // quoting its class and description.
  Result<nlohmann::json> Execute(const std::string& command, const nlohmann::json& arguments = nullptr,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Asynchronous events received so far ("event" member names), oldest first.
  const std::vector<std::string>& events() const { return events_; }

 private:
  explicit QmpClient(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  // Next message that is not an event.
  Result<nlohmann::json> ReadReply(std::chrono::steady_clock::time_point deadline);
  Result<nlohmann::json> ReadMessage(std::chrono::steady_clock::time_point deadline);
  Status Send(const nlohmann::json& message);

  UniqueFd fd_;
  std::filesystem::path path_;
  std::string buffer_;
  std::vector<std::string> events_;
};

}  // namespace kiln::vm
