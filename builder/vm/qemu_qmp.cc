#include "builder/vm/qemu_qmp.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace kiln::vm {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Result<QmpClient> QmpClient::Connect(const fs::path& socket_path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.string().size() >= sizeof addr.sun_path)
    return MakeError(ErrorCode::kIo, "QMP socket path too long: " + socket_path.string());
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  auto deadline = Clock::now() + timeout;
  std::string last_error;
  for (;;) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return MakeError(ErrorCode::kIo, std::string("socket: ") + std::strerror(errno));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      QmpClient c(std::move(fd), socket_path);
      KILN_ASSIGN_OR_RETURN(auto greeting, c.ReadMessage(deadline));
      if (!greeting.contains("QMP"))
        return MakeError(ErrorCode::kBuild, "QMP socket " + socket_path.string() + " sent no greeting: " + greeting.dump());
      KILN_TRY(c.Execute("qmp_capabilities", nullptr, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                          std::max(deadline - Clock::now(), Clock::duration(std::chrono::seconds(1))))));
      return c;
    }
    last_error = std::strerror(errno);
    if (Clock::now() >= deadline)
      return MakeError(ErrorCode::kBuild, "cannot connect to QMP socket " + socket_path.string() + ": " + last_error);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Status QmpClient::Send(const nlohmann::json& message) {
  std::string data = message.dump() + "\n";
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kBuild, "QMP " + path_.string() + ": send: " + std::strerror(errno));
    off += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

Result<nlohmann::json> QmpClient::ReadMessage(Clock::time_point deadline) {
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        return MakeError(ErrorCode::kBuild, "QMP " + path_.string() + ": not a JSON object: " + line);
      return j;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return MakeError(ErrorCode::kBuild, "QMP " + path_.string() + ": no reply in time");
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kBuild, "QMP " + path_.string() + ": connection closed");
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

Result<nlohmann::json> QmpClient::ReadReply(Clock::time_point deadline) {
  for (;;) {
    KILN_ASSIGN_OR_RETURN(auto msg, ReadMessage(deadline));
    if (msg.contains("event")) {
      events_.push_back(msg["event"].is_string() ? msg["event"].get<std::string>() : msg["event"].dump());
      continue;
    }
    return msg;
  }
}

Result<nlohmann::json> QmpClient::Execute(const std::string& command, const nlohmann::json& arguments,
                                          std::chrono::milliseconds timeout) {
  nlohmann::json req = {{"execute", command}};
  if (!arguments.is_null()) req["arguments"] = arguments;
  KILN_TRY(Send(req));
  KILN_ASSIGN_OR_RETURN(auto reply, ReadReply(Clock::now() + timeout));
  if (reply.contains("error")) {
    const auto& e = reply["error"];
    return MakeError(ErrorCode::kBuild, "QMP " + command + " failed: " + e.value("class", std::string("?")) + ": " +
                                            e.value("desc", std::string("?")));
  }
  if (!reply.contains("return"))
    return MakeError(ErrorCode::kBuild, "QMP " + command + ": unexpected reply " + reply.dump());
  return reply["return"];
}

}  // namespace kiln::vm
