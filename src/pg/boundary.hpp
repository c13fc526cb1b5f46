// The C++/PostgreSQL boundary. PostgreSQL errors longjmp and C++ exceptions unwind; neither may
// cross the other. Pure C++ runs only inside call_core(), which owns no PostgreSQL call that can
// error, and whose exceptions become an ERROR raised after every C++ object is destroyed.
#pragma once

#include <cstring>
#include <exception>
#include <string>

#include "postgres_headers.hpp"

namespace autotime::pg {

// Runs `produce` (pure C++ returning std::string) and returns its result copied into the
// current memory context. `what` names the step for the error message.
template <typename Produce>
char *call_core(const char *what, Produce &&produce) {
  char failure[256] = {0};
  char *result = nullptr;
  try {
    const std::string text = produce();
    result = static_cast<char *>(palloc_extended(text.size() + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM));
    if (result != nullptr)
      std::memcpy(result, text.c_str(), text.size() + 1);
    else
      strlcpy(failure, "out of memory", sizeof failure);
  } catch (const std::exception &e) {
    strlcpy(failure, e.what(), sizeof failure);
  } catch (...) {
    strlcpy(failure, "unexpected C++ exception", sizeof failure);
  }
  if (failure[0] != '\0')
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not %s: %s", what, failure)));
  return result;
}

}  // namespace autotime::pg
