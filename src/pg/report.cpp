// autotime.capture_report(team_id, since): explain's verdicts counted over a whole team,
// set-based: one Report pipeline per attached table (capture_sql.cpp), each table read as its owner.
#include "capture_plans.hpp"

extern "C" {
#include "utils/tuplestore.h"
}

extern "C" {

PG_FUNCTION_INFO_V1(autotime_capture_report_rows);

// capture_report_rows(team_id bigint, since timestamptz) RETURNS TABLE (kind, outcome, reason, activities, keys):
// keys counts distinct dedupe keys (a replayed text is one activity to capture).
Datum autotime_capture_report_rows(PG_FUNCTION_ARGS) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("autotime.capture_report needs a team id")));
  auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) || (rsinfo->allowedModes & SFRM_Materialize) == 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("capture_report must be called in FROM")));
  TupleDesc result_desc;
  if (get_call_result_type(fcinfo, nullptr, &result_desc) != TYPEFUNC_COMPOSITE)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("capture_report must return rows")));
  MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
  MemoryContext old = MemoryContextSwitchTo(per_query);
  result_desc = CreateTupleDescCopy(result_desc);
  Tuplestorestate *out = tuplestore_begin_heap(true, false, work_mem);
  MemoryContextSwitchTo(old);

  Datum args[2] = {PG_GETARG_DATUM(0), PG_ARGISNULL(1) ? (Datum)0 : PG_GETARG_DATUM(1)};
  const char nulls[2] = {' ', PG_ARGISNULL(1) ? 'n' : ' '};
  SPI_connect();
  uint64 source_count = 0;
  Oid *sources = autotime::pg::attached_sources(&source_count);
  for (uint64 i = 0; i < source_count; i++) {
    const auto result = autotime::pg::run_pipeline(
        sources[i], autotime::Driver::Report, args, nulls, true, true,
        psprintf("autotime capture report of team " INT64_FORMAT " from \"%s\"", PG_GETARG_INT64(0), get_rel_name(sources[i])));
    SPITupleTable *rows = nullptr;
    uint64 count = 0;
    if (!autotime::pg::step_ran(result, "report", &count, &rows)) continue;
    old = MemoryContextSwitchTo(per_query);
    for (uint64 r = 0; r < count; r++) {
      Datum values[5];
      bool row_nulls[5];
      for (int c = 0; c < 5; c++) values[c] = SPI_getbinval(rows->vals[r], rows->tupdesc, c + 1, &row_nulls[c]);
      tuplestore_putvalues(out, result_desc, values, row_nulls);
    }
    MemoryContextSwitchTo(old);
  }
  SPI_finish();
  rsinfo->returnMode = SFRM_Materialize;
  rsinfo->setResult = out;
  rsinfo->setDesc = result_desc;
  return (Datum)0;
}

}  // extern "C"
