// The C++/PostgreSQL boundary. PostgreSQL errors longjmp and C++ exceptions unwind; neither may
// cross the other. Pure C++ runs only inside call_core(), which owns no PostgreSQL call that can
// error, and whose exceptions become an ERROR raised after every C++ object is destroyed. Every
// SQL-callable function is defined with AUTOTIME_SQL_FUNCTION, and what lives across PostgreSQL
// calls is checked trivially destructible where it is declared (static_assert); both are checked
// by scripts/test.d/boundary_rules.sh.
#pragma once

#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <type_traits>

#include "postgres_headers.hpp"

namespace autotime::pg {

// A C++ exception's message, kept in the caller's frame until the ERROR is raised.
struct CaughtFailure {
  char message[256] = {0};
  bool caught() const { return message[0] != '\0'; }
};

// Runs `work`, catching whatever it throws into `failure`. What `work` creates is destroyed before
// this returns, so the caller may raise an ERROR (longjmp) afterwards.
template <typename Work>
void catch_into(CaughtFailure &failure, Work &&work) {
  try {
    work();
  } catch (const std::exception &e) {
    strlcpy(failure.message, e.what(), sizeof failure.message);
  } catch (...) {
    strlcpy(failure.message, "unexpected C++ exception", sizeof failure.message);
  }
}

[[noreturn]] inline void raise_core_failure(const char *what, const CaughtFailure &failure) {
  ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not %s: %s", what, failure.message)));
  pg_unreachable();
}

// Runs `produce` (pure C++ returning std::string) and returns its result copied into the
// current memory context. `what` names the step for the error message.
template <typename Produce>
char *call_core(const char *what, Produce &&produce) {
  CaughtFailure failure;
  char *result = nullptr;
  catch_into(failure, [&] {
    const std::string text = produce();
    result = static_cast<char *>(palloc_extended(text.size() + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM));
    if (result == nullptr) throw std::bad_alloc();
    std::memcpy(result, text.c_str(), text.size() + 1);
  });
  if (failure.caught()) raise_core_failure(what, failure);
  return result;
}

// Runs `work` (pure C++ returning nothing; it may write into caller-owned memory), raising an
// ERROR naming `what` after it when it throws.
template <typename Work>
void run_core(const char *what, Work &&work) {
  CaughtFailure failure;
  catch_into(failure, work);
  if (failure.caught()) raise_core_failure(what, failure);
}

// Runs the body of SQL-callable function `name`. A C++ exception that escapes it (none should: pure
// C++ runs in call_core) becomes an ERROR raised here, after the catch, instead of terminating the
// backend; a PostgreSQL error in the body longjmps through this frame, which owns nothing to destroy.
template <typename Body>
Datum guard_sql_function(const char *name, FunctionCallInfo fcinfo, Body body) {
  CaughtFailure failure;
  Datum result = (Datum)0;
  catch_into(failure, [&] { result = body(fcinfo); });
  if (failure.caught()) raise_core_failure(psprintf("run %s", name), failure);
  return result;
}

static_assert(std::is_trivially_destructible_v<CaughtFailure>);

}  // namespace autotime::pg

// Defines SQL-callable (version-1) function `name`, whose body follows:
//   AUTOTIME_SQL_FUNCTION(autotime_explain) { ... PG_RETURN_...; }
#define AUTOTIME_SQL_FUNCTION(name)                                                  \
  static Datum name##_body(FunctionCallInfo fcinfo);                                 \
  extern "C" {                                                                       \
  PG_FUNCTION_INFO_V1(name);                                                         \
  Datum name(PG_FUNCTION_ARGS) { return ::autotime::pg::guard_sql_function(#name, fcinfo, name##_body); } \
  }                                                                                  \
  static Datum name##_body(FunctionCallInfo fcinfo)
