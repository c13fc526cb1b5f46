// One inserted call, decided without the SELECT (only trivially destructible C++ values live
// across the PostgreSQL calls here: strings are palloc'd): the settings, member and case are index probes
// on the keys autotime.bind() checked, and the verdict and the entry's values come from the same
// rules (src/core) the SQL calls through autotime.rule_*. Executor start-up of the deciding
// SELECT's plan was most of what a live capture cost over the floor (bench/RESULTS.md).
// Equivalence: the regression suite's plain run decides calls here, its partitioned run (whose
// bound tables are partitioned) through the SELECT, and both must print the same expected output.
#include "call_decision.hpp"

#include <optional>
#include <string_view>

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "executor/tuptable.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include "../core/rules.hpp"
#include "boundary.hpp"
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

struct FoundCase {
  int64 id = 0;
  int64 client_id = 0;
  const char *billing_type = nullptr;
  bool updated_known = false;
  TimestampTz updated_at = 0;
};

}  // namespace

bool decide_call_directly(TupleTableSlot *row, const RowPrecheck &precheck, Datum *values, char *nulls, bool *captured) {
  const RowPrecheck::Direct &d = precheck.direct;
  *captured = false;
  const auto team_id = column_integer(row, d.team_id);
  const auto id = column_integer(row, d.id);
  const auto client_id = column_integer(row, d.client_id);
  if (!team_id || !id || !client_id || precheck.case_id == InvalidAttrNumber) return false;
  const Oid case_type = TupleDescAttr(row->tts_tupleDescriptor, precheck.case_id - 1)->atttypid;
  if (case_type != INT2OID && case_type != INT4OID && case_type != INT8OID) return false;
  const auto case_id = column_integer(row, precheck.case_id);
  const auto user_id = column_integer(row, d.user_id);
  const auto duration = column_integer(row, d.duration_seconds);
  const char *direction = column_text_copy(row, d.direction);
  bool started_null = false;
  const TimestampTz started_at = DatumGetTimestampTz(slot_getattr(row, d.started_at, &started_null));

  // What the SELECT would see: everything committed before now, and this transaction's writes.
  CommandCounterIncrement();
  PushActiveSnapshot(GetTransactionSnapshot());

  bool probed = true;
  // Settings (autotime.team_settings by team).
  bool team_enabled = false, kind_enabled = false;
  std::optional<int32> increment;
  std::optional<int> billing_increment;
  bool capped = false;
  const char *mode = nullptr, *policy = nullptr, *timezone = nullptr;
  {
    Relation settings = table_open(d.settings, AccessShareLock);
    const int64 key[1] = {*team_id};
    probed &= probe(settings, d.settings_key, key, [&](TupleTableSlot *s) {
      bool isnull = false;
      Datum v = slot_getattr(s, d.s_enabled, &isnull);
      team_enabled = !isnull && DatumGetBool(v);
      v = slot_getattr(s, d.s_track, &isnull);
      kind_enabled = !isnull && DatumGetBool(v);
      v = slot_getattr(s, d.s_minutes, &isnull);
      if (!isnull) increment = DatumGetInt32(v);
      else {
        v = slot_getattr(s, d.s_minutes_per_activity, &isnull);
        if (!isnull) increment = DatumGetInt32(v);
      }
      mode = column_text_copy(s, d.s_mode);
      policy = column_text_copy(s, d.s_policy);
      timezone = column_text_copy(s, d.s_timezone);
      if (d.s_billing_increment != InvalidAttrNumber) {
        v = slot_getattr(s, d.s_billing_increment, &isnull);
        if (!isnull) billing_increment = DatumGetInt32(v);
      }
      if (d.s_daily_cap != InvalidAttrNumber) {
        (void)slot_getattr(s, d.s_daily_cap, &isnull);
        capped = !isnull;  // a member's day is counted set-based: the SELECT decides
      }
      return false;
    });
    table_close(settings, NoLock);
  }
  if (capped) {
    PopActiveSnapshot();
    return false;
  }

  // The member (team, user).
  bool member_found = false, can_log_time = false, rate_null = true;
  Datum rate = 0;
  if (user_id) {
    Relation members = table_open(d.members, AccessShareLock);
    const int64 key[2] = {*team_id, *user_id};
    probed &= probe(members, d.member_key, key, [&](TupleTableSlot *s) {
      bool isnull = false;
      const Datum can = slot_getattr(s, d.m_can_log_time, &isnull);
      member_found = !isnull;
      can_log_time = !isnull && DatumGetBool(can);
      const Datum r = slot_getattr(s, d.m_hourly_rate, &rate_null);
      if (!rate_null) rate = datumCopy(r, false, -1);
      return false;
    });
    table_close(members, NoLock);
  }

  // The case: its own when given, else the client's most recently updated open case.
  std::optional<FoundCase> found;
  {
    Relation cases = table_open(d.cases, AccessShareLock);
    const auto read_case = [&](TupleTableSlot *s) {
      FoundCase c;
      c.id = *column_integer(s, d.c_id);
      const auto client = column_integer(s, d.c_client_id);
      c.client_id = client ? *client : 0;
      c.billing_type = column_text_copy(s, d.c_billing_type);
      bool isnull = false;
      const Datum updated = slot_getattr(s, d.c_updated_at, &isnull);
      c.updated_known = !isnull;
      if (!isnull) c.updated_at = DatumGetTimestampTz(updated);
      return std::make_pair(c, client.has_value());
    };
    if (case_id) {
      const int64 key[2] = {*team_id, *case_id};
      probed &= probe(cases, d.case_key, key, [&](TupleTableSlot *s) {
        auto [c, client_known] = read_case(s);
        found = c;
        if (!client_known) found->client_id = *client_id + 1;  // a NULL client never matches
        return false;
      });
    } else {
      const int64 key[2] = {*team_id, *client_id};
      probed &= probe(cases, d.cases_of_client, key, [&](TupleTableSlot *s) {
        const auto status = column_text(s, d.c_status);
        if (!status || *status == "closed" || *status == "archived") return true;
        auto [c, client_known] = read_case(s);
        (void)client_known;  // matched by the probe
        const bool better =
            !found || (c.updated_known && !found->updated_known) ||
            (c.updated_known == found->updated_known &&
             ((c.updated_known && c.updated_at > found->updated_at) ||
              ((!c.updated_known || c.updated_at == found->updated_at) && c.id > found->id)));
        if (better) found = c;
        return true;
      });
    }
    table_close(cases, NoLock);
  }
  PopActiveSnapshot();
  if (!probed) return false;

  Facts facts;
  facts.team_enabled = team_enabled;
  facts.kind_enabled = kind_enabled;
  facts.qualifies = true;  // the caller checked the default qualification
  // The same range as the SQL (capture_sql.cpp): years 1 to 9999, so the local date exists.
  constexpr TimestampTz kFirstActivityTime = INT64CONST(-63082281600000000);  // 0001-01-01 00:00 UTC
  constexpr TimestampTz kEndOfActivityTime = INT64CONST(252455616000000000);  // 10000-01-01 00:00 UTC
  facts.has_activity_time = !started_null && started_at >= kFirstActivityTime && started_at < kEndOfActivityTime;
  facts.has_actor = user_id.has_value();
  facts.member_found = member_found;
  facts.member_can_log_time = can_log_time;
  facts.own_case_given = case_id.has_value();
  facts.case_found = found.has_value();
  facts.case_client_matches = found && found->client_id == *client_id;
  const std::string_view billing_type = found && found->billing_type ? found->billing_type : "";
  facts.billing_type = billing_type;
  const FlatFeePolicy flat_fee = parse_flat_fee_policy(policy ? policy : "").value_or(FlatFeePolicy::NonBillable);
  facts.flat_fee_policy = flat_fee;
  if (decide(facts)) return true;  // skipped, for the reason the SELECT would give
  if (!timezone) return false;

  const Datum local = DirectFunctionCall2(timestamptz_zone, CStringGetTextDatum(timezone),
                                          TimestampTzGetDatum(started_at));
  const MinutesMode minutes_mode = parse_minutes_mode(mode ? mode : "").value_or(MinutesMode::Fixed);
  std::optional<int64_t> seconds;
  if (duration) seconds = *duration;
  char *description = call_core("describe an activity", [&] {
    return describe(Kind::Call, direction ? direction : "", std::string_view(), false);
  });
  values[0] = Int64GetDatum(*team_id);
  values[1] = CStringGetTextDatum(psprintf(INT64_FORMAT, *id));
  values[2] = Int64GetDatum(*id);
  values[3] = Int64GetDatum(*client_id);
  values[4] = Int64GetDatum(found->id);
  values[5] = Int64GetDatum(*user_id);
  values[6] = DirectFunctionCall1(timestamp_date, local);
  values[7] = Int32GetDatum(billed_minutes(entry_minutes(minutes_mode, increment ? *increment : 15, seconds), billing_increment));
  values[8] = CStringGetTextDatum(description);
  values[9] = BoolGetDatum(entry_billable(billing_type, flat_fee));
  values[10] = rate;
  for (int i = 0; i < 11; i++) nulls[i] = ' ';
  if (rate_null) nulls[10] = 'n';
  *captured = true;
  return true;
}

}  // namespace autotime::pg
