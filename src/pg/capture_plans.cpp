#include "capture_plans.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>

extern "C" {
#include "access/table.h"
#include "catalog/pg_inherits.h"
#include "executor/tstoreReceiver.h"
#include "utils/snapmgr.h"
#include "nodes/params.h"
#include "utils/plancache.h"
#include "utils/queryenvironment.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "access/stratnum.h"
#include "access/transam.h"
}

#include "../core/kinds.hpp"
#include "boundary.hpp"
#include "identity.hpp"

namespace autotime::pg {

namespace {

constexpr int kDriverCount = static_cast<int>(Driver::WriteEntry) + 1;
constexpr int kRunAsCount = static_cast<int>(RunAs::Autotime) + 1;
constexpr int kRoleCount = 3;
// Settings some team uses that make capture statements do more (SettingsFeature bits).
constexpr int kSettingsVariants = 16;
constexpr const char *kRoles[kRoleCount] = {"time_entries", "cases", "team_members"};

struct CapturePlans {
  Oid relid;  // hash key: the attached source relation, or a partition of one written to directly
  Oid attached_relid;  // the attached relation whose attachment it uses (itself, or an ancestor)
  bool valid;
  bool precheck_known;
  RowPrecheck precheck;
  Oid bound_relids[kRoleCount];
  PreparedPipeline *pipelines[kDriverCount * 2 * kSettingsVariants];  // [(driver * 2 + bulk) * variants + features]
};

HTAB *plan_cache = nullptr;

// SettingsFeature bits some team uses (on_error = 'record' among them): -1 unknown. Reset by a relcache
// invalidation of autotime.team_settings, which a trigger on that table sends on every change.
int feature_mode = -1;
Oid settings_relid = InvalidOid;

// One relation of a binding as read from the catalog, before the core sees it.
struct RawRelation {
  Oid relid = InvalidOid;
  const char *qualified_name = nullptr;
  int column_count = 0;
  const char **contract_columns = nullptr;
  const char **table_columns = nullptr;
};

struct RawBinding {
  bool failures_table = false;
  bool released_links = false;
  bool ledger_key_spaces = false;
  bool entries_name_table = false;
  bool billing_increments = false;
  bool daily_caps = false;
  bool case_fallbacks = false;
  bool entry_spans = false;
  bool entries_have_codes = false;
  bool team_codes = false;
  bool sessions = false;
  const char *key_space = nullptr;
  const char *kind = nullptr;
  const char *qualifies = nullptr;
  RawRelation source;
  RawRelation roles[kRoleCount];
};

void invalidate_plans(Datum, Oid relid) {
  if (relid == InvalidOid || relid == settings_relid) {
    feature_mode = -1;
    settings_relid = InvalidOid;
  }
  if (plan_cache == nullptr) return;
  HASH_SEQ_STATUS status;
  hash_seq_init(&status, plan_cache);
  while (auto *entry = static_cast<CapturePlans *>(hash_seq_search(&status))) {
    bool touched = relid == InvalidOid || entry->relid == relid || entry->attached_relid == relid;
    for (Oid bound : entry->bound_relids) touched = touched || bound == relid;
    if (touched) entry->valid = false;
  }
}

void invalidate_all_plans(Datum, int, uint32) { invalidate_plans((Datum)0, InvalidOid); }

CapturePlans *plans_for(Oid relid) {
  if (plan_cache == nullptr) {
    HASHCTL ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.keysize = sizeof(Oid);
    ctl.entrysize = sizeof(CapturePlans);
    ctl.hcxt = AllocSetContextCreate(CacheMemoryContext, "autotime capture plans", ALLOCSET_SMALL_SIZES);
    plan_cache = hash_create("autotime capture plans", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  bool found = false;
  auto *entry = static_cast<CapturePlans *>(hash_search(plan_cache, &relid, HASH_ENTER, &found));
  if (!found || !entry->valid) {
    for (PreparedPipeline *&pipeline : entry->pipelines) {
      if (found && pipeline != nullptr) {
        for (int i = 0; i < pipeline->count; i++)
          if (pipeline->steps[i].plan != nullptr) SPI_freeplan(pipeline->steps[i].plan);
        MemoryContextDelete(pipeline->context);
      }
      pipeline = nullptr;
    }
    for (Oid &bound : entry->bound_relids) bound = InvalidOid;
    entry->attached_relid = InvalidOid;
    entry->precheck_known = false;
    entry->valid = true;
  }
  return entry;
}

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
      "AND NOT t.attisdropped) FROM ("
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

BoundRelation to_core(const RawRelation &raw) {
  BoundRelation rel;
  rel.qualified_name = raw.qualified_name;
  for (int i = 0; i < raw.column_count; i++)
    if (raw.table_columns[i] != nullptr) rel.columns[raw.contract_columns[i]] = raw.table_columns[i];
  return rel;
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
    binding.billing_increments = raw.billing_increments;
    binding.daily_caps = raw.daily_caps;
    binding.case_fallbacks = raw.case_fallbacks;
    binding.entry_spans = raw.entry_spans;
    binding.entries_have_codes = raw.entries_have_codes;
    binding.team_codes = raw.team_codes;
    binding.sessions = raw.sessions;
    std::string flat;
    for (const Step &step : merge_same_owner_steps(capture_pipeline(binding, driver), owner_group)) {
      flat += step.name + "\x1e" + std::to_string(static_cast<int>(step.run_as)) + "\x1e" + step.output + "\x1e" +
              (step.continue_if_empty ? "1" : "0") + "\x1e" + step.sql + "\x1d";
    }
    return flat;
  });
}

// Backfill and explain statements are planned for their arguments on every run: a client with ten
// calls and a batch of 100,000 want different joins, and planning costs little next to either.
int driver_cursor_options(Driver driver) {
  switch (driver) {
    case Driver::BackfillClient:
    case Driver::BackfillTeam:
    case Driver::Explain:
    case Driver::ClientTeams:
    case Driver::IdRange:
    case Driver::Report: return CURSOR_OPT_CUSTOM_PLAN;
    default: return 0;
  }
}

int driver_arguments(Driver driver, Oid *argtypes) {
  switch (driver) {
    case Driver::Insert:
    case Driver::Update:
    case Driver::Delete:
    case Driver::MoveCase:
    case Driver::Rekey:
    case Driver::Truncate: return 0;
    case Driver::ClaimLink:
    case Driver::WriteEntry: {
      const Oid types[] = {INT8OID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID,
                           DATEOID, INT4OID, TEXTOID, BOOLOID, NUMERICOID, TIMESTAMPTZOID, TEXTOID};
      static_assert(std::size(types) == std::size(kEntryValueColumns));
      std::copy(std::begin(types), std::end(types), argtypes);
      return static_cast<int>(std::size(types));
    }
    case Driver::RecordInsertFailures:
    case Driver::RecordUpdateFailures:
      argtypes[0] = TEXTOID;
      argtypes[1] = TEXTOID;
      return 2;
    case Driver::ClientTeams: argtypes[0] = INT8OID; return 1;
    case Driver::Report:
      argtypes[0] = INT8OID;
      argtypes[1] = TIMESTAMPTZOID;
      return 2;
    case Driver::IdRange:
      argtypes[0] = INT8OID;
      argtypes[1] = INT8OID;
      argtypes[2] = TIMESTAMPTZOID;
      return 3;
    case Driver::BackfillClient:
    case Driver::Explain:
      argtypes[0] = INT8OID;
      argtypes[1] = INT8OID;
      return 2;
    case Driver::BackfillTeam:
      argtypes[0] = INT8OID;
      argtypes[1] = TIMESTAMPTZOID;
      argtypes[2] = INT8OID;
      argtypes[3] = INT8OID;
      return 4;
  }
  return 0;
}

// The table's own name for a contract column of the source.
const char *source_column(const RawBinding &raw, const char *contract_column) {
  for (int i = 0; i < raw.source.column_count; i++)
    if (strcmp(raw.source.contract_columns[i], contract_column) == 0 && raw.source.table_columns[i] != nullptr)
      return raw.source.table_columns[i];
  return contract_column;
}

// A column whose ::text cast gives exactly what slot_values.hpp column_text reads: text, varchar,
// or an enum's label unless a cast of the owner's own turns it into something else (a cast that
// would run the owner's code, which only the SQL path runs, and as the owner).
bool text_exactly(Oid type) {
  if (type == TEXTOID || type == VARCHAROID) return true;
  if (!type_is_enum(type)) return false;
  HeapTuple cast = SearchSysCache2(CASTSOURCETARGET, ObjectIdGetDatum(type), ObjectIdGetDatum(TEXTOID));
  if (!HeapTupleIsValid(cast)) return true;
  ReleaseSysCache(cast);
  return false;
}

const char *role_column(const RawRelation &rel, const char *contract_column) {
  for (int i = 0; i < rel.column_count; i++)
    if (strcmp(rel.contract_columns[i], contract_column) == 0 && rel.table_columns[i] != nullptr)
      return rel.table_columns[i];
  return contract_column;
}

// Row-level security on a bound table is honoured by the SQL lookups (which run as its owner);
// the index probes would bypass a FORCE'd policy, so such tables are not probed.
bool has_row_security(Oid relid) {
  HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
  if (!HeapTupleIsValid(tuple)) return true;
  const bool rls = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relrowsecurity;
  ReleaseSysCache(tuple);
  return rls;
}

bool integer_type(Oid type) { return type == INT2OID || type == INT4OID || type == INT8OID; }

bool is_btree(Oid index_oid) {
  HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(index_oid));
  if (!HeapTupleIsValid(tuple)) return false;
  const bool btree = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relam == BTREE_AM_OID;
  ReleaseSysCache(tuple);
  return btree;
}

// A valid B-tree index of `relid` whose first key columns are exactly `columns` (in any order),
// unique on just them when `unique`; with the equality procedures against an int8 value.
RowPrecheck::Probe find_probe(Oid relid, std::initializer_list<AttrNumber> columns, bool unique) {
  RowPrecheck::Probe probe;
  const int wanted = static_cast<int>(columns.size());
  Relation rel = table_open(relid, AccessShareLock);
  List *indexes = RelationGetIndexList(rel);
  ListCell *cell;
  foreach (cell, indexes) {
    const Oid index_oid = lfirst_oid(cell);
    HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index_oid));
    if (!HeapTupleIsValid(tuple)) continue;
    const auto *index = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple));
    bool fits = index->indisvalid && index->indnkeyatts >= wanted && (!unique || (index->indisunique && index->indnkeyatts == wanted)) &&
                heap_attisnull(tuple, Anum_pg_index_indexprs, nullptr) && heap_attisnull(tuple, Anum_pg_index_indpred, nullptr) &&
                is_btree(index_oid);
    int position = 0;
    for (AttrNumber column : columns) {
      int found = -1;
      for (int k = 0; k < wanted && fits; k++)
        if (index->indkey.values[k] == column) found = k;
      if (found < 0) fits = false;
      if (!fits) break;
      bool isnull = false;
      const Datum classes = SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indclass, &isnull);
      const Oid opclass = reinterpret_cast<oidvector *>(DatumGetPointer(classes))->values[found];
      // Only built-in operator families: a table owner's own would run its code during the probe.
      if (get_opclass_family(opclass) >= FirstNormalObjectId) {
        fits = false;
        break;
      }
      const Oid operator_oid = get_opfamily_member(get_opclass_family(opclass), get_atttype(relid, column), INT8OID,
                                                   BTEqualStrategyNumber);
      if (!OidIsValid(operator_oid)) fits = false;
      else {
        probe.index_column[found] = static_cast<AttrNumber>(found + 1);
        probe.value[found] = position;
        probe.equal[found] = get_opcode(operator_oid);
      }
      position++;
    }
    ReleaseSysCache(tuple);
    if (fits) {
      probe.index = index_oid;
      probe.keys = wanted;
      break;
    }
    probe = RowPrecheck::Probe();
  }
  list_free(indexes);
  table_close(rel, AccessShareLock);
  return probe;
}

// The source row's columns the probes read, by the kind's shape: integers of any width, a
// timestamptz time, text whose bytes are what the SQL's ::text cast gives. False when one isn't.
bool resolve_direct_source(Oid relid, const RawBinding &raw, Kind kind, AttrNumber case_id, RowPrecheck::Direct &d) {
  const KindShape shape = kind_shape(kind);
  bool fits = case_id != InvalidAttrNumber && integer_type(get_atttype(relid, case_id));
  const auto column = [&](std::string_view contract_column, bool (*type_fits)(Oid)) -> AttrNumber {
    if (contract_column.empty()) return InvalidAttrNumber;
    const AttrNumber found = get_attnum(relid, source_column(raw, std::string(contract_column).c_str()));
    if (found == InvalidAttrNumber || !type_fits(get_atttype(relid, found))) fits = false;
    return fits ? found : InvalidAttrNumber;
  };
  const auto timestamptz = [](Oid type) { return type == TIMESTAMPTZOID; };
  d.team_id = column("team_id", integer_type);
  d.id = column("id", integer_type);
  d.client_id = column("client_id", integer_type);
  d.actor = column(shape.actor_column, integer_type);
  d.fallback_actor = column(shape.fallback_actor_column, integer_type);
  d.occurred_at = column(shape.occurred_column, timestamptz);
  d.label = column(shape.label_column, text_exactly);
  d.direction = column(shape.has_direction ? "direction" : "", text_exactly);
  d.duration_seconds = column(shape.has_duration ? "duration_seconds" : "", integer_type);
  d.provider_key = column(shape.keyed_by_provider_id ? "provider_message_id" : "", text_exactly);
  if (fits && d.provider_key != InvalidAttrNumber) {
    // The SQL tests the key for '' under the column's collation: a nondeterministic one could
    // call a non-empty key empty.
    Oid type = InvalidOid, collation = InvalidOid;
    int32 typmod = 0;
    get_atttypetypmodcoll(relid, d.provider_key, &type, &typmod, &collation);
    fits = !OidIsValid(collation) || get_collation_isdeterministic(collation);
  }
  return fits;
}

// autotime.team_settings: its key and the columns the kind reads.
bool resolve_direct_settings(Kind kind, RowPrecheck::Direct &d) {
  const KindShape shape = kind_shape(kind);
  d.settings = get_relname_relid("team_settings", get_namespace_oid("autotime", false));
  bool fits = OidIsValid(d.settings);
  const auto column = [&](std::string_view name, Oid type) -> AttrNumber {
    const AttrNumber found = fits ? get_attnum(d.settings, std::string(name).c_str()) : InvalidAttrNumber;
    if (found == InvalidAttrNumber || get_atttype(d.settings, found) != type) fits = false;
    return found;
  };
  d.s_enabled = column("enabled", BOOLOID);
  d.s_track = column(shape.track_setting, BOOLOID);
  d.s_minutes = column(shape.minutes_setting, INT4OID);
  d.s_minutes_per_activity = column("minutes_per_activity", INT4OID);
  d.s_mode = column("call_minutes_mode", TEXTOID);
  d.s_policy = column("flat_fee_policy", TEXTOID);
  d.s_timezone = column("timezone", TEXTOID);
  // 1.3's (InvalidAttrNumber before): billing increments, and a daily cap (which leaves the row to the SELECT).
  d.s_billing_increment = get_attnum(d.settings, "billing_increment_minutes");
  d.s_daily_cap = get_attnum(d.settings, "daily_cap_minutes");
  d.s_session_gap = get_attnum(d.settings, "session_gap_minutes");
  d.s_case_fallback = get_attnum(d.settings, "case_fallback");
  const AttrNumber team = column("team_id", INT8OID);
  if (fits) d.settings_key = find_probe(d.settings, {team}, true);
  return fits && OidIsValid(d.settings_key.index);
}

RowPrecheck::Direct resolve_direct(Oid relid, const RawBinding &raw, Kind kind, AttrNumber case_id) {
  RowPrecheck::Direct d;
  if (!resolve_direct_source(relid, raw, kind, case_id, d) || !resolve_direct_settings(kind, d)) return d;

  const RawRelation &members = raw.roles[2], &cases = raw.roles[1];
  if (get_rel_relkind(members.relid) != RELKIND_RELATION || get_rel_relkind(cases.relid) != RELKIND_RELATION ||
      has_row_security(members.relid) || has_row_security(cases.relid))
    return d;
  const auto role_attnum = [&](const RawRelation &rel, const char *column, Oid type) -> AttrNumber {
    const AttrNumber found = get_attnum(rel.relid, role_column(rel, column));
    if (found == InvalidAttrNumber) return InvalidAttrNumber;
    const Oid actual = get_atttype(rel.relid, found);
    const bool ok = type == INT8OID ? integer_type(actual) : type == TEXTOID ? text_exactly(actual) : actual == type;
    return ok ? found : InvalidAttrNumber;
  };
  d.members = members.relid;
  const AttrNumber m_team = role_attnum(members, "team_id", INT8OID), m_user = role_attnum(members, "user_id", INT8OID);
  d.m_can_log_time = role_attnum(members, "can_log_time", BOOLOID);
  d.m_hourly_rate = role_attnum(members, "hourly_rate", NUMERICOID);
  if (!m_team || !m_user || !d.m_can_log_time || !d.m_hourly_rate) return d;
  d.member_key = find_probe(d.members, {m_team, m_user}, true);

  d.cases = cases.relid;
  const AttrNumber c_team = role_attnum(cases, "team_id", INT8OID);
  d.c_id = role_attnum(cases, "id", INT8OID);
  d.c_client_id = role_attnum(cases, "client_id", INT8OID);
  d.c_status = role_attnum(cases, "status", TEXTOID);
  d.c_billing_type = role_attnum(cases, "billing_type", TEXTOID);
  d.c_updated_at = role_attnum(cases, "updated_at", TIMESTAMPTZOID);
  if (!c_team || !d.c_id || !d.c_client_id || !d.c_status || !d.c_billing_type || !d.c_updated_at) return d;
  d.case_key = find_probe(d.cases, {c_team, d.c_id}, true);
  d.cases_of_client = find_probe(d.cases, {c_team, d.c_client_id}, false);
  d.usable = OidIsValid(d.member_key.index) && OidIsValid(d.case_key.index) && OidIsValid(d.cases_of_client.index);
  return d;
}

RowPrecheck resolve_precheck(Oid relid, const RawBinding &raw) {
  RowPrecheck precheck;
  precheck.case_id = get_attnum(relid, source_column(raw, "case_id"));
  const auto kind = parse_kind(raw.kind == nullptr ? "" : raw.kind);
  for (const char *column : {"team_id", "id"}) {
    const AttrNumber found = get_attnum(relid, source_column(raw, column));
    const bool integer = found != InvalidAttrNumber && integer_type(get_atttype(relid, found));
    (strcmp(column, "id") == 0 ? precheck.key_id : precheck.key_team) = integer ? found : InvalidAttrNumber;
  }
  for (const char *column : {"team_id", "id", "client_id", "provider_message_id"}) {
    if (strcmp(column, "provider_message_id") == 0 && kind != Kind::Sms) continue;
    precheck.identity[precheck.identity_count++] = get_attnum(relid, source_column(raw, column));
  }
  if (!kind || (raw.qualifies != nullptr && raw.qualifies[0] != '\0')) return precheck;
  precheck.kind = *kind;
  const QualificationInputs inputs = default_qualification_inputs(*kind);
  const auto attnum = [&](const char *contract_column, bool needs_text) -> AttrNumber {
    const AttrNumber found = get_attnum(relid, source_column(raw, contract_column));
    if (found == InvalidAttrNumber || (needs_text && !text_exactly(get_atttype(relid, found)))) return InvalidAttrNumber;
    return found;
  };
  if (inputs.status && (precheck.status = attnum("status", true)) == InvalidAttrNumber) return precheck;
  if (inputs.direction && (precheck.direction = attnum("direction", true)) == InvalidAttrNumber) return precheck;
  if (inputs.value &&
      (precheck.value = attnum(*kind == Kind::Document ? "template_id" : "completed_at", false)) == InvalidAttrNumber)
    return precheck;
  precheck.usable = true;
  precheck.direct = resolve_direct(relid, raw, *kind, precheck.case_id);
  return precheck;
}

}  // namespace

namespace {

// Re-raises the current error without the generated statement's text (which tells a DBA
// nothing), naming instead what autotime was doing. Code, message, detail and hint are kept.
[[noreturn]] void rethrow_naming(MemoryContext caller_context, const char *doing) {
  MemoryContextSwitchTo(caller_context);
  ErrorData *error = CopyErrorData();
  FlushErrorState();
  error->context = pstrdup(doing);
  error->internalquery = nullptr;
  error->internalpos = 0;
  ReThrowError(error);
}

// Prepares one step as its user: parse analysis of a firm table's qualifies expression or column
// defaults must not run anything with the caller's rights either.
SPIPlanPtr prepare_step(const char *sql, const PreparedPipeline &pipeline, int cursor_options, Oid user, Oid relid) {
  SPIPlanPtr plan = nullptr;
  MemoryContext caller_context = CurrentMemoryContext;
  const SavedIdentity saved = become(user);
  PG_TRY();
  { plan = SPI_prepare_cursor(sql, pipeline.nargs, const_cast<Oid *>(pipeline.argtypes), cursor_options); }
  PG_CATCH();
  {
    restore_identity(saved);
    rethrow_naming(caller_context, psprintf("autotime preparing capture for table \"%s\" (check its attachment: "
                                            "columns and qualifies expression)", get_rel_name(relid)));
  }
  PG_END_TRY();
  restore_identity(saved);
  return plan;
}

}  // namespace

void register_rows(const char *name, TupleDesc desc, Oid relid, Tuplestorestate *rows, double estimate) {
  (void)SPI_unregister_relation(name);
  auto *enr = static_cast<EphemeralNamedRelation>(palloc0(sizeof(EphemeralNamedRelationData)));
  enr->md.name = pstrdup(name);
  enr->md.reliddesc = relid;
  enr->md.tupdesc = relid == InvalidOid ? desc : nullptr;
  enr->md.enrtype = ENR_NAMED_TUPLESTORE;
  enr->md.enrtuples = estimate;
  enr->reldata = rows;
  const int rc = SPI_register_relation(enr);
  if (rc != SPI_OK_REL_REGISTER)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("autotime could not register the rows of a capture step: %s", SPI_result_code_string(rc))));
}

namespace {

// A deferrable trigger of the entries table would fire at COMMIT as whoever commits (a DBA's
// backfill: a superuser), outside the owner switch; only PostgreSQL's own (foreign keys, which
// switch to the referenced table's owner themselves) are allowed.
void refuse_deferrable_triggers(Oid entries) {
  List *relids = find_all_inheritors(entries, AccessShareLock, nullptr);
  ListCell *cell;
  foreach (cell, relids) {
    Relation rel = table_open(lfirst_oid(cell), NoLock);
    const TriggerDesc *triggers = rel->trigdesc;
    for (int i = 0; triggers != nullptr && i < triggers->numtriggers; i++) {
      const Trigger &trigger = triggers->triggers[i];
      if (!trigger.tgdeferrable || trigger.tgisinternal) continue;
      const char *table = pstrdup(RelationGetRelationName(rel));
      const char *name = pstrdup(trigger.tgname);
      table_close(rel, NoLock);
      ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                      errmsg("autotime does not write time entries to \"%s\": its trigger \"%s\" is deferrable", table, name),
                      errdetail("A deferred trigger fires at commit with the rights of whoever commits, not of the "
                                "table's owner."),
                      errhint("Make it NOT DEFERRABLE (or a plain AFTER trigger), or bind another table.")));
    }
    table_close(rel, NoLock);
  }
  list_free(relids);
}

Oid step_user(RunAs run_as, Oid relid, const RawBinding &raw) {
  switch (run_as) {
    case RunAs::Source: return relation_owner(raw.source.relid);  // the attached table (a partition's parent)
    case RunAs::Entries: return relation_owner(raw.roles[0].relid);
    case RunAs::Cases: return relation_owner(raw.roles[1].relid);
    case RunAs::Members: return relation_owner(raw.roles[2].relid);
    case RunAs::Autotime: return autotime_owner();
  }
  return InvalidOid;
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

PreparedPipeline *prepare_pipeline(Oid relid, Driver driver, bool bulk, const RawBinding &raw, char *flat) {
  MemoryContext context = AllocSetContextCreate(CacheMemoryContext, "autotime capture pipeline", ALLOCSET_SMALL_SIZES);
  auto *pipeline = static_cast<PreparedPipeline *>(MemoryContextAllocZero(context, sizeof(PreparedPipeline)));
  pipeline->context = context;
  pipeline->many_rows = bulk || plans_many_rows(driver);
  pipeline->nargs = driver_arguments(driver, pipeline->argtypes);
  const char *registered[kMaxSteps];
  int registered_count = 0;
  PG_TRY();
  {
    for (char *cursor = flat; *cursor != '\0';) {
      if (pipeline->count == kMaxSteps)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("capture pipeline has more than %d steps", kMaxSteps)));
      char *end = strchr(cursor, '\x1d');
      if (end == nullptr) break;
      *end = '\0';
      char *fields[5] = {cursor, nullptr, nullptr, nullptr, nullptr};
      for (int f = 1; f < 5; f++) {
        fields[f] = strchr(fields[f - 1], '\x1e');
        if (fields[f] == nullptr) ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("malformed capture step")));
        *fields[f]++ = '\0';
      }
      PreparedStep &step = pipeline->steps[pipeline->count];
      step.name = MemoryContextStrdup(context, fields[0]);
      const auto run_as = static_cast<RunAs>(atoi(fields[1]));
      step.user = step_user(run_as, relid, raw);
      if (run_as == RunAs::Entries && driver != Driver::Explain) refuse_deferrable_triggers(raw.roles[0].relid);
      step.output = fields[2][0] == '\0' ? nullptr : MemoryContextStrdup(context, fields[2]);
      step.continue_if_empty = fields[3][0] == '1';
      step.plan = prepare_step(fields[4], *pipeline, driver_cursor_options(driver), step.user, relid);
      if (step.plan == nullptr)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("autotime could not prepare capture for \"%s\": %s", get_rel_name(relid),
                               SPI_result_code_string(SPI_result))));
      if (SPI_keepplan(step.plan) != 0)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not keep its capture plan")));
      pipeline->count++;
      if (step.output != nullptr) {
        List *sources = SPI_plan_get_plan_sources(step.plan);
        const auto *source = static_cast<CachedPlanSource *>(linitial(sources));
        if (source->resultDesc == nullptr)
          ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("capture step \"%s\" returns no rows", step.name)));
        MemoryContext old = MemoryContextSwitchTo(context);
        step.output_desc = CreateTupleDescCopy(source->resultDesc);
        MemoryContextSwitchTo(old);
        register_rows(step.output, step.output_desc, InvalidOid, nullptr, 0);
        registered[registered_count++] = step.output;
      }
      cursor = end + 1;
    }
  }
  PG_CATCH();
  {
    for (int i = 0; i < pipeline->count; i++) SPI_freeplan(pipeline->steps[i].plan);
    MemoryContextDelete(context);
    PG_RE_THROW();
  }
  PG_END_TRY();
  for (int i = 0; i < registered_count; i++) (void)SPI_unregister_relation(registered[i]);
  return pipeline;
}

}  // namespace

void use_capture_path() {
  (void)set_config_option("search_path", kCapturePath, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

bool plans_many_rows(Driver driver) {
  return driver == Driver::BackfillClient || driver == Driver::BackfillTeam || driver == Driver::Report;
}

// A kept plan is reused for every later statement, and row estimates can be far off (a transition
// table's size, a table just bulk-loaded and not yet analyzed): a nested loop between two large
// row sets would be quadratic. Plans for many rows are therefore made with nested loops
// discouraged; the per-row lookups are LATERAL ... LIMIT 1 probes, which stay index nested loops.
void discourage_nested_loops() {
  (void)set_config_option("enable_nestloop", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  // The disabled nested loops' cost would cross jit_above_cost and compile every run for seconds.
  (void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

PipelineResult run_pipeline(Oid relid, Driver driver, Datum *args, const char *nulls, bool bulk, bool read_only,
                            const char *doing) {
  PipelineResult result;
  const PreparedPipeline *pipeline = capture_pipeline_for(relid, driver, bulk);
  result.pipeline = pipeline;
  ParamListInfo params = nullptr;
  if (pipeline->nargs > 0) {
    params = makeParamList(pipeline->nargs);
    for (int i = 0; i < pipeline->nargs; i++) {
      params->params[i].value = args[i];
      params->params[i].isnull = nulls != nullptr && nulls[i] == 'n';
      params->params[i].pflags = PARAM_FLAG_CONST;
      params->params[i].ptype = pipeline->argtypes[i];
    }
  }
  MemoryContext caller_context = CurrentMemoryContext;
  // PostgreSQL re-analyses a kept statement when the search_path differs from the one it was
  // prepared with: run under the same pg_catalog-only path, so an attachment's qualifies
  // expression never resolves an operator or function in the caller's schemas.
  // The tuplestores passed between steps, ended (and their temporary files closed) when the
  // pipeline is done: only the steps read them.
  Tuplestorestate *stores[kMaxSteps];
  int store_count = 0;
  // (A capture trigger sets it once for all its pipelines: then nothing to do here.)
  const bool path_set = strcmp(namespace_search_path, kCapturePath) == 0;
  const int path_level = path_set ? 0 : NewGUCNestLevel();
  if (!path_set) use_capture_path();
  for (int i = 0; i < pipeline->count; i++) {
    const PreparedStep &step = pipeline->steps[i];
    Tuplestorestate *volatile rows = nullptr;
    SPIExecuteOptions options;
    memset(&options, 0, sizeof options);
    options.params = params;
    options.read_only = read_only;
    if (step.output != nullptr) {
      rows = tuplestore_begin_heap(false, false, work_mem);
      options.dest = CreateDestReceiver(DestTuplestore);
      SetTuplestoreDestReceiverParams(options.dest, rows, CurrentMemoryContext, false, nullptr, nullptr);
    }
    // On error, transaction or subtransaction abort unwinds the GUC nest level.
    volatile const int nest_level = pipeline->many_rows ? NewGUCNestLevel() : 0;
    if (pipeline->many_rows) discourage_nested_loops();
    int rc = 0;
    const SavedIdentity saved = become(step.user);
    PG_TRY();
    { rc = SPI_execute_plan_extended(step.plan, &options); }
    PG_CATCH();
    {
      restore_identity(saved);
      rethrow_naming(caller_context, doing);
    }
    PG_END_TRY();
    restore_identity(saved);
    if (pipeline->many_rows) AtEOXact_GUC(true, nest_level);
    if (rc < 0)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                      errmsg("autotime capture step \"%s\" failed: %s", step.name, SPI_result_code_string(rc))));
    result.ran[i] = true;
    result.processed[i] = SPI_processed;
    if (step.output == nullptr) {
      result.rows[i] = SPI_tuptable;
      continue;
    }
    options.dest->rDestroy(options.dest);
    const double estimate = bulk ? std::max<double>(SPI_processed, kBulkPlanRows) : static_cast<double>(SPI_processed);
    register_rows(step.output, step.output_desc, InvalidOid, rows, estimate);
    stores[store_count++] = rows;
    if (result.processed[i] == 0 && !step.continue_if_empty) break;  // nothing follows from nothing
  }
  if (!path_set) AtEOXact_GUC(true, path_level);
  for (int i = 0; i < pipeline->count; i++)
    if (pipeline->steps[i].output != nullptr) (void)SPI_unregister_relation(pipeline->steps[i].output);
  for (int i = 0; i < store_count; i++) tuplestore_end(stores[i]);
  return result;
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

bool step_ran(const PipelineResult &result, const char *name, uint64 *processed, SPITupleTable **rows) {
  for (int i = 0; result.pipeline != nullptr && i < result.pipeline->count; i++) {
    if (strcmp(result.pipeline->steps[i].name, name) != 0) continue;
    if (processed != nullptr) *processed = result.ran[i] ? result.processed[i] : 0;
    if (rows != nullptr) *rows = result.ran[i] ? result.rows[i] : nullptr;
    return result.ran[i];
  }
  ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime has no capture step \"%s\"", name)));
}

int64 sessions_merged(const PipelineResult &result) {
  for (int i = 0; result.pipeline != nullptr && i < result.pipeline->count; i++) {
    if (strcmp(result.pipeline->steps[i].name, "sessions") != 0 || !result.ran[i] || result.rows[i] == nullptr) continue;
    if (result.rows[i]->numvals != 1) return 0;
    bool isnull = false;
    const Datum merged = SPI_getbinval(result.rows[i]->vals[0], result.rows[i]->tupdesc, 1, &isnull);
    return isnull ? 0 : DatumGetInt64(merged);
  }
  return 0;
}

bool any_team_records_errors() { return (settings_features() & kRecordsErrors) != 0; }

// Whether autotime's table `name` exists (a database not updated to 1.3 yet has none) and has a row,
// as committed now.
static bool any_row_in(Oid schema, const char *name) {
  if (!OidIsValid(schema) || !OidIsValid(get_relname_relid(name, schema))) return false;
  PushActiveSnapshot(GetLatestSnapshot());
  const int rc = SPI_execute(psprintf("SELECT EXISTS (SELECT 1 FROM autotime.%s)", ::quote_identifier(name)), true, 1);
  PopActiveSnapshot();
  if (rc != SPI_OK_SELECT)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read autotime.%s", name)));
  bool isnull = false;
  return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

int settings_features() {
  if (feature_mode < 0) {
    const Oid schema = get_namespace_oid("autotime", true);
    settings_relid = OidIsValid(schema) ? get_relname_relid("team_settings", schema) : InvalidOid;
    PushActiveSnapshot(GetLatestSnapshot());  // as committed now (see load_binding)
    // (to_jsonb: the column is 1.3's; a 1.2 database reads NULL)
    const int rc = SPI_execute("SELECT EXISTS (SELECT 1 FROM autotime.team_settings s WHERE (pg_catalog.to_jsonb(s) "
                               "OPERATOR(pg_catalog.->>) 'daily_cap_minutes') IS NOT NULL), EXISTS (SELECT 1 FROM "
                               "autotime.team_settings s WHERE (pg_catalog.to_jsonb(s) OPERATOR(pg_catalog.->>) "
                               "'case_fallback') OPERATOR(pg_catalog.<>) 'latest_open'), EXISTS (SELECT 1 FROM "
                               "autotime.team_settings s WHERE s.on_error OPERATOR(pg_catalog.=) 'record'::pg_catalog.text)",
                               true, 1);
    PopActiveSnapshot();
    if (rc != SPI_OK_SELECT)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read its settings")));
    bool isnull = false;
    HeapTuple row = SPI_tuptable->vals[0];
    int features = (DatumGetBool(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull)) ? kDailyCaps : 0) |
                   (DatumGetBool(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull)) ? kCaseFallbacks : 0) |
                   (DatumGetBool(SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &isnull)) ? kRecordsErrors : 0);
    // (1.3's tables: a database not updated yet has none; a trigger on each invalidates this too)
    if (any_row_in(schema, "activity_codes")) features |= kTeamCodes;
    // Sessions (1.3): some team has session_gap_minutes, or some activity is still billed on a
    // session's entry (autotime.sessions_in_use; a partial index makes the second question cheap).
    PushActiveSnapshot(GetLatestSnapshot());
    int sessions_rc = SPI_execute("SELECT pg_catalog.to_regprocedure('autotime.sessions_in_use()') IS NOT NULL", true, 1);
    if (sessions_rc == SPI_OK_SELECT && DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))) {
      sessions_rc = SPI_execute("SELECT autotime.sessions_in_use()", true, 1);
      if (sessions_rc == SPI_OK_SELECT && DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
        features |= kSessions;
    }
    PopActiveSnapshot();
    if (sessions_rc != SPI_OK_SELECT)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read its session settings")));
    if (any_row_in(schema, "billing_rules")) features |= kBillingRules;
    feature_mode = features;
  }
  return feature_mode;
}

RowPrecheck row_precheck(Oid relid) {
  CapturePlans *entry = plans_for(relid);
  if (!entry->precheck_known) {
    const RawBinding raw = load_binding(relid);
    const RowPrecheck precheck = resolve_precheck(relid, raw);
    entry = plans_for(relid);  // an invalidation while loading leaves it unknown for next time
    entry->precheck = precheck;
    entry->precheck_known = true;
    for (int r = 0; r < kRoleCount; r++) entry->bound_relids[r] = raw.roles[r].relid;
    entry->attached_relid = raw.source.relid;
    return precheck;
  }
  return entry->precheck;
}

void register_capture_plan_invalidation() {
  CacheRegisterRelcacheCallback(invalidate_plans, (Datum)0);
  // A cast created or dropped changes what a column's ::text is (text_exactly): everything again.
  CacheRegisterSyscacheCallback(CASTSOURCETARGET, invalidate_all_plans, (Datum)0);
}

const PreparedPipeline *capture_pipeline_for(Oid relid, Driver driver, bool bulk) {
  CapturePlans *entry = plans_for(relid);
  const int features = settings_features() & (kSettingsVariants - 1);  // those that change the statements
  entry = plans_for(relid);  // (reading the settings may have invalidated it)
  const int slot = (static_cast<int>(driver) * 2 + (bulk ? 1 : 0)) * kSettingsVariants + features;
  if (entry->pipelines[slot] != nullptr) return entry->pipelines[slot];

  // Loading and planning see only pg_catalog: every name we generate is qualified, and the
  // plan keeps this search_path when PostgreSQL re-plans it after DDL.
  const int nest_level = NewGUCNestLevel();
  (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                          false);
  // Capture statements are short and kept: JIT compilation would cost more than it saves.
  (void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  if (bulk || plans_many_rows(driver)) discourage_nested_loops();
  RawBinding raw = load_binding(relid);
  raw.daily_caps = (features & kDailyCaps) != 0;
  raw.case_fallbacks = (features & kCaseFallbacks) != 0;
  raw.team_codes = (features & kTeamCodes) != 0;
  raw.sessions = (features & kSessions) != 0;
  check_attachment_still_fits(raw.source.relid);
  // Steps of the same role may share a statement (merge_same_owner_steps): the roles, by RunAs.
  Oid owners[kRunAsCount];
  int owner_group[kRunAsCount];
  for (int r = 0; r < kRunAsCount; r++) {
    owners[r] = step_user(static_cast<RunAs>(r), relid, raw);
    owner_group[r] = r;
    for (int earlier = 0; earlier < r; earlier++)
      if (owners[earlier] == owners[r]) {
        owner_group[r] = owner_group[earlier];
        break;
      }
  }
  char *flat = build_pipeline(raw, driver, owner_group);
  PreparedPipeline *pipeline = prepare_pipeline(relid, driver, bulk, raw, flat);
  AtEOXact_GUC(true, nest_level);

  // The entry may have been invalidated while we planned; a stale entry is rebuilt on next use.
  entry = plans_for(relid);
  if (entry->pipelines[slot] != nullptr) {
    for (int i = 0; i < entry->pipelines[slot]->count; i++) SPI_freeplan(entry->pipelines[slot]->steps[i].plan);
    MemoryContextDelete(entry->pipelines[slot]->context);
  }
  entry->pipelines[slot] = pipeline;
  for (int r = 0; r < kRoleCount; r++) entry->bound_relids[r] = raw.roles[r].relid;
  entry->attached_relid = raw.source.relid;
  return pipeline;
}

}  // namespace autotime::pg
