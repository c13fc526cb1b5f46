// The capture rules of autotime as plain C++17: no PostgreSQL headers, no I/O.
// The PostgreSQL layer exposes them to SQL (autotime.rule_*), so the capture
// statements, backfill and explain all decide through this one file.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autotime {

enum class Kind { Call, Sms, Document, IrReport, Event };
inline constexpr Kind kAllKinds[] = {Kind::Call, Kind::Sms, Kind::Document, Kind::IrReport, Kind::Event};

std::optional<Kind> parse_kind(std::string_view name) noexcept;
std::string_view kind_name(Kind kind) noexcept;

// Why an activity did not become an entry. Ordered by precedence: decide() reports the first that applies.
enum class Reason {
  TeamDisabled,
  KindDisabled,
  NotQualifying,
  NoActivityTime,
  NoActor,
  NoPermission,
  CaseMismatch,
  NoOpenCase,
  FlatFeeSkip,
  // Reported by explain only, from the ledger rather than from the row.
  AlreadyLinked,
  Dismissed,
  UnknownActivity,
  PendingBackfill,
  CaptureFailed,
  // Decided set-based, over a member's day (SPEC §6 daily_cap_minutes).
  DailyCap,
  // SPEC §7 case_fallback: `none` (only the activity's own case) and `only_open` (the client's only open case).
  NoCase,
  AmbiguousCase,
};
inline constexpr Reason kLastReason = Reason::AmbiguousCase;
std::string_view reason_code(Reason reason) noexcept;
std::optional<Reason> parse_reason(std::string_view code) noexcept;

enum class FlatFeePolicy { NonBillable, Skip, Billable };
std::optional<FlatFeePolicy> parse_flat_fee_policy(std::string_view name) noexcept;

enum class MinutesMode { Fixed, RoundedDuration };
std::optional<MinutesMode> parse_minutes_mode(std::string_view name) noexcept;

// What the capture statement looked up about one activity; decide() turns it into a verdict.
// How an activity without its own case finds one (team_settings.case_fallback, SPEC §7).
enum class CaseFallback { LatestOpen, OnlyOpen, None };
std::optional<CaseFallback> parse_case_fallback(std::string_view name) noexcept;

// An activity without a case of its own falls back to one of its client's open cases: a case is
// open unless its status is one of these.
inline constexpr std::string_view kClosedCaseStatuses[] = {"closed", "archived"};
bool case_is_open(std::string_view status) noexcept;

// Which open case: the first in this order, every key descending (the SQL's ORDER BY and the
// one-row path's comparison are both made from it; an index on the cases serves it).
struct CaseOrderKey {
  std::string_view column;  // a contract column of the cases table
  bool nulls_last;          // DESC NULLS LAST; otherwise DESC (NULLS FIRST)
};
inline constexpr CaseOrderKey kFallbackCaseOrder[] = {{"updated_at", true}, {"id", false}};
// One case's values of those keys, in that order (timestamps in microseconds; nullopt: NULL).
using CaseOrderValues = std::optional<int64_t>[std::size(kFallbackCaseOrder)];
bool falls_back_before(const CaseOrderValues &a, const CaseOrderValues &b) noexcept;

// Activities dated outside these years (the first one included, the end one excluded) are skipped
// as without a time: their local date may not exist.
inline constexpr int kFirstActivityYear = 1;
inline constexpr int kEndActivityYear = 10000;
// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
// The range in PostgreSQL's timestamp units (microseconds since 2000-01-01 00:00 UTC).
inline constexpr int64_t kMicrosPerDay = INT64_C(86400000000);
inline constexpr int64_t kFirstActivityTime =
    (days_from_civil(kFirstActivityYear, 1, 1) - days_from_civil(2000, 1, 1)) * kMicrosPerDay;
inline constexpr int64_t kEndActivityTime =
    (days_from_civil(kEndActivityYear, 1, 1) - days_from_civil(2000, 1, 1)) * kMicrosPerDay;
// The same bounds as timestamptz literals ("0001-01-01 00:00+00").
std::string activity_time_bound_sql(int year);

struct Facts {
  bool team_enabled = false;
  bool kind_enabled = false;
  bool qualifies = false;
  bool has_activity_time = false;
  bool has_actor = false;
  bool member_found = false;
  bool member_can_log_time = false;
  bool own_case_given = false;
  bool case_found = false;
  bool case_client_matches = false;
  std::string_view billing_type;  // of the resolved case: hourly, flat_fee, contingency
  FlatFeePolicy flat_fee_policy = FlatFeePolicy::NonBillable;
  CaseFallback case_fallback = CaseFallback::LatestOpen;
  int open_cases = 0;  // the client's open cases, counted up to 2 (only_open reads it)
};

// std::nullopt means: create the entry.
std::optional<Reason> decide(const Facts &facts) noexcept;

// One row's values for its kind's default qualification (capture_sql.hpp default_qualifies()):
// the status and direction as text (nullopt: NULL), and whether the kind's other column is set
// (documents: template_id, events: completed_at).
struct QualificationValues {
  std::optional<std::string_view> status;
  std::optional<std::string_view> direction;
  bool value_present = false;
};

// Which of those values the kind's default qualification reads.
struct QualificationInputs {
  bool status = false;
  bool direction = false;
  bool value = false;
};
QualificationInputs default_qualification_inputs(Kind kind) noexcept;

// The kind's default qualification, the same test as default_qualifies() writes in SQL: a call
// is completed; a text is outbound and sent or delivered; a document has a template; every
// report qualifies; an event is completed.
bool qualifies_by_default(Kind kind, const QualificationValues &row) noexcept;

inline constexpr int kMinIncrement = 1;
inline constexpr int kMaxMinutes = 1440;

// Minutes logged for one activity. `fixed` logs one increment; `rounded_duration` rounds the
// call length up to whole increments, at least one, capped at a day. Missing or negative
// durations log one increment.
int entry_minutes(MinutesMode mode, int increment, std::optional<int64_t> duration_seconds) noexcept;

inline constexpr int kMaxBillingIncrement = 60;

// SPEC §6: `minutes` of work billed in whole billing increments, rounded up (billed >= worked,
// billed - worked < one increment). No increment (off): the minutes as they are.
int billed_minutes(int minutes, std::optional<int> billing_increment) noexcept;

// SPEC §6 daily_cap_minutes: how many of a member's new activities of one work date, in the order
// they happened, the day admits — those whose running total, after the `counted` minutes the day
// already has, stays within `cap`; the first that would pass it and every later one are skipped
// (daily_cap). Minutes are positive, so the admitted are a prefix. The capture statement applies
// the same rule set-based (a running sum over the member's day, src/core/capture_sql.cpp).
std::size_t admitted_under_daily_cap(int counted, const std::vector<int> &minutes_in_order, int cap) noexcept;

// Hourly work is billable, contingency work is recorded non-billable, flat-fee work follows the policy.
bool entry_billable(std::string_view billing_type, FlatFeePolicy policy) noexcept;

// Longest label (document name, report or event title) kept in a description, in bytes.
// The PostgreSQL layer clips labels to this with the database encoding's rules before calling describe().
inline constexpr std::size_t kMaxLabelBytes = 200;

// The entry description: names the kind of work, never a message body or transcript.
// `label_was_clipped` appends an ellipsis; control characters in the label become spaces.
std::string describe(Kind kind, std::string_view direction, std::string_view label, bool label_was_clipped);

// What explain reports, combining the ledger with the live verdict.
enum class Outcome { Created, Skipped, NotQualifying };
std::string_view outcome_name(Outcome outcome) noexcept;

struct LedgerState {
  bool linked = false;               // a link exists for the activity's dedupe key
  bool linked_to_this_source = false;  // ... and it was claimed by this very row
  bool entry_exists = false;         // the link's entry still exists
  bool failure_recorded = false;     // capture failed under on_error = 'record' and nothing linked it since
};

struct Verdict {
  Outcome outcome;
  std::optional<Reason> reason;
};

Verdict explain_verdict(const LedgerState &ledger, std::optional<Reason> live_reason) noexcept;

}  // namespace autotime
