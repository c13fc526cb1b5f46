// autotime.capture_report(team_id, since): explain's verdicts counted over a whole team,
// set-based: one Report pipeline per attached table (capture_sql.cpp), each table read as its owner.
#include "binding.hpp"
#include "boundary.hpp"
#include "plan_cache.hpp"

extern "C" {
#include "utils/tuplestore.h"
}

// capture_report_rows(team_id bigint, since timestamptz) RETURNS TABLE (kind, outcome, reason, activities, keys):
// keys counts distinct dedupe keys (a replayed text is one activity to capture).
AUTOTIME_SQL_FUNCTION(autotime_capture_report_rows) {
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

  constexpr auto kReport = autotime::Driver::Report;
  autotime::pg::Arguments<kReport> args;
  args.set_arg(AUTOTIME_PARAMETER(kReport, "team_id"), fcinfo, 0);
  args.set_arg(AUTOTIME_PARAMETER(kReport, "since"), fcinfo, 1);
  // capture_report's columns, in its declared order.
  constexpr int kColumns[] = {AUTOTIME_RESULT(kReport, "kind"), AUTOTIME_RESULT(kReport, "outcome"),
                              AUTOTIME_RESULT(kReport, "reason"), AUTOTIME_RESULT(kReport, "activities"),
                              AUTOTIME_RESULT(kReport, "keys")};
  SPI_connect();
  uint64 source_count = 0;
  Oid *sources = autotime::pg::attached_sources(&source_count);
  for (uint64 i = 0; i < source_count; i++) {
    const auto result = autotime::pg::run_pipeline(
        sources[i], args, true, true,
        psprintf("autotime capture report of team " INT64_FORMAT " from \"%s\"", PG_GETARG_INT64(0), get_rel_name(sources[i])));
    old = MemoryContextSwitchTo(per_query);
    for (uint64 r = 0; r < autotime::pg::result_rows(result); r++) {
      Datum values[std::size(kColumns)];
      bool row_nulls[std::size(kColumns)];
      for (size_t c = 0; c < std::size(kColumns); c++)
        values[c] = autotime::pg::result_value(result, kColumns[c], r, &row_nulls[c]);
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
