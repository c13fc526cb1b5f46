// What the one-row path (row_decision.cpp) needs to know of an attached table, found once in the
// catalog: which columns the default qualification reads, and which B-tree indexes answer each
// lookup (settings, member, case) as an equality scan. Kept with the relation's plans.
#pragma once

#include <type_traits>

#include "binding.hpp"

namespace autotime::pg {

// Why one inserted row of a table is decided by the set-based statement rather than by index
// probes (explain's live_path_detail, probe_gap_text); Nothing when the probes decide it.
enum class ProbeGap : uint8 {
  Nothing,
  OwnQualification,  // the attachment's own qualifies expression (SQL, run as the table's owner)
  SourceColumnTypes,  // a column the probes read has a type whose value they don't read
  SettingsKey,        // autotime.team_settings lacks its unique key on team_id
  RowSecurity,        // a role table has row security (the probes would bypass it)
  NotATable,          // a role table is a view or foreign table
  RoleColumnTypes,    // a role table's column has a type the probes don't read
  MemberKey,          // no B-tree index on (team_id, user_id), unique
  CaseKey,            // no B-tree index on (team_id, id), unique
  CasesOfClientKey,   // no B-tree index led by (team_id, client_id)
  PartitionKey,       // partitioned by something other than the probed key columns
};

// How to tell, from one inserted row and before any lookup, that it fails its kind's default
// qualification (autotime::qualifies_by_default). Usable only for an attachment without a custom
// qualifies expression whose status and direction columns are text, varchar or an enum (whose
// text is exactly what the SQL test compares); InvalidAttrNumber marks a column not read.
struct RowPrecheck {
  bool usable = false;
  ProbeGap gap = ProbeGap::Nothing;  // why direct.usable is false
  Oid gap_relid = InvalidOid;        // the table it concerns
  Kind kind = Kind::Call;
  AttrNumber status = InvalidAttrNumber;
  AttrNumber direction = InvalidAttrNumber;
  AttrNumber value = InvalidAttrNumber;  // documents: template_id; events: completed_at
  AttrNumber case_id = InvalidAttrNumber;  // to tell an UPDATE that left the case alone (any attachment)
  // To tell an UPDATE that left the activity's identity and client alone (any attachment): team_id,
  // id, client_id and (texts) provider_message_id; InvalidAttrNumber when unknown (then: changed).
  AttrNumber identity[4] = {InvalidAttrNumber, InvalidAttrNumber, InvalidAttrNumber, InvalidAttrNumber};
  int identity_count = 0;
  // The row's team_id and id when both are integer columns (any attachment): to record a capture
  // failure straight from the row when even reading it through the attachment fails.
  AttrNumber key_team = InvalidAttrNumber, key_id = InvalidAttrNumber;
  // The one-row write names no arbiter (a partitioned entries table with a key on the activity,
  // capture_sql.cpp ClaimLink): one that inserts nothing may have to be written again.
  bool entry_write_untargeted = false;

  // Deciding an inserted row by index probes instead of the SELECT (row_decision.cpp): usable for
  // an attachment with the default qualification whose bound tables are plain tables with the
  // keys it probes and whose columns it reads have types whose text and values it knows.
  struct Probe {  // an equality scan of a B-tree index on its first `keys` columns
    Oid index = InvalidOid;
    int keys = 0;
    AttrNumber index_column[2] = {0, 0};  // ascending; value i is compared with index_column[i]
    int value[2] = {0, 0};                // which of the caller's values goes there
    AttrNumber column[2] = {0, 0};        // the table's column caller value i is compared with
    RegProcedure equal[2] = {InvalidOid, InvalidOid};
  };
  struct Direct {
    bool usable = false;
    // The source row's columns (kinds.hpp KindShape); InvalidAttrNumber where the kind has none.
    AttrNumber team_id = 0, id = 0, client_id = 0, actor = 0, fallback_actor = 0, occurred_at = 0, label = 0,
               direction = 0, duration_seconds = 0, provider_key = 0;
    Oid settings = InvalidOid;
    Probe settings_key;
    AttrNumber s_billing_increment = 0, s_daily_cap = 0, s_case_fallback = 0, s_session_gap = 0;  // InvalidAttrNumber before 1.3
    // The kind's track_* and *_minutes settings.
    AttrNumber s_enabled = 0, s_track = 0, s_minutes = 0, s_minutes_per_activity = 0, s_mode = 0, s_policy = 0,
               s_timezone = 0;
    Oid members = InvalidOid;
    Probe member_key;  // values: team_id, user_id
    AttrNumber m_can_log_time = 0, m_hourly_rate = 0;
    Oid cases = InvalidOid;
    Probe case_key;         // values: team_id, id
    Probe cases_of_client;  // values: team_id, client_id
    AttrNumber c_id = 0, c_client_id = 0, c_status = 0, c_billing_type = 0, c_updated_at = 0;
  } direct;
};

static_assert(std::is_trivially_destructible_v<RowPrecheck>);

// Finds it in the catalog for attached relation `relid` with binding `raw`.
RowPrecheck resolve_precheck(Oid relid, const RawBinding &raw);

// What `precheck.gap` means, naming the table (palloc'd); NULL when the probes decide.
const char *probe_gap_text(const RowPrecheck &precheck);

}  // namespace autotime::pg
