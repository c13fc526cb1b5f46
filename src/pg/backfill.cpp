// autotime.backfill_automatic_time(client_id): the live capture statement, run over a client's
// past activity in every attached table. Set-based: one statement per attached table.
#include "capture_plans.hpp"

namespace {

// Failures recorded under on_error = 'record' whose activity a backfill has now linked.
void clear_resolved_failures() {
  if (SPI_execute("SELECT pg_catalog.to_regclass('autotime.capture_failures') IS NOT NULL", true, 1) != SPI_OK_SELECT)
    return;
  bool isnull = false;
  if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))) return;
  if (SPI_execute("DELETE FROM autotime.capture_failures f USING autotime.activity_links l "
                  "WHERE l.team_id OPERATOR(pg_catalog.=) f.team_id AND l.kind OPERATOR(pg_catalog.=) f.kind "
                  "AND l.source_id OPERATOR(pg_catalog.=) f.source_id",
                  false, 0) != SPI_OK_DELETE)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not clear resolved capture failures")));
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(autotime_backfill_automatic_time);

// backfill_automatic_time(client_id bigint) RETURNS integer
Datum autotime_backfill_automatic_time(PG_FUNCTION_ARGS) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("autotime.backfill_automatic_time needs a client id")));
  const int64 client_id = PG_GETARG_INT64(0);

  SPI_connect();
  if (SPI_execute("SELECT a.source::pg_catalog.oid FROM autotime.attachments a ORDER BY a.kind, 1", true, 0) !=
      SPI_OK_SELECT)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read its attachments")));
  const uint64 source_count = SPI_processed;
  Oid *sources = static_cast<Oid *>(palloc(sizeof(Oid) * (source_count + 1)));
  for (uint64 i = 0; i < source_count; i++) {
    bool isnull = false;
    sources[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
  }

  int64 created = 0;
  int64 disabled_team = 0;
  bool saw_disabled_team = false;
  for (uint64 i = 0; i < source_count; i++) {
    Datum args[1] = {Int64GetDatum(client_id)};
    SPIPlanPtr plan = autotime::pg::capture_plan(sources[i], autotime::Driver::BackfillClient);
    const char *doing = psprintf("autotime backfill of client " INT64_FORMAT " from \"%s\"", client_id,
                                 get_rel_name(sources[i]));
    if (autotime::pg::execute_capture(plan, args, false, doing, true) != SPI_OK_SELECT ||
        SPI_processed != 1)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime backfill statement failed")));
    HeapTuple row = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    bool isnull = false;
    created += DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
    const Datum team = SPI_getbinval(row, desc, 3, &isnull);
    if (!isnull) {
      saw_disabled_team = true;
      disabled_team = DatumGetInt64(team);
    }
  }
  if (created > 0) clear_resolved_failures();
  SPI_finish();

  if (created == 0 && saw_disabled_team)
    ereport(NOTICE, (errmsg("autotime is disabled for team " INT64_FORMAT "; no entries were created for client " INT64_FORMAT,
                            disabled_team, client_id),
                     errhint("Set enabled = true in autotime.team_settings for that team, then run the backfill again.")));
  if (created > PG_INT32_MAX)
    ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("backfill created more entries than an integer holds")));
  PG_RETURN_INT32(static_cast<int32>(created));
}

}  // extern "C"

extern "C" {

PG_FUNCTION_INFO_V1(autotime_backfill_batch);

// backfill_batch(source, team_id, since, after_id, upto_id, OUT created, OUT scanned)
Datum autotime_backfill_batch(PG_FUNCTION_ARGS) {
  for (int i : {0, 1, 3, 4})
    if (PG_ARGISNULL(i))
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                      errmsg("autotime.backfill_batch needs a source, a team and an id range")));
  TupleDesc result_desc;
  if (get_call_result_type(fcinfo, nullptr, &result_desc) != TYPEFUNC_COMPOSITE)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("backfill_batch must return a record")));
  const Oid source = PG_GETARG_OID(0);
  Datum args[4] = {PG_GETARG_DATUM(1), PG_ARGISNULL(2) ? (Datum)0 : PG_GETARG_DATUM(2), PG_GETARG_DATUM(3),
                   PG_GETARG_DATUM(4)};
  const char nulls[5] = {' ', PG_ARGISNULL(2) ? 'n' : ' ', ' ', ' ', '\0'};

  SPI_connect();
  SPIPlanPtr plan = autotime::pg::capture_plan(source, autotime::Driver::BackfillTeam);
  int rc = 0;
  {
    const char *doing = psprintf("autotime backfill of team " INT64_FORMAT " from \"%s\"", PG_GETARG_INT64(1),
                                 get_rel_name(source));
    rc = autotime::pg::execute_capture_with_nulls(plan, args, nulls, false, doing, true);
  }
  if (rc != SPI_OK_SELECT || SPI_processed != 1)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime backfill statement failed")));
  bool isnull = false;
  Datum values[2];
  bool result_nulls[2] = {false, false};
  values[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
  values[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
  if (DatumGetInt64(values[0]) > 0) clear_resolved_failures();
  SPI_finish();
  result_desc = BlessTupleDesc(result_desc);
  PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_desc, values, result_nulls)));
}

}  // extern "C"
