#include "capture_plans.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>

extern "C" {
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "access/stratnum.h"
}

#include "boundary.hpp"

namespace autotime::pg {

namespace {

constexpr int kDriverCount = static_cast<int>(Driver::WriteEntry) + 1;
constexpr int kRoleCount = 3;
constexpr const char *kRoles[kRoleCount] = {"time_entries", "cases", "team_members"};

struct CapturePlans {
  Oid relid;  // hash key: the attached source relation
  bool valid;
  bool precheck_known;
  RowPrecheck precheck;
  Oid bound_relids[kRoleCount];
  SPIPlanPtr plans[kDriverCount * 2];  // [driver * 2 + bulk]
};

HTAB *plan_cache = nullptr;

// Whether any team has on_error = 'record': -1 unknown, else 0/1. Reset by a relcache
// invalidation of autotime.team_settings, which a trigger on that table sends on every change.
int record_mode = -1;
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
  const char *kind = nullptr;
  const char *qualifies = nullptr;
  RawRelation source;
  RawRelation roles[kRoleCount];
};

void invalidate_plans(Datum, Oid relid) {
  if (relid == InvalidOid || relid == settings_relid) {
    record_mode = -1;
    settings_relid = InvalidOid;
  }
  if (plan_cache == nullptr) return;
  HASH_SEQ_STATUS status;
  hash_seq_init(&status, plan_cache);
  while (auto *entry = static_cast<CapturePlans *>(hash_seq_search(&status))) {
    bool touched = relid == InvalidOid || entry->relid == relid;
    for (Oid bound : entry->bound_relids) touched = touched || bound == relid;
    if (touched) entry->valid = false;
  }
}

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
    for (SPIPlanPtr &plan : entry->plans) {
      if (found && plan != nullptr) SPI_freeplan(plan);
      plan = nullptr;
    }
    for (Oid &bound : entry->bound_relids) bound = InvalidOid;
    entry->precheck_known = false;
    entry->valid = true;
  }
  return entry;
}

// Reads the attachment of `relid` and the role bindings in one query.
RawBinding load_binding(Oid relid) {
  static const char *query =
      "SELECT r.role, r.rel::pg_catalog.oid, pg_catalog.format('%I.%I', n.nspname, c.relname), r.kind, r.qualifies, "
      "j.key, j.value, pg_catalog.to_regclass('autotime.capture_failures') IS NOT NULL FROM ("
      "SELECT 'source'::pg_catalog.text AS role, a.source AS rel, a.kind, a.qualifies, a.columns "
      "FROM autotime.attachments a WHERE a.source OPERATOR(pg_catalog.=) $1 "
      "UNION ALL SELECT b.role, b.rel, NULL, NULL, b.columns FROM autotime.bindings b) r "
      "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.rel "
      "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
      "LEFT JOIN LATERAL pg_catalog.jsonb_each_text(r.columns) j ON true";
  Oid argtypes[1] = {REGCLASSOID};
  Datum values[1] = {ObjectIdGetDatum(relid)};
  if (SPI_execute_with_args(query, 1, argtypes, values, nullptr, true, 0) != SPI_OK_SELECT)
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
    }
    for (int r = 0; r < kRoleCount; r++)
      if (strcmp(role, kRoles[r]) == 0) rel = &binding.roles[r];
    if (rel == nullptr) continue;
    bool isnull = false;
    binding.failures_table = DatumGetBool(SPI_getbinval(tuple, desc, 8, &isnull));
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
  return binding;
}

BoundRelation to_core(const RawRelation &raw) {
  BoundRelation rel;
  rel.qualified_name = raw.qualified_name;
  for (int i = 0; i < raw.column_count; i++)
    if (raw.table_columns[i] != nullptr) rel.columns[raw.contract_columns[i]] = raw.table_columns[i];
  return rel;
}

char *build_statement(const RawBinding &raw, Driver driver) {
  return call_core("build the capture statement", [&] {
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
    return capture_statement(binding, driver);
  });
}

// Backfill and explain statements are planned for their arguments on every run: a client with ten
// calls and a batch of 100,000 want different joins, and planning costs little next to either.
int driver_cursor_options(Driver driver) {
  switch (driver) {
    case Driver::BackfillClient:
    case Driver::BackfillTeam: return CURSOR_OPT_CUSTOM_PLAN;
    default: return 0;
  }
}

int driver_arguments(Driver driver, Oid *argtypes) {
  switch (driver) {
    case Driver::Insert:
    case Driver::Update:
    case Driver::ReleaseClaim:
    case Driver::Release:
    case Driver::MoveCase:
    case Driver::DecideInsertedRow: return 0;
    case Driver::ClaimLink:
    case Driver::WriteEntry: {
      const Oid types[] = {INT8OID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID,
                           DATEOID, INT4OID, TEXTOID, BOOLOID, NUMERICOID};
      static_assert(std::size(types) == std::size(kEntryValueColumns));
      std::copy(std::begin(types), std::end(types), argtypes);
      return static_cast<int>(std::size(types));
    }
    case Driver::RecordInsertFailures:
    case Driver::RecordUpdateFailures:
      argtypes[0] = TEXTOID;
      argtypes[1] = TEXTOID;
      return 2;
    case Driver::BackfillClient:
    case Driver::Explain: argtypes[0] = INT8OID; return 1;
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

bool text_exactly(Oid type) { return type == TEXTOID || type == VARCHAROID || type_is_enum(type); }

const char *role_column(const RawRelation &rel, const char *contract_column) {
  for (int i = 0; i < rel.column_count; i++)
    if (strcmp(rel.contract_columns[i], contract_column) == 0 && rel.table_columns[i] != nullptr)
      return rel.table_columns[i];
  return contract_column;
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

RowPrecheck::Direct resolve_direct(Oid relid, const RawBinding &raw) {
  RowPrecheck::Direct d;
  const auto source_attnum = [&](const char *column, bool integer) -> AttrNumber {
    const AttrNumber found = get_attnum(relid, source_column(raw, column));
    if (found == InvalidAttrNumber || (integer && !integer_type(get_atttype(relid, found)))) return InvalidAttrNumber;
    return found;
  };
  d.team_id = source_attnum("team_id", true);
  d.id = source_attnum("id", true);
  d.client_id = source_attnum("client_id", true);
  d.user_id = source_attnum("user_id", true);
  d.started_at = source_attnum("started_at", false);
  d.direction = source_attnum("direction", false);
  d.duration_seconds = source_attnum("duration_seconds", true);
  if (!d.team_id || !d.id || !d.client_id || !d.user_id || !d.started_at || !d.direction || !d.duration_seconds ||
      get_atttype(relid, d.started_at) != TIMESTAMPTZOID || !text_exactly(get_atttype(relid, d.direction)))
    return d;

  const Oid schema = get_namespace_oid("autotime", false);
  d.settings = get_relname_relid("team_settings", schema);
  const auto settings_attnum = [&](const char *column) { return get_attnum(d.settings, column); };
  d.s_enabled = settings_attnum("enabled");
  d.s_track = settings_attnum("track_calls");
  d.s_minutes = settings_attnum("call_minutes");
  d.s_minutes_per_activity = settings_attnum("minutes_per_activity");
  d.s_mode = settings_attnum("call_minutes_mode");
  d.s_policy = settings_attnum("flat_fee_policy");
  d.s_timezone = settings_attnum("timezone");
  d.settings_key = find_probe(d.settings, {settings_attnum("team_id")}, true);
  if (!OidIsValid(d.settings_key.index)) return d;

  const RawRelation &members = raw.roles[2], &cases = raw.roles[1];
  if (get_rel_relkind(members.relid) != RELKIND_RELATION || get_rel_relkind(cases.relid) != RELKIND_RELATION) return d;
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
  if (!kind || (raw.qualifies != nullptr && raw.qualifies[0] != '\0')) return precheck;
  precheck.kind = *kind;
  const QualificationInputs inputs = default_qualification_inputs(*kind);
  if (!inputs.status && !inputs.direction && !inputs.value) return precheck;  // always qualifies
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
  if (*kind == Kind::Call) precheck.direct = resolve_direct(relid, raw);
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

SPIPlanPtr prepare_statement(const char *sql, int nargs, Oid *argtypes, int cursor_options, Oid relid) {
  SPIPlanPtr plan = nullptr;
  MemoryContext caller_context = CurrentMemoryContext;
  PG_TRY();
  { plan = SPI_prepare_cursor(sql, nargs, argtypes, cursor_options); }
  PG_CATCH();
  {
    rethrow_naming(caller_context, psprintf("autotime preparing capture for table \"%s\" (check its attachment: "
                                            "columns and qualifies expression)", get_rel_name(relid)));
  }
  PG_END_TRY();
  return plan;
}

}  // namespace

bool plans_many_rows(Driver driver) {
  return driver == Driver::BackfillClient || driver == Driver::BackfillTeam;
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

int execute_capture(SPIPlanPtr plan, Datum *values, bool read_only, const char *doing, bool many_rows) {
  return execute_capture_with_nulls(plan, values, nullptr, read_only, doing, many_rows);
}

int execute_capture_with_nulls(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, const char *doing,
                               bool many_rows) {
  MemoryContext caller_context = CurrentMemoryContext;
  int rc = 0;
  // On error, transaction or subtransaction abort unwinds the GUC nest level.
  const int nest_level = many_rows ? NewGUCNestLevel() : 0;
  if (many_rows) discourage_nested_loops();
  PG_TRY();
  { rc = SPI_execute_plan(plan, values, nulls, read_only, 0); }
  PG_CATCH();
  { rethrow_naming(caller_context, doing); }
  PG_END_TRY();
  if (many_rows) AtEOXact_GUC(true, nest_level);
  return rc;
}

bool any_team_records_errors() {
  if (record_mode < 0) {
    const Oid schema = get_namespace_oid("autotime", true);
    settings_relid = OidIsValid(schema) ? get_relname_relid("team_settings", schema) : InvalidOid;
    if (SPI_execute("SELECT EXISTS (SELECT 1 FROM autotime.team_settings s "
                    "WHERE s.on_error OPERATOR(pg_catalog.=) 'record'::pg_catalog.text)",
                    true, 1) != SPI_OK_SELECT)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read its settings")));
    bool isnull = false;
    record_mode = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) ? 1 : 0;
  }
  return record_mode == 1;
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
    return precheck;
  }
  return entry->precheck;
}

void register_capture_plan_invalidation() { CacheRegisterRelcacheCallback(invalidate_plans, (Datum)0); }

SPIPlanPtr capture_plan(Oid relid, Driver driver, bool bulk) {
  CapturePlans *entry = plans_for(relid);
  const int slot = static_cast<int>(driver) * 2 + (bulk ? 1 : 0);
  if (entry->plans[slot] != nullptr) return entry->plans[slot];

  // Loading and planning see only pg_catalog: every name we generate is qualified, and the
  // plan keeps this search_path when PostgreSQL re-plans it after DDL.
  const int nest_level = NewGUCNestLevel();
  (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                          false);
  // Capture statements are short and kept: JIT compilation would cost more than it saves.
  (void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  if (bulk || plans_many_rows(driver)) discourage_nested_loops();
  const RawBinding raw = load_binding(relid);
  const char *sql = build_statement(raw, driver);
  Oid argtypes[std::size(kEntryValueColumns)];
  const int nargs = driver_arguments(driver, argtypes);
  SPIPlanPtr plan = prepare_statement(sql, nargs, argtypes, driver_cursor_options(driver), relid);
  if (plan == nullptr)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("autotime could not prepare capture for \"%s\": %s", get_rel_name(relid),
                           SPI_result_code_string(SPI_result))));
  if (SPI_keepplan(plan) != 0)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not keep its capture plan")));
  AtEOXact_GUC(true, nest_level);

  // The entry may have been invalidated while we planned; a stale entry is rebuilt on next use.
  entry = plans_for(relid);
  entry->plans[slot] = plan;
  for (int r = 0; r < kRoleCount; r++) entry->bound_relids[r] = raw.roles[r].relid;
  return plan;
}

}  // namespace autotime::pg
