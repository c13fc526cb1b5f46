// autotime.explain(kind, source_id): why an activity did or did not get an entry.
#include <algorithm>

#include "../core/rules.hpp"
#include "boundary.hpp"
#include "binding.hpp"
#include "plan_cache.hpp"
#include "row_decision.hpp"

extern "C" {
#include "utils/json.h"
}

namespace {

struct ExplainRow {
  int64 team_id = 0;
  const char *reason = nullptr;
  bool linked = false;
  bool linked_to_this_source = false;
  bool has_entry = false;
  int64 time_entry_id = 0;
  bool failure_recorded = false;
};

}  // namespace

// explain(kind text, source_id bigint, team_id bigint DEFAULT NULL, source regclass DEFAULT NULL) RETURNS jsonb
AUTOTIME_SQL_FUNCTION(autotime_explain) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("autotime.explain needs a kind and a source id")));
  const char *kind_text = text_to_cstring(PG_GETARG_TEXT_PP(0));
  const int64 source_id = PG_GETARG_INT64(1);
  const bool team_given = PG_NARGS() > 2 && !PG_ARGISNULL(2);
  const int64 team_id = team_given ? PG_GETARG_INT64(2) : 0;
  const Oid only_source = PG_NARGS() > 3 && !PG_ARGISNULL(3) ? PG_GETARG_OID(3) : InvalidOid;
  const auto kind = autotime::parse_kind(kind_text);
  if (!kind)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown activity kind \"%s\"", kind_text),
                    errhint("Kinds are call, sms, document, ir_report and event.")));

  MemoryContext caller_context = CurrentMemoryContext;
  SPI_connect();
  uint64 source_count = 0;
  Oid *sources = autotime::pg::attached_sources(&source_count, kind_text);
  if (source_count == 0)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("no table is attached to autotime for kind \"%s\"", kind_text),
                    errhint("Run autotime.create_practice_schema() or autotime.attach(source, '%s').", kind_text)));

  if (OidIsValid(only_source)) {
    if (std::find(sources, sources + source_count, only_source) == sources + source_count)
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("table \"%s\" is not attached to autotime for kind \"%s\"", get_rel_name(only_source),
                             kind_text),
                      errhint("Name a table attached for the kind (autotime.attachments), or leave source out.")));
    sources[0] = only_source;
    source_count = 1;
  }

  ExplainRow found;
  Oid found_source = InvalidOid;
  int matches = 0;
  int matching_sources = 0;
  for (uint64 i = 0; i < source_count; i++) {
    constexpr auto kExplain = autotime::Driver::Explain;
    autotime::pg::Arguments<kExplain> args;
    args.set(AUTOTIME_PARAMETER(kExplain, "activity_id"), Int64GetDatum(source_id));
    if (team_given) args.set(AUTOTIME_PARAMETER(kExplain, "team_id"), Int64GetDatum(team_id));
    const char *doing = psprintf("autotime explain of %s " INT64_FORMAT " from \"%s\"", kind_text, source_id,
                                 get_rel_name(sources[i]));
    const auto result = autotime::pg::run_pipeline(sources[i], args, false, true, doing);
    const uint64 count = autotime::pg::result_rows(result);
    if (count > 0) {
      matching_sources++;
      found_source = sources[i];
    }
    for (uint64 r = 0; r < count; r++, matches++) {
      bool isnull = false;
      const auto value = [&](int column) { return autotime::pg::result_value(result, column, r, &isnull); };
      found.team_id = DatumGetInt64(value(AUTOTIME_RESULT(kExplain, "team_id")));
      const Datum reason = value(AUTOTIME_RESULT(kExplain, "reason"));
      found.reason = isnull ? nullptr : MemoryContextStrdup(caller_context, TextDatumGetCString(reason));
      found.linked = DatumGetBool(value(AUTOTIME_RESULT(kExplain, "linked")));
      const Datum linked_source = value(AUTOTIME_RESULT(kExplain, "linked_source_id"));
      found.linked_to_this_source = !isnull && DatumGetInt64(linked_source) == source_id;
      const Datum entry = value(AUTOTIME_RESULT(kExplain, "time_entry_id"));
      found.has_entry = !isnull;
      found.time_entry_id = isnull ? 0 : DatumGetInt64(entry);
      found.failure_recorded = DatumGetBool(value(AUTOTIME_RESULT(kExplain, "failure_recorded")));
    }
  }
  // How a single row like it, inserted now, would be decided: by the index probes, or by the
  // set-based statement and why (a table's keys or types, the team's settings).
  const char *statement_because = nullptr;
  if (matches == 1) {
    const char *because = autotime::pg::statement_decides_because(found_source, found.team_id);
    if (because != nullptr) statement_because = MemoryContextStrdup(caller_context, because);
  }
  SPI_finish();

  if (matching_sources > 1)
    ereport(ERROR, (errcode(ERRCODE_CARDINALITY_VIOLATION),
                    errmsg("%d activities of kind \"%s\" have id " INT64_FORMAT, matches, kind_text, source_id),
                    errdetail("Each table attached for a kind has ids of its own; several tables hold this one."),
                    errhint("Name the table: autotime.explain('%s', " INT64_FORMAT ", team_id => ..., source => ...).",
                            kind_text, source_id)));
  if (matches > 1)
    ereport(ERROR, (errcode(ERRCODE_CARDINALITY_VIOLATION),
                    errmsg("%d activities of kind \"%s\" have id " INT64_FORMAT, matches, kind_text, source_id),
                    errdetail("Ids are unique per team; several teams hold this one."),
                    errhint("Name the firm: autotime.explain('%s', " INT64_FORMAT ", team_id => ...).", kind_text,
                            source_id)));

  autotime::Verdict verdict{autotime::Outcome::Skipped, autotime::Reason::UnknownActivity};
  if (matches == 1) {
    autotime::LedgerState ledger;
    ledger.linked = found.linked;
    ledger.linked_to_this_source = found.linked_to_this_source;
    ledger.entry_exists = found.has_entry;
    ledger.failure_recorded = found.failure_recorded;
    const std::optional<autotime::Reason> live_reason =
        found.reason == nullptr ? std::nullopt : autotime::parse_reason(found.reason);
    verdict = autotime::explain_verdict(ledger, live_reason);
  }

  const std::string_view outcome = autotime::outcome_name(verdict.outcome);
  const char *reason_json = "null";
  if (verdict.reason) reason_json = psprintf("\"%s\"", autotime::reason_code(*verdict.reason).data());
  const char *team_json = matches == 1 ? psprintf(INT64_FORMAT, found.team_id) : "null";
  const char *entry_json =
      verdict.outcome == autotime::Outcome::Created ? psprintf(INT64_FORMAT, found.time_entry_id) : "null";
  // The client's billing rules the entry breaks (SPEC §7), when it breaks any.
  const char *flags_json = "";
  if (verdict.outcome == autotime::Outcome::Created) {
    SPI_connect();
    Oid types[2] = {INT8OID, INT8OID};
    Datum values[2] = {Int64GetDatum(found.team_id), Int64GetDatum(found.time_entry_id)};
    const int rc = SPI_execute_with_args(
        "SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('rule', f.rule, 'detail', f.detail) ORDER BY f.rule)"
        "::pg_catalog.text FROM autotime.entry_flags f WHERE f.team_id OPERATOR(pg_catalog.=) $1 "
        "AND f.entry_id OPERATOR(pg_catalog.=) $2",
        2, types, values, nullptr, true, 1);
    if (rc == SPI_OK_SELECT && SPI_processed == 1) {
      const char *flags = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
      if (flags != nullptr) flags_json = MemoryContextStrdup(caller_context, psprintf(", \"flags\": %s", flags));
    }
    SPI_finish();
  }
  const char *path_json = "";
  if (matches == 1 && statement_because == nullptr) path_json = ", \"live_path\": \"index_probes\"";
  if (statement_because != nullptr) {
    StringInfoData detail;
    initStringInfo(&detail);
    escape_json(&detail, statement_because);
    path_json = psprintf(", \"live_path\": \"statement\", \"live_path_detail\": %s", detail.data);
  }
  const char *json = psprintf(
      "{\"kind\": \"%s\", \"source_id\": " INT64_FORMAT ", \"team_id\": %s, \"outcome\": \"%s\", \"reason\": %s, "
      "\"time_entry_id\": %s%s%s}",
      autotime::kind_name(*kind).data(), source_id, team_json, outcome.data(), reason_json, entry_json, flags_json,
      path_json);
  PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}
