#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the Status of `expr` from the enclosing function if it is not OK.
#define LOTSE_RETURN_IF_ERROR(expr)                   \
  do {                                                \
    if (auto lotse_status_ = (expr); !lotse_status_.ok()) { \
      return lotse_status_;                           \
    }                                                 \
  } while (false)

#define LOTSE_STATUS_CONCAT_INNER_(a, b) a##b
#define LOTSE_STATUS_CONCAT_(a, b) LOTSE_STATUS_CONCAT_INNER_(a, b)

// `LOTSE_ASSIGN_OR_RETURN(auto x, F());` declares x from F()'s value or returns its Status.
#define LOTSE_ASSIGN_OR_RETURN(lhs, expr) \
  LOTSE_ASSIGN_OR_RETURN_IMPL_(LOTSE_STATUS_CONCAT_(lotse_statusor_, __LINE__), lhs, expr)
#define LOTSE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) {                                   \
    return std::move(tmp).status();                  \
  }                                                  \
  lhs = std::move(tmp).value()

// An invariant that cannot fail unless the code is wrong: logs and aborts. Never for input.
#define LOTSE_CHECK(cond)                                                                \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      ::lotse::internal::CheckFailed(#cond, __FILE__, __LINE__);                         \
    }                                                                                    \
  } while (false)

namespace lotse::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace lotse::internal
