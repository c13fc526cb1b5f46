// One inserted activity, decided without the SELECT (only trivially destructible C++ values live
// across the PostgreSQL calls here: strings are palloc'd): the settings, member and case are index
// probes on the keys autotime.bind() checked, what the row says is read by its kind's shape
// (src/core/kinds.hpp, the table the SQL follows too), and the verdict and the entry's values come
// from the same rules (src/core) the SQL calls through autotime.rule_*. Executor start-up of the
// deciding statements was most of what a live capture cost over the floor (bench/RESULTS.md).
// Bound tables partitioned by the probed keys are probed in the one partition routing picks
// (partition_routing.hpp). Equivalence: sql/one_row_path.sql compares this path with the SQL entry
// by entry for every kind, sql/differential.sql on generated activities, sql/partition_routing.sql
// through list, range, multi-level and reordered partitions; every run of the suite (plain,
// partitioned, upgraded) must print the same expected output.
#include "row_decision.hpp"

#include <optional>
#include <string_view>

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/tupconvert.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "executor/tuptable.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include "../core/kinds.hpp"
#include "../core/rules.hpp"
#include "partition_routing.hpp"
#include "rule_functions.hpp"
#include "slot_values.hpp"

namespace autotime::pg {

namespace {

// Calls `each(slot)` for every row of `heap` the probe finds, until it returns false. False when
// the index is gone (dropped since the lookups were worked out; the caller uses the SELECT).
template <class Each>
bool probe(Relation heap, const RowPrecheck::Probe &p, const int64 *values, Each &&each) {
  if (get_rel_relkind(p.index) != RELKIND_INDEX) return false;
  Relation index = index_open(p.index, AccessShareLock);
  ScanKeyData keys[2];
  for (int k = 0; k < p.keys; k++)
    ScanKeyEntryInitialize(&keys[k], 0, p.index_column[k], BTEqualStrategyNumber, INT8OID, InvalidOid, p.equal[k],
                           Int64GetDatum(values[p.value[k]]));
  IndexScanDesc scan = index_beginscan(heap, index, GetActiveSnapshot(), p.keys, 0);
  index_rescan(scan, keys, p.keys, nullptr, 0);
  TupleTableSlot *slot = table_slot_create(heap, nullptr);
  while (index_getnext_slot(scan, ForwardScanDirection, slot))
    if (!each(slot)) break;
  ExecDropSingleTupleTableSlot(slot);
  index_endscan(scan);
  index_close(index, NoLock);
  return true;
}

// The probe on the one partition of partitioned `top` that routing picks for the probe's values,
// through that partition's part of the probe's index; rows are handed over in `top`'s layout.
template <class Each>
bool probe_partition(Relation top, const RowPrecheck::Probe &p, const int64 *values, Each &&each) {
  KnownValue known[2];
  for (int k = 0; k < p.keys; k++) known[k] = KnownValue{p.column[k], values[k]};
  Oid leaf = InvalidOid, index = p.index;
  const Route route = route_to_leaf(top, known, p.keys, &leaf, &index);
  if (route != Route::Leaf) return route == Route::NoPartition;  // nothing there / ask the SQL
  if (!OidIsValid(index)) return false;
  Relation partition = table_open(leaf, AccessShareLock);
  RowPrecheck::Probe leaf_probe = p;
  leaf_probe.index = part_of_index(partition, index);
  bool probed = false;
  if (OidIsValid(leaf_probe.index)) {
    AttrMap *map = build_attrmap_by_name_if_req(RelationGetDescr(partition), RelationGetDescr(top));
    if (map == nullptr) probed = probe(partition, leaf_probe, values, each);
    else {
      TupleTableSlot *as_top = MakeSingleTupleTableSlot(RelationGetDescr(top), &TTSOpsVirtual);
      probed = probe(partition, leaf_probe, values,
                     [&](TupleTableSlot *row) { return each(execute_attr_map_slot(map, row, as_top)); });
      ExecDropSingleTupleTableSlot(as_top);
      free_attrmap(map);
    }
  }
  table_close(partition, NoLock);
  return probed;
}

// The same probe on table `relid`, opened for it (plain, or partitioned by the probe's keys).
template <class Each>
bool probe_table(Oid relid, const RowPrecheck::Probe &p, const int64 *values, Each &&each) {
  Relation heap = table_open(relid, AccessShareLock);
  const bool probed = heap->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ? probe_partition(heap, p, values, each)
                                                                          : probe(heap, p, values, each);
  table_close(heap, NoLock);
  return probed;
}

// What the SQL's activity_projection reads from the row.
struct Activity {
  int64 team_id = 0, id = 0, client_id = 0;
  std::optional<int64> case_id, actor, duration_seconds;
  bool occurred_known = false;
  TimestampTz occurred_at = 0;
  const char *label = nullptr;         // NULL: none (palloc'd copies)
  const char *direction = nullptr;
  const char *provider_key = nullptr;  // the dedupe key when it is not the id
};

std::optional<Activity> read_activity(TupleTableSlot *row, const RowPrecheck &precheck) {
  const RowPrecheck::Direct &d = precheck.direct;
  const auto team_id = column_integer(row, d.team_id);
  const auto id = column_integer(row, d.id);
  const auto client_id = column_integer(row, d.client_id);
  if (!team_id || !id || !client_id) return std::nullopt;
  Activity a;
  a.team_id = *team_id;
  a.id = *id;
  a.client_id = *client_id;
  a.case_id = column_integer(row, precheck.case_id);
  a.actor = column_integer(row, d.actor);
  if (!a.actor && d.fallback_actor != InvalidAttrNumber) a.actor = column_integer(row, d.fallback_actor);
  bool occurred_null = false;
  const Datum occurred = slot_getattr(row, d.occurred_at, &occurred_null);
  a.occurred_known = !occurred_null;
  if (!occurred_null) a.occurred_at = DatumGetTimestampTz(occurred);
  if (d.label != InvalidAttrNumber) a.label = column_text_copy(row, d.label);
  if (d.direction != InvalidAttrNumber) a.direction = column_text_copy(row, d.direction);
  if (d.duration_seconds != InvalidAttrNumber) a.duration_seconds = column_integer(row, d.duration_seconds);
  if (d.provider_key != InvalidAttrNumber) {
    const char *provider = column_text_copy(row, d.provider_key);
    if (provider != nullptr && provider[0] != '\0')
      a.provider_key = psprintf("%.*s%s", static_cast<int>(kProviderKeyPrefix.size()), kProviderKeyPrefix.data(),
                                provider);
  }
  return a;
}

struct Settings {
  bool team_enabled = false, kind_enabled = false;
  std::optional<int32> increment;  // the kind's minutes, else minutes_per_activity
  std::optional<int> billing_increment;  // SPEC §6 (1.3)
  const char *needs_select = nullptr;  // a daily cap, sessions or another case_fallback: the SELECT decides (why)
  const char *mode = nullptr, *policy = nullptr, *timezone = nullptr;
};

bool probe_settings(const RowPrecheck::Direct &d, int64 team_id, Settings *settings) {
  const int64 key[1] = {team_id};
  return probe_table(d.settings, d.settings_key, key, [&](TupleTableSlot *s) {
    const auto flag = [&](AttrNumber column) {
      bool isnull = false;
      const Datum v = slot_getattr(s, column, &isnull);
      return !isnull && DatumGetBool(v);
    };
    settings->team_enabled = flag(d.s_enabled);
    settings->kind_enabled = flag(d.s_track);
    for (AttrNumber column : {d.s_minutes, d.s_minutes_per_activity}) {
      bool isnull = false;
      const Datum v = slot_getattr(s, column, &isnull);
      if (isnull) continue;
      settings->increment = DatumGetInt32(v);
      break;
    }
    settings->mode = column_text_copy(s, d.s_mode);
    settings->policy = column_text_copy(s, d.s_policy);
    settings->timezone = column_text_copy(s, d.s_timezone);
    bool isnull = false;
    if (d.s_billing_increment != InvalidAttrNumber) {
      const Datum v = slot_getattr(s, d.s_billing_increment, &isnull);
      if (!isnull) settings->billing_increment = DatumGetInt32(v);
    }
    const auto set_column = [&](AttrNumber column, const char *why) {
      if (column == InvalidAttrNumber || settings->needs_select != nullptr) return;
      (void)slot_getattr(s, column, &isnull);
      if (!isnull) settings->needs_select = why;
    };
    set_column(d.s_daily_cap, "the team has a daily cap (daily_cap_minutes)");
    set_column(d.s_session_gap, "the team groups activities into sessions (session_gap_minutes)");
    if (d.s_case_fallback != InvalidAttrNumber && settings->needs_select == nullptr) {  // only the default is probed
      const char *fallback = column_text_copy(s, d.s_case_fallback);
      if (fallback != nullptr && strcmp(fallback, "latest_open") != 0)
        settings->needs_select = "the team's case_fallback is not latest_open";
    }
    return false;
  });
}

struct Member {
  bool found = false, can_log_time = false, rate_null = true;
  Datum rate = 0;
};

bool probe_member(const RowPrecheck::Direct &d, int64 team_id, int64 user_id, Member *member) {
  const int64 key[2] = {team_id, user_id};
  return probe_table(d.members, d.member_key, key, [&](TupleTableSlot *s) {
    bool isnull = false;
    const Datum can = slot_getattr(s, d.m_can_log_time, &isnull);
    member->found = !isnull;
    member->can_log_time = !isnull && DatumGetBool(can);
    const Datum rate = slot_getattr(s, d.m_hourly_rate, &member->rate_null);
    if (!member->rate_null) member->rate = datumCopy(rate, false, -1);
    return false;
  });
}

struct FoundCase {
  int64 id = 0;
  std::optional<int64> client_id;
  const char *billing_type = nullptr;
  bool updated_known = false;
  TimestampTz updated_at = 0;
};

FoundCase read_case(const RowPrecheck::Direct &d, TupleTableSlot *s) {
  FoundCase c;
  c.id = *column_integer(s, d.c_id);
  c.client_id = column_integer(s, d.c_client_id);
  c.billing_type = column_text_copy(s, d.c_billing_type);
  bool isnull = false;
  const Datum updated = slot_getattr(s, d.c_updated_at, &isnull);
  c.updated_known = !isnull;
  if (!isnull) c.updated_at = DatumGetTimestampTz(updated);
  return c;
}

// Which of two open cases the client's activity falls back to (rules.hpp kFallbackCaseOrder).
bool comes_first(const FoundCase &c, const FoundCase &than) {
  static_assert(std::size(kFallbackCaseOrder) == 2 && kFallbackCaseOrder[0].column == "updated_at" &&
                kFallbackCaseOrder[1].column == "id");
  const auto keys = [](const FoundCase &f, CaseOrderValues &values) {
    if (f.updated_known) values[0] = f.updated_at;
    values[1] = f.id;
  };
  CaseOrderValues a, b;
  keys(c, a);
  keys(than, b);
  return falls_back_before(a, b);
}

// The activity's own case when it names one, else the client's most recently updated open case.
bool probe_case(const RowPrecheck::Direct &d, const Activity &a, std::optional<FoundCase> *found) {
  if (a.case_id) {
    const int64 key[2] = {a.team_id, *a.case_id};
    return probe_table(d.cases, d.case_key, key, [&](TupleTableSlot *s) {
      *found = read_case(d, s);
      return false;
    });
  }
  const int64 key[2] = {a.team_id, a.client_id};
  return probe_table(d.cases, d.cases_of_client, key, [&](TupleTableSlot *s) {
    const auto status = column_text(s, d.c_status);
    if (!status || !case_is_open(*status)) return true;
    const FoundCase c = read_case(d, s);
    if (!*found || comes_first(c, **found)) *found = c;
    return true;
  });
}

// The same range as the SQL (rules.hpp kFirstActivityYear..kEndActivityYear), so the local date exists.
bool dateable(const Activity &a) {
  return a.occurred_known && a.occurred_at >= kFirstActivityTime && a.occurred_at < kEndActivityTime;
}

}  // namespace

bool decide_row_directly(TupleTableSlot *row, const RowPrecheck &precheck, Datum *values, char *nulls, bool *captured) {
  const RowPrecheck::Direct &d = precheck.direct;
  *captured = false;
  const std::optional<Activity> activity = read_activity(row, precheck);
  if (!activity) return false;
  const Activity &a = *activity;

  // What the SELECT would see: everything committed before now, and this transaction's writes.
  CommandCounterIncrement();
  PushActiveSnapshot(GetTransactionSnapshot());
  Settings settings;
  Member member;
  std::optional<FoundCase> found;
  const bool probed = probe_settings(d, a.team_id, &settings) &&
                      (!a.actor || probe_member(d, a.team_id, *a.actor, &member)) && probe_case(d, a, &found);
  PopActiveSnapshot();
  if (!probed || settings.needs_select != nullptr) return false;  // counted set-based by the SELECT

  Facts facts;
  facts.team_enabled = settings.team_enabled;
  facts.kind_enabled = settings.kind_enabled;
  facts.qualifies = true;  // the caller checked the default qualification
  facts.has_activity_time = dateable(a);
  facts.has_actor = a.actor.has_value();
  facts.member_found = member.found;
  facts.member_can_log_time = member.can_log_time;
  facts.own_case_given = a.case_id.has_value();
  facts.case_found = found.has_value();
  facts.case_client_matches = found && found->client_id == a.client_id;
  const std::string_view billing_type = found && found->billing_type ? found->billing_type : "";
  facts.billing_type = billing_type;
  const FlatFeePolicy flat_fee =
      parse_flat_fee_policy(settings.policy ? settings.policy : "").value_or(FlatFeePolicy::NonBillable);
  facts.flat_fee_policy = flat_fee;
  if (decide(facts)) return true;  // skipped, for the reason the SELECT would give
  if (!settings.timezone) return false;

  const Datum local = DirectFunctionCall2(timestamptz_zone, CStringGetTextDatum(settings.timezone),
                                          TimestampTzGetDatum(a.occurred_at));
  const MinutesMode minutes_mode =
      parse_minutes_mode(settings.mode ? settings.mode : "").value_or(MinutesMode::Fixed);
  const char *label = a.label ? a.label : "";
  constexpr Driver kClaim = Driver::ClaimLink;
  for (int i = 0; i < statement(kClaim).parameter_count; i++) nulls[i] = 'n';  // unset: NULL
  const auto set = [&](int parameter, Datum value, bool isnull = false) {
    values[parameter] = value;
    nulls[parameter] = isnull ? 'n' : ' ';
  };
  set(AUTOTIME_PARAMETER(kClaim, "team_id"), Int64GetDatum(a.team_id));
  set(AUTOTIME_PARAMETER(kClaim, "provider_key"), a.provider_key ? CStringGetTextDatum(a.provider_key) : (Datum)0,
      a.provider_key == nullptr);
  set(AUTOTIME_PARAMETER(kClaim, "source_id"), Int64GetDatum(a.id));
  set(AUTOTIME_PARAMETER(kClaim, "client_id"), Int64GetDatum(a.client_id));
  set(AUTOTIME_PARAMETER(kClaim, "case_id"), Int64GetDatum(found->id));
  set(AUTOTIME_PARAMETER(kClaim, "user_id"), Int64GetDatum(*a.actor));
  set(AUTOTIME_PARAMETER(kClaim, "work_date"), DirectFunctionCall1(timestamp_date, local));
  set(AUTOTIME_PARAMETER(kClaim, "minutes"),
      Int32GetDatum(billed_minutes(entry_minutes(minutes_mode, settings.increment.value_or(15), a.duration_seconds),
                                   settings.billing_increment)));
  set(AUTOTIME_PARAMETER(kClaim, "description"),
      CStringGetTextDatum(describe_activity(precheck.kind, a.direction ? a.direction : "", label,
                                            static_cast<int>(strlen(label)))));
  set(AUTOTIME_PARAMETER(kClaim, "billable"), BoolGetDatum(entry_billable(billing_type, flat_fee)));
  set(AUTOTIME_PARAMETER(kClaim, "rate"), member.rate, member.rate_null);
  set(AUTOTIME_PARAMETER(kClaim, "occurred_at"), TimestampTzGetDatum(a.occurred_at));
  *captured = true;
  return true;
}

const char *statement_decides_because(Oid relid, int64 team_id) {
  const RowPrecheck precheck = row_precheck(relid);
  if (!precheck.usable || !precheck.direct.usable) return probe_gap_text(precheck);
  Settings settings;
  if (!probe_settings(precheck.direct, team_id, &settings)) return "an index it probes was dropped";
  return settings.needs_select;
}

}  // namespace autotime::pg
