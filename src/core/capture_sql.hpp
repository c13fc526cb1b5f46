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

namespace autotime {

// Table names, already quoted and schema-qualified by the caller (from OIDs).
// `columns` maps a contract column (the reference schema's name) to the table's own column.
struct BoundRelation {
  std::string qualified_name;
  std::map<std::string, std::string, std::less<>> columns;

  // The table's column for a contract column, as a quoted identifier.
  std::string column(std::string_view contract_column) const;
};

struct CaptureBinding {
  Kind kind = Kind::Call;
  BoundRelation source;
  std::string qualifies;  // SQL boolean over the source row; empty means the kind's default
  BoundRelation time_entries;
  BoundRelation cases;
  BoundRelation team_members;
  bool failures_table = false;  // autotime.capture_failures exists (1.1 and later)
};

enum class Driver {
  Insert,          // statement trigger: rows in transition table autotime_new
  Update,          // statement trigger: rows that qualify in autotime_new but did not in autotime_old
  BackfillClient,  // $1 = client id
  BackfillTeam,    // $1 = team id, $2 = since (timestamptz, may be NULL), $3 < id <= $4
  Explain,         // $1 = activity id; returns the verdict facts instead of writing
  ReleaseClaim,    // statement trigger: deleted qualifying rows claim their links first (waits out a racing backfill)
  Release,         // statement trigger: deleted rows (autotime_old) take their draft entries along
  MoveCase,        // statement trigger: rows whose case changed move their draft entries
  RecordInsertFailures,  // after a failed Insert under on_error = 'record': $1 sqlstate, $2 message
  RecordUpdateFailures,  // the same after a failed Update
  DecideInsertedRow,     // one-row INSERT: the entry to write if the row is captured (no row if not); no writes
  ClaimLink,             // $1..$11 as DecideInsertedRow returned them: claim the activity's link
  WriteEntry,            // the same parameters: write the entry (after ClaimLink claimed the link)
};

// The columns DecideInsertedRow returns, in order, which ClaimLink and WriteEntry take as $1..$11.
inline constexpr std::string_view kEntryValueColumns[] = {"team_id", "source_key", "source_id", "client_id", "case_id",
                                                          "user_id", "work_date", "minutes", "description",
                                                          "billable", "rate"};

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

// The statement for one driver. Trigger drivers report the entries written as the statement's
// processed count; backfill drivers return one row (created, scanned, disabled_team); Explain returns at most one row per team holding that id, with
// columns team_id, source_id, reason, linked, linked_source_id, time_entry_id.
std::string capture_statement(const CaptureBinding &binding, Driver driver);

// Release and MoveCase: the lifecycle statements that follow an activity's deletion or case change.
std::string lifecycle_statement(const CaptureBinding &binding, Driver driver);

// RecordInsertFailures / RecordUpdateFailures: one row (raising, recorded). When every enabled team
// among the statement's qualifying rows has on_error = 'record', their failures are recorded in
// autotime.capture_failures; `raising` counts rows of teams that want the error raised instead.
std::string failure_statement(const CaptureBinding &binding, Driver driver);

}  // namespace autotime
