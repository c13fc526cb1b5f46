// autotime.backfill_automatic_time(client_id): the live capture statement, run over a client's
// past activity in every attached table. Set-based: one statement per attached table.
#include <algorithm>

#include "binding.hpp"
#include "boundary.hpp"
#include "plan_cache.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace {

// Failures recorded under on_error = 'record' whose activity a backfill has now linked.
void clear_resolved_failures() {
  if (SPI_execute("SELECT pg_catalog.to_regclass('autotime.capture_failures') IS NOT NULL", true, 1) != SPI_OK_SELECT)
    return;
  bool isnull = false;
  if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))) return;
  if (SPI_execute("DELETE FROM autotime.capture_failures f USING autotime.activity_links l "
                  "WHERE l.team_id OPERATOR(pg_catalog.=) f.team_id AND l.kind OPERATOR(pg_catalog.=) f.kind "
                  "AND l.source_id OPERATOR(pg_catalog.=) f.source_id AND (pg_catalog.to_jsonb(l) OPERATOR(pg_catalog.->>) "
                  "'key_space') IS NOT DISTINCT FROM (SELECT pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.->>) 'key_space' "
                  "FROM autotime.attachments a WHERE a.source OPERATOR(pg_catalog.=) f.source)",
                  false, 0) != SPI_OK_DELETE)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not clear resolved capture failures")));
}

// One row in autotime.backfill_runs (1.3 and later) for a client backfill.
void record_client_run(int64 team_id, int64 client_id, TimestampTz started_at, int64 created, int64 scanned) {
  if (SPI_execute("SELECT pg_catalog.to_regclass('autotime.backfill_runs') IS NOT NULL", true, 1) != SPI_OK_SELECT)
    return;
  bool isnull = false;
  if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))) return;
  Oid types[5] = {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, INT8OID};
  Datum values[5] = {Int64GetDatum(team_id), Int64GetDatum(client_id), TimestampTzGetDatum(started_at),
                     Int64GetDatum(created), Int64GetDatum(scanned)};
  if (SPI_execute_with_args("INSERT INTO autotime.backfill_runs (team_id, client_id, started_at, finished_at, status, "
                            "entries_created, activities_scanned) VALUES ($1, $2, $3, pg_catalog.clock_timestamp(), "
                            "'done', $4, $5)",
                            5, types, values, nullptr, false, 0) != SPI_OK_INSERT)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not record the backfill run")));
}

}  // namespace

// backfill_automatic_time(client_id bigint, team_id bigint DEFAULT NULL) RETURNS integer
AUTOTIME_SQL_FUNCTION(autotime_backfill_automatic_time) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("autotime.backfill_automatic_time needs a client id")));
  const int64 client_id = PG_GETARG_INT64(0);
  bool team_given = PG_NARGS() > 1 && !PG_ARGISNULL(1);
  int64 team_id = team_given ? PG_GETARG_INT64(1) : 0;

  SPI_connect();
  uint64 source_count = 0;
  Oid *sources = autotime::pg::attached_sources(&source_count);

  // Client ids are unique per team: without a team, the client must belong to one firm only.
  if (!team_given) {
    for (uint64 i = 0; i < source_count; i++) {
      constexpr auto kTeams = autotime::Driver::ClientTeams;
      autotime::pg::Arguments<kTeams> args;
      args.set(AUTOTIME_PARAMETER(kTeams, "client_id"), Int64GetDatum(client_id));
      const auto teams = autotime::pg::run_pipeline(
          sources[i], args, false, true,
          psprintf("autotime looking up the firms of client " INT64_FORMAT " in \"%s\"", client_id,
                   get_rel_name(sources[i])));
      for (uint64 r = 0; r < autotime::pg::result_rows(teams); r++) {
        bool isnull = false;
        const int64 team = DatumGetInt64(autotime::pg::result_value(
            teams, AUTOTIME_RESULT(autotime::Driver::ClientTeams, "team_id"), r, &isnull));
        if (team_given && team != team_id)
          ereport(ERROR, (errcode(ERRCODE_CARDINALITY_VIOLATION),
                          errmsg("client " INT64_FORMAT " is a client of more than one team (" INT64_FORMAT " and " INT64_FORMAT ")",
                                 client_id, std::min(team, team_id), std::max(team, team_id)),
                          errdetail("Client ids are unique per team; a backfill never acts on two firms at once."),
                          errhint("Name the firm: autotime.backfill_automatic_time(" INT64_FORMAT ", team_id => ...).",
                                  client_id)));
        team_given = true;
        team_id = team;
      }
    }
  }

  const TimestampTz started_at = GetCurrentTimestamp();
  int64 created = 0;
  int64 scanned = 0;
  int64 disabled_team = 0;
  bool saw_disabled_team = false;
  for (uint64 i = 0; team_given && i < source_count; i++) {
    constexpr auto kClient = autotime::Driver::BackfillClient;
    autotime::pg::Arguments<kClient> args;
    args.set(AUTOTIME_PARAMETER(kClient, "client_id"), Int64GetDatum(client_id));
    args.set(AUTOTIME_PARAMETER(kClient, "team_id"), Int64GetDatum(team_id));
    const char *doing = psprintf("autotime backfill of client " INT64_FORMAT " from \"%s\"", client_id,
                                 get_rel_name(sources[i]));
    const auto result =
        autotime::pg::run_pipeline(sources[i], args, false, false, doing);
    uint64 written = 0, unlinked = 0;
    (void)autotime::pg::step_ran(result, "write", &written);
    (void)autotime::pg::step_ran(result, "unlinked", &unlinked);
    created += std::max<int64>(static_cast<int64>(written) - autotime::pg::sessions_merged(result), 0);
    scanned += static_cast<int64>(unlinked);
    if (autotime::pg::result_rows(result) == 1) {
      bool isnull = false;
      const Datum team = autotime::pg::result_value(
          result, AUTOTIME_RESULT(kClient, "disabled_team"), 0, &isnull);
      if (!isnull) {
        saw_disabled_team = true;
        disabled_team = DatumGetInt64(team);
      }
    }
  }
  if (created > 0) clear_resolved_failures();
  if (team_given) record_client_run(team_id, client_id, started_at, created, scanned);
  SPI_finish();

  if (!team_given)
    ereport(NOTICE, (errmsg("client " INT64_FORMAT " has no activity in any table attached to autotime", client_id),
                     errhint("Check the client id; SELECT source FROM autotime.attachments lists the tables.")));
  if (created == 0 && saw_disabled_team)
    ereport(NOTICE, (errmsg("autotime is disabled for team " INT64_FORMAT "; no entries were created for client " INT64_FORMAT,
                            disabled_team, client_id),
                     errhint("Set enabled = true in autotime.team_settings for that team, then run the backfill again.")));
  if (created > PG_INT32_MAX)
    ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("backfill created more entries than an integer holds")));
  PG_RETURN_INT32(static_cast<int32>(created));
}

// backfill_batch(source, team_id, since, after_id, upto_id, OUT created, OUT scanned)
AUTOTIME_SQL_FUNCTION(autotime_backfill_batch) {
  for (int i : {0, 1, 3, 4})
    if (PG_ARGISNULL(i))
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                      errmsg("autotime.backfill_batch needs a source, a team and an id range")));
  TupleDesc result_desc;
  if (get_call_result_type(fcinfo, nullptr, &result_desc) != TYPEFUNC_COMPOSITE)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("backfill_batch must return a record")));
  const Oid source = PG_GETARG_OID(0);
  constexpr auto kTeam = autotime::Driver::BackfillTeam;
  autotime::pg::Arguments<kTeam> args;
  args.set_arg(AUTOTIME_PARAMETER(kTeam, "team_id"), fcinfo, 1);
  args.set_arg(AUTOTIME_PARAMETER(kTeam, "since"), fcinfo, 2);
  args.set_arg(AUTOTIME_PARAMETER(kTeam, "after_id"), fcinfo, 3);
  args.set_arg(AUTOTIME_PARAMETER(kTeam, "last_id"), fcinfo, 4);

  SPI_connect();
  const char *doing = psprintf("autotime backfill of team " INT64_FORMAT " from \"%s\"", PG_GETARG_INT64(1),
                               get_rel_name(source));
  const auto result = autotime::pg::run_pipeline(source, args, false, false, doing);
  uint64 created = 0, scanned = 0;
  (void)autotime::pg::step_ran(result, "write", &created);
  (void)autotime::pg::step_ran(result, "unlinked", &scanned);
  Datum values[2] = {Int64GetDatum(std::max<int64>(static_cast<int64>(created) - autotime::pg::sessions_merged(result), 0)),
                     Int64GetDatum(static_cast<int64>(scanned))};
  bool result_nulls[2] = {false, false};
  if (DatumGetInt64(values[0]) > 0) clear_resolved_failures();
  SPI_finish();
  result_desc = BlessTupleDesc(result_desc);
  PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_desc, values, result_nulls)));
}

// backfill_range(source, team_id, after_id, since, OUT lo, OUT hi): the ids of the team's rows in
// `source` after `after_id` (NULL: all) and since `since`, read as the table's owner.
AUTOTIME_SQL_FUNCTION(autotime_backfill_range) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("autotime.backfill_range needs a source and a team")));
  TupleDesc result_desc;
  if (get_call_result_type(fcinfo, nullptr, &result_desc) != TYPEFUNC_COMPOSITE)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("backfill_range must return a record")));
  const Oid source = PG_GETARG_OID(0);
  constexpr auto kRange = autotime::Driver::IdRange;
  autotime::pg::Arguments<kRange> args;
  args.set_arg(AUTOTIME_PARAMETER(kRange, "team_id"), fcinfo, 1);
  args.set_arg(AUTOTIME_PARAMETER(kRange, "after_id"), fcinfo, 2);
  args.set_arg(AUTOTIME_PARAMETER(kRange, "since"), fcinfo, 3);
  Datum values[2] = {0, 0};
  bool result_nulls[2] = {true, true};
  SPI_connect();
  const auto result = autotime::pg::run_pipeline(source, args, false, true,
                                                 psprintf("autotime reading the ids of \"%s\"", get_rel_name(source)));
  if (autotime::pg::result_rows(result) == 1) {
    values[0] = autotime::pg::result_value(result, AUTOTIME_RESULT(kRange, "lo"), 0, &result_nulls[0]);
    values[1] = autotime::pg::result_value(result, AUTOTIME_RESULT(kRange, "hi"), 0, &result_nulls[1]);
  }
  SPI_finish();
  result_desc = BlessTupleDesc(result_desc);
  PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_desc, values, result_nulls)));
}

// in_transaction_block() RETURNS boolean: whether the caller runs inside BEGIN ... (backfill_team
// commits as it goes, which PostgreSQL refuses there with a bare 2D000).
AUTOTIME_SQL_FUNCTION(autotime_in_transaction_block) { PG_RETURN_BOOL(IsTransactionBlock()); }
