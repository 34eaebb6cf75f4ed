#include "builder/vm/qemu_qmp.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <thread>

#include "builder/common/files.h"

namespace kiln::vm {
namespace {

namespace fs = std::filesystem;

// A fake QMP server on a unix socket: greets, then answers each request line with the next
// scripted reply (several lines allowed, e.g. an event before the return).
class FakeQmp {
 public:
  FakeQmp(fs::path path, std::vector<std::string> replies, std::chrono::milliseconds delay = {})
      : path_(std::move(path)), replies_(std::move(replies)) {
    thread_ = std::thread([this, delay] { Serve(delay); });
  }
  ~FakeQmp() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> requests;

 private:
  void Serve(std::chrono::milliseconds delay) {
    std::this_thread::sleep_for(delay);  // the client must retry until the socket exists
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener.get(), 1), 0);
    UniqueFd c(::accept(listener.get(), nullptr, nullptr));
    Write(c.get(), R"({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": []}})" "\n");
    std::string buf;
    for (const auto& reply : replies_) {
      std::size_t nl;
      while ((nl = buf.find('\n')) == std::string::npos) {
        char tmp[512];
        ssize_t n = ::read(c.get(), tmp, sizeof tmp);
        if (n <= 0) return;
        buf.append(tmp, static_cast<std::size_t>(n));
      }
      requests.push_back(buf.substr(0, nl));
      buf.erase(0, nl + 1);
      if (!reply.empty()) Write(c.get(), reply);
    }
  }
  static void Write(int fd, const std::string& s) { ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size())); }

  fs::path path_;
  std::vector<std::string> replies_;
  std::thread thread_;
};

TEST(QmpClient, NegotiatesRunsCommandsAndSkipsEvents) {
  auto dir = TempDir::Create().value();
  fs::path sock = dir.path() / "qmp.sock";
  std::vector<std::string> requests;
  {
    FakeQmp server(sock,
                   {R"({"return": {}})" "\n",
                    R"({"timestamp": {"seconds": 1, "microseconds": 2}, "event": "POWERDOWN"})" "\n" R"({"return": {}})" "\n",
                    R"({"return": {"status": "running", "running": true}})" "\n",
                    R"({"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}})" "\n"},
                   std::chrono::milliseconds(200));
    auto c = QmpClient::Connect(sock, std::chrono::seconds(5));
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    auto r = c->Execute("system_powerdown");
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(c->events(), std::vector<std::string>{"POWERDOWN"});
    auto st = c->Execute("query-status");
    ASSERT_TRUE(st.ok());
    EXPECT_EQ((*st)["status"], "running");
    auto bad = c->Execute("nope", {{"x", 1}});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("CommandNotFound"), std::string::npos);
    EXPECT_NE(bad.error().message.find("has not been found"), std::string::npos);
  }
}

TEST(QmpClient, RequestsAreOneJsonLineEach) {
  auto dir = TempDir::Create().value();
  fs::path sock = dir.path() / "qmp.sock";
  FakeQmp server(sock, std::vector<std::string>{R"({"return": {}})" "\n", R"({"return": {}})" "\n"});
  {
    auto c = QmpClient::Connect(sock, std::chrono::seconds(5));
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->Execute("human-monitor-command", {{"command-line", "info status"}}).ok());
  }
  server.Join();
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(server.requests[0]), nlohmann::json({{"execute", "qmp_capabilities"}}));
  auto second = nlohmann::json::parse(server.requests[1]);
  EXPECT_EQ(second["execute"], "human-monitor-command");
  EXPECT_EQ(second["arguments"]["command-line"], "info status");
}

TEST(QmpClient, TimesOutWithoutServer) {
  auto dir = TempDir::Create().value();
  auto c = QmpClient::Connect(dir.path() / "absent.sock", std::chrono::milliseconds(200));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("absent.sock"), std::string::npos);
}

}  // namespace
}  // namespace kiln::vm
