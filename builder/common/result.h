// Value-or-error for every fallible kiln function (shaped like C++23 std::expected,
// modelled on absl::StatusOr). Libraries never print or exit: they return an Error
// with a code and a message, callers add context on the way up, and only the CLI
// renders it and maps the code to an exit status.
#pragma once

#include <cstdlib>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace kiln {

enum class ErrorCode {
  kUsage,     // bad command line (exit 2)
  kRecipe,    // bad recipe: syntax, unknown key, wrong type, bad value (exit 2)
  kInput,     // an input is missing, unreadable or malformed (exit 1)
  kIntegrity, // a digest or signature does not match (exit 1)
  kNetwork,   // download or registry failure (exit 1)
  kAuth,      // authentication refused (exit 1)
  kBuild,     // a build step failed (exit 1)
  kIo,        // the host file system failed us (exit 1)
};

// Exit status the CLI uses for an error of this code.
int ExitCodeFor(ErrorCode code);
const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kBuild;
  std::string message;
  // Outermost context last; rendered as "context: ...: message".
  std::vector<std::string> context;

  // "ctx2: ctx1: message"
  std::string ToString() const;
  bool operator==(const Error&) const = default;
};

Error MakeError(ErrorCode code, std::string message);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT(implicit)
  Result(Error error) : v_(std::move(error)) {}        // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { Check(); return std::get<0>(v_); }
  const T& value() const& { Check(); return std::get<0>(v_); }
  T&& value() && { Check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

  // Adds a context line to the error (no effect on success). Returns by value so that
  // KILN_TRY(F().WithContext(..)) never holds a reference to a destroyed temporary.
  Result WithContext(std::string ctx) && {
    if (!ok()) std::get<1>(v_).context.push_back(std::move(ctx));
    return std::move(*this);
  }

 private:
  void Check() const {
    if (!ok()) std::abort();  // broken invariant: value() of an error
  }
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(implicit)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }
  Status WithContext(std::string ctx) && {
    if (!ok_) error_.context.push_back(std::move(ctx));
    return std::move(*this);
  }

 private:
  Error error_;
  bool ok_ = true;
};

inline Status OkStatus() { return Status(); }

}  // namespace kiln

#define KILN_CONCAT_INNER(a, b) a##b
#define KILN_CONCAT(a, b) KILN_CONCAT_INNER(a, b)

// Returns the error of a Status or Result expression from the enclosing function.
#define KILN_TRY(expr)                                  \
  do {                                                  \
    auto&& kiln_try_result_ = (expr);                   \
    if (!kiln_try_result_.ok())                         \
      return std::move(kiln_try_result_).error();       \
  } while (0)

// KILN_ASSIGN_OR_RETURN(auto x, F()); declares/assigns x from a Result or returns its error.
#define KILN_ASSIGN_OR_RETURN(lhs, expr) \
  KILN_ASSIGN_OR_RETURN_IMPL(KILN_CONCAT(kiln_result_, __LINE__), lhs, expr)
#define KILN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).error();    \
  lhs = std::move(tmp).value()
