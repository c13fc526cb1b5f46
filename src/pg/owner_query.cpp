// autotime.query_as_owner(rel, statement, ids, a, b): the review functions' statements on a bound
// table, run as that table's owner (security-restricted, like capture's steps): a reviewer's
// approve() must not run the entries owner's triggers with the reviewer's or autotime's rights.
// Internal: revoked from PUBLIC, called by autotime's own SECURITY DEFINER functions with
// statements they build from the binding; the arguments reach the statement as $1..$3.
#include "entry_actions.hpp"
#include "boundary.hpp"
#include "identity.hpp"

extern "C" {
#include "utils/tuplestore.h"
}

// query_as_owner(rel regclass, statement text, ids bigint[], a bigint, b bigint [, action text]) RETURNS SETOF record
AUTOTIME_SQL_FUNCTION(autotime_query_as_owner) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("autotime.query_as_owner needs a table and a statement")));
  auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) || (rsinfo->allowedModes & SFRM_Materialize) == 0 ||
      rsinfo->expectedDesc == nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("autotime.query_as_owner must be called in FROM with a column definition list")));
  const Oid owner = autotime::pg::relation_owner(PG_GETARG_OID(0));
  if (!OidIsValid(owner))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation %u does not exist", PG_GETARG_OID(0))));
  const char *statement = text_to_cstring(PG_GETARG_TEXT_PP(1));
  Oid types[3] = {INT8ARRAYOID, INT8OID, INT8OID};
  Datum values[3];
  char nulls[3];
  for (int i = 0; i < 3; i++) {
    values[i] = PG_ARGISNULL(i + 2) ? (Datum)0 : PG_GETARG_DATUM(i + 2);
    nulls[i] = PG_ARGISNULL(i + 2) ? 'n' : ' ';
  }

  MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
  MemoryContext old = MemoryContextSwitchTo(per_query);
  TupleDesc expected = CreateTupleDescCopy(rsinfo->expectedDesc);
  Tuplestorestate *rows = tuplestore_begin_heap(true, false, work_mem);
  MemoryContextSwitchTo(old);

  SPI_connect();
  const int level = NewGUCNestLevel();
  (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                          false);
  // The review action the statement carries out on the entries table, for their history.
  const char *action = PG_NARGS() > 5 && !PG_ARGISNULL(5) ? MemoryContextStrdup(TopTransactionContext, text_to_cstring(PG_GETARG_TEXT_PP(5))) : nullptr;
  const autotime::pg::EntryAction previous_action =
      autotime::pg::begin_entry_action(action == nullptr ? InvalidOid : PG_GETARG_OID(0), action);
  const autotime::pg::SavedIdentity saved = autotime::pg::become(owner);
  int rc = 0;
  PG_TRY();
  { rc = SPI_execute_with_args(statement, 3, types, values, nulls, false, 0); }
  PG_CATCH();
  {
    autotime::pg::restore_identity(saved);
    autotime::pg::end_entry_action(previous_action);
    PG_RE_THROW();
  }
  PG_END_TRY();
  autotime::pg::restore_identity(saved);
  autotime::pg::end_entry_action(previous_action);
  AtEOXact_GUC(true, level);
  if (rc < 0)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime review statement failed: %s", SPI_result_code_string(rc))));
  if (SPI_tuptable != nullptr) {
    TupleDesc got = SPI_tuptable->tupdesc;
    bool same = got->natts == expected->natts;
    for (int i = 0; same && i < got->natts; i++)
      same = TupleDescAttr(got, i)->atttypid == TupleDescAttr(expected, i)->atttypid;
    if (!same)
      ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                      errmsg("autotime review statement returned other columns than its caller expects")));
    old = MemoryContextSwitchTo(per_query);
    for (uint64 i = 0; i < SPI_processed; i++) tuplestore_puttuple(rows, SPI_tuptable->vals[i]);
    MemoryContextSwitchTo(old);
  }
  SPI_finish();
  rsinfo->returnMode = SFRM_Materialize;
  rsinfo->setResult = rows;
  rsinfo->setDesc = expected;
  return (Datum)0;
}
