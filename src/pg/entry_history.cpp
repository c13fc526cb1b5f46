// The triggers autotime puts on the bound time_entries table (SPEC §7):
// - autotime_entry_history (AFTER INSERT OR UPDATE OR DELETE, rows with a source_kind): one row of
//   autotime.entry_history per change to an entry autotime made, whoever made it, with the changed
//   columns' values before and after; then the entry's flags against its client's billing rules.
// - autotime_entry_guidelines (BEFORE INSERT, rows with a source_kind): an entry of a kind its
//   client's guidelines don't bill (billing_rules nonbillable_kinds) is born non-billable.
// Neither is SECURITY DEFINER: they read the row as the role that changed it and write autotime's
// tables as autotime (identity.hpp), with fixed statements; column values become JSON through their
// types' output functions (C functions only a superuser creates), never through a cast a table's
// owner could define. The actor is the session's role (GetOuterUserId: SET ROLE counts,
// SECURITY DEFINER functions and autotime's own switches don't).
#include <type_traits>
#include <utility>

#include "plan_cache.hpp"
#include "boundary.hpp"
#include "settings_cache.hpp"
#include "entry_actions.hpp"
#include "history_insert.hpp"
#include "identity.hpp"

extern "C" {
#include "catalog/partition.h"
#include "utils/syscache.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
#include "nodes/pg_list.h"
#include "utils/numeric.h"
}

namespace autotime::pg {
namespace {

EntryAction current_action;

// The column of the trigger's table named by trigger argument `n`; an error naming the fix when
// the table no longer has it (renamed or dropped after bind).
int column_of(TriggerData *trigger, int n) {
  const char *name = trigger->tg_trigger->tgargs[n];
  const int attnum = SPI_fnumber(RelationGetDescr(trigger->tg_relation), name);
  if (attnum <= 0)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the time entries table %s has no column \"%s\" any more", RelationGetRelationName(trigger->tg_relation), name),
                    errdetail("autotime keeps the history and flags of its entries by that column."),
                    errhint("Bind the table again with its current columns: SELECT autotime.bind('time_entries', '%s'::regclass, columns => ...).",
                            RelationGetRelationName(trigger->tg_relation))));
  return attnum;
}

JsonbValue json_string(const char *text, int len) {
  JsonbValue value;
  value.type = jbvString;
  value.val.string.val = const_cast<char *>(text);
  value.val.string.len = len;
  return value;
}

// A value printed as `text` (of base type `base`) as the JSON the history keeps: a finite numeric
// as a number, everything else as a string of its text form.
JsonbValue printed_json(Oid base, const char *text) {
  if (base == NUMERICOID && strcmp(text, "NaN") != 0 && strstr(text, "Infinity") == nullptr) {
    JsonbValue value;
    value.type = jbvNumeric;
    value.val.numeric = DatumGetNumeric(
        DirectFunctionCall3(numeric_in, CStringGetDatum(text), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
    return value;
  }
  return json_string(text, static_cast<int>(strlen(text)));
}

// A date or time in one form whatever the session's DateStyle, TimeZone and IntervalStyle: ISO
// dates, times in UTC, ISO 8601 intervals; nullptr for other types and values out of the range
// PostgreSQL's own output would print otherwise (infinities), which then use the output function.
const char *settled_time_text(Oid type, Datum value) {
  char buf[MAXDATELEN + 1];
  struct pg_tm tm;
  fsec_t fsec;
  switch (type) {
    case DATEOID: {
      const DateADT date = DatumGetDateADT(value);
      if (DATE_NOT_FINITE(date)) return nullptr;
      j2date(date + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
      EncodeDateOnly(&tm, USE_ISO_DATES, buf);
      return pstrdup(buf);
    }
    case TIMESTAMPOID:
    case TIMESTAMPTZOID: {
      const Timestamp at = DatumGetTimestamp(value);
      if (TIMESTAMP_NOT_FINITE(at) || timestamp2tm(at, nullptr, &tm, &fsec, nullptr, nullptr) != 0) return nullptr;
      tm.tm_isdst = 0;  // UTC: a zone to print (+00) for a timestamptz
      EncodeDateTime(&tm, fsec, type == TIMESTAMPTZOID, 0, nullptr, USE_ISO_DATES, buf);
      return pstrdup(buf);
    }
    case INTERVALOID: {
      struct pg_itm itm;
      interval2itm(*DatumGetIntervalP(value), &itm);
      EncodeInterval(&itm, INTSTYLE_ISO_8601, buf);
      return pstrdup(buf);
    }
    default: return nullptr;
  }
}

// What the history needs of each column of a row type to print it: its base type and its type's
// output function, looked up once per row type instead of once per column of every row, and the
// order of the columns' names in a jsonb object (shorter names first, then bytewise: the order
// jsonb keeps its keys in), so that an object's keys are pushed already sorted. Valid while the
// row type's columns keep their types; a type or function changed anywhere forgets them all
// (TYPEOID and PROCOID callbacks). A renamed column only changes the order, which is a hint (jsonb
// sorts the keys again when they are not in order).
struct ColumnOutput {
  Oid type;
  Oid base;
  bool dropped;
  FmgrInfo output;
};
struct RowOutputs {
  Oid rowtype;  // InvalidOid: a free slot
  int natts;
  ColumnOutput *columns;
  int *order;             // column indexes in jsonb key order
  MemoryContext context;  // holds columns and order; deleted when the slot is filled again
};
constexpr int kRowOutputSlots = 8;
RowOutputs row_outputs[kRowOutputSlots];
int next_row_output_slot = 0;
bool row_outputs_callback = false;

// (Only marks the slots: a slot being filled keeps its memory until it is filled again.)
void forget_row_outputs(Datum, int, uint32) {
  for (RowOutputs &slot : row_outputs) slot.rowtype = InvalidOid;
}

bool describes(const RowOutputs &slot, TupleDesc desc) {
  if (slot.rowtype != desc->tdtypeid || slot.natts != desc->natts) return false;
  for (int i = 0; i < desc->natts; i++) {
    const Form_pg_attribute att = TupleDescAttr(desc, i);
    if (slot.columns[i].dropped != att->attisdropped || (!att->attisdropped && slot.columns[i].type != att->atttypid))
      return false;
  }
  return true;
}

const RowOutputs &outputs_of(TupleDesc desc) {
  for (const RowOutputs &slot : row_outputs)
    if (slot.rowtype != InvalidOid && describes(slot, desc)) return slot;
  if (!row_outputs_callback) {
    CacheRegisterSyscacheCallback(TYPEOID, forget_row_outputs, (Datum)0);
    CacheRegisterSyscacheCallback(PROCOID, forget_row_outputs, (Datum)0);  // an output function replaced
    row_outputs_callback = true;
  }
  RowOutputs &slot = row_outputs[next_row_output_slot];
  next_row_output_slot = (next_row_output_slot + 1) % kRowOutputSlots;
  slot.rowtype = InvalidOid;  // (filled below; an error on the way leaves it free)
  if (slot.context != nullptr) MemoryContextDelete(slot.context);
  slot.context = AllocSetContextCreate(CacheMemoryContext, "autotime entry history outputs", ALLOCSET_SMALL_SIZES);
  auto *columns = static_cast<ColumnOutput *>(MemoryContextAllocZero(slot.context, sizeof(ColumnOutput) * Max(desc->natts, 1)));
  auto *order = static_cast<int *>(MemoryContextAllocZero(slot.context, sizeof(int) * Max(desc->natts, 1)));
  for (int i = 0; i < desc->natts; i++) {
    const Form_pg_attribute att = TupleDescAttr(desc, i);
    ColumnOutput &column = columns[i];
    column.dropped = att->attisdropped;
    order[i] = i;
    if (column.dropped) continue;
    column.type = att->atttypid;
    column.base = getBaseType(att->atttypid);
    Oid output;
    bool varlena;
    getTypeOutputInfo(att->atttypid, &output, &varlena);
    fmgr_info_cxt(output, &column.output, slot.context);
  }
  // Insertion sort by (name length, name bytes): a table has few columns.
  const auto before = [desc](int a, int b) {
    const char *x = NameStr(TupleDescAttr(desc, a)->attname), *y = NameStr(TupleDescAttr(desc, b)->attname);
    const size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? lx < ly : memcmp(x, y, lx) < 0;
  };
  for (int i = 1; i < desc->natts; i++)
    for (int j = i; j > 0 && before(order[j], order[j - 1]); j--) std::swap(order[j], order[j - 1]);
  slot.natts = desc->natts;
  slot.columns = columns;
  slot.order = order;
  slot.rowtype = desc->tdtypeid;
  return slot;
}

// Column `attnum` of `tuple` as text (nullptr when NULL), printed with its type's output function
// (dates and times settled as in the history).
const char *column_text(HeapTuple tuple, TupleDesc desc, int attnum) {
  bool isnull = false;
  const Datum value = heap_getattr(tuple, attnum, desc, &isnull);
  if (isnull) return nullptr;
  const ColumnOutput &column = outputs_of(desc).columns[attnum - 1];
  const char *settled = settled_time_text(column.base, value);
  if (settled != nullptr) return settled;
  return OutputFunctionCall(const_cast<FmgrInfo *>(&column.output), value);
}

int64 column_int8(HeapTuple tuple, TupleDesc desc, int attnum) {
  const char *text = column_text(tuple, desc, attnum);
  return text == nullptr ? 0 : DatumGetInt64(DirectFunctionCall1(int8in, CStringGetDatum(text)));
}

// One column of one row as the history keeps it: absent (no row, or NULL) or its JSON value, and
// what tells two rows' values apart: the number of an integer or boolean, else the bytes of its
// text form. Integers, booleans and strings are read straight from the datum (their output
// functions would print exactly that); other types through their text form.
struct ColumnValue {
  bool present;
  bool by_text;
  int64 number;
  const char *text;
  int len;
  JsonbValue json;
};
// (Held across output and detoasting calls, which may raise an ERROR.)
static_assert(std::is_trivially_destructible_v<ColumnValue>);

ColumnValue column_value(HeapTuple tuple, TupleDesc desc, int attnum, const ColumnOutput &column) {
  ColumnValue v = {};
  if (tuple == nullptr) return v;
  bool isnull = false;
  const Datum datum = heap_getattr(tuple, attnum, desc, &isnull);
  if (isnull) return v;
  v.present = true;
  switch (column.base) {
    case INT2OID:
    case INT4OID:
    case INT8OID:
      v.number = column.base == INT2OID ? DatumGetInt16(datum) : column.base == INT4OID ? DatumGetInt32(datum) : DatumGetInt64(datum);
      v.json.type = jbvNumeric;
      v.json.val.numeric = int64_to_numeric(v.number);
      return v;
    case BOOLOID:
      v.number = DatumGetBool(datum) ? 1 : 0;
      v.json.type = jbvBool;
      v.json.val.boolean = DatumGetBool(datum);
      return v;
    case TEXTOID:
    case VARCHAROID:
    case BPCHAROID: {
      const struct varlena *string = PG_DETOAST_DATUM_PACKED(datum);
      v.by_text = true;
      v.text = VARDATA_ANY(string);
      v.len = static_cast<int>(VARSIZE_ANY_EXHDR(string));
      v.json = json_string(v.text, v.len);
      return v;
    }
    default: break;
  }
  const char *settled = settled_time_text(column.base, datum);
  v.by_text = true;
  v.text = settled != nullptr ? settled : OutputFunctionCall(const_cast<FmgrInfo *>(&column.output), datum);
  v.len = static_cast<int>(strlen(v.text));
  v.json = printed_json(column.base, v.text);
  return v;
}

bool same_value(const ColumnValue &a, const ColumnValue &b) {
  if (a.present != b.present) return false;
  if (!a.present) return true;
  return a.by_text ? a.len == b.len && memcmp(a.text, b.text, a.len) == 0 : a.number == b.number;
}

// jsonb's order of an object's keys: shorter first, then bytewise.
int key_order(const JsonbValue &a, const JsonbValue &b) {
  if (a.val.string.len != b.val.string.len) return a.val.string.len < b.val.string.len ? -1 : 1;
  return memcmp(a.val.string.val, b.val.string.val, a.val.string.len);
}

int pair_order(const void *a, const void *b) {
  return key_order(static_cast<const JsonbPair *>(a)->key, static_cast<const JsonbPair *>(b)->key);
}

JsonbValue object_of(JsonbPair *pairs, int count) {
  JsonbValue object;
  object.type = jbvObject;
  object.val.object.nPairs = count;
  object.val.object.pairs = pairs;
  return object;
}

// {"column": {"after": ..., "before": ...}, ...} over the columns that differ (an inserted row:
// every non-null column's "after"; a deleted one: its "before"); (Datum) 0 when none differs. Built
// as a jsonb value tree handed to JsonbValueToJsonb, which takes an object's keys as given: they
// are put in jsonb's order here ("after" is shorter than "before"; the columns by outputs.order,
// sorted again should a column's rename have made that order stale) and are unique.
Datum changed_columns(HeapTuple before, HeapTuple after, TupleDesc desc) {
  const RowOutputs &outputs = outputs_of(desc);
  auto *pairs = static_cast<JsonbPair *>(palloc(sizeof(JsonbPair) * Max(desc->natts, 1)));
  int count = 0;
  bool in_order = true;
  for (int k = 0; k < desc->natts; k++) {
    const int i = outputs.order[k];
    const Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped) continue;
    const ColumnOutput &column = outputs.columns[i];
    const ColumnValue old_value = column_value(before, desc, i + 1, column);
    const ColumnValue new_value = column_value(after, desc, i + 1, column);
    if (same_value(old_value, new_value) || (before != nullptr && after == nullptr && !old_value.present)) continue;
    auto *sides = static_cast<JsonbPair *>(palloc(sizeof(JsonbPair) * 2));
    int side_count = 0;
    JsonbValue null_value;
    null_value.type = jbvNull;
    if (after != nullptr)
      sides[side_count++] = {json_string("after", 5), new_value.present ? new_value.json : null_value, 0};
    if (before != nullptr)
      sides[side_count++] = {json_string("before", 6), old_value.present ? old_value.json : null_value, 1};
    JsonbPair &pair = pairs[count];
    pair.key = json_string(NameStr(att->attname), static_cast<int>(strlen(NameStr(att->attname))));
    pair.value = object_of(sides, side_count);
    pair.order = static_cast<uint32>(count);
    if (count > 0 && key_order(pairs[count - 1].key, pair.key) >= 0) in_order = false;
    count++;
  }
  if (count == 0) return (Datum)0;
  if (!in_order) qsort(pairs, count, sizeof(JsonbPair), pair_order);
  JsonbValue object = object_of(pairs, count);
  return JsonbPGetDatum(JsonbValueToJsonb(&object));
}

SPIPlanPtr record_plan = nullptr;
SPIPlanPtr refresh_plan = nullptr;
SPIPlanPtr forget_plan = nullptr;
SPIPlanPtr born_plan = nullptr;

// Runs `statement` as autotime with `n` arguments; saved plans live for the backend (PostgreSQL
// re-plans them when autotime's tables change).
void run_as_autotime(Oid autotime, SPIPlanPtr *plan, const char *statement, int n, Oid *types, Datum *values,
                     const char *nulls) {
  const SavedIdentity saved = become(autotime);
  if (*plan == nullptr) {
    SPIPlanPtr prepared = SPI_prepare(statement, n, types);
    if (prepared == nullptr)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not prepare: %s", statement)));
    SPI_keepplan(prepared);
    *plan = prepared;
  }
  const int rc = SPI_execute_plan(*plan, values, nulls, false, 0);
  restore_identity(saved);
  if (rc < 0)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not keep an entry's history: %s",
                                                           SPI_result_code_string(rc))));
}

// One row of autotime.entry_history: inserted directly when nothing but the row would differ
// (history_insert.hpp), else by the statement, as autotime. SPI is connected.
void record_change(int64 team_id, int64 entry_id, const char *actor, const char *action, Datum changes) {
  if (insert_history_row(team_id, entry_id, actor, action, changes)) return;
  Oid types[5] = {INT8OID, INT8OID, TEXTOID, TEXTOID, JSONBOID};
  Datum values[5] = {Int64GetDatum(team_id), Int64GetDatum(entry_id), actor == nullptr ? (Datum)0 : CStringGetTextDatum(actor),
                     CStringGetTextDatum(action), changes};
  const char nulls[5] = {' ', ' ', actor == nullptr ? 'n' : ' ', ' ', changes == (Datum)0 ? 'n' : ' '};
  run_as_autotime(autotime_owner(), &record_plan,
                  "INSERT INTO autotime.entry_history (team_id, entry_id, actor, action, changes) VALUES ($1, $2, $3, $4, $5)",
                  5, types, values, nulls);
}

bool team_rules_exist(Oid autotime) {
  const SavedIdentity saved = become(autotime);
  const bool exist = (settings_features() & kBillingRules) != 0;
  restore_identity(saved);
  return exist;
}

}  // namespace

EntryAction begin_entry_action(Oid relid, const char *name) {
  const EntryAction previous = current_action;
  current_action = {relid, name};
  return previous;
}

void end_entry_action(const EntryAction &previous) { current_action = previous; }

const char *entry_action_on(Oid relid) { return current_action.relid == relid ? current_action.name : nullptr; }

}  // namespace autotime::pg

// autotime_entry_history AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW: arguments are the table's
// id, team_id and source_kind columns.
AUTOTIME_SQL_FUNCTION(autotime_entry_history) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED), errmsg("autotime.entry_history() is a trigger")));
  auto *trigger = reinterpret_cast<TriggerData *>(fcinfo->context);
  if (!TRIGGER_FIRED_AFTER(trigger->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigger->tg_event) || trigger->tg_trigger->tgnargs != 3)
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("autotime.entry_history() runs AFTER each row, with the id, team_id and source_kind columns")));
  const bool inserted = TRIGGER_FIRED_BY_INSERT(trigger->tg_event);
  const bool deleted = TRIGGER_FIRED_BY_DELETE(trigger->tg_event);
  HeapTuple before = inserted ? nullptr : trigger->tg_trigtuple;
  HeapTuple after = inserted ? trigger->tg_trigtuple : (deleted ? nullptr : trigger->tg_newtuple);
  TupleDesc desc = RelationGetDescr(trigger->tg_relation);
  // Only entries autotime made (a source_kind before or after) have a history.
  const int kind_column = autotime::pg::column_of(trigger, 2);
  bool no_kind_before = true, no_kind_after = true;
  if (before != nullptr) (void)heap_getattr(before, kind_column, desc, &no_kind_before);
  if (after != nullptr) (void)heap_getattr(after, kind_column, desc, &no_kind_after);
  if (no_kind_before && no_kind_after) return PointerGetDatum(nullptr);
  const Oid relid = RelationGetRelid(trigger->tg_relation);
  // A partition's trigger is its parent's clone: the action was begun on the table bound.
  const char *action = inserted ? "created" : autotime::pg::entry_action_on(relid);
  if (action == nullptr && trigger->tg_relation->rd_rel->relispartition) {
    List *ancestors = get_partition_ancestors(relid);
    ListCell *cell;
    foreach (cell, ancestors)
      if (action == nullptr) action = autotime::pg::entry_action_on(lfirst_oid(cell));
  }
  if (action == nullptr) action = deleted ? "deleted" : "edited";

  const Datum changes = autotime::pg::changed_columns(before, after, desc);
  if (changes == (Datum)0) return PointerGetDatum(nullptr);  // an UPDATE that changed nothing
  HeapTuple row = after != nullptr ? after : before;
  const int64 entry_id = autotime::pg::column_int8(row, desc, autotime::pg::column_of(trigger, 0));
  const int64 team_id = autotime::pg::column_int8(row, desc, autotime::pg::column_of(trigger, 1));
  const char *actor = GetUserNameFromId(GetOuterUserId(), true);

  SPI_connect();
  autotime::pg::record_change(team_id, entry_id, actor, action, changes);
  const Oid autotime = autotime::pg::autotime_owner();
  if (autotime::pg::team_rules_exist(autotime)) {
    Oid types[2] = {INT8OID, INT8OID};
    // An entry an application moved to another id or firm leaves no flags under its old key.
    if (before != nullptr && after != nullptr) {
      Datum old_key[2] = {
          Int64GetDatum(autotime::pg::column_int8(before, desc, autotime::pg::column_of(trigger, 1))),
          Int64GetDatum(autotime::pg::column_int8(before, desc, autotime::pg::column_of(trigger, 0)))};
      if (DatumGetInt64(old_key[0]) != team_id || DatumGetInt64(old_key[1]) != entry_id)
        autotime::pg::run_as_autotime(autotime, &autotime::pg::forget_plan,
                                      "DELETE FROM autotime.entry_flags f WHERE f.team_id OPERATOR(pg_catalog.=) $1 "
                                      "AND f.entry_id OPERATOR(pg_catalog.=) $2",
                                      2, types, old_key, nullptr);
    }
    Datum values[2] = {Int64GetDatum(team_id), Int64GetDatum(entry_id)};
    if (deleted)
      autotime::pg::run_as_autotime(autotime, &autotime::pg::forget_plan,
                                    "DELETE FROM autotime.entry_flags f WHERE f.team_id OPERATOR(pg_catalog.=) $1 "
                                    "AND f.entry_id OPERATOR(pg_catalog.=) $2",
                                    2, types, values, nullptr);
    else
      autotime::pg::run_as_autotime(autotime, &autotime::pg::refresh_plan,
                                    "SELECT autotime.refresh_entry_flags($1, ARRAY[$2::pg_catalog.int8])", 2, types,
                                    values, nullptr);
  }
  SPI_finish();
  return PointerGetDatum(nullptr);
}

// autotime_entry_guidelines BEFORE INSERT FOR EACH ROW: arguments are the table's team_id,
// client_id, source_kind and billable columns.
AUTOTIME_SQL_FUNCTION(autotime_entry_guidelines) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED), errmsg("autotime.entry_guidelines() is a trigger")));
  auto *trigger = reinterpret_cast<TriggerData *>(fcinfo->context);
  if (!TRIGGER_FIRED_BEFORE(trigger->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigger->tg_event) ||
      !TRIGGER_FIRED_FOR_ROW(trigger->tg_event) || trigger->tg_trigger->tgnargs != 4)
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("autotime.entry_guidelines() runs BEFORE INSERT of each row, with the team_id, client_id, "
                           "source_kind and billable columns")));
  HeapTuple row = trigger->tg_trigtuple;
  TupleDesc desc = RelationGetDescr(trigger->tg_relation);
  SPI_connect();
  const Oid autotime = autotime::pg::autotime_owner();
  if (!autotime::pg::team_rules_exist(autotime)) {
    SPI_finish();
    return PointerGetDatum(row);
  }
  const int billable = autotime::pg::column_of(trigger, 3);
  bool isnull = false;
  const Datum is_billable = heap_getattr(row, billable, desc, &isnull);
  const char *kind = autotime::pg::column_text(row, desc, autotime::pg::column_of(trigger, 2));
  if (TupleDescAttr(desc, billable - 1)->atttypid != BOOLOID || isnull || !DatumGetBool(is_billable) || kind == nullptr) {
    SPI_finish();
    return PointerGetDatum(row);
  }
  const char *client = autotime::pg::column_text(row, desc, autotime::pg::column_of(trigger, 1));
  Oid types[3] = {INT8OID, INT8OID, TEXTOID};
  Datum values[3] = {Int64GetDatum(autotime::pg::column_int8(row, desc, autotime::pg::column_of(trigger, 0))),
                     client == nullptr ? (Datum)0 : DirectFunctionCall1(int8in, CStringGetDatum(client)),
                     CStringGetTextDatum(kind)};
  const char nulls[3] = {' ', client == nullptr ? 'n' : ' ', ' '};
  autotime::pg::run_as_autotime(autotime, &autotime::pg::born_plan, "SELECT autotime.born_non_billable($1, $2, $3)", 3, types,
                                values, nulls);
  const bool non_billable = SPI_processed == 1 && DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
  SPI_finish();
  if (!non_billable) return PointerGetDatum(row);
  int columns[1] = {billable};
  Datum replaced[1] = {BoolGetDatum(false)};
  bool replaced_nulls[1] = {false};
  return PointerGetDatum(heap_modify_tuple_by_cols(row, desc, 1, columns, replaced, replaced_nulls));
}

// autotime_entry_history_truncate BEFORE TRUNCATE FOR EACH STATEMENT, on the entries table and
// each of its partitions: every entry autotime made in the table itself (not its partitions,
// whose own triggers fire) gets its `deleted` change, and its flags go. Arguments as
// autotime_entry_history's. The rows are read as the table's owner, through a cursor a batch at a
// time, and each row's change is built in a context emptied after it: memory stays bounded
// whatever the table holds (one SPI result of every row, and every row's jsonb, took 7.4 GB for
// a million entries: bench/RESULTS.md).
AUTOTIME_SQL_FUNCTION(autotime_entry_truncate) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED), errmsg("autotime.entry_truncate() is a trigger")));
  auto *trigger = reinterpret_cast<TriggerData *>(fcinfo->context);
  if (!TRIGGER_FIRED_BEFORE(trigger->tg_event) || !TRIGGER_FIRED_BY_TRUNCATE(trigger->tg_event) ||
      trigger->tg_trigger->tgnargs != 3)
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("autotime.entry_truncate() runs BEFORE TRUNCATE, with the id, team_id and source_kind columns")));
  Relation rel = trigger->tg_relation;
  const char *table = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)), RelationGetRelationName(rel));
  (void)autotime::pg::column_of(trigger, 2);  // still there (an error naming the fix, else)
  const char *query = psprintf("SELECT * FROM ONLY %s WHERE %s IS NOT NULL", table,
                               quote_identifier(trigger->tg_trigger->tgargs[2]));
  const char *actor = GetUserNameFromId(GetOuterUserId(), true);
  const Oid owner = autotime::pg::relation_owner(RelationGetRelid(rel));
  constexpr long kRowsPerFetch = 1000;

  SPI_connect();
  MemoryContext per_row = AllocSetContextCreate(CurrentMemoryContext, "autotime truncated entry", ALLOCSET_DEFAULT_SIZES);
  // The owner's identity while the cursor is planned, started and read (its policies run then).
  autotime::pg::SavedIdentity saved = autotime::pg::become(owner);
  SPIPlanPtr plan = SPI_prepare(query, 0, nullptr);
  Portal cursor = plan == nullptr ? nullptr : SPI_cursor_open(nullptr, plan, nullptr, nullptr, true);
  autotime::pg::restore_identity(saved);
  if (cursor == nullptr)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read the truncated entries of %s", table)));
  const Oid autotime = autotime::pg::autotime_owner();
  const bool rules = autotime::pg::team_rules_exist(autotime);
  int id_column = 0, team_column = 0;
  for (;;) {
    saved = autotime::pg::become(owner);
    SPI_cursor_fetch(cursor, true, kRowsPerFetch);
    autotime::pg::restore_identity(saved);
    SPITupleTable *rows = SPI_tuptable;  // kept until freed below (the statements below make their own)
    const uint64 count = SPI_processed;
    if (rows == nullptr || count == 0) break;
    if (id_column == 0) {
      id_column = SPI_fnumber(rows->tupdesc, trigger->tg_trigger->tgargs[0]);
      team_column = SPI_fnumber(rows->tupdesc, trigger->tg_trigger->tgargs[1]);
      if (id_column <= 0 || team_column <= 0) (void)autotime::pg::column_of(trigger, id_column <= 0 ? 0 : 1);
    }
    for (uint64 i = 0; i < count; i++) {
      const MemoryContext outer = MemoryContextSwitchTo(per_row);
      HeapTuple row = rows->vals[i];
      const Datum changes = autotime::pg::changed_columns(row, nullptr, rows->tupdesc);
      const Datum team_id = Int64GetDatum(autotime::pg::column_int8(row, rows->tupdesc, team_column));
      const Datum entry_id = Int64GetDatum(autotime::pg::column_int8(row, rows->tupdesc, id_column));
      autotime::pg::record_change(DatumGetInt64(team_id), DatumGetInt64(entry_id), actor, "deleted", changes);
      if (rules) {
        Oid types[2] = {INT8OID, INT8OID};
        Datum key[2] = {team_id, entry_id};
        autotime::pg::run_as_autotime(autotime, &autotime::pg::forget_plan,
                                      "DELETE FROM autotime.entry_flags f WHERE f.team_id OPERATOR(pg_catalog.=) $1 "
                                      "AND f.entry_id OPERATOR(pg_catalog.=) $2",
                                      2, types, key, nullptr);
      }
      MemoryContextSwitchTo(outer);  // (an SPI call may have switched to its own: back to the caller's)
      MemoryContextReset(per_row);
    }
    SPI_freetuptable(rows);
  }
  SPI_cursor_close(cursor);
  SPI_freeplan(plan);
  SPI_finish();
  return PointerGetDatum(nullptr);
}
