// Every capture statement described once: what it is for, its parameters (by name, with types),
// the result its caller reads (a step and its columns, by name), and how it is planned. The SQL
// builder (capture_sql.cpp) refers to parameters by name, the PostgreSQL layer takes their types
// and planning from here, and callers read results by name: adding a statement touches this table.
#pragma once

#include <cstddef>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace autotime {

enum class Driver {
  Insert,          // statement trigger: rows in transition table autotime_new
  Update,          // statement trigger: rows that qualify in autotime_new but did not in autotime_old
  BackfillClient,  // one client's activities (of one team, or of every team holding the client)
  BackfillTeam,    // a team's activities in an id range, since a time
  Explain,         // one activity's verdict facts; writes nothing
  Report,          // a team's activities' verdicts, counted as explain would say them
  ClientTeams,     // the teams whose activity in this table names the client (at most two)
  Rekey,           // statement trigger: rows whose identity (team, id, key) or client an UPDATE changed
  Truncate,        // statement trigger after TRUNCATE: drafts of activities no longer in the table go
  IdRange,         // (lo, hi) of a team's ids left after an id, since a time
  Delete,          // statement trigger: deleted qualifying rows keep their links, their drafts go
  MoveCase,        // statement trigger: rows whose case changed move their draft entries
  RecordInsertFailures,  // after a failed Insert under on_error = 'record'
  RecordUpdateFailures,  // the same after a failed Update
  ClaimLink,             // one activity decided by the caller: claim its link, and if claimed write its entry
  WriteClaimedEntry,     // the same activity's entry again, when ClaimLink's write inserted none (capture_sql.cpp)
};
inline constexpr int kDriverCount = static_cast<int>(Driver::WriteClaimedEntry) + 1;

// The PostgreSQL type of a parameter or result column (mapped to a type OID by the pg layer).
enum class ValueType { Int8, Int4, Text, Bool, Numeric, Date, TimestampTz };

struct Parameter {
  std::string_view name;
  ValueType type;
};

struct ResultColumn {
  std::string_view name;
  ValueType type;
};

enum class Planning {
  Kept,        // planned once for a few rows and kept for the backend's life (statement triggers
               // also keep a second plan for bulk statements)
  KeptBulk,    // kept, and planned for many rows (nested loops discouraged)
  PerRun,      // planned for its arguments on every run: ten rows and 100,000 want different joins
  PerRunBulk,  // the same, for many rows
};

struct StatementSpec {
  Driver driver;
  std::string_view purpose;  // what autotime is doing, for messages
  const Parameter *parameters;
  int parameter_count;
  std::string_view result_step;  // the step whose rows the caller reads ("" when it reads none)
  const ResultColumn *result_columns;
  int result_column_count;
  Planning planning;
};

namespace statements_detail {

inline constexpr Parameter kNone[] = {{"", ValueType::Int8}};
inline constexpr ResultColumn kNoResult[] = {{"", ValueType::Int8}};

// ClaimLink and WriteClaimedEntry take the decided entry ("provider_key": a text's dedupe key when keyed by its
// provider id, NULL when the key is the id).
inline constexpr Parameter kEntryValues[] = {
    {"team_id", ValueType::Int8},   {"provider_key", ValueType::Text}, {"source_id", ValueType::Int8},
    {"client_id", ValueType::Int8}, {"case_id", ValueType::Int8},      {"user_id", ValueType::Int8},
    {"work_date", ValueType::Date}, {"minutes", ValueType::Int4},      {"description", ValueType::Text},
    {"billable", ValueType::Bool},  {"rate", ValueType::Numeric},      {"occurred_at", ValueType::TimestampTz}};

inline constexpr Parameter kClient[] = {{"client_id", ValueType::Int8}, {"team_id", ValueType::Int8}};
inline constexpr ResultColumn kDisabledTeam[] = {{"disabled_team", ValueType::Int8}};
inline constexpr Parameter kTeamRange[] = {{"team_id", ValueType::Int8},
                                           {"since", ValueType::TimestampTz},
                                           {"after_id", ValueType::Int8},
                                           {"last_id", ValueType::Int8}};
inline constexpr Parameter kActivity[] = {{"activity_id", ValueType::Int8}, {"team_id", ValueType::Int8}};
inline constexpr ResultColumn kVerdict[] = {
    {"team_id", ValueType::Int8},          {"reason", ValueType::Text},          {"linked", ValueType::Bool},
    {"linked_source_id", ValueType::Int8}, {"time_entry_id", ValueType::Int8}, {"failure_recorded", ValueType::Bool}};
inline constexpr Parameter kTeamSince[] = {{"team_id", ValueType::Int8}, {"since", ValueType::TimestampTz}};
inline constexpr ResultColumn kReport[] = {{"kind", ValueType::Text},
                                           {"outcome", ValueType::Text},
                                           {"reason", ValueType::Text},
                                           {"activities", ValueType::Int8},
                                           {"keys", ValueType::Int8}};
inline constexpr Parameter kClientOnly[] = {{"client_id", ValueType::Int8}};
inline constexpr ResultColumn kTeams[] = {{"team_id", ValueType::Int8}};
inline constexpr Parameter kTeamAfterSince[] = {
    {"team_id", ValueType::Int8}, {"after_id", ValueType::Int8}, {"since", ValueType::TimestampTz}};
inline constexpr ResultColumn kRange[] = {{"lo", ValueType::Int8}, {"hi", ValueType::Int8}};
inline constexpr Parameter kFailure[] = {{"sqlstate", ValueType::Text}, {"message", ValueType::Text}};
inline constexpr ResultColumn kRecorded[] = {{"raising", ValueType::Int8}, {"recorded", ValueType::Int8}};

template <std::size_t N>
constexpr int count(const Parameter (&)[N]) { return static_cast<int>(N); }
template <std::size_t N>
constexpr int count(const ResultColumn (&)[N]) { return static_cast<int>(N); }

// Indexed by Driver.
inline constexpr StatementSpec kStatements[] = {
    {Driver::Insert, "capture of inserted rows", kNone, 0, "", kNoResult, 0, Planning::Kept},
    {Driver::Update, "capture of updated rows", kNone, 0, "", kNoResult, 0, Planning::Kept},
    {Driver::BackfillClient, "backfill of a client", kClient, count(kClient), "disabled_team", kDisabledTeam,
     count(kDisabledTeam), Planning::PerRunBulk},
    {Driver::BackfillTeam, "backfill of a team", kTeamRange, count(kTeamRange), "", kNoResult, 0, Planning::PerRunBulk},
    {Driver::Explain, "explain", kActivity, count(kActivity), "verdict", kVerdict, count(kVerdict), Planning::PerRun},
    {Driver::Report, "capture report", kTeamSince, count(kTeamSince), "report", kReport, count(kReport),
     Planning::PerRunBulk},
    {Driver::ClientTeams, "lookup of a client's teams", kClientOnly, count(kClientOnly), "teams", kTeams, count(kTeams),
     Planning::PerRun},
    {Driver::Rekey, "capture of renumbered rows", kNone, 0, "", kNoResult, 0, Planning::Kept},
    {Driver::Truncate, "release of a truncated table's drafts", kNone, 0, "", kNoResult, 0, Planning::Kept},
    {Driver::IdRange, "backfill batch range", kTeamAfterSince, count(kTeamAfterSince), "range", kRange, count(kRange),
     Planning::PerRun},
    {Driver::Delete, "release of deleted rows' drafts", kNone, 0, "", kNoResult, 0, Planning::Kept},
    {Driver::MoveCase, "move of drafts to a new case", kNone, 0, "", kNoResult, 0, Planning::Kept},
    {Driver::RecordInsertFailures, "record of a failed capture", kFailure, count(kFailure), "record", kRecorded,
     count(kRecorded), Planning::Kept},
    {Driver::RecordUpdateFailures, "record of a failed capture", kFailure, count(kFailure), "record", kRecorded,
     count(kRecorded), Planning::Kept},
    {Driver::ClaimLink, "claim of an activity's link and write of its entry", kEntryValues, count(kEntryValues), "",
     kNoResult, 0, Planning::Kept},
    {Driver::WriteClaimedEntry, "write of a claimed activity's entry", kEntryValues, count(kEntryValues), "",
     kNoResult, 0, Planning::Kept},
};
static_assert(std::size(kStatements) == kDriverCount);

constexpr bool in_driver_order() {
  for (int i = 0; i < kDriverCount; i++)
    if (static_cast<int>(kStatements[i].driver) != i) return false;
  return true;
}
static_assert(in_driver_order(), "kStatements is indexed by Driver");

constexpr int most(int (*of)(const StatementSpec &)) {
  int most = 0;
  for (const StatementSpec &spec : kStatements) most = of(spec) > most ? of(spec) : most;
  return most;
}

}  // namespace statements_detail

// The most parameters and result columns any statement has (the pg layer's arrays hold them).
inline constexpr int kMostParameters =
    statements_detail::most([](const StatementSpec &spec) { return spec.parameter_count; });
inline constexpr int kMostResultColumns =
    statements_detail::most([](const StatementSpec &spec) { return spec.result_column_count; });

constexpr const StatementSpec &statement(Driver driver) {
  return statements_detail::kStatements[static_cast<int>(driver)];
}

// The position (0-based; $n is position + 1) of `driver`'s parameter `name`. Evaluated at compile
// time where a constant is required (AUTOTIME_PARAMETER), a name the statement lacks doesn't compile.
constexpr int parameter_index(Driver driver, std::string_view name) {
  const StatementSpec &spec = statement(driver);
  for (int i = 0; i < spec.parameter_count; i++)
    if (spec.parameters[i].name == name) return i;
  throw std::logic_error("capture statement has no such parameter");
}

// The position (0-based) of column `name` among the result columns `driver` declares.
constexpr int result_index(Driver driver, std::string_view name) {
  const StatementSpec &spec = statement(driver);
  for (int i = 0; i < spec.result_column_count; i++)
    if (spec.result_columns[i].name == name) return i;
  throw std::logic_error("capture statement has no such result column");
}

// "$n::pg_catalog.type" for `driver`'s parameter `name`.
std::string parameter_sql(Driver driver, std::string_view name);

// The SQL name of a value type (pg_catalog's).
std::string_view type_sql(ValueType type) noexcept;

constexpr bool plans_many_rows(Driver driver) {
  return statement(driver).planning == Planning::KeptBulk || statement(driver).planning == Planning::PerRunBulk;
}
constexpr bool plans_per_run(Driver driver) {
  return statement(driver).planning == Planning::PerRun || statement(driver).planning == Planning::PerRunBulk;
}

}  // namespace autotime

// A parameter's or result column's position as a compile-time constant: a misspelt name is a
// compile error, not a wrong column at run time.
#define AUTOTIME_PARAMETER(driver, name) \
  (std::integral_constant<int, ::autotime::parameter_index(driver, name)>::value)
#define AUTOTIME_RESULT(driver, name) (std::integral_constant<int, ::autotime::result_index(driver, name)>::value)
