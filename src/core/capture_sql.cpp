#include "capture_sql.hpp"

#include "kinds.hpp"

#include <algorithm>
#include <stdexcept>

namespace autotime {

namespace {

// Every operator, type and function is schema-qualified so no search_path can redirect the statement.
constexpr std::string_view kEq = " OPERATOR(pg_catalog.=) ";
constexpr std::string_view kNe = " OPERATOR(pg_catalog.<>) ";
constexpr std::string_view kConcat = " OPERATOR(pg_catalog.||) ";
constexpr std::string_view kGe = " OPERATOR(pg_catalog.>=) ";
constexpr std::string_view kGt = " OPERATOR(pg_catalog.>) ";
constexpr std::string_view kLe = " OPERATOR(pg_catalog.<=) ";
constexpr std::string_view kLt = " OPERATOR(pg_catalog.<) ";

std::string cast(const std::string &expr, std::string_view type) {
  return "(" + expr + ")::pg_catalog." + std::string(type);
}

std::string literal_text(std::string_view value) { return quote_literal(value) + "::pg_catalog.text"; }

// `expr` names this attachment's id space (the default space is NULL).
std::string in_space(const std::string &expr, const std::string &space) {
  return space.empty() ? expr + " IS NULL" : expr + std::string(kEq) + literal_text(space);
}

// Ledger rows of this attachment's id space, for lookups by source_id (a key carries its space).
std::string ledger_space(const CaptureBinding &b, std::string_view alias) {
  return b.ledger_key_spaces ? " AND " + in_space(std::string(alias) + ".key_space", b.key_space) : "";
}

// Entries of this attachment's id space: source_table names it ('' or NULL: the kind's default).
std::string entry_space(const CaptureBinding &b, std::string_view alias) {
  if (!b.entries_name_table) return "";
  const std::string column = cast(std::string(alias) + "." + b.time_entries.column("source_table"), "text");
  return " AND COALESCE(" + column + ", ''::pg_catalog.text)" + std::string(kEq) + literal_text(b.key_space);
}

// The ledger's columns a claim writes, and the space's value for the last one.
std::string ledger_columns(const CaptureBinding &b) {
  return b.ledger_key_spaces ? "(team_id, kind, source_key, source_id, key_space)" : "(team_id, kind, source_key, source_id)";
}
std::string space_value(const CaptureBinding &b) {
  if (!b.ledger_key_spaces) return "";
  return b.key_space.empty() ? ", NULL::pg_catalog.text" : ", " + literal_text(b.key_space);
}

// The team's activity code for this kind (SPEC §7), else the kind's default.
std::string activity_code(const CaptureBinding &b, const std::string &team) {
  if (!b.team_codes) return literal_text(default_activity_code(b.kind));  // no team overrides one
  return "COALESCE((SELECT ac.code FROM autotime.activity_codes ac WHERE ac.team_id" + std::string(kEq) + team +
         " AND ac.kind" + std::string(kEq) + literal_text(kind_name(b.kind)) + "), " +
         literal_text(default_activity_code(b.kind)) + ")";
}

// The time an entry covers (SPEC §6 double-billing guard): from the activity, its minutes long.
std::string span_of(const std::string &occurred_at, const std::string &minutes) {
  return "pg_catalog.tstzrange(" + occurred_at + ", " + occurred_at + " OPERATOR(pg_catalog.+) pg_catalog.make_interval(mins => " +
         minutes + "))";
}
std::string with_span(const std::string &columns) { return columns.substr(0, columns.size() - 1) + ", span)"; }

// The ledger's columns with dismissed_at last (a dismissal carried to a new key).
std::string with_dismissal(const std::string &columns) {
  return columns.substr(0, columns.size() - 1) + ", dismissed_at)";
}

// An id's ledger key: the id itself in the kind's default space, else prefixed by the space.
std::string id_key(const CaptureBinding &b, const std::string &id_text) {
  if (b.key_space.empty()) return id_text;
  return "(" + literal_text("table:" + b.key_space + ":") + std::string(kConcat) + id_text + ")";
}

// One activity per source row, in the canonical column names every later step uses.
std::string activity_projection(const CaptureBinding &b, std::string_view from, std::string_view where) {
  const BoundRelation &s = b.source;
  const KindShape shape = kind_shape(b.kind);
  std::string actor = s.column(shape.actor_column);
  if (!shape.fallback_actor_column.empty())
    actor = "COALESCE(" + actor + ", " + s.column(shape.fallback_actor_column) + ")";
  std::string key = id_key(b, cast(s.column("id"), "text"));
  if (shape.keyed_by_provider_id) {
    const std::string provider = cast(s.column("provider_message_id"), "text");
    key = "COALESCE(CASE WHEN " + provider + std::string(kNe) + "''::pg_catalog.text THEN " +
          literal_text(kProviderKeyPrefix) + std::string(kConcat) + provider + " END, " + key + ")";
  }
  const std::string qualifies = b.qualifies.empty() ? default_qualifies(b) : b.qualifies;

  std::string sql = "SELECT ";
  sql += cast(s.column("team_id"), "int8") + " AS team_id, ";
  sql += cast(s.column("id"), "int8") + " AS source_id, ";
  sql += key + " AS source_key, ";
  sql += cast(s.column("client_id"), "int8") + " AS client_id, ";
  sql += cast(s.column("case_id"), "int8") + " AS case_id, ";
  sql += cast(actor, "int8") + " AS user_id, ";
  sql += cast(s.column(shape.occurred_column), "timestamptz") + " AS occurred_at, ";
  sql += (shape.label_column.empty() ? std::string("NULL::pg_catalog.text") : cast(s.column(shape.label_column), "text")) +
         " AS label, ";
  sql += (shape.has_direction ? cast(s.column("direction"), "text") : std::string("NULL::pg_catalog.text")) +
         " AS direction, ";
  sql += (shape.has_duration ? cast(s.column("duration_seconds"), "int8") : std::string("NULL::pg_catalog.int8")) +
         " AS duration_seconds, ";
  sql += "((" + qualifies + ")) IS TRUE AS qualifies FROM " + std::string(from);
  if (!where.empty()) sql += " WHERE " + std::string(where);
  return sql;
}


std::string activities_where(const CaptureBinding &b, std::string_view from, const std::string &where) {
  return "SELECT a.* FROM (" + activity_projection(b, from, where) + ") a WHERE a.qualifies";
}

// The canonical columns of activity_projection, each prefixed (e.g. "n.").
std::string activity_columns(std::string_view prefix) {
  std::string columns;
  for (std::string_view column : {"team_id", "source_id", "source_key", "client_id", "case_id", "user_id", "occurred_at",
                                  "label", "direction", "duration_seconds", "qualifies"})
    columns += (columns.empty() ? "" : ", ") + std::string(prefix) + std::string(column);
  return columns;
}

// An UPDATE's old (o) and new (n) activities, each row paired with its own by position.
std::string paired_rows(const CaptureBinding &b) {
  const auto numbered = [&](std::string_view table) {
    return "(SELECT pg_catalog.row_number() OVER () AS pos, p.* FROM (" + activity_projection(b, table, "") + ") p)";
  };
  return numbered(kNewTable) + " n JOIN " + numbered(kOldTable) + " o ON o.pos" + std::string(kEq) + "n.pos";
}

// The source step: the activities among the rows a driver reads, in canonical columns. Runs as
// the source table's owner; its casts and the qualifies expression are evaluated here.
std::string source_step(const CaptureBinding &b, Driver driver) {
  const BoundRelation &s = b.source;
  const std::string eq(kEq);
  const auto team_filter = [&](Driver d) {
    return "(" + parameter_sql(d, "team_id") + " IS NULL OR " + s.column("team_id") + eq + parameter_sql(d, "team_id") + ")";
  };
  switch (driver) {
    case Driver::Insert:
    case Driver::RecordInsertFailures: return activities_where(b, kNewTable, "");
    case Driver::Update:
    case Driver::RecordUpdateFailures:
      // The rows an UPDATE made qualify: each new row against its own old row (paired by position:
      // PostgreSQL writes an UPDATE's transition tables row by row), so a row that already
      // qualified (waiting for a backfill, or renumbered) is not captured by an unrelated change.
      return "SELECT " + activity_columns("n.") + " FROM " + paired_rows(b) + " WHERE n.qualifies AND NOT o.qualifies";
    case Driver::BackfillClient:
      return activities_where(b, s.qualified_name,
                              s.column("client_id") + eq + parameter_sql(driver, "client_id") + " AND " + team_filter(driver));
    case Driver::BackfillTeam: {
      const std::string since = parameter_sql(driver, "since");
      const std::string where = s.column("team_id") + eq + parameter_sql(driver, "team_id") + " AND (" + since +
                                " IS NULL OR " + s.column(kind_shape(b.kind).occurred_column) + std::string(kGe) + since +
                                ") AND " + s.column("id") + std::string(kGt) + parameter_sql(driver, "after_id") + " AND " +
                                s.column("id") + std::string(kLe) + parameter_sql(driver, "last_id");
      return activities_where(b, s.qualified_name, where);
    }
    case Driver::Explain:
      return activity_projection(b, s.qualified_name, s.column("id") + eq + parameter_sql(driver, "activity_id") + " AND " + team_filter(driver));
    case Driver::Delete: return activity_projection(b, kOldTable, "");
    default: break;
  }
  throw std::logic_error("driver has no source step");
}

// Backfill skips activities already linked before looking anything up, so a re-run costs little
// more than a scan. (The claim still decides; this only saves work.) A row is linked when a link
// names its id; per team and id range the anti-join is restricted to the range's links (index
// activity_links_by_source_id). A text is also skipped when its dedupe key is linked: a replay of
// a text captured under another id.
std::string unlinked_step(const CaptureBinding &b, Driver driver) {
  const std::string eq(kEq);
  const std::string kind = literal_text(kind_name(b.kind));
  const bool keyed = kind_shape(b.kind).keyed_by_provider_id;
  // One client's activities (few, against a ledger that may hold every link of the team): one
  // probe of each from C (autotime.activity_linked, src/pg/ledger_probes.cpp), which the planner
  // can't make a hash of the team's links. It reads the ledger of 1.3 (released links, key spaces).
  if (driver == Driver::BackfillClient && b.released_links && b.ledger_key_spaces)
    return "SELECT a.* FROM " + std::string(kRowsTable) + " a WHERE NOT autotime.activity_linked(a.team_id, " + kind +
           ", a.source_id, " + (b.key_space.empty() ? std::string("NULL::pg_catalog.text") : literal_text(b.key_space)) +
           ", " + (keyed ? "a.source_key" : "NULL::pg_catalog.text") + ")";
  std::string sql = "SELECT a.* FROM " + std::string(kRowsTable) +
                    " a WHERE NOT EXISTS (SELECT 1 FROM autotime.activity_links l WHERE l.team_id" + eq +
                    "a.team_id AND l.kind" + eq + kind + " AND l.source_id" + eq + "a.source_id" + ledger_space(b, "l");
  if (driver == Driver::BackfillTeam)
    sql += " AND l.team_id" + eq + parameter_sql(driver, "team_id") + " AND l.source_id" + std::string(kGt) +
           parameter_sql(driver, "after_id") + " AND l.source_id" + std::string(kLe) + parameter_sql(driver, "last_id");
  // A released link (its activity was deleted, and this row is it sent again) doesn't count.
  const std::string held = b.released_links ? " AND l.released_at IS NULL" : "";
  sql += held + ")";
  if (keyed)
    sql += " AND NOT EXISTS (SELECT 1 FROM autotime.activity_links k WHERE k.team_id" + eq + "a.team_id AND k.kind" + eq +
           kind + " AND k.source_key" + eq + "a.source_key" + (b.released_links ? " AND k.released_at IS NULL" : "") + ")";
  return sql;
}

// The case step (as the cases table's owner): the activity's own case, else the client's most
// recently updated open case. Every lookup is a LATERAL ... LIMIT 1 index probe, so it stays a
// per-row index lookup even in plans made for many rows with nested loops discouraged.
std::string case_step(const CaptureBinding &b, std::string_view from) {
  const BoundRelation &c = b.cases;
  const std::string eq(kEq), ne(kNe);
  const std::string case_columns = cast("c." + c.column("id"), "int8") + " AS case_id, " +
                                   cast("c." + c.column("client_id"), "int8") + " AS case_client_id, " +
                                   cast("c." + c.column("billing_type"), "text") + " AS billing_type";
  const std::string own_case = "SELECT " + case_columns + " FROM " + c.qualified_name +
                               " c WHERE a.case_id IS NOT NULL AND c." + c.column("team_id") + eq + "a.team_id AND c." +
                               c.column("id") + eq + "a.case_id";
  std::string open = "";
  for (std::string_view closed : kClosedCaseStatuses)
    open += " AND " + cast("c." + c.column("status"), "text") + ne + literal_text(closed);
  std::string order;
  for (const CaseOrderKey &key : kFallbackCaseOrder)
    order += std::string(order.empty() ? " ORDER BY " : ", ") + "c." + c.column(key.column) +
             (key.nulls_last ? " DESC NULLS LAST" : " DESC");
  const std::string latest_open_case = "SELECT " + case_columns + " FROM " + c.qualified_name +
                                       " c WHERE a.case_id IS NULL AND c." + c.column("team_id") + eq + "a.team_id AND c." +
                                       c.column("client_id") + eq + "a.client_id" + open + order + " LIMIT 1";
  std::string sql = "SELECT a.*, cs.case_id AS resolved_case_id, cs.case_client_id, cs.billing_type" +
                    std::string(b.case_fallbacks ? ", oc.open_cases" : ", 0 AS open_cases") + " FROM " + std::string(from) +
                    " a LEFT JOIN LATERAL ((" + own_case + ") UNION ALL (" + latest_open_case + ")) cs ON true";
  // only_open needs to know whether the client has a second open case.
  if (b.case_fallbacks)
    sql += " LEFT JOIN LATERAL (SELECT pg_catalog.count(*)::pg_catalog.int4 AS open_cases FROM (SELECT 1 FROM " +
           c.qualified_name + " c WHERE a.case_id IS NULL AND c." + c.column("team_id") + eq + "a.team_id AND c." +
           c.column("client_id") + eq + "a.client_id" + open + " LIMIT 2) x) oc ON true";
  return sql;
}

// The member step (as the members table's owner): may the actor log time, at which rate. One
// member row per (team, user), as the one-row probe reads it. Planned for many rows over a small
// members table (join_members), the members are joined once (hashed) rather than probed per
// activity: the planner probes a small table by a sequential scan restarted per row (each restart
// looks up the relation's size: an lseek), which cost a bulk capture of 100k calls ~10 % of its
// time. A larger table keeps the probe (an index scan: only the activities' members are read).
std::string member_step(const CaptureBinding &b) {
  const BoundRelation &m = b.team_members;
  const std::string eq(kEq);
  const std::string columns = cast("m." + m.column("can_log_time"), "bool") + " AS can_log_time, " +
                              cast("m." + m.column("hourly_rate"), "numeric") + " AS rate";
  std::string sql = "SELECT a.*, mem.can_log_time IS NOT NULL AS member_found, COALESCE(mem.can_log_time, false) AS can_log_time, "
                    "mem.rate FROM " + std::string(kCasedTable) + " a LEFT JOIN ";
  if (b.join_members) {
    const std::string team = "m." + m.column("team_id"), user = "m." + m.column("user_id");
    return sql + "(SELECT DISTINCT ON (1, 2) " + team + " AS member_team_id, " + user + " AS member_user_id, " + columns +
           " FROM " + m.qualified_name + " m WHERE " + team + " IS NOT NULL AND " + user + " IS NOT NULL ORDER BY 1, 2) mem "
           "ON mem.member_team_id" + eq + "a.team_id AND mem.member_user_id" + eq + "a.user_id";
  }
  return sql + "LATERAL (SELECT " + columns + " FROM " + m.qualified_name + " m WHERE m." + m.column("team_id") + eq +
         "a.team_id AND m." + m.column("user_id") + eq + "a.user_id LIMIT 1) mem ON true";
}

// The team's settings for each activity, then the rules' verdict (autotime's own tables only).
// The settings are one row per team (its primary key): a backfill joins them (hashed once per
// batch) instead of probing the tiny table once per activity (a sequential scan restarted per row:
// the planner never picks an index on a one-page table), as does any statement planned for many
// rows (a bulk capture); the others keep the probe.
std::string decided_ctes(const CaptureBinding &b, bool join_settings = false) {
  const KindShape shape = kind_shape(b.kind);
  const std::string eq(kEq);
  std::string sql = "facts AS (SELECT f.*, COALESCE(st.enabled, false) AS team_enabled, ";
  sql += "COALESCE(st." + std::string(shape.track_setting) + ", false) AS kind_enabled, ";
  sql += "COALESCE(st." + std::string(shape.minutes_setting) + ", st.minutes_per_activity) AS increment, ";
  sql += "st.call_minutes_mode AS minutes_mode, st.flat_fee_policy, st.timezone, ";
  sql += std::string(b.billing_increments ? "st.billing_increment_minutes" : "NULL::pg_catalog.int4") + " AS billing_increment, ";
  sql += std::string(b.daily_caps ? "st.daily_cap_minutes" : "NULL::pg_catalog.int4") + " AS daily_cap, ";
  sql += std::string(b.case_fallbacks ? "st.case_fallback" : "NULL::pg_catalog.text") + " AS case_fallback ";
  if (b.sessions) sql += ", st.session_gap_minutes AS session_gap ";
  sql += "FROM " + std::string(kFactsTable) + " f ";
  sql += join_settings || b.many_rows
             ? "LEFT JOIN autotime.team_settings st ON st.team_id" + eq + "f.team_id), "
             : "LEFT JOIN LATERAL (SELECT s.* FROM autotime.team_settings s WHERE s.team_id" + eq + "f.team_id LIMIT 1) st ON true), ";
  sql += "decided AS (SELECT f.*, autotime.rule_skip_reason(f.team_enabled, f.kind_enabled, f.qualifies, "
         "COALESCE(f.occurred_at" + std::string(kGe) + activity_time_bound_sql(kFirstActivityYear) + " AND f.occurred_at" +
         std::string(kLt) + activity_time_bound_sql(kEndActivityYear) + ", false), f.user_id IS NOT NULL, f.member_found, f.can_log_time, "
         "f.case_id IS NOT NULL, f.resolved_case_id IS NOT NULL, COALESCE(f.case_client_id" + eq + "f.client_id, false), "
         "f.billing_type, f.flat_fee_policy" + (b.case_fallbacks ? ", f.case_fallback, f.open_cases" : "") +
         ") AS reason FROM facts f)";
  return sql;
}

// The decide step: claims each capturable activity's link (one per dedupe key: a replayed text
// inside one statement is still one activity) and returns the entries to write for the links it
// claimed. A concurrent claimer of the same key waits on the unique index.
// How a claim meets an existing link: capture takes back a link its activity released (the
// activity was deleted, and is here again: a sync job re-sending it). A backfill may have read
// the row before its deletion, so it checks again, with a fresh snapshot, that the rows whose
// link it took back still exist, with the client it read (the recheck step), before writing their
// entries: a row deleted, or its client corrected, since then waits for the next backfill.
std::string on_link_conflict(const CaptureBinding &b) {
  if (!b.released_links) return "ON CONFLICT (team_id, kind, source_key) DO NOTHING";
  return std::string("ON CONFLICT (team_id, kind, source_key) DO UPDATE SET released_at = NULL, source_id = EXCLUDED.source_id, ") +
         (b.daily_caps ? "user_id = EXCLUDED.user_id, work_date = EXCLUDED.work_date, minutes = EXCLUDED.minutes, " : "") +
         (b.entry_spans ? "span = EXCLUDED.span, " : "") +
         (b.sessions ? std::string(b.daily_caps ? "" : "user_id = EXCLUDED.user_id, work_date = EXCLUDED.work_date, ") +
                           "case_id = EXCLUDED.case_id, worked = EXCLUDED.worked, description = EXCLUDED.description, "
                           "session_entry_id = NULL, "
                     : std::string()) +
         "linked_at = pg_catalog.now() WHERE l.released_at IS NOT NULL";
}

// How a link moved to an activity's new key (Rekey's moved_links) meets one already there: a link
// in force stays; a released one is nobody's and is taken over, every column as a new link has it.
std::string on_moved_link_conflict(const CaptureBinding &b) {
  if (!b.released_links) return "ON CONFLICT (team_id, kind, source_key) DO NOTHING";
  return std::string("ON CONFLICT (team_id, kind, source_key) DO UPDATE SET source_id = EXCLUDED.source_id, ") +
         (b.ledger_key_spaces ? "key_space = EXCLUDED.key_space, " : "") +
         "linked_at = pg_catalog.now(), released_at = NULL, dismissed_at = EXCLUDED.dismissed_at, user_id = NULL, "
         "work_date = NULL, minutes = NULL, span = NULL, case_id = NULL, worked = NULL, description = NULL" +
         (b.sessions ? ", session_entry_id = NULL" : "") +  // (no link has one while no team uses sessions)
         " WHERE l.released_at IS NOT NULL AND l.dismissed_at IS NULL";
}

// A member's day under a daily cap (SPEC §6): the activities that fit, in the order they happened,
// are counted in autotime.daily_minutes before their links are claimed. The count is guarded by
// the cap on the row as committed now (ON CONFLICT ... WHERE): a concurrent capture of the same
// member's day waits for the other, and a day that no longer fits is skipped whole (daily_cap:
// not linked, so raising the cap and backfilling takes it). Released and dismissed links give
// their minutes back (trigger activity_links_uncount).
std::string capped_ctes() {
  const std::string eq(kEq), le(kLe);
  const std::string same_day = "dm.team_id" + eq + "p.team_id AND dm.user_id" + eq + "p.user_id AND dm.work_date" + eq +
                               "p.work_date";
  return "fitting AS (SELECT x.team_id, x.source_key, x.user_id, x.work_date, x.minutes FROM (SELECT p.*, COALESCE((SELECT "
         "dm.minutes FROM autotime.daily_minutes dm WHERE " + same_day + "), 0) OPERATOR(pg_catalog.+) pg_catalog.sum(p.minutes) "
         "OVER (PARTITION BY p.team_id, p.user_id, p.work_date ORDER BY p.occurred_at, p.source_key) AS day_total "
         "FROM priced p WHERE p.daily_cap IS NOT NULL) x WHERE x.day_total" + le + "x.daily_cap), "
         "counted AS (INSERT INTO autotime.daily_minutes AS dm (team_id, user_id, work_date, minutes) SELECT f.team_id, "
         "f.user_id, f.work_date, pg_catalog.sum(f.minutes)::pg_catalog.int4 FROM fitting f GROUP BY 1, 2, 3 "
         "ON CONFLICT (team_id, user_id, work_date) DO UPDATE SET minutes = EXCLUDED.minutes OPERATOR(pg_catalog.+) dm.minutes "
         "WHERE EXCLUDED.minutes OPERATOR(pg_catalog.+) dm.minutes" + le + "(SELECT s.daily_cap_minutes FROM "
         "autotime.team_settings s WHERE s.team_id" + eq + "dm.team_id) RETURNING dm.team_id, dm.user_id, dm.work_date), "
         "admitted AS (SELECT p.* FROM priced p WHERE p.daily_cap IS NULL OR EXISTS (SELECT 1 FROM fitting f JOIN counted k "
         "ON k.team_id" + eq + "f.team_id AND k.user_id" + eq + "f.user_id AND k.work_date" + eq + "f.work_date WHERE "
         "f.team_id" + eq + "p.team_id AND f.source_key" + eq + "p.source_key)), ";
}

std::string decide_step(const CaptureBinding &b, bool backfill) {
  const std::string eq(kEq);
  const std::string kind = literal_text(kind_name(b.kind));
  // Only texts can share a key within one statement; other kinds are keyed by their unique id.
  // Explicit columns: selecting d.reason next to the filter on it would run the rules twice per row.
  const bool shared_keys = kind_shape(b.kind).keyed_by_provider_id;
  std::string sql = "WITH " + decided_ctes(b, backfill) + ", candidates AS (SELECT " +
                    (shared_keys ? "DISTINCT ON (d.team_id, d.source_key) " : "") +
                    "d.team_id, d.source_key, d.source_id, d.client_id, d.user_id, d.occurred_at, d.label, d.direction, "
                    "d.duration_seconds, d.increment, d.minutes_mode, d.billing_increment, d.daily_cap, d.flat_fee_policy, "
                    "d.timezone, d.rate, d.resolved_case_id, d.billing_type" + (b.sessions ? ", d.session_gap" : "") +
                    " FROM decided d WHERE d.reason IS NULL" +
                    (shared_keys ? " ORDER BY d.team_id, d.source_key, d.source_id" : "") + "), ";
  sql += std::string("priced AS (SELECT c.*, (c.occurred_at AT TIME ZONE c.timezone)::pg_catalog.date AS work_date, "
                     "autotime.rule_minutes(c.minutes_mode, c.increment, c.duration_seconds") +
         (b.billing_increments ? ", c.billing_increment" : "") + ") AS minutes FROM candidates c), ";
  const std::string admitted = b.daily_caps ? "admitted" : "priced";
  if (b.daily_caps) sql += capped_ctes();
  // A link keeps what a daily cap counts (user_id, work_date, minutes) and what a session is made
  // of (user_id, work_date, the resolved case, the activity's own span and description), each only
  // while its team uses the setting.
  std::string extra_columns = b.daily_caps ? ", user_id, work_date, minutes" : (b.sessions ? ", user_id, work_date" : "");
  if (b.sessions) extra_columns += ", case_id, worked, description";
  extra_columns += b.entry_spans ? ", span)" : ")";
  std::string columns = ledger_columns(b);
  columns = columns.substr(0, columns.size() - 1) + extra_columns;
  const std::string counted_day = b.sessions ? "c.daily_cap IS NOT NULL OR c.session_gap IS NOT NULL" : "c.daily_cap IS NOT NULL";
  std::string extra_values;
  if (b.daily_caps)
    extra_values = ", CASE WHEN " + counted_day + " THEN c.user_id END, CASE WHEN " + counted_day +
                   " THEN c.work_date END, CASE WHEN c.daily_cap IS NOT NULL THEN c.minutes END";
  else if (b.sessions)
    extra_values = ", CASE WHEN c.session_gap IS NOT NULL THEN c.user_id END, CASE WHEN c.session_gap IS NOT NULL THEN "
                   "c.work_date END";
  if (b.sessions)
    // The activity's own span: a call's duration when known, else its own minutes (before the
    // billing increment, which rounds the session).
    extra_values += ", CASE WHEN c.session_gap IS NOT NULL THEN c.resolved_case_id END, CASE WHEN c.session_gap IS NOT NULL "
                    "THEN pg_catalog.tstzrange(c.occurred_at, c.occurred_at OPERATOR(pg_catalog.+) pg_catalog.make_interval("
                    "secs => autotime.rule_activity_seconds(autotime.rule_minutes(c.minutes_mode, c.increment, "
                    "c.duration_seconds, NULL::pg_catalog.int4), c.duration_seconds)::pg_catalog.float8)) END, "
                    "CASE WHEN c.session_gap IS NOT NULL THEN autotime.rule_description(" + kind +
                    ", c.direction, c.label) END";
  if (b.entry_spans) extra_values += ", " + span_of("c.occurred_at", "c.minutes");
  sql += "claimed AS (INSERT INTO autotime.activity_links AS l " + columns + " SELECT c.team_id, " + kind +
         ", c.source_key, c.source_id" + space_value(b) + extra_values +
         " FROM " + admitted + " c " + on_link_conflict(b) + " RETURNING l.team_id, l.source_key, l.xmax" + std::string(kNe) +
         "'0'::pg_catalog.xid AS reclaimed) ";
  sql += "SELECT c.team_id, c.client_id, c.resolved_case_id AS case_id, c.user_id, c.work_date, c.minutes, "
         "autotime.rule_description(" + kind + ", c.direction, c.label) AS description, "
         "autotime.rule_billable(c.billing_type, c.flat_fee_policy) AS billable, c.rate, c.source_id, c.source_key, "
         "k.reclaimed" + (b.entries_have_codes ? ", " + activity_code(b, "c.team_id") + " AS activity_code" : std::string()) +
         (b.sessions ? ", c.session_gap" : "") +
         " FROM claimed k JOIN " + admitted + " c ON c.team_id" + eq + "k.team_id AND c.source_key" + eq + "k.source_key";
  return sql;
}

std::string entry_columns(const CaptureBinding &b) {
  const BoundRelation &e = b.time_entries;
  return e.column("team_id") + ", " + e.column("client_id") + ", " + e.column("case_id") + ", " + e.column("user_id") +
         ", " + e.column("work_date") + ", " + e.column("minutes") + ", " + e.column("description") + ", " +
         e.column("billable") + ", " + e.column("status") + ", " + e.column("rate") + ", " + e.column("source_kind") +
         ", " + e.column("source_id") + (b.entries_name_table ? ", " + e.column("source_table") : std::string()) +
         (b.entries_have_codes ? ", " + e.column("activity_code") : std::string());
}

// The value of the entries' source_table column, when it has one: the attachment's id space.
std::string entry_space_value(const CaptureBinding &b) {
  if (!b.entries_name_table) return "";
  return ", " + quote_literal(b.key_space);
}

// An entry that already exists for the activity (by the entries' unique key on it: the extension
// dropped and created again over existing entries, whose links were lost) is kept as it is, and
// the link just claimed points at it. Only that key is the arbiter: another unique key of the
// firm's refusing the entry raises, as its checks and triggers do (recorded under on_error =
// 'record'), instead of leaving a claimed link without an entry.
std::string on_entry_conflict(const CaptureBinding &b) {
  const BoundRelation &e = b.time_entries;
  switch (b.entries_activity_key) {
    case EntryActivityKey::None: return "";
    case EntryActivityKey::KindAndId:
      return " ON CONFLICT (" + e.column("team_id") + ", " + e.column("source_kind") + ", " + e.column("source_id") +
             ") DO NOTHING";
    case EntryActivityKey::KindIdAndTable:
      return " ON CONFLICT (" + e.column("team_id") + ", " + e.column("source_kind") + ", " + e.column("source_id") +
             ", " + e.column("source_table") + ") DO NOTHING";
  }
  throw std::logic_error("unknown entries key");
}

// The write step (as the entries table's owner): plain values in, the bound table's own
// defaults, checks and triggers run with its owner's rights. 'draft' and the kind stay untyped
// literals so they coerce to the bound column's type (text or an enum).
std::string write_step(const CaptureBinding &b, std::string_view from) {
  return "INSERT INTO " + b.time_entries.qualified_name + " (" + entry_columns(b) +
         ") SELECT c.team_id, c.client_id, c.case_id, c.user_id, c.work_date, c.minutes, c.description, c.billable, "
         "'draft', c.rate, " + quote_literal(kind_name(b.kind)) + ", c.source_id" + entry_space_value(b) +
         (b.entries_have_codes ? ", c.activity_code" : "") + " FROM " +
         std::string(from) +
         " c" + on_entry_conflict(b);
}

// The entry of this kind made for activity r (r.team_id, r.source_id), only while it is a draft.
std::string own_draft(const CaptureBinding &b) {
  const std::string eq(kEq);
  const BoundRelation &e = b.time_entries;
  return "e." + e.column("team_id") + eq + "r.team_id AND " + cast("e." + e.column("source_kind"), "text") + eq +
         literal_text(kind_name(b.kind)) + " AND e." + e.column("source_id") + eq + "r.source_id" + entry_space(b, "e") +
         " AND " + cast("e." + e.column("status"), "text") + eq + "'draft'::pg_catalog.text";
}

// explain's view of a member's day: an activity that would pass the cap now is skipped daily_cap.
std::string daily_cap_reason(const CaptureBinding &b) {
  const std::string eq(kEq);
  const std::string minutes = std::string("autotime.rule_minutes(d.minutes_mode, d.increment, d.duration_seconds") +
                              (b.billing_increments ? ", d.billing_increment" : "") + ")";
  return "CASE WHEN d.reason IS NULL AND d.daily_cap IS NOT NULL AND COALESCE((SELECT dm.minutes FROM "
         "autotime.daily_minutes dm WHERE dm.team_id" + eq + "d.team_id AND dm.user_id" + eq + "d.user_id AND dm.work_date" +
         eq + "(d.occurred_at AT TIME ZONE d.timezone)::pg_catalog.date), 0) OPERATOR(pg_catalog.+) " + minutes +
         std::string(kGt) + "d.daily_cap THEN 'daily_cap'::pg_catalog.text ELSE d.reason END";
}

std::string explain_step(const CaptureBinding &b) {
  const std::string eq(kEq);
  const std::string kind = literal_text(kind_name(b.kind));
  std::string sql = "WITH " + decided_ctes(b) +
                    " SELECT d.team_id, d.source_id, d.source_key, " + (b.daily_caps ? daily_cap_reason(b) : std::string("d.reason")) +
                    " AS reason, l.source_id IS NOT NULL AS linked, "
                    "l.source_id AS linked_source_id, " +
                    std::string(b.failures_table ? "fl.source_id IS NOT NULL" : "false") +
                    " AS failure_recorded" + (b.sessions ? ", l.session_entry_id" : "") +
                    " FROM decided d LEFT JOIN autotime.activity_links l ON l.team_id" + eq +
                    "d.team_id AND l.kind" + eq + kind + " AND l.source_key" + eq + "d.source_key" +
                    (b.released_links ? " AND l.released_at IS NULL" : "");
  if (b.failures_table)
    sql += " LEFT JOIN autotime.capture_failures fl ON fl.team_id" + eq + "d.team_id AND fl.kind" + eq + kind +
           " AND fl.source_id" + eq + "d.source_id AND fl.source" + eq + quote_literal(b.source.qualified_name) +
           "::pg_catalog.regclass";
  return sql;
}

// explain's entry lookup e.team_id = x.team_id AND <the activity's own entry> ends with this:
// an activity billed on a session's entry (x.session_entry_id) finds that entry instead.
std::string session_entry(const CaptureBinding &b) {
  if (!b.sessions) return "";
  return " AND x.session_entry_id IS NULL OR e." + b.time_entries.column("team_id") + std::string(kEq) + "x.team_id AND e." +
         b.time_entries.column("id") + std::string(kEq) + "x.session_entry_id";
}

std::string verdict_step(const CaptureBinding &b) {
  const std::string eq(kEq);
  const BoundRelation &e = b.time_entries;
  return "SELECT x.team_id, x.source_id, x.reason, x.linked, x.linked_source_id, en.id AS time_entry_id, "
         "x.failure_recorded FROM " + std::string(kExplainedTable) + " x LEFT JOIN LATERAL (SELECT " +
         cast("e." + e.column("id"), "int8") + " AS id FROM " + e.qualified_name + " e WHERE e." + e.column("team_id") +
         eq + "x.team_id AND " + cast("e." + e.column("source_kind"), "text") + eq + literal_text(kind_name(b.kind)) +
         " AND e." + e.column("source_id") + eq + "x.linked_source_id" + entry_space(b, "e") + session_entry(b) +
         " LIMIT 1) en ON true ORDER BY x.team_id";
}

std::string failure_step(const CaptureBinding &b, Driver driver) {
  const std::string eq(kEq), ne(kNe);
  const std::string kind = literal_text(kind_name(b.kind));
  std::string sql = "WITH teams AS (SELECT a.team_id, a.source_id, st.on_error FROM " + std::string(kRowsTable) +
                    " a JOIN autotime.team_settings st ON st.team_id" + eq + "a.team_id AND st.enabled), ";
  sql += "recorded AS (INSERT INTO autotime.capture_failures AS f (team_id, kind, source, source_id, sqlstate, message) "
         "SELECT t.team_id, " + kind + ", " + quote_literal(b.source.qualified_name) +
         "::pg_catalog.regclass, t.source_id, " + parameter_sql(driver, "sqlstate") + ", " + parameter_sql(driver, "message") + " FROM teams t WHERE NOT EXISTS (SELECT 1 FROM teams r WHERE r.on_error" +
         ne + "'record'::pg_catalog.text) ON CONFLICT ON CONSTRAINT capture_failures_one_per_activity DO UPDATE SET sqlstate = EXCLUDED.sqlstate, "
         "message = EXCLUDED.message, failed_at = pg_catalog.now() RETURNING 1) ";
  sql += "SELECT (SELECT pg_catalog.count(*) FROM teams WHERE on_error" + ne +
         "'record'::pg_catalog.text) AS raising, (SELECT pg_catalog.count(*) FROM recorded) AS recorded";
  return sql;
}

// Sessions (SPEC §6): before any link is claimed, a transaction lock per member of a team with
// sessions (autotime.member_lock_key: the double-billing guard's key, so approving and growing a
// member's entries queue on one lock). Taken in (team, user) order within the statement, and before
// the statement writes anything: a capture never waits for it while holding a link or entry row of
// that member another capture could wait on (every claim of the member's links happens under it),
// so two captures can't deadlock on it. (A transaction that captures several members over several
// statements takes them in statement order; PostgreSQL's deadlock detector ends such a cycle.)
Step session_locks_step() {
  const std::string eq(kEq);
  return {"session_locks", RunAs::Autotime,
          "SELECT pg_catalog.count(*) AS locked FROM (SELECT pg_catalog.pg_advisory_xact_lock(autotime.member_lock_key("
          "g.team_id, g.user_id)) FROM (SELECT DISTINCT f.team_id, f.user_id FROM " + std::string(kFactsTable) +
              " f JOIN autotime.team_settings s ON s.team_id" + eq + "f.team_id WHERE s.enabled AND s.session_gap_minutes "
              "IS NOT NULL AND f.user_id IS NOT NULL ORDER BY 1, 2) g) x",
          ""};
}

// After the entries are written (or links released), each member's day is regrouped into sessions
// (autotime.regroup_sessions, under the same lock): returns how many entries fewer there are.
Step regroup_step(std::string_view from, std::string_view only_if, std::string name = "sessions") {
  return {std::move(name), RunAs::Autotime,
          "SELECT COALESCE(pg_catalog.sum(autotime.regroup_sessions(g.team_id, g.user_id, g.work_date)), 0)::pg_catalog.int8 "
          "AS merged FROM (SELECT DISTINCT c.team_id, c.user_id, c.work_date FROM " + std::string(from) + " c WHERE " +
              std::string(only_if) + " ORDER BY 1, 2, 3) g",
          ""};
}

// Sessions: the activities (team_id, source_id) of `members` whose session's entry is a draft.
Step session_drafts_step(const CaptureBinding &b) {
  const std::string eq(kEq);
  const BoundRelation &e = b.time_entries;
  return {"session_drafts", RunAs::Entries,
          "SELECT m.* FROM " + std::string(kSessionMembersTable) + " m WHERE EXISTS (SELECT 1 FROM " + e.qualified_name +
              " e WHERE e." + e.column("team_id") + eq + "m.team_id AND e." + e.column("id") + eq + "m.session_entry_id AND " +
              cast("e." + e.column("status"), "text") + eq + "'draft'::pg_catalog.text)",
          std::string(kSessionDraftsTable), true};
}

// Whether changed row r's old identity is among the activities of `table` (session_members/_drafts).
std::string in_session(std::string_view table) {
  const std::string eq(kEq);
  return "EXISTS (SELECT 1 FROM " + std::string(table) + " m WHERE m.team_id" + eq + "r.old_team_id AND m.source_id" + eq +
         "r.old_source_id)";
}

std::vector<Step> lookups_and_write(const CaptureBinding &b, std::string_view from, bool backfill) {
  const std::string eq(kEq);
  const std::string kind = literal_text(kind_name(b.kind));
  std::vector<Step> steps = {{"cases", RunAs::Cases, case_step(b, from), std::string(kCasedTable)},
                             {"members", RunAs::Members, member_step(b), std::string(kFactsTable)}};
  if (b.sessions) steps.push_back(session_locks_step());
  steps.push_back({"decide", RunAs::Autotime, decide_step(b, backfill), std::string(kClaimedTable)});
  if (!backfill || !b.released_links) {
    steps.push_back({"write", RunAs::Entries, write_step(b, kClaimedTable), ""});
    if (b.sessions) steps.push_back(regroup_step(kClaimedTable, "c.session_gap IS NOT NULL"));
    return steps;
  }
  const BoundRelation &s = b.source;
  const std::string claimed(kClaimedTable), checked(kCheckedTable);
  steps.push_back({"recheck", RunAs::Source,
                   "SELECT c.* FROM " + claimed + " c WHERE NOT c.reclaimed OR EXISTS (SELECT 1 FROM " + s.qualified_name +
                       " x WHERE x." + s.column("team_id") + eq + "c.team_id AND x." + s.column("id") + eq + "c.source_id AND " +
                       cast("x." + s.column("client_id"), "int8") + " IS NOT DISTINCT FROM c.client_id)",
                   checked, true});
  steps.push_back({"rerelease", RunAs::Autotime,
                   "UPDATE autotime.activity_links l SET released_at = pg_catalog.now() FROM " + claimed +
                       " c WHERE c.reclaimed AND l.team_id" + eq + "c.team_id AND l.kind" + eq + kind + " AND l.source_key" +
                       eq + "c.source_key AND NOT EXISTS (SELECT 1 FROM " + checked + " k WHERE k.team_id" + eq +
                       "c.team_id AND k.source_key" + eq + "c.source_key)",
                   ""});
  steps.push_back({"write", RunAs::Entries, write_step(b, kCheckedTable), ""});
  if (b.sessions) steps.push_back(regroup_step(kClaimedTable, "c.session_gap IS NOT NULL"));
  return steps;
}

// One decided activity's entry, from the driver's parameters (and the activity code its claim
// step returned), ended by `conflict`.
std::string one_row_write(const CaptureBinding &b, Driver driver, const std::string &conflict) {
  std::string values;
  for (std::string_view name :
       {"team_id", "client_id", "case_id", "user_id", "work_date", "minutes", "description", "billable"})
    values += parameter_sql(driver, name) + ", ";
  return "INSERT INTO " + b.time_entries.qualified_name + " (" + entry_columns(b) + ") SELECT " + values + "'draft', " +
         parameter_sql(driver, "rate") + ", " + quote_literal(kind_name(b.kind)) + ", " +
         parameter_sql(driver, "source_id") + entry_space_value(b) +
         (b.entries_have_codes ? ", c.activity_code" : "") + " FROM " + std::string(kClaimTable) + " c" + conflict;
}

}  // namespace

std::vector<Step> capture_pipeline(const CaptureBinding &b, Driver driver) {
  const std::string eq(kEq), ne(kNe);
  const std::string kind = literal_text(kind_name(b.kind));
  const BoundRelation &s = b.source;
  const std::string rows(kRowsTable);
  std::vector<Step> steps;
  switch (driver) {
    case Driver::Insert:
    case Driver::Update: {
      steps.push_back({"activities", RunAs::Source, source_step(b, driver), rows});
      for (Step &step : lookups_and_write(b, kRowsTable, false)) steps.push_back(std::move(step));
      return steps;
    }
    case Driver::BackfillClient:
    case Driver::BackfillTeam: {
      steps.push_back({"activities", RunAs::Source, source_step(b, driver), rows});
      steps.push_back({"unlinked", RunAs::Autotime, unlinked_step(b, driver), std::string(kUnlinkedTable)});
      steps.push_back({"disabled_team", RunAs::Autotime,
                       "SELECT pg_catalog.min(a.team_id) AS disabled_team FROM " + std::string(kUnlinkedTable) +
                           " a WHERE NOT EXISTS (SELECT 1 FROM autotime.team_settings s WHERE s.team_id" + eq +
                           "a.team_id AND s.enabled)",
                       ""});
      for (Step &step : lookups_and_write(b, kUnlinkedTable, true)) steps.push_back(std::move(step));
      return steps;
    }
    case Driver::Explain:
      return {{"activities", RunAs::Source, source_step(b, driver), rows},
              {"cases", RunAs::Cases, case_step(b, kRowsTable), std::string(kCasedTable)},
              {"members", RunAs::Members, member_step(b), std::string(kFactsTable)},
              {"explain", RunAs::Autotime, explain_step(b), std::string(kExplainedTable)},
              {"verdict", RunAs::Entries, verdict_step(b), ""}};
    case Driver::Report: {
      // explain for every activity of a team, counted: the same steps and verdict, set-based.
      const BoundRelation &e = b.time_entries;
      const std::string since = parameter_sql(driver, "since");
      const std::string where = s.column("team_id") + eq + parameter_sql(driver, "team_id") + " AND (" + since +
                                " IS NULL OR " + s.column(kind_shape(b.kind).occurred_column) + std::string(kGe) + since + ")";
      return {{"activities", RunAs::Source, activity_projection(b, s.qualified_name, where), rows},
              {"cases", RunAs::Cases, case_step(b, kRowsTable), std::string(kCasedTable)},
              {"members", RunAs::Members, member_step(b), std::string(kFactsTable)},
              {"explain", RunAs::Autotime, explain_step(b), std::string(kExplainedTable)},
              {"entries", RunAs::Entries,
               "SELECT x.*, en.found IS NOT NULL AS entry_exists FROM " + std::string(kExplainedTable) +
                   " x LEFT JOIN LATERAL (SELECT true AS found FROM " + e.qualified_name + " e WHERE e." +
                   e.column("team_id") + eq + "x.team_id AND " + cast("e." + e.column("source_kind"), "text") + eq + kind +
                   " AND e." + e.column("source_id") + eq + "x.linked_source_id" + entry_space(b, "e") +
                   session_entry(b) + " LIMIT 1) en ON true",
               std::string(kVerdictTable)},
              {"report", RunAs::Autotime,
               "SELECT " + kind + " AS kind, v.verdict[1] AS outcome, v.verdict[2] AS reason, pg_catalog.count(*) AS activities, "
               "pg_catalog.count(DISTINCT v.source_key) AS keys "
               "FROM (SELECT x.source_key, autotime.rule_verdict(x.linked, x.linked_source_id" + eq + "x.source_id, x.entry_exists, "
               "x.failure_recorded, x.reason) AS verdict FROM " + std::string(kVerdictTable) + " x) v GROUP BY 1, 2, 3",
               ""}};
    }
    case Driver::ClientTeams: {
      const std::string client = s.column("client_id") + eq + parameter_sql(driver, "client_id");
      if (!b.source_team_index)
        return {{"teams", RunAs::Source,
                 "SELECT DISTINCT " + cast(s.column("team_id"), "int8") + " AS team_id FROM " + s.qualified_name +
                     " WHERE " + client + " ORDER BY 1 LIMIT 2",
                 ""}};
      // The table's teams, one index probe each (a loose index scan), then whether each holds the
      // client (an index probe on (team_id, client_id) where there is one): independent of the
      // table's size.
      const std::string team = s.column("team_id");
      return {{"teams", RunAs::Source,
               "WITH RECURSIVE teams(team_id) AS ((SELECT s." + team + " FROM " + s.qualified_name + " s WHERE s." +
                   team + " IS NOT NULL ORDER BY s." + team + " LIMIT 1) UNION ALL SELECT (SELECT s." + team + " FROM " +
                   s.qualified_name + " s WHERE s." + team + std::string(kGt) + "t.team_id ORDER BY s." + team +
                   " LIMIT 1) FROM teams t WHERE t.team_id IS NOT NULL) SELECT " + cast("t.team_id", "int8") +
                   " AS team_id FROM teams t WHERE t.team_id IS NOT NULL AND EXISTS (SELECT 1 FROM " + s.qualified_name +
                   " s WHERE s." + team + eq + "t.team_id AND s." + client + ") ORDER BY 1 LIMIT 2",
               ""}};
    }
    case Driver::Rekey: {
      // An UPDATE that changed an activity's identity (team, id, dedupe key) or its client: its
      // draft goes, its link is released, and the row as it is now is captured again (live, so it
      // takes a released link back): one entry, on the current team, client and case. An approved
      // or billed entry is never changed: the new identity's key is linked instead, so it is not
      // billed twice (the entry keeps the old values).
      const BoundRelation &e = b.time_entries;
      const std::string changed = std::string(kChangedTable), rekeyed = std::string(kRekeyedTable);
      const std::string key_moved = "(r.team_id" + ne + "r.old_team_id OR r.source_key" + ne + "r.old_source_key)";
      const std::string old_entry = "e." + e.column("team_id") + eq + "r.old_team_id AND " +
                                    cast("e." + e.column("source_kind"), "text") + eq + kind + " AND e." +
                                    e.column("source_id") + eq + "r.old_source_id" + entry_space(b, "e") + " AND " +
                                    cast("e." + e.column("status"), "text");
      std::vector<Step> steps = {
          {"changes", RunAs::Source,
           "SELECT " + activity_columns("n.") + ", o.team_id AS old_team_id, o.source_id AS old_source_id, "
           "o.source_key AS old_source_key, o.qualifies AS old_qualifies FROM " + paired_rows(b) + " WHERE o.team_id" +
               ne + "n.team_id OR o.source_id" + ne + "n.source_id OR o.source_key" + ne +
               "n.source_key OR o.client_id IS DISTINCT FROM n.client_id",
           changed},
          // The old keys' links are claimed first, as a deletion claims them: a backfill that read
          // the row before the change and is capturing it now is waited for, so its entry is seen
          // (and moved) below; one that comes later finds the key linked, or released (then it checks
          // the row again, client included, before writing). A corrected client keeps the key but
          // is claimed all the same.
          {"old_keys", RunAs::Autotime,
           "INSERT INTO autotime.activity_links AS l " + ledger_columns(b) + " SELECT DISTINCT ON "
           "(r.old_team_id, r.old_source_key) r.old_team_id, " + kind + ", r.old_source_key, r.old_source_id" +
               space_value(b) + " FROM " +
               changed + " r WHERE r.old_qualifies AND EXISTS (SELECT 1 FROM autotime.team_settings s WHERE s.team_id" + eq +
               "r.old_team_id AND s.enabled) ORDER BY r.old_team_id, r.old_source_key, r.old_source_id "
               "ON CONFLICT (team_id, kind, source_key) DO NOTHING RETURNING l.team_id, l.source_key",
           std::string(kTombstonedTable), true},
          {"old_entries", RunAs::Entries,
           "WITH gone AS (DELETE FROM " + e.qualified_name + " e USING " + changed + " r WHERE " + old_entry + eq +
               "'draft'::pg_catalog.text" + (b.sessions ? " AND NOT " + in_session(kSessionMembersTable) : std::string()) +
               " RETURNING " + cast("e." + e.column("team_id"), "int8") + " AS team_id, " +
               cast("e." + e.column("source_id"), "int8") + " AS source_id) SELECT r.*, (EXISTS (SELECT 1 FROM gone g "
               "WHERE g.team_id" + eq + "r.old_team_id AND g.source_id" + eq + "r.old_source_id)" +
               (b.sessions ? " OR " + in_session(kSessionDraftsTable) : std::string()) + ") AS draft_released, "
               "(EXISTS (SELECT 1 FROM " + e.qualified_name + " e WHERE " + old_entry + ne + "'draft'::pg_catalog.text)" +
               (b.sessions ? " OR " + in_session(kSessionMembersTable) + " AND NOT " + in_session(kSessionDraftsTable)
                           : std::string()) +
               ") AS entry_kept FROM " + changed + " r",
           rekeyed},
          {"links", RunAs::Autotime,
           "WITH released AS (UPDATE autotime.activity_links l SET released_at = pg_catalog.now() FROM " + rekeyed +
               " r WHERE (r.draft_released OR EXISTS (SELECT 1 FROM " + std::string(kTombstonedTable) +
               " t WHERE t.team_id" + eq + "r.old_team_id AND t.source_key" + eq + "r.old_source_key)) AND l.team_id" + eq +
               "r.old_team_id AND l.kind" + eq + kind + " AND l.source_key" + eq +
               "r.old_source_key AND l.dismissed_at IS NULL RETURNING 1), "
               // A text renumbered under the same key (its provider id): a link its removal holds
               // (dismissed, or its entry deleted by hand) follows its id, so that the removal is
               // still this row's own when the text moves later (moved_links) and explain finds it.
               "followed AS (UPDATE autotime.activity_links l SET source_id = r.source_id FROM " + rekeyed + " r WHERE r.team_id" +
               eq + "r.old_team_id AND r.source_key" + eq + "r.old_source_key AND r.source_id" + ne + "r.old_source_id AND NOT "
               "r.draft_released AND NOT r.entry_kept AND NOT EXISTS (SELECT 1 FROM " + std::string(kTombstonedTable) +
               " t WHERE t.team_id" + eq + "r.old_team_id AND t.source_key" + eq + "r.old_source_key) AND l.team_id" + eq +
               "r.team_id AND l.kind" + eq + kind + " AND l.source_key" + eq + "r.source_key AND l.source_id" + eq +
               "r.old_source_id RETURNING 1) "
               "SELECT (SELECT pg_catalog.count(*) FROM released) AS released, (SELECT pg_catalog.count(*) FROM followed) AS followed",
           ""},
          // The new keys of activities that take no new entry there (a separate statement: a key
          // released just above may be one of them): an entry kept under the old key links the new
          // one, so it is not billed twice; a person's removal (a dismissed entry, or an entry
          // deleted by hand: a held link without an entry, not the tombstone just made) goes with
          // the activity, in a team that has opted in: it never comes back. Only this row's own
          // link (a replayed text's key may be linked to the text it replays: not its removal).
          // A released link at the new key (the activity was there before, or another that left)
          // is nobody's: it is taken over, as a new link would be written.
          // The id key a removal left is released (left_keys): an activity renumbered onto that id
          // later (or by this statement, carrying nothing there) is another one and is captured. A
          // provider id's key stays: any text with it is that message. The UPDATE and the INSERT
          // touch different keys: a key some row carries something to is not released.
          {"moved_links", RunAs::Autotime,
           "WITH carried AS (SELECT r.team_id, r.source_key, r.source_id, NULL::pg_catalog.timestamptz AS dismissed_at, "
               "NULL::pg_catalog.int8 AS old_team_id, NULL::pg_catalog.text AS old_source_key, NULL::pg_catalog.int8 AS "
               "old_source_id FROM " + rekeyed + " r WHERE r.entry_kept AND " + key_moved +
               " UNION ALL SELECT r.team_id, r.source_key, r.source_id, pg_catalog.now(), r.old_team_id, r.old_source_key, "
               "r.old_source_id FROM " + rekeyed + " r JOIN autotime.activity_links o ON o.team_id" + eq + "r.old_team_id AND "
               "o.kind" + eq + kind + " AND o.source_key" + eq + "r.old_source_key AND o.source_id" + eq +
               "r.old_source_id WHERE " + key_moved + " AND NOT r.draft_released AND NOT r.entry_kept AND "
               "(o.dismissed_at IS NOT NULL OR (" + (b.released_links ? "o.released_at IS NULL AND " : "") +
               "NOT EXISTS (SELECT 1 FROM " + std::string(kTombstonedTable) + " t WHERE t.team_id" + eq +
               "r.old_team_id AND t.source_key" + eq + "r.old_source_key))) AND EXISTS (SELECT 1 FROM "
               "autotime.team_settings s WHERE s.team_id" + eq + "r.team_id AND s.enabled))" +
               (b.released_links
                    ? ", left_keys AS (UPDATE autotime.activity_links o SET released_at = pg_catalog.now(), dismissed_at = "
                      "NULL FROM carried m WHERE o.team_id" + eq + "m.old_team_id AND o.kind" + eq + kind +
                      " AND o.source_key" + eq + "m.old_source_key AND o.source_id" + eq + "m.old_source_id AND o.source_key" +
                      eq + id_key(b, cast("o.source_id", "text")) + " AND o.released_at IS NULL AND NOT EXISTS (SELECT 1 "
                      "FROM carried c WHERE c.team_id" + eq + "o.team_id AND c.source_key" + eq + "o.source_key))"
                    : std::string()) +
               " INSERT INTO autotime.activity_links AS l " + with_dismissal(ledger_columns(b)) + " SELECT DISTINCT ON "
               "(m.team_id, m.source_key) m.team_id, " + kind + ", m.source_key, m.source_id" + space_value(b) +
               ", m.dismissed_at FROM carried m ORDER BY m.team_id, m.source_key, m.dismissed_at NULLS FIRST, m.source_id " +
               on_moved_link_conflict(b),
           ""},
          {"recapture", RunAs::Autotime,
           "SELECT " + activity_columns("r.") + " FROM " + rekeyed + " r WHERE r.draft_released AND r.qualifies", rows}};
      if (b.sessions) {
        // Sessions (SPEC §6): an activity billed on a session's draft leaves it as a deleted one
        // does (its link released, its old day regrouped: the session shrinks or goes), and is
        // captured again as it is now; one on an approved or billed session's entry is kept there.
        const auto old_entries = std::find_if(steps.begin(), steps.end(), [](const Step &x) { return x.name == "old_entries"; });
        steps.insert(old_entries,
                     {{"session_members", RunAs::Autotime,
                       "SELECT r.old_team_id AS team_id, r.old_source_id AS source_id, l.source_key, l.user_id, l.work_date, "
                       "l.session_entry_id FROM " + changed + " r JOIN autotime.activity_links l ON l.team_id" + eq +
                           "r.old_team_id AND l.kind" + eq + kind + " AND l.source_key" + eq + "r.old_source_key AND l.source_id" +
                           eq + "r.old_source_id WHERE l.session_entry_id IS NOT NULL AND l.released_at IS NULL AND "
                           "l.dismissed_at IS NULL",
                       std::string(kSessionMembersTable), true},
                      session_drafts_step(b)});
        const auto recapture = std::find_if(steps.begin(), steps.end(), [](const Step &x) { return x.name == "recapture"; });
        steps.insert(recapture, regroup_step(kSessionDraftsTable, "true", "sessions_left"));
      }
      for (Step &step : lookups_and_write(b, kRowsTable, false)) steps.push_back(std::move(step));
      return steps;
    }
    case Driver::Truncate: {
      // TRUNCATE is a deletion of every row: the drafts of activities no longer in the table go and
      // their links are released (the same activities sent again are captured again, once);
      // approved and billed entries, and dismissals, stay as they are.
      const BoundRelation &e = b.time_entries;
      const std::string gone(kGoneTable);
      std::vector<Step> steps;
      if (b.sessions) {
        // Sessions (SPEC §6) first: the truncated activities billed on a session's draft leave it
        // (links released, their days regrouped: sessions shrink, or go with their last activity);
        // a session's entry kept for others is keyed by one of them before the drafts below are read.
        steps = {{"session_links", RunAs::Autotime,
                  "SELECT l.team_id, l.source_id, l.source_key, l.user_id, l.work_date, l.session_entry_id FROM "
                  "autotime.activity_links l WHERE l.kind" + eq + kind + ledger_space(b, "l") +
                      " AND l.session_entry_id IS NOT NULL AND l.released_at IS NULL AND l.dismissed_at IS NULL",
                  "autotime_session_links", true},
                 {"session_gone", RunAs::Source,
                  "SELECT m.* FROM autotime_session_links m WHERE NOT EXISTS (SELECT 1 FROM " + s.qualified_name + " x WHERE x." +
                      s.column("team_id") + eq + "m.team_id AND x." + s.column("id") + eq + "m.source_id)",
                  std::string(kSessionMembersTable), true},
                 session_drafts_step(b),
                 {"session_released", RunAs::Autotime,
                  "UPDATE autotime.activity_links l SET released_at = pg_catalog.now() FROM " + std::string(kSessionDraftsTable) +
                      " d WHERE l.team_id" + eq + "d.team_id AND l.kind" + eq + kind + " AND l.source_key" + eq +
                      "d.source_key AND l.dismissed_at IS NULL",
                  ""},
                 regroup_step(kSessionDraftsTable, "true")};
      }
      std::vector<Step> rest = {{"drafts", RunAs::Entries,
               "SELECT " + cast("e." + e.column("team_id"), "int8") + " AS team_id, " +
                   cast("e." + e.column("source_id"), "int8") + " AS source_id FROM " + e.qualified_name + " e WHERE " +
                   cast("e." + e.column("source_kind"), "text") + eq + kind + entry_space(b, "e") + " AND " +
                   cast("e." + e.column("status"), "text") + eq + "'draft'::pg_catalog.text",
               std::string(kDraftsTable)},
              {"gone", RunAs::Source,
               "SELECT d.team_id, d.source_id FROM " + std::string(kDraftsTable) + " d WHERE NOT EXISTS (SELECT 1 FROM " +
                   s.qualified_name + " x WHERE x." + s.column("team_id") + eq + "d.team_id AND x." + s.column("id") + eq +
                   "d.source_id)",
               gone},
              {"release", RunAs::Entries,
               "DELETE FROM " + e.qualified_name + " e USING " + gone + " r WHERE " + own_draft(b), ""},
              {"mark_released", RunAs::Autotime,
               "UPDATE autotime.activity_links l SET released_at = pg_catalog.now() FROM " + gone + " g WHERE l.team_id" +
                   eq + "g.team_id AND l.kind" + eq + kind + " AND l.source_id" + eq + "g.source_id" + ledger_space(b, "l") +
                   " AND l.dismissed_at IS NULL",
               ""}};
      for (Step &step : rest) steps.push_back(std::move(step));
      return steps;
    }
    case Driver::IdRange: {
      const std::string after = parameter_sql(driver, "after_id"), since = parameter_sql(driver, "since");
      const std::string where = s.column("team_id") + eq + parameter_sql(driver, "team_id") + " AND (" + after +
                                " IS NULL OR " + s.column("id") + std::string(kGt) + after + ") AND (" + since +
                                " IS NULL OR " + s.column(kind_shape(b.kind).occurred_column) + std::string(kGe) + since + ")";
      return {{"range", RunAs::Source,
               "SELECT " + cast("pg_catalog.min(" + s.column("id") + ")", "int8") + " AS lo, " +
                   cast("pg_catalog.max(" + s.column("id") + ")", "int8") + " AS hi FROM " + s.qualified_name +
                   " WHERE " + where,
               ""}};
    }
    case Driver::Delete: {
      // The deleted rows' links are claimed first: a backfill that saw a row before the delete may
      // be claiming it right now, and this waits for it to commit so its entry is seen below. A
      // deleted activity that was never captured keeps a tombstone for the same reason (only for
      // a team that has opted in: no other team's activity is ever captured). Then the drafts go,
      // and the links of what was removed here are marked released: the activity was not dismissed
      // by a person, and if it is sent again (same key) live capture takes the link back.
      std::vector<Step> steps = {
          {"activities", RunAs::Source, source_step(b, driver), rows},
          {"tombstones", RunAs::Autotime,
           "INSERT INTO autotime.activity_links AS l " + ledger_columns(b) + " SELECT DISTINCT ON "
           "(a.team_id, a.source_key) a.team_id, " + kind + ", a.source_key, a.source_id" + space_value(b) + " FROM " + rows +
               " a WHERE a.qualifies AND EXISTS (SELECT 1 FROM autotime.team_settings s WHERE s.team_id" + eq +
               "a.team_id AND s.enabled) ORDER BY a.team_id, a.source_key, a.source_id "
               "ON CONFLICT (team_id, kind, source_key) DO NOTHING RETURNING l.team_id, l.source_key",
           std::string(kTombstonedTable), true},
          {"release", RunAs::Entries,
           "DELETE FROM " + b.time_entries.qualified_name + " e USING " + rows + " r WHERE " + own_draft(b) +
               (b.sessions ? " AND NOT EXISTS (SELECT 1 FROM " + std::string(kSessionMembersTable) + " m WHERE m.team_id" +
                                 eq + "r.team_id AND m.source_id" + eq + "r.source_id)"
                           : std::string()) +
               " RETURNING " + cast("e." + b.time_entries.column("team_id"), "int8") + " AS team_id, " +
               cast("e." + b.time_entries.column("source_id"), "int8") + " AS source_id",
           std::string(kReleasedTable), true}};
      // Sessions (SPEC §6): an activity billed on a session's entry leaves the session instead (its
      // entry is the others' too): while that entry is a draft its link is released and the
      // member's day regrouped, which shrinks the session or removes its entry with its last one.
      if (b.sessions) {
        steps.insert(steps.end() - 1,
                     {"session_members", RunAs::Autotime,
                      "SELECT l.team_id, l.source_id, l.source_key, l.user_id, l.work_date, l.session_entry_id FROM " + rows +
                          " r JOIN autotime.activity_links l ON l.team_id" + eq + "r.team_id AND l.kind" + eq + kind +
                          " AND l.source_id" + eq + "r.source_id" + ledger_space(b, "l") +
                          " WHERE l.session_entry_id IS NOT NULL AND l.released_at IS NULL AND l.dismissed_at IS NULL",
                      std::string(kSessionMembersTable), true});
        steps.push_back(session_drafts_step(b));
      }
      if (b.released_links)
        steps.push_back(
            {"mark_released", RunAs::Autotime,
             "UPDATE autotime.activity_links l SET released_at = pg_catalog.now() FROM (SELECT t.team_id, t.source_key FROM " +
                 std::string(kTombstonedTable) + " t UNION SELECT k.team_id, k.source_key FROM " +
                 std::string(kReleasedTable) + " r JOIN autotime.activity_links k ON k.team_id" + eq + "r.team_id AND k.kind" +
                 eq + kind + " AND k.source_id" + eq + "r.source_id" + ledger_space(b, "k") +
                 (b.sessions ? " UNION SELECT d.team_id, d.source_key FROM " + std::string(kSessionDraftsTable) + " d"
                             : std::string()) +
                 ") x WHERE l.team_id" + eq + "x.team_id AND l.kind" + eq +
                 kind + " AND l.source_key" + eq + "x.source_key AND l.dismissed_at IS NULL",
             ""});
      if (b.sessions) steps.push_back(regroup_step(kSessionDraftsTable, "true"));
      return steps;
    }
    case Driver::MoveCase: {
      const auto key_columns = [&](std::string_view table) {
        return "SELECT " + cast(s.column("team_id"), "int8") + " AS team_id, " + cast(s.column("id"), "int8") +
               " AS source_id, " + cast(s.column("case_id"), "int8") + " AS case_id, " + cast(s.column("client_id"), "int8") +
               " AS client_id FROM " + std::string(table);
      };
      const BoundRelation &c = b.cases;
      // Only to a case of the same team and client: anything else keeps the entry where it is.
      std::vector<Step> steps = {{"moves", RunAs::Source,
               "SELECT n.team_id, n.source_id, n.case_id, n.client_id FROM (" + key_columns(kNewTable) + ") n JOIN (" +
                   key_columns(kOldTable) + ") o ON o.team_id" + eq + "n.team_id AND o.source_id" + eq +
                   "n.source_id WHERE n.case_id IS NOT NULL AND (o.case_id IS NULL OR n.case_id" + ne + "o.case_id)",
               std::string(kMovesTable)},
              {"valid_moves", RunAs::Cases,
               "SELECT m.* FROM " + std::string(kMovesTable) + " m WHERE EXISTS (SELECT 1 FROM " + c.qualified_name +
                   " c WHERE c." + c.column("team_id") + eq + "m.team_id AND c." + c.column("id") + eq +
                   "m.case_id AND c." + c.column("client_id") + eq + "m.client_id)",
               std::string(kValidMovesTable)},
              {"move", RunAs::Entries,
               "UPDATE " + b.time_entries.qualified_name + " e SET " + b.time_entries.column("case_id") +
                   " = r.case_id FROM " + std::string(kValidMovesTable) + " r WHERE " + own_draft(b) +
                   (b.sessions ? " AND NOT EXISTS (SELECT 1 FROM " + std::string(kSessionMembersTable) + " m WHERE m.team_id" +
                                     eq + "r.team_id AND m.source_id" + eq + "r.source_id)"
                               : std::string()),
               ""}};
      if (b.sessions) {
        // Sessions (SPEC §6): an activity in a session moves on its link, and its day is regrouped:
        // it leaves its session for one on the new case (a session's entry takes its case).
        steps.insert(steps.end() - 1,
                     {"session_moves", RunAs::Autotime,
                      "UPDATE autotime.activity_links l SET case_id = r.case_id FROM " + std::string(kValidMovesTable) +
                          " r WHERE l.team_id" + eq + "r.team_id AND l.kind" + eq + kind + " AND l.source_id" + eq +
                          "r.source_id" + ledger_space(b, "l") + " AND l.session_entry_id IS NOT NULL AND l.released_at IS NULL "
                          "AND l.dismissed_at IS NULL RETURNING l.team_id, l.source_id, l.user_id, l.work_date",
                      std::string(kSessionMembersTable), true});
        steps.push_back(regroup_step(kSessionMembersTable, "true"));
      }
      return steps;
    }
    case Driver::RecordInsertFailures:
    case Driver::RecordUpdateFailures:
      return {{"activities", RunAs::Source, source_step(b, driver), rows},
              {"record", RunAs::Autotime, failure_step(b, driver), ""}};
    case Driver::ClaimLink: {
      // The link is claimed as autotime; only if this statement claimed it is the entry written,
      // as the entries' owner (one statement when that is the same role).
      const auto value = [&](std::string_view name) { return parameter_sql(driver, name); };
      Step claim{"claim", RunAs::Autotime,
                 "INSERT INTO autotime.activity_links AS l " +
                     (b.entry_spans ? with_span(ledger_columns(b)) : ledger_columns(b)) + " VALUES (" + value("team_id") +
                     ", " + kind + ", COALESCE(" + value("provider_key") + ", " +
                     id_key(b, cast(value("source_id"), "text")) + "), " + value("source_id") + space_value(b) +
                     (b.entry_spans ? ", " + span_of(value("occurred_at"), value("minutes")) : std::string()) + ") " +
                     on_link_conflict(b) + " RETURNING " +
                     (b.entries_have_codes ? activity_code(b, value("team_id")) : "NULL::pg_catalog.text") +
                     " AS activity_code",
                 std::string(kClaimTable)};
      claim.with_query = true;
      // On a partitioned entries table a named arbiter costs more than the rest of the write:
      // PostgreSQL maps it to the indexes of the partition each execution routes to (49k
      // instructions, bench/RESULTS.md). There the write has no target, and the rare write that
      // inserts nothing is done again with the activity's key as the arbiter (WriteClaimedEntry):
      // the activity's own entry kept, any other key's refusal raised.
      const bool untargeted = b.entries_partitioned && b.entries_activity_key != EntryActivityKey::None;
      return {claim, {"write", RunAs::Entries, one_row_write(b, driver, untargeted ? " ON CONFLICT DO NOTHING"
                                                                                     : on_entry_conflict(b)),
                      ""}};
    }
    case Driver::WriteClaimedEntry:
      // Run only when this transaction claimed the activity's link and ClaimLink's write inserted
      // no entry (capture_triggers.cpp): the same write, its arbiter the activity's key alone.
      return {{"code", RunAs::Autotime,
               "SELECT " +
                   (b.entries_have_codes ? activity_code(b, parameter_sql(driver, "team_id")) : "NULL::pg_catalog.text") +
                   " AS activity_code",
               std::string(kClaimTable)},
              {"write", RunAs::Entries, one_row_write(b, driver, on_entry_conflict(b)), ""}};
  }
  throw std::logic_error("unknown capture driver");
}

std::vector<Step> merge_same_owner_steps(std::vector<Step> steps, const int (&owner_group)[kRunAsCount]) {
  const auto group = [&](RunAs run_as) { return owner_group[static_cast<int>(run_as)]; };
  const auto references = [](const std::string &sql, const std::string &table) {
    std::size_t n = 0;
    for (auto pos = sql.find(table); pos != std::string::npos; pos = sql.find(table, pos + table.size())) n++;
    return n;
  };
  for (std::size_t i = 0; i + 1 < steps.size();) {
    Step &inner = steps[i], &outer = steps[i + 1];
    const std::string from = "FROM " + inner.output + " ";
    const bool as_with = inner.with_query && outer.sql.rfind("WITH ", 0) != 0;
    bool mergeable = !inner.output.empty() && !inner.continue_if_empty && group(inner.run_as) == group(outer.run_as) &&
                     (as_with || inner.sql.rfind("SELECT ", 0) == 0) && references(outer.sql, inner.output) == 1 &&
                     references(outer.sql, from) == 1;
    for (std::size_t later = i + 2; mergeable && later < steps.size(); later++)
      mergeable = references(steps[later].sql, inner.output) == 0;
    if (!mergeable) {
      i++;
      continue;
    }
    if (as_with) outer.sql = "WITH " + inner.output + " AS (" + inner.sql + ") " + outer.sql;
    else outer.sql.replace(outer.sql.find(from), from.size(), "FROM (" + inner.sql + ") ");
    steps.erase(steps.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return steps;
}

std::string BoundRelation::column(std::string_view contract_column) const {
  const auto found = columns.find(contract_column);
  return quote_identifier(found == columns.end() ? contract_column : std::string_view(found->second));
}

std::string quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string quote_literal(std::string_view value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + "'";
}

std::vector<std::string_view> source_columns(Kind kind) {
  std::vector<std::string_view> columns{"team_id", "id", "client_id", "case_id"};
  switch (kind) {
    case Kind::Call: columns.insert(columns.end(), {"user_id", "status", "direction", "started_at", "duration_seconds"}); break;
    case Kind::Sms:
      columns.insert(columns.end(), {"user_id", "status", "direction", "provider_message_id", "sent_at"});
      break;
    case Kind::Document: columns.insert(columns.end(), {"user_id", "name", "template_id", "created_at"}); break;
    case Kind::IrReport: columns.insert(columns.end(), {"user_id", "title", "created_at"}); break;
    case Kind::Event: columns.insert(columns.end(), {"user_id", "title", "completed_at", "completed_by"}); break;
  }
  return columns;
}

std::vector<std::string_view> role_columns(std::string_view role) {
  if (role == "time_entries")
    return {"team_id", "id", "client_id", "case_id", "user_id", "work_date", "minutes", "description",
            "billable", "status", "rate", "source_kind", "source_id", "reviewed_by", "reviewed_at"};
  if (role == "cases") return {"team_id", "id", "client_id", "status", "billing_type", "updated_at"};
  if (role == "team_members") return {"team_id", "user_id", "can_log_time", "hourly_rate"};
  return {};
}

std::string_view contract_type(std::string_view column) noexcept {
  constexpr std::string_view integers[] = {"team_id", "id", "client_id", "case_id", "user_id", "completed_by",
                                           "duration_seconds", "source_id", "reviewed_by", "minutes"};
  constexpr std::string_view times[] = {"started_at", "sent_at", "created_at", "completed_at", "updated_at", "reviewed_at"};
  for (auto name : integers)
    if (column == name) return "integer";
  for (auto name : times)
    if (column == name) return "timestamptz";
  if (column == "can_log_time" || column == "billable") return "boolean";
  if (column == "hourly_rate" || column == "rate") return "numeric";
  if (column == "work_date") return "date";
  return "any";
}

std::string default_qualifies(const CaptureBinding &b) {
  const BoundRelation &s = b.source;
  const std::string eq(kEq);
  const auto text_is = [&](std::string_view column, std::string_view value) {
    return cast(s.column(column), "text") + eq + literal_text(value);
  };
  switch (b.kind) {
    case Kind::Call: return text_is("status", "completed");
    case Kind::Sms:
      return text_is("direction", "outbound") + " AND (" + text_is("status", "sent") + " OR " +
             text_is("status", "delivered") + ")";
    case Kind::Document: return s.column("template_id") + " IS NOT NULL";
    case Kind::IrReport: return "true";
    case Kind::Event: return s.column("completed_at") + " IS NOT NULL";
  }
  throw std::logic_error("unknown activity kind");
}

}  // namespace autotime
