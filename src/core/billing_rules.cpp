#include "billing_rules.hpp"

#include <algorithm>
#include <charconv>

namespace autotime {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int> parse_int(std::string_view s) {
  s = trim(s);
  int value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || error != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<bool> parse_flag(std::string_view s) {
  s = trim(s);
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

// The kinds of a comma list; nullopt when an item is empty or not a kind.
std::optional<std::vector<Kind>> parse_kinds(std::string_view list) {
  std::vector<Kind> kinds;
  while (true) {
    const size_t comma = list.find(',');
    const std::optional<Kind> kind = parse_kind(trim(list.substr(0, comma)));
    if (!kind) return std::nullopt;
    if (std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) kinds.push_back(*kind);
    if (comma == std::string_view::npos) return kinds;
    list.remove_prefix(comma + 1);
  }
}

std::string range_problem(std::string_view rule, std::string_view value, int low, int high) {
  const std::optional<int> n = parse_int(value);
  if (n && *n >= low && *n <= high) return "";
  return std::string(rule) + " takes whole minutes from " + std::to_string(low) + " to " + std::to_string(high) +
         ", not \"" + std::string(value) + "\"";
}

}  // namespace

std::optional<BillingRule> parse_billing_rule(std::string_view name) noexcept {
  for (BillingRule rule : kAllBillingRules)
    if (billing_rule_name(rule) == name) return rule;
  return std::nullopt;
}

std::string_view billing_rule_name(BillingRule rule) noexcept {
  switch (rule) {
    case BillingRule::NonbillableKinds: return "nonbillable_kinds";
    case BillingRule::MaxEntryMinutes: return "max_entry_minutes";
    case BillingRule::MinIncrementMinutes: return "min_increment_minutes";
    case BillingRule::RequireActivityCode: return "require_activity_code";
  }
  return "";
}

std::string billing_rule_problem(std::string_view rule, std::string_view value) {
  const std::optional<BillingRule> parsed = parse_billing_rule(rule);
  if (!parsed)
    return "unknown billing rule \"" + std::string(rule) +
           "\" (rules: nonbillable_kinds, max_entry_minutes, min_increment_minutes, require_activity_code)";
  switch (*parsed) {
    case BillingRule::NonbillableKinds:
      if (parse_kinds(value)) return "";
      return "nonbillable_kinds takes a comma list of kinds (call, sms, document, ir_report, event), not \"" +
             std::string(value) + "\"";
    case BillingRule::MaxEntryMinutes: return range_problem(rule, value, 1, 1440);
    case BillingRule::MinIncrementMinutes: return range_problem(rule, value, 1, 60);
    case BillingRule::RequireActivityCode:
      if (parse_flag(value)) return "";
      return "require_activity_code takes true or false, not \"" + std::string(value) + "\"";
  }
  return "";
}

ClientGuidelines guidelines_in_force(const std::vector<BillingRuleRow> &rows) {
  ClientGuidelines in_force;
  for (BillingRule rule : kAllBillingRules) {
    const BillingRuleRow *chosen = nullptr;
    for (const BillingRuleRow &row : rows) {
      if (parse_billing_rule(row.rule) != rule || !billing_rule_problem(row.rule, row.value).empty()) continue;
      if (chosen == nullptr || (row.client_specific && !chosen->client_specific)) chosen = &row;
    }
    if (chosen == nullptr) continue;
    switch (rule) {
      case BillingRule::NonbillableKinds: in_force.nonbillable_kinds = *parse_kinds(chosen->value); break;
      case BillingRule::MaxEntryMinutes: in_force.max_entry_minutes = parse_int(chosen->value); break;
      case BillingRule::MinIncrementMinutes: in_force.min_increment_minutes = parse_int(chosen->value); break;
      case BillingRule::RequireActivityCode: in_force.require_activity_code = *parse_flag(chosen->value); break;
    }
  }
  return in_force;
}

bool born_non_billable(Kind kind, const ClientGuidelines &guidelines) noexcept {
  return std::find(guidelines.nonbillable_kinds.begin(), guidelines.nonbillable_kinds.end(), kind) !=
         guidelines.nonbillable_kinds.end();
}

std::vector<EntryFlag> entry_flags(const EntryFacts &entry, const ClientGuidelines &guidelines) {
  std::vector<EntryFlag> flags;
  const std::string kind(kind_name(entry.kind));
  if (entry.billable && born_non_billable(entry.kind, guidelines))
    flags.push_back({BillingRule::NonbillableKinds, "the entry is billable, but the client's guidelines bill no " + kind +
                                                        " work"});
  if (guidelines.max_entry_minutes && entry.minutes > *guidelines.max_entry_minutes)
    flags.push_back({BillingRule::MaxEntryMinutes, std::to_string(entry.minutes) + " minutes is more than the client's " +
                                                       std::to_string(*guidelines.max_entry_minutes) +
                                                       "-minute maximum per entry"});
  if (guidelines.min_increment_minutes && entry.minutes % *guidelines.min_increment_minutes != 0)
    flags.push_back({BillingRule::MinIncrementMinutes,
                     std::to_string(entry.minutes) + " minutes is not a whole number of the client's " +
                         std::to_string(*guidelines.min_increment_minutes) + "-minute increments"});
  if (guidelines.require_activity_code && entry.activity_code.empty())
    flags.push_back({BillingRule::RequireActivityCode, "the client requires a UTBMS activity code on every entry"});
  return flags;
}

}  // namespace autotime
