// Statement-level trigger entry points: the set-based live capture path. Each runs the relation's
// kept capture statement once per statement over its transition tables, whether the statement
// inserted one row, a multi-row VALUES list or a COPY.
#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>

#include "plan_cache.hpp"
#include "boundary.hpp"
#include "ledger_probes.hpp"
#include "settings_cache.hpp"
#include "module.hpp"
#include "row_decision.hpp"
#include "slot_values.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/tuptable.h"
#include "utils/datum.h"
#include "utils/queryenvironment.h"
#include "utils/resowner.h"
}


namespace {

void capture_error_context(void *arg) {
  const auto *relation = static_cast<Relation>(arg);
  errcontext("autotime capture of rows written to \"%s\"", RelationGetRelationName(relation));
}

enum class Event { Insert, Update, Delete, Truncate };

const char *event_name(Event event) {
  switch (event) {
    case Event::Insert: return "INSERT";
    case Event::Update: return "UPDATE";
    case Event::Delete: return "DELETE";
    case Event::Truncate: return "TRUNCATE";
  }
  return "?";
}

bool fired_by(const TriggerData *trigger, Event event) {
  switch (event) {
    case Event::Insert: return TRIGGER_FIRED_BY_INSERT(trigger->tg_event) && trigger->tg_newtable != nullptr;
    case Event::Update:
      return TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) && trigger->tg_newtable != nullptr &&
             trigger->tg_oldtable != nullptr;
    case Event::Delete: return TRIGGER_FIRED_BY_DELETE(trigger->tg_event) && trigger->tg_oldtable != nullptr;
    case Event::Truncate: return TRIGGER_FIRED_BY_TRUNCATE(trigger->tg_event);
  }
  return false;
}

// The first row of a transition table, in a slot the caller drops; rows are left as found for the
// statements' own scans (each allocates its own read pointer).
TupleTableSlot *first_row(Tuplestorestate *rows, Relation relation) {
  TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(relation), &TTSOpsMinimalTuple);
  tuplestore_rescan(rows);
  if (!tuplestore_gettupleslot(rows, true, true, slot)) ExecClearTuple(slot);
  tuplestore_rescan(rows);
  return slot;
}

// The GUC nest level at which this capture set its search_path, or -1 (run_capture_trigger).
int capture_path_level = -1;

void ensure_capture_path() {
  if (capture_path_level >= 0) return;
  capture_path_level = NewGUCNestLevel();
  autotime::pg::use_capture_path();
}

const char *capture_doing(TriggerData *trigger) {
  return psprintf("autotime capture of rows written to \"%s\"", RelationGetRelationName(trigger->tg_relation));
}

// Whether the one-row write that inserted no entry (a rare case: the claim lost to another's, or an
// entry was refused) left this transaction holding the activity's link without it. The write on a
// partitioned entries table has no arbiter (capture_sql.cpp ClaimLink), so that is then written
// again with the activity's key as its only arbiter: the activity's own entry is kept, another
// unique key's refusal raised.
bool claimed_without_entry(Oid relid, const autotime::pg::RowPrecheck &precheck, const Datum *values,
                           const char *nulls, CommandId claimed_since) {
  if (!precheck.entry_write_untargeted) return false;  // its arbiter was the activity's key already
  constexpr autotime::Driver kClaim = autotime::Driver::ClaimLink;
  const int provider = AUTOTIME_PARAMETER(kClaim, "provider_key");
  const char *provider_key = nulls[provider] == 'n' ? nullptr : TextDatumGetCString(values[provider]);
  // (A re-sent text lands here every time: its key is its provider's, whatever the id space.)
  const char *key_space = provider_key != nullptr ? nullptr : autotime::pg::load_binding(relid).key_space;
  return autotime::pg::link_claimed_in_this_transaction(
      DatumGetInt64(values[AUTOTIME_PARAMETER(kClaim, "team_id")]), autotime::kind_name(precheck.kind).data(),
      DatumGetInt64(values[AUTOTIME_PARAMETER(kClaim, "source_id")]), provider_key, key_space, claimed_since);
}

// One inserted activity on tables with the usual keys, decided by index probes (row_decision.cpp);
// then the link is claimed (as autotime) and, only if this statement claimed it, the entry
// written (as the entries table's owner), from the decided values as parameters: one statement
// when both are the same role. False when the row needs the set-based pipeline instead.
bool capture_row_directly(TriggerData *trigger, const autotime::pg::RowPrecheck &precheck, TupleTableSlot *row) {
  if (!precheck.usable || !precheck.direct.usable || row == nullptr || TTS_EMPTY(row)) return false;
  constexpr autotime::Driver kClaim = autotime::Driver::ClaimLink;
  constexpr int kValues = autotime::statement(kClaim).parameter_count;
  Datum values[kValues];
  char nulls[kValues];
  bool captured = false;
  if (!autotime::pg::decide_row_directly(row, precheck, values, nulls, &captured)) return false;
  if (!captured) return true;
  ensure_capture_path();
  const Oid relid = RelationGetRelid(trigger->tg_relation);
  const CommandId claimed_since = GetCurrentCommandId(false);
  const autotime::pg::PipelineResult claim =
      autotime::pg::run_pipeline(relid, kClaim, values, nulls, false, false, capture_doing(trigger));
  uint64 written = 0;
  (void)autotime::pg::step_ran(claim, "write", &written);
  if (written == 0 && claimed_without_entry(relid, precheck, values, nulls, claimed_since))
    (void)autotime::pg::run_pipeline(relid, autotime::Driver::WriteClaimedEntry, values, nulls, false, false,
                                     capture_doing(trigger));
  return true;
}

// True when the one written row (`row`, nullptr when not read) fails its kind's default
// qualification: it will not be captured, and no statement needs to run.
bool row_cannot_qualify(TupleTableSlot *row, const autotime::pg::RowPrecheck &precheck) {
  if (!precheck.usable || row == nullptr || TTS_EMPTY(row)) return false;
  autotime::QualificationValues values;
  if (precheck.status != InvalidAttrNumber) values.status = autotime::pg::column_text(row, precheck.status);
  if (precheck.direction != InvalidAttrNumber) values.direction = autotime::pg::column_text(row, precheck.direction);
  if (precheck.value != InvalidAttrNumber) {
    bool isnull = false;
    (void)slot_getattr(row, precheck.value, &isnull);
    values.value_present = !isnull;
  }
  return !autotime::qualifies_by_default(precheck.kind, values);
}

// True when the one updated row (`after`, nullptr when not read) kept every one of `columns` (the
// same bytes): false when any is unknown (InvalidAttrNumber).
bool columns_unchanged(TriggerData *trigger, TupleTableSlot *after, const AttrNumber *columns, int count) {
  if (after == nullptr || TTS_EMPTY(after)) return false;
  for (int i = 0; i < count; i++)
    if (columns[i] == InvalidAttrNumber) return false;
  TupleTableSlot *before = first_row(trigger->tg_oldtable, trigger->tg_relation);
  bool unchanged = !TTS_EMPTY(before);
  for (int i = 0; unchanged && i < count; i++) {
    bool null_before = false, null_after = false;
    const Datum old_value = slot_getattr(before, columns[i], &null_before);
    const Datum new_value = slot_getattr(after, columns[i], &null_after);
    const Form_pg_attribute attribute = TupleDescAttr(RelationGetDescr(trigger->tg_relation), columns[i] - 1);
    unchanged = null_before == null_after &&
                (null_before || datumIsEqual(old_value, new_value, attribute->attbyval, attribute->attlen));
  }
  ExecDropSingleTupleTableSlot(before);
  return unchanged;
}

// The row count a transition table, or a piece of one, of `rows` rows is registered with: bulk
// plans are made for kBulkPlanRows whatever the statement's size.
double plan_estimate(int64 rows, bool bulk) {
  return bulk ? std::max<double>(static_cast<double>(rows), autotime::pg::kBulkPlanRows) : static_cast<double>(rows);
}

// Registers the new and old rows (either may be nullptr) as the statement's transition tables.
void register_transition_rows(TriggerData *trigger, Tuplestorestate *new_rows, Tuplestorestate *old_rows, bool bulk) {
  const Oid relid = RelationGetRelid(trigger->tg_relation);
  if (new_rows != nullptr)
    autotime::pg::register_rows(autotime::kNewTable.data(), nullptr, relid, new_rows,
                                plan_estimate(tuplestore_tuple_count(new_rows), bulk));
  if (old_rows != nullptr)
    autotime::pg::register_rows(autotime::kOldTable.data(), nullptr, relid, old_rows,
                                plan_estimate(tuplestore_tuple_count(old_rows), bulk));
}

void register_statement_rows(TriggerData *trigger, bool bulk) {
  register_transition_rows(trigger, trigger->tg_newtable, trigger->tg_oldtable, bulk);
}

// Moves up to `limit` rows from `rows` (read forward) into `piece`; false when `rows` ran out.
bool take_rows(Tuplestorestate *rows, Tuplestorestate *piece, TupleTableSlot *slot, int64 limit, int64 *taken) {
  for (*taken = 0; *taken < limit; ++*taken) {
    if (!tuplestore_gettupleslot(rows, true, false, slot)) return false;
    tuplestore_puttupleslot(piece, slot);
  }
  return true;
}

// A statement that writes more than autotime.capture_chunk_rows rows (an INSERT or COPY, an
// UPDATE, a DELETE) is captured that many rows at a time, each piece as if it were a statement of
// its own (which gets what one statement of all the rows would: the differential tests hold one
// row at a time and many to agree). Each entry written, moved or deleted queues its foreign-key
// checks and row triggers as after-trigger events, kept in memory until the statement that wrote
// it ends: one statement per piece fires and frees them, so memory does not grow with the rows.
// An UPDATE's old and new rows are paired by position (capture_sql.cpp), so both are split in
// step. The whole transition tables are registered again afterwards.
void capture_in_pieces(TriggerData *trigger, autotime::Driver driver, bool bulk) {
  const Oid relid = RelationGetRelid(trigger->tg_relation);
  Tuplestorestate *new_rows = trigger->tg_newtable, *old_rows = trigger->tg_oldtable;
  TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(trigger->tg_relation), &TTSOpsMinimalTuple);
  for (Tuplestorestate *rows : {new_rows, old_rows})
    if (rows != nullptr) tuplestore_rescan(rows);
  for (bool more = true; more;) {
    Tuplestorestate *new_piece = new_rows == nullptr ? nullptr : tuplestore_begin_heap(false, false, work_mem);
    Tuplestorestate *old_piece = old_rows == nullptr ? nullptr : tuplestore_begin_heap(false, false, work_mem);
    int64 count = 0, old_count = 0;
    if (new_rows != nullptr) more = take_rows(new_rows, new_piece, slot, autotime::pg::capture_chunk_rows, &count);
    if (old_rows != nullptr) {
      const bool old_more = take_rows(old_rows, old_piece, slot,
                                      new_rows == nullptr ? autotime::pg::capture_chunk_rows : count, &old_count);
      if (new_rows == nullptr) {
        more = old_more;
        count = old_count;
      }
    }
    if (count > 0) {
      register_transition_rows(trigger, new_piece, old_piece, bulk);
      (void)autotime::pg::run_pipeline(relid, driver, nullptr, nullptr, bulk, false, capture_doing(trigger));
    }
    for (Tuplestorestate *piece : {new_piece, old_piece})
      if (piece != nullptr) tuplestore_end(piece);
  }
  for (Tuplestorestate *rows : {new_rows, old_rows})
    if (rows != nullptr) tuplestore_rescan(rows);
  ExecDropSingleTupleTableSlot(slot);
  register_statement_rows(trigger, bulk);
}

// Runs the relation's pipeline for `driver` over the registered transition tables. One inserted
// row (the live case) is first checked against its kind's default qualification in C, then
// decided by index probes where the tables allow it.
void run_step(TriggerData *trigger, autotime::Driver driver, bool bulk) {
  const Oid relid = RelationGetRelid(trigger->tg_relation);
  if (driver == autotime::Driver::Insert && tuplestore_tuple_count(trigger->tg_newtable) == 1) {
    const autotime::pg::RowPrecheck precheck = autotime::pg::row_precheck(relid);
    TupleTableSlot *row = precheck.usable ? first_row(trigger->tg_newtable, trigger->tg_relation) : nullptr;
    const bool done = row_cannot_qualify(row, precheck) || capture_row_directly(trigger, precheck, row);
    if (row != nullptr) ExecDropSingleTupleTableSlot(row);
    if (done) return;
  }
  ensure_capture_path();
  Tuplestorestate *rows = trigger->tg_newtable != nullptr ? trigger->tg_newtable : trigger->tg_oldtable;
  if (tuplestore_tuple_count(rows) > autotime::pg::capture_chunk_rows) {
    capture_in_pieces(trigger, driver, bulk);
    return;
  }
  (void)autotime::pg::run_pipeline(relid, driver, nullptr, nullptr, bulk, false, capture_doing(trigger));
}

// Records a failure for every row of the statement, by the team and id read straight from the
// row (no cast, no qualifies: nothing of the attachment that just failed), when every enabled team
// among them has on_error = 'record'. Returns how many rows' teams want the error raised (> 0),
// 0 when recorded, or 1 when the rows' team and id can't be read.
int64 record_rows_directly(TriggerData *trigger, Datum sqlstate, Datum message) {
  const Oid relid = RelationGetRelid(trigger->tg_relation);
  const autotime::pg::RowPrecheck precheck = autotime::pg::row_precheck(relid);
  if (precheck.key_team == InvalidAttrNumber || precheck.key_id == InvalidAttrNumber) return 1;
  Tuplestorestate *rows = trigger->tg_newtable;
  const int64 count = tuplestore_tuple_count(rows);
  Datum *teams = static_cast<Datum *>(palloc(sizeof(Datum) * (count + 1)));
  Datum *ids = static_cast<Datum *>(palloc(sizeof(Datum) * (count + 1)));
  int n = 0;
  TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(trigger->tg_relation), &TTSOpsMinimalTuple);
  tuplestore_rescan(rows);
  while (tuplestore_gettupleslot(rows, true, true, slot)) {
    const auto team = autotime::pg::column_integer(slot, precheck.key_team);
    const auto id = autotime::pg::column_integer(slot, precheck.key_id);
    if (!team || !id) continue;
    teams[n] = Int64GetDatum(*team);
    ids[n] = Int64GetDatum(*id);
    n++;
  }
  tuplestore_rescan(rows);
  ExecDropSingleTupleTableSlot(slot);
  Oid types[5] = {INT8ARRAYOID, INT8ARRAYOID, REGCLASSOID, TEXTOID, TEXTOID};
  Datum values[5] = {PointerGetDatum(construct_array(teams, n, INT8OID, 8, true, TYPALIGN_DOUBLE)),
                     PointerGetDatum(construct_array(ids, n, INT8OID, 8, true, TYPALIGN_DOUBLE)),
                     ObjectIdGetDatum(relid), sqlstate, message};
  static const char *sql =
      "WITH r AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(team_id, source_id)), "
      "a AS (SELECT x.kind, x.source FROM autotime.attachments x WHERE x.source OPERATOR(pg_catalog.=) $3 OR x.source IN "
      "(SELECT p.relid FROM pg_catalog.pg_partition_ancestors($3) p) LIMIT 1), "
      "teams AS (SELECT r.team_id, r.source_id, st.on_error FROM r JOIN autotime.team_settings st "
      "ON st.team_id OPERATOR(pg_catalog.=) r.team_id AND st.enabled), "
      "recorded AS (INSERT INTO autotime.capture_failures AS f (team_id, kind, source, source_id, sqlstate, message) "
      "SELECT t.team_id, a.kind, a.source, t.source_id, $4, $5 FROM teams t, a WHERE NOT EXISTS (SELECT 1 FROM teams x "
      "WHERE x.on_error OPERATOR(pg_catalog.<>) 'record'::pg_catalog.text) "
      "ON CONFLICT ON CONSTRAINT capture_failures_one_per_activity DO UPDATE SET sqlstate = EXCLUDED.sqlstate, "
      "message = EXCLUDED.message, failed_at = pg_catalog.now() RETURNING 1) "
      "SELECT (SELECT pg_catalog.count(*) FROM teams WHERE on_error OPERATOR(pg_catalog.<>) 'record'::pg_catalog.text), "
      "(SELECT pg_catalog.count(*) FROM recorded)";
  if (SPI_execute_with_args(sql, 5, types, values, nullptr, false, 0) != SPI_OK_SELECT || SPI_processed != 1) return 1;
  bool isnull = false;
  return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

// Runs the capture step in a subtransaction. On failure, the statement's qualifying rows are
// recorded in autotime.capture_failures when every team among them has on_error = 'record' (the
// activity is kept, a later backfill retries it); otherwise the original error is raised.
void run_step_recording_failures(TriggerData *trigger, autotime::Driver driver, autotime::Driver record_driver,
                                 bool bulk) {
  MemoryContext caller_context = CurrentMemoryContext;
  ResourceOwner caller_owner = CurrentResourceOwner;
  ErrorData *volatile failure = nullptr;
  // A search_path set inside the subtransaction ends with it (committed or not).
  const int outer_path_level = capture_path_level;
  BeginInternalSubTransaction(nullptr);
  MemoryContextSwitchTo(caller_context);
  PG_TRY();
  {
    run_step(trigger, driver, bulk);
    ReleaseCurrentSubTransaction();
    MemoryContextSwitchTo(caller_context);
    CurrentResourceOwner = caller_owner;
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(caller_context);
    failure = CopyErrorData();
    FlushErrorState();
    RollbackAndReleaseCurrentSubTransaction();
    MemoryContextSwitchTo(caller_context);
    CurrentResourceOwner = caller_owner;
  }
  PG_END_TRY();
  capture_path_level = outer_path_level;
  if (failure == nullptr) return;
  // The failure may have come from a piece of the rows (capture_in_pieces): all of them are recorded.
  register_statement_rows(trigger, bulk);

  // The same parameters for either driver (statements.hpp).
  constexpr auto kRecord = autotime::Driver::RecordInsertFailures;
  static_assert(autotime::statement(kRecord).parameters == autotime::statement(autotime::Driver::RecordUpdateFailures).parameters);
  autotime::pg::Arguments<kRecord> args;
  args.set(AUTOTIME_PARAMETER(kRecord, "sqlstate"), CStringGetTextDatum(unpack_sql_state(failure->sqlerrcode)));
  args.set(AUTOTIME_PARAMETER(kRecord, "message"),
           CStringGetTextDatum(failure->message != nullptr ? failure->message : ""));
  // Recorded through the attachment (its qualifying rows); when that fails too (a mapping an
  // ALTER broke), straight from the rows' team and id: the application's write is never lost.
  volatile int64 raising = -1;
  BeginInternalSubTransaction(nullptr);
  MemoryContextSwitchTo(caller_context);
  PG_TRY();
  {
    const auto recorded = autotime::pg::run_pipeline(RelationGetRelid(trigger->tg_relation), record_driver, args.values,
                                                     args.nulls, bulk, false, "autotime recording a capture failure");
    constexpr int kRaising = AUTOTIME_RESULT(kRecord, "raising");
    static_assert(kRaising == AUTOTIME_RESULT(autotime::Driver::RecordUpdateFailures, "raising"));
    raising = 0;
    if (autotime::pg::step_ran(recorded, "record")) {
      bool isnull = false;
      raising = autotime::pg::result_rows(recorded) == 1
                    ? DatumGetInt64(autotime::pg::result_value(recorded, kRaising, 0, &isnull))
                    : 1;
    }
    ReleaseCurrentSubTransaction();
    MemoryContextSwitchTo(caller_context);
    CurrentResourceOwner = caller_owner;
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(caller_context);
    FlushErrorState();
    RollbackAndReleaseCurrentSubTransaction();
    MemoryContextSwitchTo(caller_context);
    CurrentResourceOwner = caller_owner;
    raising = -1;
  }
  PG_END_TRY();
  if (raising < 0)
    raising = record_rows_directly(trigger, args.values[AUTOTIME_PARAMETER(kRecord, "sqlstate")],
                                   args.values[AUTOTIME_PARAMETER(kRecord, "message")]);
  if (raising != 0) ReThrowError(failure);
  ereport(WARNING, (errcode(failure->sqlerrcode),
                    errmsg("autotime could not capture rows written to \"%s\": %s",
                           RelationGetRelationName(trigger->tg_relation), failure->message),
                    errdetail("The activity is kept and the failure recorded in autotime.capture_failures "
                              "(on_error = 'record')."),
                    errhint("Fix the cause, then run autotime.backfill_automatic_time() or autotime.backfill_team().")));
}

// After TRUNCATE: the drafts of the kind whose activity is no longer in the table go. Two tables
// that share an id space (attached for one kind before 1.3) can't tell whose drafts they are: this
// leaves them (with a WARNING): delete the rows instead.
void release_truncated(TriggerData *trigger) {
  const Oid relid = RelationGetRelid(trigger->tg_relation);
  SPI_connect();
  Oid types[1] = {REGCLASSOID};
  Datum values[1] = {ObjectIdGetDatum(relid)};
  if (SPI_execute_with_args("SELECT pg_catalog.count(*) FROM autotime.attachments a JOIN autotime.attachments b "
                            "ON b.kind OPERATOR(pg_catalog.=) a.kind AND b.key_space IS NOT DISTINCT FROM a.key_space WHERE a.source OPERATOR(pg_catalog.=) $1 OR a.source IN "
                            "(SELECT x.relid FROM pg_catalog.pg_partition_ancestors($1) x)",
                            1, types, values, nullptr, true, 1) != SPI_OK_SELECT)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read its attachments")));
  bool isnull = false;
  const int64 same_kind = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
  if (same_kind == 1)
    (void)autotime::pg::run_pipeline(relid, autotime::Driver::Truncate, nullptr, nullptr, true, false,
                                     capture_doing(trigger));
  else if (same_kind > 1)
    ereport(WARNING, (errmsg("autotime left the draft entries of truncated \"%s\" in place",
                             RelationGetRelationName(trigger->tg_relation)),
                      errdetail("Another table attached for the same kind shares its id space (both were attached "
                                "before 1.3), and entries don't say which table their activity was in."),
                      errhint("DELETE the rows instead of TRUNCATE: a deletion takes its drafts along.")));
  SPI_finish();
}

Datum run_capture_trigger(FunctionCallInfo fcinfo, Event event, const char *function_name) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("%s was not called by the trigger manager", function_name),
                    errhint("autotime.attach() creates the triggers that call it.")));
  auto *trigger = reinterpret_cast<TriggerData *>(fcinfo->context);
  if (!TRIGGER_FIRED_AFTER(trigger->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(trigger->tg_event) ||
      !fired_by(trigger, event))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("%s must be fired AFTER %s FOR EACH STATEMENT with transition tables", function_name,
                           event_name(event)),
                    errhint("Recreate the trigger with autotime.attach().")));
  if (event == Event::Truncate) {
    release_truncated(trigger);
    return PointerGetDatum(nullptr);
  }
  Tuplestorestate *rows = event == Event::Delete ? trigger->tg_oldtable : trigger->tg_newtable;
  if (tuplestore_tuple_count(rows) == 0) return PointerGetDatum(nullptr);
  // autotime.capture = off (a DBA's bulk load): the rows wait for a backfill. Deletions still
  // take their drafts along, so nothing is left pointing at a row that is gone.
  if (!autotime::pg::capture_enabled && event != Event::Delete) return PointerGetDatum(nullptr);

  ErrorContextCallback context;
  context.callback = capture_error_context;
  context.arg = trigger->tg_relation;
  context.previous = error_context_stack;
  error_context_stack = &context;

  const int64 row_count = tuplestore_tuple_count(rows);
  const bool bulk = row_count > autotime::pg::kBulkRows;
  SPI_connect();
  // One search_path for all the statements this capture runs, set when the first runs (a row
  // that can't qualify runs none); an error unwinds it.
  const int outer_path_level = capture_path_level;
  capture_path_level = -1;
  register_statement_rows(trigger, bulk);
  const bool record_failures = event != Event::Delete && autotime::pg::any_team_records_errors();
  switch (event) {
    case Event::Insert:
      if (record_failures)
        run_step_recording_failures(trigger, autotime::Driver::Insert, autotime::Driver::RecordInsertFailures, bulk);
      else
        run_step(trigger, autotime::Driver::Insert, bulk);
      break;
    case Event::Update: {
      // One updated row (a webhook moving a call along): skip what it can't need.
      const bool one = row_count == 1;
      const autotime::pg::RowPrecheck precheck =
          one ? autotime::pg::row_precheck(RelationGetRelid(trigger->tg_relation)) : autotime::pg::RowPrecheck{};
      TupleTableSlot *after = one ? first_row(trigger->tg_newtable, trigger->tg_relation) : nullptr;
      // An identity or client change moves the activity's draft first (it is captured again as
      // it is now); a one-row UPDATE that kept them skips that.
      if (!columns_unchanged(trigger, after, precheck.identity, precheck.identity_count))
        run_step(trigger, autotime::Driver::Rekey, bulk);
      if (!row_cannot_qualify(after, precheck)) {
        if (record_failures)
          run_step_recording_failures(trigger, autotime::Driver::Update, autotime::Driver::RecordUpdateFailures, bulk);
        else
          run_step(trigger, autotime::Driver::Update, bulk);
      }
      if (!columns_unchanged(trigger, after, &precheck.case_id, 1)) run_step(trigger, autotime::Driver::MoveCase, bulk);
      if (after != nullptr) ExecDropSingleTupleTableSlot(after);
      break;
    }
    case Event::Delete:
      run_step(trigger, autotime::Driver::Delete, bulk);
      break;
    case Event::Truncate: break;  // handled above
  }
  if (capture_path_level >= 0) AtEOXact_GUC(true, capture_path_level);
  capture_path_level = outer_path_level;
  SPI_finish();

  error_context_stack = context.previous;
  return PointerGetDatum(nullptr);
}

}  // namespace

// AFTER INSERT ... REFERENCING NEW TABLE AS autotime_new FOR EACH STATEMENT
AUTOTIME_SQL_FUNCTION(autotime_capture_insert) {
  return run_capture_trigger(fcinfo, Event::Insert, "autotime.capture_insert()");
}

// AFTER UPDATE ... REFERENCING OLD TABLE AS autotime_old NEW TABLE AS autotime_new FOR EACH STATEMENT
AUTOTIME_SQL_FUNCTION(autotime_capture_update) {
  return run_capture_trigger(fcinfo, Event::Update, "autotime.capture_update()");
}

// AFTER DELETE ... REFERENCING OLD TABLE AS autotime_old FOR EACH STATEMENT
AUTOTIME_SQL_FUNCTION(autotime_capture_delete) {
  return run_capture_trigger(fcinfo, Event::Delete, "autotime.capture_delete()");
}

// AFTER TRUNCATE ... FOR EACH STATEMENT
AUTOTIME_SQL_FUNCTION(autotime_capture_truncate) {
  return run_capture_trigger(fcinfo, Event::Truncate, "autotime.capture_truncate()");
}
