// What the one-row path reads and through which indexes (row_probes.hpp), found in the catalog.
#include "row_probes.hpp"

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

#include "../core/kinds.hpp"
#include "partition_routing.hpp"
#include "slot_values.hpp"

namespace autotime::pg {

namespace {


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


// Row-level security on a bound table is honoured by the SQL lookups (which run as its owner);
// the index probes would bypass a FORCE'd policy, so such tables are not probed.
bool has_row_security(Oid relid) {
  HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
  if (!HeapTupleIsValid(tuple)) return true;
  const bool rls = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relrowsecurity;
  ReleaseSysCache(tuple);
  return rls;
}


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
        probe.column[position] = column;
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


// A role table the probes can read: a plain table, or one partitioned by the probes' key columns
// (each probe then reads the one partition that routing picks, partition_routing.hpp).
ProbeGap role_table_gap(Oid relid) {
  const char relkind = get_rel_relkind(relid);
  if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE) return ProbeGap::NotATable;
  return has_row_security(relid) ? ProbeGap::RowSecurity : ProbeGap::Nothing;
}

// Whether `probe` was found, and on a partitioned table can be routed by its key's values.
bool probe_fits(Oid relid, const RowPrecheck::Probe &probe, bool *routable) {
  if (!OidIsValid(probe.index)) return false;
  *routable = *routable && (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE ||
                            partitioned_by(relid, probe.column, probe.keys));
  return true;
}

void resolve_direct(Oid relid, const RawBinding &raw, RowPrecheck &precheck) {
  RowPrecheck::Direct &d = precheck.direct;
  const auto gap = [&](ProbeGap why, Oid table) {
    precheck.gap = why;
    precheck.gap_relid = table;
  };
  if (!resolve_direct_source(relid, raw, precheck.kind, precheck.case_id, d)) return gap(ProbeGap::SourceColumnTypes, relid);
  if (!resolve_direct_settings(precheck.kind, d)) return gap(ProbeGap::SettingsKey, d.settings);

  const RawRelation &members = raw.roles[2], &cases = raw.roles[1];
  for (Oid table : {members.relid, cases.relid})
    if (const ProbeGap why = role_table_gap(table); why != ProbeGap::Nothing) return gap(why, table);
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
  if (!m_team || !m_user || !d.m_can_log_time || !d.m_hourly_rate) return gap(ProbeGap::RoleColumnTypes, d.members);

  d.cases = cases.relid;
  const AttrNumber c_team = role_attnum(cases, "team_id", INT8OID);
  d.c_id = role_attnum(cases, "id", INT8OID);
  d.c_client_id = role_attnum(cases, "client_id", INT8OID);
  d.c_status = role_attnum(cases, "status", TEXTOID);
  d.c_billing_type = role_attnum(cases, "billing_type", TEXTOID);
  d.c_updated_at = role_attnum(cases, "updated_at", TIMESTAMPTZOID);
  if (!c_team || !d.c_id || !d.c_client_id || !d.c_status || !d.c_billing_type || !d.c_updated_at)
    return gap(ProbeGap::RoleColumnTypes, d.cases);

  bool members_routable = true, cases_routable = true;
  d.member_key = find_probe(d.members, {m_team, m_user}, true);
  if (!probe_fits(d.members, d.member_key, &members_routable)) return gap(ProbeGap::MemberKey, d.members);
  d.case_key = find_probe(d.cases, {c_team, d.c_id}, true);
  if (!probe_fits(d.cases, d.case_key, &cases_routable)) return gap(ProbeGap::CaseKey, d.cases);
  d.cases_of_client = find_probe(d.cases, {c_team, d.c_client_id}, false);
  if (!probe_fits(d.cases, d.cases_of_client, &cases_routable)) return gap(ProbeGap::CasesOfClientKey, d.cases);
  if (!members_routable) return gap(ProbeGap::PartitionKey, d.members);
  if (!cases_routable) return gap(ProbeGap::PartitionKey, d.cases);
  d.usable = true;
}

}  // namespace


RowPrecheck resolve_precheck(Oid relid, const RawBinding &raw) {
  RowPrecheck precheck;
  precheck.entry_write_untargeted = raw.entries_partitioned && raw.entries_activity_key != 0;
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
  precheck.gap = ProbeGap::OwnQualification;
  precheck.gap_relid = relid;
  if (!kind || (raw.qualifies != nullptr && raw.qualifies[0] != '\0')) return precheck;
  precheck.kind = *kind;
  precheck.gap = ProbeGap::SourceColumnTypes;
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
  precheck.gap = ProbeGap::Nothing;
  resolve_direct(relid, raw, precheck);
  return precheck;
}


const char *probe_gap_text(const RowPrecheck &precheck) {
  const char *table = OidIsValid(precheck.gap_relid) ? get_rel_name(precheck.gap_relid) : nullptr;
  if (table == nullptr) table = "?";
  switch (precheck.gap) {
    case ProbeGap::Nothing: return nullptr;
    case ProbeGap::OwnQualification: return psprintf("\"%s\" is attached with its own qualifies expression", table);
    case ProbeGap::SourceColumnTypes:
      return psprintf("a column of \"%s\" the probes read is not of a type they read (integers, timestamptz, text, varchar or enum)", table);
    case ProbeGap::SettingsKey: return psprintf("\"%s\" has no unique B-tree index on team_id", table);
    case ProbeGap::RowSecurity: return psprintf("\"%s\" has row security", table);
    case ProbeGap::NotATable: return psprintf("\"%s\" is not a table", table);
    case ProbeGap::RoleColumnTypes:
      return psprintf("a column of \"%s\" the probes read is missing or not of a type they read", table);
    case ProbeGap::MemberKey: return psprintf("\"%s\" has no unique B-tree index on (team_id, user_id)", table);
    case ProbeGap::CaseKey: return psprintf("\"%s\" has no unique B-tree index on (team_id, id)", table);
    case ProbeGap::CasesOfClientKey: return psprintf("\"%s\" has no B-tree index led by (team_id, client_id)", table);
    case ProbeGap::PartitionKey:
      return psprintf("\"%s\" is partitioned by something other than the integer columns the probes look up", table);
  }
  return nullptr;
}

}  // namespace autotime::pg
