#include "rules.hpp"

#include <algorithm>

namespace autotime {

namespace {

struct KindName {
  Kind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {
    {Kind::Call, "call"},         {Kind::Sms, "sms"},       {Kind::Document, "document"},
    {Kind::IrReport, "ir_report"}, {Kind::Event, "event"},
};

}  // namespace

std::optional<Kind> parse_kind(std::string_view name) noexcept {
  for (const auto &entry : kKindNames)
    if (entry.name == name) return entry.kind;
  return std::nullopt;
}

std::string_view kind_name(Kind kind) noexcept {
  for (const auto &entry : kKindNames)
    if (entry.kind == kind) return entry.name;
  return "unknown";
}

std::string_view reason_code(Reason reason) noexcept {
  switch (reason) {
    case Reason::TeamDisabled: return "team_disabled";
    case Reason::KindDisabled: return "kind_disabled";
    case Reason::NotQualifying: return "not_qualifying";
    case Reason::NoActivityTime: return "no_activity_time";
    case Reason::NoActor: return "no_actor";
    case Reason::NoPermission: return "no_permission";
    case Reason::CaseMismatch: return "case_mismatch";
    case Reason::NoOpenCase: return "no_open_case";
    case Reason::FlatFeeSkip: return "flat_fee_skip";
    case Reason::AlreadyLinked: return "already_linked";
    case Reason::Dismissed: return "dismissed";
    case Reason::UnknownActivity: return "unknown_activity";
    case Reason::PendingBackfill: return "pending_backfill";
    case Reason::CaptureFailed: return "capture_failed";
    case Reason::DailyCap: return "daily_cap";
    case Reason::NoCase: return "no_case";
    case Reason::AmbiguousCase: return "ambiguous_case";
  }
  return "unknown";
}

std::optional<Reason> parse_reason(std::string_view code) noexcept {
  for (int candidate = 0; candidate <= static_cast<int>(kLastReason); candidate++)
    if (reason_code(static_cast<Reason>(candidate)) == code) return static_cast<Reason>(candidate);
  return std::nullopt;
}

std::optional<FlatFeePolicy> parse_flat_fee_policy(std::string_view name) noexcept {
  if (name == "non_billable") return FlatFeePolicy::NonBillable;
  if (name == "skip") return FlatFeePolicy::Skip;
  if (name == "billable") return FlatFeePolicy::Billable;
  return std::nullopt;
}

std::optional<CaseFallback> parse_case_fallback(std::string_view name) noexcept {
  if (name == "latest_open") return CaseFallback::LatestOpen;
  if (name == "only_open") return CaseFallback::OnlyOpen;
  if (name == "none") return CaseFallback::None;
  return std::nullopt;
}

std::optional<MinutesMode> parse_minutes_mode(std::string_view name) noexcept {
  if (name == "fixed") return MinutesMode::Fixed;
  if (name == "rounded_duration") return MinutesMode::RoundedDuration;
  return std::nullopt;
}

std::optional<Reason> decide(const Facts &f) noexcept {
  if (!f.team_enabled) return Reason::TeamDisabled;
  if (!f.kind_enabled) return Reason::KindDisabled;
  if (!f.qualifies) return Reason::NotQualifying;
  if (!f.has_activity_time) return Reason::NoActivityTime;
  if (!f.has_actor) return Reason::NoActor;
  if (!f.member_found || !f.member_can_log_time) return Reason::NoPermission;
  if (f.own_case_given && (!f.case_found || !f.case_client_matches)) return Reason::CaseMismatch;
  if (!f.own_case_given && f.case_fallback == CaseFallback::None) return Reason::NoCase;
  if (!f.own_case_given && f.case_fallback == CaseFallback::OnlyOpen && f.open_cases > 1) return Reason::AmbiguousCase;
  if (!f.case_found) return Reason::NoOpenCase;
  if (f.billing_type == "flat_fee" && f.flat_fee_policy == FlatFeePolicy::Skip) return Reason::FlatFeeSkip;
  return std::nullopt;
}

int entry_minutes(MinutesMode mode, int increment, std::optional<int64_t> duration_seconds) noexcept {
  increment = std::clamp(increment, kMinIncrement, kMaxMinutes);
  if (mode == MinutesMode::Fixed || !duration_seconds || *duration_seconds <= 0) return increment;
  if (*duration_seconds >= int64_t{kMaxMinutes} * 60) return kMaxMinutes;
  // Whole increments covering the duration, computed in seconds to stay exact.
  const int64_t increment_seconds = int64_t{increment} * 60;
  const int64_t increments = (*duration_seconds + increment_seconds - 1) / increment_seconds;
  return static_cast<int>(std::min<int64_t>(increments * increment, kMaxMinutes));
}

int billed_minutes(int minutes, std::optional<int> billing_increment) noexcept {
  if (!billing_increment || minutes <= 0) return minutes;
  const int increment = std::clamp(*billing_increment, 1, kMaxBillingIncrement);
  return (minutes + increment - 1) / increment * increment;
}

std::size_t admitted_under_daily_cap(int counted, const std::vector<int> &minutes_in_order, int cap) noexcept {
  long long total = counted;
  std::size_t admitted = 0;
  for (int minutes : minutes_in_order) {
    total += minutes;
    if (total > cap) break;
    admitted++;
  }
  return admitted;
}

bool entry_billable(std::string_view billing_type, FlatFeePolicy policy) noexcept {
  if (billing_type == "hourly") return true;
  if (billing_type == "flat_fee") return policy == FlatFeePolicy::Billable;
  return false;
}

namespace {

// The length of a UTF-8 encoded C1 control (U+0080..U+009F) or bidirectional/invisible format
// character (U+061C, U+200B..U+200F, U+202A..U+202E, U+2060..U+2069, U+FEFF) at the start of
// `text`, else 0: they could reorder or hide what a reviewer reads on an invoice line.
std::size_t invisible_control_length(std::string_view text) noexcept {
  const auto at = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
  if (at(0) == 0xC2 && at(1) >= 0x80 && at(1) <= 0x9F) return 2;
  if (at(0) == 0xD8 && at(1) == 0x9C) return 2;
  if (at(0) == 0xE2 && at(1) == 0x80 && ((at(2) >= 0x8B && at(2) <= 0x8F) || (at(2) >= 0xAA && at(2) <= 0xAE))) return 3;
  if (at(0) == 0xE2 && at(1) == 0x81 && at(2) >= 0xA0 && at(2) <= 0xA9) return 3;
  if (at(0) == 0xEF && at(1) == 0xBB && at(2) == 0xBF) return 3;
  return 0;
}

}  // namespace

std::string describe(Kind kind, std::string_view direction, std::string_view label, bool label_was_clipped) {
  std::string clean;
  clean.reserve(std::min(label.size(), kMaxLabelBytes) + 3);
  const std::string_view kept = label.substr(0, kMaxLabelBytes);
  for (std::size_t i = 0; i < kept.size(); i++) {
    const auto byte = static_cast<unsigned char>(kept[i]);
    const std::size_t invisible = invisible_control_length(kept.substr(i));
    if (invisible > 0) {
      clean.push_back(' ');
      i += invisible - 1;
      continue;
    }
    clean.push_back(byte < 0x20 || byte == 0x7f ? ' ' : kept[i]);
  }
  const auto first = clean.find_first_not_of(' ');
  const auto last = clean.find_last_not_of(' ');
  clean = first == std::string::npos ? std::string() : clean.substr(first, last - first + 1);
  if (label_was_clipped || label.size() > kMaxLabelBytes) clean += "...";

  const auto with_label = [&](std::string_view prefix, std::string_view fallback) {
    return clean.empty() ? std::string(fallback) : std::string(prefix) + clean;
  };
  switch (kind) {
    case Kind::Call:
      if (direction == "inbound") return "Phone call (inbound)";
      if (direction == "outbound") return "Phone call (outbound)";
      return "Phone call";
    case Kind::Sms: return "Text message to client";
    case Kind::Document: return with_label("Prepared document: ", "Prepared document");
    case Kind::IrReport: return with_label("Interaction report: ", "Interaction report");
    case Kind::Event: return with_label("Completed: ", "Completed calendar event");
  }
  return "Activity";
}

std::string_view outcome_name(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::Created: return "created";
    case Outcome::Skipped: return "skipped";
    case Outcome::NotQualifying: return "not_qualifying";
  }
  return "unknown";
}

Verdict explain_verdict(const LedgerState &ledger, std::optional<Reason> live_reason) noexcept {
  if (ledger.linked) {
    if (!ledger.linked_to_this_source) return {Outcome::Skipped, Reason::AlreadyLinked};
    if (ledger.entry_exists) return {Outcome::Created, std::nullopt};
    return {Outcome::Skipped, Reason::Dismissed};
  }
  if (live_reason == Reason::NotQualifying) return {Outcome::NotQualifying, live_reason};
  if (live_reason) return {Outcome::Skipped, live_reason};
  if (ledger.failure_recorded) return {Outcome::Skipped, Reason::CaptureFailed};
  return {Outcome::Skipped, Reason::PendingBackfill};
}

QualificationInputs default_qualification_inputs(Kind kind) noexcept {
  switch (kind) {
    case Kind::Call: return {true, false, false};
    case Kind::Sms: return {true, true, false};
    case Kind::Document:
    case Kind::Event: return {false, false, true};
    case Kind::IrReport: return {false, false, false};
  }
  return {};
}

bool qualifies_by_default(Kind kind, const QualificationValues &row) noexcept {
  switch (kind) {
    case Kind::Call: return row.status == std::string_view("completed");
    case Kind::Sms:
      return row.direction == std::string_view("outbound") &&
             (row.status == std::string_view("sent") || row.status == std::string_view("delivered"));
    case Kind::Document:
    case Kind::Event: return row.value_present;
    case Kind::IrReport: return true;
  }
  return false;
}

bool case_is_open(std::string_view status) noexcept {
  for (std::string_view closed : kClosedCaseStatuses)
    if (status == closed) return false;
  return true;
}

bool falls_back_before(const CaseOrderValues &a, const CaseOrderValues &b) noexcept {
  for (std::size_t k = 0; k < std::size(kFallbackCaseOrder); k++) {
    if (a[k].has_value() != b[k].has_value()) return a[k].has_value() == kFallbackCaseOrder[k].nulls_last;
    if (a[k] && *a[k] != *b[k]) return *a[k] > *b[k];
  }
  return false;
}

std::string activity_time_bound_sql(int year) {
  std::string digits = std::to_string(year);
  if (digits.size() < 4) digits.insert(0, 4 - digits.size(), '0');
  return "'" + digits + "-01-01 00:00+00'::pg_catalog.timestamptz";
}

}  // namespace autotime
