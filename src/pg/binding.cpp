// The catalog side of an attachment (binding.hpp): one query reads the attachment and the role
// bindings; the core turns them into the capture statements.
#include "binding.hpp"

#include <stdexcept>

extern "C" {
#include "utils/snapmgr.h"
}

#include "boundary.hpp"
#include "identity.hpp"
#include "spi_pipeline.hpp"

namespace autotime::pg {

namespace {


BoundRelation to_core(const RawRelation &raw) {
  BoundRelation rel;
  rel.qualified_name = raw.qualified_name;
  for (int i = 0; i < raw.column_count; i++)
    if (raw.table_columns[i] != nullptr) rel.columns[raw.contract_columns[i]] = raw.table_columns[i];
  return rel;
}

}  // namespace


// Reads the attachment of `relid` and the role bindings in one query.
RawBinding load_binding(Oid relid) {
  static const char *query =
      "SELECT r.role, r.rel::pg_catalog.oid, pg_catalog.format('%I.%I', n.nspname, c.relname), r.kind, r.qualifies, "
      "j.key, j.value, pg_catalog.to_regclass('autotime.capture_failures') IS NOT NULL, "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute t WHERE t.attrelid OPERATOR(pg_catalog.=) "
      "'autotime.activity_links'::pg_catalog.regclass AND t.attname OPERATOR(pg_catalog.=) 'released_at' "
      "AND NOT t.attisdropped), r.key_space, "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute t WHERE t.attrelid OPERATOR(pg_catalog.=) "
      "'autotime.activity_links'::pg_catalog.regclass AND t.attname OPERATOR(pg_catalog.=) 'key_space' "
      "AND NOT t.attisdropped), "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute t WHERE t.attrelid OPERATOR(pg_catalog.=) r.rel AND t.attname "
      "OPERATOR(pg_catalog.=) COALESCE(r.columns OPERATOR(pg_catalog.->>) 'source_table', 'source_table') "
      "AND t.attnum OPERATOR(pg_catalog.>) 0 AND NOT t.attisdropped), "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute t WHERE t.attrelid OPERATOR(pg_catalog.=) "
      "'autotime.team_settings'::pg_catalog.regclass AND t.attname OPERATOR(pg_catalog.=) 'billing_increment_minutes' "
      "AND NOT t.attisdropped), "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute t WHERE t.attrelid OPERATOR(pg_catalog.=) "
      "'autotime.activity_links'::pg_catalog.regclass AND t.attname OPERATOR(pg_catalog.=) 'span' "
      "AND NOT t.attisdropped), "
      "pg_catalog.to_regclass('autotime.activity_codes') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute t "
      "WHERE t.attrelid OPERATOR(pg_catalog.=) r.rel AND t.attname OPERATOR(pg_catalog.=) COALESCE(r.columns "
      "OPERATOR(pg_catalog.->>) 'activity_code', 'activity_code') AND t.attnum OPERATOR(pg_catalog.>) 0 "
      "AND NOT t.attisdropped), "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute t ON t.attrelid OPERATOR(pg_catalog.=) "
      "i.indrelid AND t.attnum OPERATOR(pg_catalog.=) i.indkey[0] JOIN pg_catalog.pg_class ic ON ic.oid "
      "OPERATOR(pg_catalog.=) i.indexrelid JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) ic.relam AND "
      "am.amname OPERATOR(pg_catalog.=) 'btree' WHERE i.indrelid OPERATOR(pg_catalog.=) r.rel AND "
      "i.indisvalid AND i.indpred IS NULL AND t.attname OPERATOR(pg_catalog.=) COALESCE(r.columns "
      "OPERATOR(pg_catalog.->>) 'team_id', 'team_id')), "
      // The entries' unique key on the activity (EntryActivityKey): one ON CONFLICT can name as
      // its arbiter (valid, immediate, no predicate or expression), of exactly those columns.
      "CASE WHEN r.role OPERATOR(pg_catalog.=) 'time_entries' THEN (SELECT COALESCE(pg_catalog.max(CASE "
      "WHEN k.cols OPERATOR(pg_catalog.@>) k.want AND k.cols OPERATOR(pg_catalog.<@) k.want THEN 1 "
      "WHEN k.cols OPERATOR(pg_catalog.@>) k.want_table AND k.cols OPERATOR(pg_catalog.<@) k.want_table THEN 2 END), 0) "
      "FROM (SELECT ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[]) x "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum "
      "OPERATOR(pg_catalog.=) x) AS cols, ARRAY[COALESCE(r.columns OPERATOR(pg_catalog.->>) 'team_id', 'team_id'), "
      "COALESCE(r.columns OPERATOR(pg_catalog.->>) 'source_kind', 'source_kind'), COALESCE(r.columns "
      "OPERATOR(pg_catalog.->>) 'source_id', 'source_id')] AS want, ARRAY[COALESCE(r.columns OPERATOR(pg_catalog.->>) "
      "'team_id', 'team_id'), COALESCE(r.columns OPERATOR(pg_catalog.->>) 'source_kind', 'source_kind'), "
      "COALESCE(r.columns OPERATOR(pg_catalog.->>) 'source_id', 'source_id'), COALESCE(r.columns "
      "OPERATOR(pg_catalog.->>) 'source_table', 'source_table')] AS want_table FROM pg_catalog.pg_index i "
      "WHERE i.indrelid OPERATOR(pg_catalog.=) r.rel AND i.indisunique AND i.indisvalid AND i.indimmediate "
      "AND i.indpred IS NULL AND i.indexprs IS NULL) k) ELSE 0 END FROM ("
      "SELECT 'source'::pg_catalog.text AS role, a.source AS rel, a.kind, a.qualifies, a.columns, "
      "pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.->>) 'key_space' AS key_space "
      "FROM autotime.attachments a WHERE a.source OPERATOR(pg_catalog.=) $1 "
      "OR a.source IN (SELECT x.relid FROM pg_catalog.pg_partition_ancestors($1) x) "
      "UNION ALL SELECT b.role, b.rel, NULL, NULL, b.columns, NULL FROM autotime.bindings b) r "
      "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.rel "
      "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
      "LEFT JOIN LATERAL pg_catalog.jsonb_each_text(r.columns) j ON true";
  Oid argtypes[1] = {REGCLASSOID};
  Datum values[1] = {ObjectIdGetDatum(relid)};
  // Configuration is read as committed now, not through the caller's (perhaps REPEATABLE READ)
  // snapshot: what is cached here lives until the next change, which invalidates it.
  PushActiveSnapshot(GetLatestSnapshot());
  const int rc = SPI_execute_with_args(query, 1, argtypes, values, nullptr, true, 0);
  PopActiveSnapshot();
  if (rc != SPI_OK_SELECT)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read its bindings")));

  RawBinding binding;
  const uint64 rows = SPI_processed;
  for (RawRelation *rel : {&binding.source, &binding.roles[0], &binding.roles[1], &binding.roles[2]}) {
    rel->contract_columns = static_cast<const char **>(palloc0(sizeof(char *) * (rows + 1)));
    rel->table_columns = static_cast<const char **>(palloc0(sizeof(char *) * (rows + 1)));
  }
  TupleDesc desc = SPI_tuptable->tupdesc;
  for (uint64 i = 0; i < rows; i++) {
    HeapTuple tuple = SPI_tuptable->vals[i];
    const char *role = SPI_getvalue(tuple, desc, 1);
    RawRelation *rel = nullptr;
    if (strcmp(role, "source") == 0) {
      rel = &binding.source;
      binding.kind = SPI_getvalue(tuple, desc, 4);
      binding.qualifies = SPI_getvalue(tuple, desc, 5);
      binding.key_space = SPI_getvalue(tuple, desc, 10);
      bool no_index = true;
      binding.source_team_index = DatumGetBool(SPI_getbinval(tuple, desc, 16, &no_index)) && !no_index;
    }
    for (int r = 0; r < kRoleCount; r++)
      if (strcmp(role, kRoles[r]) == 0) rel = &binding.roles[r];
    if (rel == nullptr) continue;
    bool isnull = false;
    binding.failures_table = DatumGetBool(SPI_getbinval(tuple, desc, 8, &isnull));
    binding.released_links = DatumGetBool(SPI_getbinval(tuple, desc, 9, &isnull));
    binding.ledger_key_spaces = DatumGetBool(SPI_getbinval(tuple, desc, 11, &isnull));
    binding.billing_increments = DatumGetBool(SPI_getbinval(tuple, desc, 13, &isnull));
    binding.entry_spans = DatumGetBool(SPI_getbinval(tuple, desc, 14, &isnull));
    if (rel == &binding.roles[0]) {
      binding.entries_name_table = DatumGetBool(SPI_getbinval(tuple, desc, 12, &isnull));
      binding.entries_have_codes = DatumGetBool(SPI_getbinval(tuple, desc, 15, &isnull));
      binding.entries_activity_key = DatumGetInt32(SPI_getbinval(tuple, desc, 17, &isnull));
    }
    rel->relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 2, &isnull));
    rel->qualified_name = SPI_getvalue(tuple, desc, 3);
    const char *key = SPI_getvalue(tuple, desc, 6);
    if (key != nullptr) {
      rel->contract_columns[rel->column_count] = key;
      rel->table_columns[rel->column_count] = SPI_getvalue(tuple, desc, 7);
      rel->column_count++;
    }
  }

  if (binding.source.relid == InvalidOid)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("table \"%s\" is not attached to autotime", get_rel_name(relid)),
                    errhint("Run autotime.attach(source, kind) or autotime.detach(source) to remove its triggers.")));
  for (int r = 0; r < kRoleCount; r++)
    if (binding.roles[r].relid == InvalidOid)
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("autotime has no table bound for role \"%s\"", kRoles[r]),
                      errhint("Run autotime.bind('%s', table) or autotime.create_practice_schema().", kRoles[r])));
  binding.entries_partitioned = get_rel_relkind(binding.roles[0].relid) == RELKIND_PARTITIONED_TABLE;
  if (binding.key_space != nullptr && !binding.entries_name_table)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("time entries table \"%s\" has no source_table column for the entries of \"%s\"",
                           binding.roles[0].qualified_name, binding.source.qualified_name),
                    errdetail("\"%s\" was attached while another table of its kind was: it has an id space of its own.",
                              binding.source.qualified_name),
                    errhint("Add the column (text) to the time entries table and include it in its unique key on "
                            "(team_id, source_kind, source_id), then run autotime.bind('time_entries', ...) again.")));
  return binding;
}


// The attachment and the bindings, checked again against the tables as they are now (the same
// check attach and bind made): an ALTER since then that changed a column's type (a timestamptz
// made a timestamp: local dates would follow the session's TimeZone) or dropped a key fails here
// with attach's clear error instead of a statement that silently casts. Only when the
// statements are prepared again, which every relcache invalidation of the tables causes.
void check_attachment_still_fits(Oid attached) {
  static const char *query =
      "SELECT pg_catalog.to_regprocedure('autotime.check_columns(regclass,text,jsonb,text)') IS NOT NULL";
  if (SPI_execute(query, true, 1) != SPI_OK_SELECT) return;
  bool isnull = false;
  if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))) return;  // before 1.3
  Oid types[1] = {REGCLASSOID};
  Datum values[1] = {ObjectIdGetDatum(attached)};
  MemoryContext caller_context = CurrentMemoryContext;
  PushActiveSnapshot(GetLatestSnapshot());
  int rc = 0;
  PG_TRY();
  {
    rc = SPI_execute_with_args(
        "SELECT pg_catalog.count(autotime.check_columns(a.source, a.kind, a.columns, a.qualifies)) "
        "FROM autotime.attachments a WHERE a.source OPERATOR(pg_catalog.=) $1 UNION ALL "
        "SELECT pg_catalog.count(autotime.check_columns(b.rel, b.role, b.columns, NULL)) FROM autotime.bindings b",
        1, types, values, nullptr, true, 0);
  }
  PG_CATCH();
  {
    rethrow_naming(caller_context, psprintf("autotime checking the attachment of \"%s\" and the bound tables as they are now",
                                            get_rel_name(attached)));
  }
  PG_END_TRY();
  PopActiveSnapshot();
  if (rc != SPI_OK_SELECT)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not check its attachment")));
}

Oid step_user(RunAs run_as, const RawBinding &raw) {
  switch (run_as) {
    case RunAs::Source: return relation_owner(raw.source.relid);  // the attached table (a partition's parent)
    case RunAs::Entries: return relation_owner(raw.roles[0].relid);
    case RunAs::Cases: return relation_owner(raw.roles[1].relid);
    case RunAs::Members: return relation_owner(raw.roles[2].relid);
    case RunAs::Autotime: return autotime_owner();
  }
  return InvalidOid;
}


// The driver's steps, flattened for the trip across the C++ boundary: per step its name, whose
// rights it runs with, its output, whether an empty output goes on, and its SQL, separated by
// \x1e, steps ended by \x1d.
char *build_pipeline(const RawBinding &raw, Driver driver, const int (&owner_group)[kRunAsCount]) {
  return call_core("build the capture statements", [&] {
    CaptureBinding binding;
    const auto kind = parse_kind(raw.kind == nullptr ? "" : raw.kind);
    if (!kind) throw std::invalid_argument(std::string("unknown activity kind ") + (raw.kind ? raw.kind : "(null)"));
    binding.kind = *kind;
    binding.source = to_core(raw.source);
    binding.qualifies = raw.qualifies == nullptr ? "" : raw.qualifies;
    binding.time_entries = to_core(raw.roles[0]);
    binding.cases = to_core(raw.roles[1]);
    binding.team_members = to_core(raw.roles[2]);
    binding.failures_table = raw.failures_table;
    binding.released_links = raw.released_links;
    binding.key_space = raw.key_space == nullptr ? "" : raw.key_space;
    binding.ledger_key_spaces = raw.ledger_key_spaces;
    binding.entries_name_table = raw.entries_name_table;
    binding.entries_activity_key = static_cast<EntryActivityKey>(raw.entries_activity_key);
    binding.entries_partitioned = raw.entries_partitioned;
    binding.billing_increments = raw.billing_increments;
    binding.daily_caps = raw.daily_caps;
    binding.case_fallbacks = raw.case_fallbacks;
    binding.entry_spans = raw.entry_spans;
    binding.entries_have_codes = raw.entries_have_codes;
    binding.team_codes = raw.team_codes;
    binding.sessions = raw.sessions;
    binding.source_team_index = raw.source_team_index;
    binding.many_rows = raw.many_rows;
    binding.join_members = raw.join_members;
    std::string flat;
    for (const Step &step : merge_same_owner_steps(capture_pipeline(binding, driver), owner_group)) {
      flat += step.name + "\x1e" + std::to_string(static_cast<int>(step.run_as)) + "\x1e" + step.output + "\x1e" +
              (step.continue_if_empty ? "1" : "0") + "\x1e" + step.sql + "\x1d";
    }
    return flat;
  });
}


Oid *attached_sources(uint64 *count, const char *kind) {
  Oid types[1] = {TEXTOID};
  Datum values[1] = {kind == nullptr ? (Datum)0 : CStringGetTextDatum(kind)};
  const char nulls[1] = {kind == nullptr ? 'n' : ' '};
  if (SPI_execute_with_args("SELECT a.source::pg_catalog.oid FROM autotime.attachments a "
                            "WHERE $1 IS NULL OR a.kind OPERATOR(pg_catalog.=) $1 ORDER BY a.kind, 1",
                            1, types, values, nulls, true, 0) != SPI_OK_SELECT)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read its attachments")));
  *count = SPI_processed;
  Oid *sources = static_cast<Oid *>(palloc(sizeof(Oid) * (SPI_processed + 1)));
  for (uint64 i = 0; i < SPI_processed; i++) {
    bool isnull = false;
    sources[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
  }
  return sources;
}


// The table's own name for a contract column of the source.
const char *source_column(const RawBinding &raw, const char *contract_column) {
  for (int i = 0; i < raw.source.column_count; i++)
    if (strcmp(raw.source.contract_columns[i], contract_column) == 0 && raw.source.table_columns[i] != nullptr)
      return raw.source.table_columns[i];
  return contract_column;
}


const char *role_column(const RawRelation &rel, const char *contract_column) {
  for (int i = 0; i < rel.column_count; i++)
    if (strcmp(rel.contract_columns[i], contract_column) == 0 && rel.table_columns[i] != nullptr)
      return rel.table_columns[i];
  return contract_column;
}

}  // namespace autotime::pg
