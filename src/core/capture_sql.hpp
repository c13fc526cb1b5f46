// Builds autotime's capture statement: one SQL shape that reads activities from a source
// (a transition table, the table itself for backfill, one row for explain), looks up the
// facts the rules need, claims the activity's link in autotime.activity_links and writes the
// draft entry. Pure string building; the PostgreSQL layer supplies names resolved from OIDs.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rules.hpp"
#include "statements.hpp"

namespace autotime {

// Table names, already quoted and schema-qualified by the caller (from OIDs).
// `columns` maps a contract column (the reference schema's name) to the table's own column.
struct BoundRelation {
  std::string qualified_name;
  std::map<std::string, std::string, std::less<>> columns;

  // The table's column for a contract column, as a quoted identifier.
  std::string column(std::string_view contract_column) const;
};

// Which unique key of the entries table tells an activity's entry apart: none (an entry is
// written for every claimed link), (team_id, source_kind, source_id), or those and source_table.
enum class EntryActivityKey { None, KindAndId, KindIdAndTable };

struct CaptureBinding {
  Kind kind = Kind::Call;
  BoundRelation source;
  std::string qualifies;  // SQL boolean over the source row; empty means the kind's default
  BoundRelation time_entries;
  BoundRelation cases;
  BoundRelation team_members;
  bool failures_table = false;  // autotime.capture_failures exists (1.1 and later)
  bool released_links = false;  // activity_links.released_at exists (1.3 and later)
  // Two tables attached for one kind never share an id space: the first keeps the kind's default
  // space (empty: keys are ids, as before 1.3); a further one gets its own, named here. Its ledger
  // keys carry the space, its links record it, and its entries name it in source_table.
  std::string key_space;
  bool ledger_key_spaces = false;  // activity_links.key_space exists (1.3 and later)
  bool entries_name_table = false;  // the entries table has a source_table column
  // The entries table's unique key on the activity, by which the write keeps an entry the activity
  // already has (ON CONFLICT on exactly that key; any other unique key of the table refusing an
  // entry is a capture error, never a silent skip).
  EntryActivityKey entries_activity_key = EntryActivityKey::None;
  bool entries_partitioned = false;  // the entries table is partitioned (the one-row write's arbiter, capture_sql.cpp)
  bool billing_increments = false;  // team_settings.billing_increment_minutes exists (1.3 and later)
  bool daily_caps = false;  // some team has daily_cap_minutes: captures count a member's day
  bool case_fallbacks = false;  // some team has a case_fallback other than latest_open (SPEC §7)
  bool entry_spans = false;
  bool entries_have_codes = false;  // the entries table has activity_code (SPEC §7): written from the team's codes
  bool team_codes = false;  // some team overrides a kind's default code (autotime.activity_codes has rows)
  // Some team has session_gap_minutes, or some activity is billed on a session's entry (SPEC §6):
  // captures lock and regroup the member's day, deletions shrink sessions, explain follows a
  // link's session_entry_id.
  bool sessions = false;
  // The source has a valid, non-partial B-tree index led by team_id: a client's teams are found by skipping
  // from team to team through it (one probe per team), not by reading the whole table.
  bool source_team_index = false;
  // The statements are planned for many rows (a bulk capture, a backfill, a report): the team's
  // settings (one row per team) are joined once per statement instead of probed per row, and so
  // are the members when join_members (their table is small: a probe of it would be a sequential
  // scan restarted per row).
  bool many_rows = false;
  bool join_members = false;
};


// Whose rights a step runs with. Every step reads or writes the tables of one owner only (plus
// the previous steps' rows, registered as named tuplestores): what is read from a firm table
// (its casts, operators, policies, the attachment's qualifies) is evaluated as that table's
// owner and reaches the next step as plain values. Only Autotime steps touch autotime's tables.
enum class RunAs { Source, Cases, Members, Entries, Autotime };

// One statement of a pipeline. `output` names the tuplestore the step's rows are registered as
// for the steps after it; a step without one is a last or side step whose result the caller reads
// by `name`. A step with an output that yields no rows ends the pipeline (nothing follows from
// nothing) unless it says `continue_if_empty`.
struct Step {
  std::string name;
  RunAs run_as = RunAs::Autotime;
  std::string sql;
  std::string output;
  bool continue_if_empty = false;
  // A step that writes and returns rows (INSERT ... RETURNING) only the next step reads: merged
  // into that step as its WITH query when both run as the same role (merge_same_owner_steps).
  bool with_query = false;
};

// The most steps a pipeline has: the pg layer keeps that many prepared per pipeline.
inline constexpr std::size_t kMaxPipelineSteps = 16;

// The steps of a driver, in order. Every step is prepared with the driver's parameters.
std::vector<Step> capture_pipeline(const CaptureBinding &binding, Driver driver);

inline constexpr int kRunAsCount = static_cast<int>(RunAs::Autotime) + 1;

// Fewer statements for the same work: a step that only reads (a SELECT) and whose rows only the
// next step reads becomes a subquery of that step when both run as the same role; a `with_query`
// step becomes its WITH query.
// `owner_group[r]` names the role RunAs r runs as (equal numbers: the same role).
std::vector<Step> merge_same_owner_steps(std::vector<Step> steps, const int (&owner_group)[kRunAsCount]);

// Named tuplestores passed between steps.
inline constexpr std::string_view kRowsTable = "autotime_rows";          // the source's activities
inline constexpr std::string_view kUnlinkedTable = "autotime_unlinked";  // backfill: not yet linked
inline constexpr std::string_view kCasedTable = "autotime_cased";        // + the resolved case
inline constexpr std::string_view kFactsTable = "autotime_facts";        // + the member
inline constexpr std::string_view kClaimedTable = "autotime_claimed";    // entries to write (links claimed)
inline constexpr std::string_view kClaimTable = "autotime_claim";        // one row's link, claimed now
inline constexpr std::string_view kExplainedTable = "autotime_explained";
inline constexpr std::string_view kMovesTable = "autotime_moves";
inline constexpr std::string_view kValidMovesTable = "autotime_valid_moves";
inline constexpr std::string_view kVerdictTable = "autotime_verdicts";   // report: + whether the entry exists
inline constexpr std::string_view kCheckedTable = "autotime_checked";    // backfill: claimed rows still there
inline constexpr std::string_view kChangedTable = "autotime_changed";    // rekey: changed rows
inline constexpr std::string_view kRekeyedTable = "autotime_rekeyed";    // + what happened to their entries
inline constexpr std::string_view kDraftsTable = "autotime_drafts";      // truncate: the kind's drafts
inline constexpr std::string_view kGoneTable = "autotime_gone";          // ... whose activity is gone
inline constexpr std::string_view kTombstonedTable = "autotime_tombstoned";  // delete: links made now
inline constexpr std::string_view kReleasedTable = "autotime_released";      // delete: drafts removed
inline constexpr std::string_view kSessionMembersTable = "autotime_session_members";  // delete: in a session
inline constexpr std::string_view kSessionDraftsTable = "autotime_session_drafts";    // ... whose entry is a draft


// Transition table names the triggers must declare.
inline constexpr std::string_view kNewTable = "autotime_new";
inline constexpr std::string_view kOldTable = "autotime_old";

// Always-quoted SQL identifier (doubles embedded quotes).
std::string quote_identifier(std::string_view name);
// Quoted SQL string literal (doubles embedded quotes; standard_conforming_strings).
std::string quote_literal(std::string_view value);

// Contract columns a source of this kind must provide.
std::vector<std::string_view> source_columns(Kind kind);
// Contract columns each bound role must provide.
std::vector<std::string_view> role_columns(std::string_view role);

// The type family a contract column must have: integer, timestamptz, boolean, numeric, date or any.
std::string_view contract_type(std::string_view column) noexcept;

// The kind's default qualification, as SQL over the unqualified source row.
std::string default_qualifies(const CaptureBinding &binding);

}  // namespace autotime
