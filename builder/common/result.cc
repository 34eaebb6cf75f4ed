#include "builder/common/result.h"

namespace kiln {

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
    case ErrorCode::kRecipe:
      return 2;
    default:
      return 1;
  }
}

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage: return "usage";
    case ErrorCode::kRecipe: return "recipe";
    case ErrorCode::kInput: return "input";
    case ErrorCode::kIntegrity: return "integrity";
    case ErrorCode::kNetwork: return "network";
    case ErrorCode::kAuth: return "auth";
    case ErrorCode::kBuild: return "build";
    case ErrorCode::kIo: return "io";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string out;
  for (auto it = context.rbegin(); it != context.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message;
  return out;
}

Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message), {}};
}

}  // namespace kiln
