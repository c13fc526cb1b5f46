// SQL-callable faces of the pure rules (src/core/rules.hpp), called by every capture statement.
#include "rule_functions.hpp"

#include "boundary.hpp"

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

extern "C" {

PG_FUNCTION_INFO_V1(autotime_rule_skip_reason);
PG_FUNCTION_INFO_V1(autotime_rule_minutes);
PG_FUNCTION_INFO_V1(autotime_rule_billable);
PG_FUNCTION_INFO_V1(autotime_rule_description);
PG_FUNCTION_INFO_V1(autotime_rule_verdict);

// rule_verdict(linked, linked_to_this_source, entry_exists, failure_recorded, live_reason) RETURNS
// text[] {outcome, reason}: what explain reports, for set-based reports (capture_report).
Datum autotime_rule_verdict(PG_FUNCTION_ARGS) {
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
Datum autotime_rule_skip_reason(PG_FUNCTION_ARGS) {
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
Datum autotime_rule_minutes(PG_FUNCTION_ARGS) {
  const auto mode = autotime::parse_minutes_mode(text_arg(fcinfo, 0)).value_or(autotime::MinutesMode::Fixed);
  const int increment = PG_ARGISNULL(1) ? 15 : PG_GETARG_INT32(1);
  std::optional<int64_t> duration;
  if (!PG_ARGISNULL(2)) duration = PG_GETARG_INT64(2);
  std::optional<int> billing_increment;
  if (PG_NARGS() > 3 && !PG_ARGISNULL(3)) billing_increment = PG_GETARG_INT32(3);
  PG_RETURN_INT32(autotime::billed_minutes(autotime::entry_minutes(mode, increment, duration), billing_increment));
}

// rule_billable(billing_type, flat_fee_policy)
Datum autotime_rule_billable(PG_FUNCTION_ARGS) {
  const auto policy =
      autotime::parse_flat_fee_policy(text_arg(fcinfo, 1)).value_or(autotime::FlatFeePolicy::NonBillable);
  PG_RETURN_BOOL(autotime::entry_billable(text_arg(fcinfo, 0), policy));
}

// rule_description(kind, direction, label)
Datum autotime_rule_description(PG_FUNCTION_ARGS) {
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

}  // extern "C"
