// SQL-callable faces of the pure rules (src/core/rules.hpp), called by every capture statement.
#include "rule_functions.hpp"

#include "boundary.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "../core/sessions.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace autotime::pg {

char *describe_activity(Kind kind, std::string_view direction, const char *label, int label_bytes) {
  const int clipped = pg_mbcliplen(label, label_bytes, static_cast<int>(kMaxLabelBytes));
  const std::string_view kept(label, static_cast<size_t>(clipped));
  const bool was_clipped = clipped < label_bytes;
  return call_core("describe an activity", [&] { return describe(kind, direction, kept, was_clipped); });
}

}  // namespace autotime::pg

namespace {

bool bool_arg(FunctionCallInfo fcinfo, int n) { return !PG_ARGISNULL(n) && PG_GETARG_BOOL(n); }

// The argument as a string_view over a palloc'd C string; "" when NULL.
std::string_view text_arg(FunctionCallInfo fcinfo, int n) {
  return PG_ARGISNULL(n) ? std::string_view() : std::string_view(text_to_cstring(PG_GETARG_TEXT_PP(n)));
}

Datum text_datum(std::string_view value) {
  return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
}

}  // namespace

// rule_daily_cap_admits(counted integer, minutes integer[], cap integer) RETURNS integer: how many
// of the activities (their minutes in the order they happened) a day with `counted` minutes admits.
AUTOTIME_SQL_FUNCTION(autotime_rule_daily_cap_admits) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2)) PG_RETURN_NULL();
  Datum *items;
  bool *nulls;
  int count;
  deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), INT4OID, 4, true, TYPALIGN_INT, &items, &nulls, &count);
  int *minutes = static_cast<int *>(palloc(sizeof(int) * (count + 1)));
  for (int i = 0; i < count; i++) {
    if (nulls[i] || DatumGetInt32(items[i]) <= 0)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("an activity's minutes must be positive")));
    minutes[i] = DatumGetInt32(items[i]);
  }
  const int counted = PG_GETARG_INT32(0), cap = PG_GETARG_INT32(2);
  const char *admitted = autotime::pg::call_core("apply a daily cap", [&] {
    return std::to_string(autotime::admitted_under_daily_cap(counted, std::vector<int>(minutes, minutes + count), cap));
  });
  PG_RETURN_INT32(pg_strtoint32(admitted));
}

// rule_verdict(linked, linked_to_this_source, entry_exists, failure_recorded, live_reason) RETURNS
// text[] {outcome, reason}: what explain reports, for set-based reports (capture_report).
AUTOTIME_SQL_FUNCTION(autotime_rule_verdict) {
  autotime::LedgerState ledger;
  ledger.linked = bool_arg(fcinfo, 0);
  ledger.linked_to_this_source = bool_arg(fcinfo, 1);
  ledger.entry_exists = bool_arg(fcinfo, 2);
  ledger.failure_recorded = bool_arg(fcinfo, 3);
  const std::optional<autotime::Reason> live_reason =
      PG_ARGISNULL(4) ? std::nullopt : autotime::parse_reason(text_arg(fcinfo, 4));
  const autotime::Verdict verdict = autotime::explain_verdict(ledger, live_reason);
  Datum elements[2] = {text_datum(autotime::outcome_name(verdict.outcome)),
                       verdict.reason ? text_datum(autotime::reason_code(*verdict.reason)) : (Datum)0};
  bool nulls[2] = {false, !verdict.reason.has_value()};
  int dims[1] = {2};
  int lbs[1] = {1};
  PG_RETURN_ARRAYTYPE_P(construct_md_array(elements, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

// rule_skip_reason(team_enabled, kind_enabled, qualifies, has_time, has_actor, member_found,
//   can_log_time, own_case_given, case_found, case_client_matches, billing_type, flat_fee_policy)
AUTOTIME_SQL_FUNCTION(autotime_rule_skip_reason) {
  autotime::Facts facts;
  facts.team_enabled = bool_arg(fcinfo, 0);
  facts.kind_enabled = bool_arg(fcinfo, 1);
  facts.qualifies = bool_arg(fcinfo, 2);
  facts.has_activity_time = bool_arg(fcinfo, 3);
  facts.has_actor = bool_arg(fcinfo, 4);
  facts.member_found = bool_arg(fcinfo, 5);
  facts.member_can_log_time = bool_arg(fcinfo, 6);
  facts.own_case_given = bool_arg(fcinfo, 7);
  facts.case_found = bool_arg(fcinfo, 8);
  facts.case_client_matches = bool_arg(fcinfo, 9);
  facts.billing_type = text_arg(fcinfo, 10);
  facts.flat_fee_policy =
      autotime::parse_flat_fee_policy(text_arg(fcinfo, 11)).value_or(autotime::FlatFeePolicy::NonBillable);
  if (PG_NARGS() > 13) {  // (..., case_fallback, open_cases): SPEC §7
    facts.case_fallback =
        autotime::parse_case_fallback(text_arg(fcinfo, 12)).value_or(autotime::CaseFallback::LatestOpen);
    facts.open_cases = PG_ARGISNULL(13) ? 0 : PG_GETARG_INT32(13);
  }
  const auto reason = autotime::decide(facts);
  if (!reason) PG_RETURN_NULL();
  PG_RETURN_DATUM(text_datum(autotime::reason_code(*reason)));
}

// rule_minutes(call_minutes_mode, increment, duration_seconds [, billing_increment])
AUTOTIME_SQL_FUNCTION(autotime_rule_minutes) {
  const auto mode = autotime::parse_minutes_mode(text_arg(fcinfo, 0)).value_or(autotime::MinutesMode::Fixed);
  const int increment = PG_ARGISNULL(1) ? 15 : PG_GETARG_INT32(1);
  std::optional<int64_t> duration;
  if (!PG_ARGISNULL(2)) duration = PG_GETARG_INT64(2);
  std::optional<int> billing_increment;
  if (PG_NARGS() > 3 && !PG_ARGISNULL(3)) billing_increment = PG_GETARG_INT32(3);
  PG_RETURN_INT32(autotime::billed_minutes(autotime::entry_minutes(mode, increment, duration), billing_increment));
}

// rule_billable(billing_type, flat_fee_policy)
AUTOTIME_SQL_FUNCTION(autotime_rule_billable) {
  const auto policy =
      autotime::parse_flat_fee_policy(text_arg(fcinfo, 1)).value_or(autotime::FlatFeePolicy::NonBillable);
  PG_RETURN_BOOL(autotime::entry_billable(text_arg(fcinfo, 0), policy));
}

// rule_description(kind, direction, label)
AUTOTIME_SQL_FUNCTION(autotime_rule_description) {
  const std::string_view kind_text = text_arg(fcinfo, 0);
  const auto kind = autotime::parse_kind(kind_text);
  if (!kind)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("unknown activity kind \"%.*s\"", static_cast<int>(kind_text.size()), kind_text.data()),
                    errhint("Kinds are call, sms, document, ir_report and event.")));
  const std::string_view direction = text_arg(fcinfo, 1);
  const char *label = PG_ARGISNULL(2) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(2));
  PG_RETURN_TEXT_P(cstring_to_text(
      autotime::pg::describe_activity(*kind, direction, label, static_cast<int>(strlen(label)))));
}

// ---- sessions (SPEC §6 session_gap_minutes; src/core/sessions.hpp) ----

namespace {

// A timestamptz as whole seconds: starts round down, ends up (a span never shrinks).
int64_t seconds_down(TimestampTz t) { return t >= 0 ? t / USECS_PER_SEC : -((-t + USECS_PER_SEC - 1) / USECS_PER_SEC); }
int64_t seconds_up(TimestampTz t) { return -seconds_down(-t); }

// The elements of a one-dimensional timestamptz array (NULL elements refused), palloc'd.
int timestamptz_elements(ArrayType *array, Datum **values) {
  bool *nulls = nullptr;
  int n = 0;
  deconstruct_array(array, TIMESTAMPTZOID, sizeof(TimestampTz), true, TYPALIGN_DOUBLE, values, &nulls, &n);
  for (int i = 0; i < n; i++)
    if (nulls[i])
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("a session span must not be NULL")));
  return n;
}

}  // namespace

// rule_activity_seconds(minutes, duration_seconds): how long one activity worked, in seconds.
AUTOTIME_SQL_FUNCTION(autotime_rule_activity_seconds) {
  const int minutes = PG_ARGISNULL(0) ? 15 : PG_GETARG_INT32(0);
  std::optional<int64_t> duration;
  if (!PG_ARGISNULL(1)) duration = PG_GETARG_INT64(1);
  PG_RETURN_INT64(autotime::activity_seconds(minutes, duration));
}

// rule_sessions(starts timestamptz[], ends timestamptz[], gap_minutes) RETURNS integer[]: the
// session (0, 1, ... by start) of each span, in input order.
AUTOTIME_SQL_FUNCTION(autotime_rule_sessions) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_NULL();
  Datum *starts = nullptr, *ends = nullptr;
  const int n = timestamptz_elements(PG_GETARG_ARRAYTYPE_P(0), &starts);
  if (timestamptz_elements(PG_GETARG_ARRAYTYPE_P(1), &ends) != n)
    ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("starts and ends must have as many elements")));
  const int64_t gap_seconds = PG_ARGISNULL(2) ? 0 : int64_t{std::max(PG_GETARG_INT32(2), 0)} * 60;
  Datum *out = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
  autotime::pg::run_core("group sessions", [&] {  // no PostgreSQL call in here: only the core and plain copies
    std::vector<autotime::WorkSpan> spans(static_cast<std::size_t>(n));
    for (int i = 0; i < n; i++)
      spans[i] = {seconds_down(DatumGetTimestampTz(starts[i])), seconds_up(DatumGetTimestampTz(ends[i]))};
    const std::vector<int> session = autotime::group_sessions(spans, gap_seconds);
    for (int i = 0; i < n; i++) out[i] = Int32GetDatum(session[i]);
  });
  PG_RETURN_ARRAYTYPE_P(construct_array(out, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}

// rule_session_minutes(first_start, last_end, billing_increment)
AUTOTIME_SQL_FUNCTION(autotime_rule_session_minutes) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_NULL();
  std::optional<int> billing_increment;
  if (!PG_ARGISNULL(2)) billing_increment = PG_GETARG_INT32(2);
  PG_RETURN_INT32(autotime::session_minutes(seconds_down(PG_GETARG_TIMESTAMPTZ(0)), seconds_up(PG_GETARG_TIMESTAMPTZ(1)),
                                            billing_increment));
}

// rule_session_description(descriptions text[]): the activities' own descriptions, in time order.
AUTOTIME_SQL_FUNCTION(autotime_rule_session_description) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  Datum *values = nullptr;
  bool *nulls = nullptr;
  int n = 0;
  deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, -1, false, TYPALIGN_INT, &values, &nulls, &n);
  const char **texts = static_cast<const char **>(palloc(sizeof(char *) * (n > 0 ? n : 1)));
  for (int i = 0; i < n; i++) texts[i] = nulls[i] ? "Activity" : text_to_cstring(DatumGetTextPP(values[i]));
  PG_RETURN_TEXT_P(cstring_to_text(autotime::pg::call_core("describe a session", [&] {
    std::vector<std::string> descriptions(texts, texts + n);
    return autotime::session_description(descriptions);
  })));
}
