// A client's billing guidelines (SPEC §7 autotime.billing_rules) as plain C++17: which rules exist,
// which values they take, which of a team's rows apply to a client, and the flags an entry raises.
// The PostgreSQL layer feeds it rows of autotime.billing_rules and an entry's columns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules.hpp"

namespace autotime {

enum class BillingRule { NonbillableKinds, MaxEntryMinutes, MinIncrementMinutes, RequireActivityCode };
inline constexpr BillingRule kAllBillingRules[] = {BillingRule::NonbillableKinds, BillingRule::MaxEntryMinutes,
                                                   BillingRule::MinIncrementMinutes, BillingRule::RequireActivityCode};

std::optional<BillingRule> parse_billing_rule(std::string_view name) noexcept;
std::string_view billing_rule_name(BillingRule rule) noexcept;

// Why `value` is not a valid value of the rule named `rule` ("" when it is): nonbillable_kinds takes a
// comma list of kinds, max_entry_minutes 1..1440, min_increment_minutes 1..60, require_activity_code
// true or false.
std::string billing_rule_problem(std::string_view rule, std::string_view value);

// One row of autotime.billing_rules that applies to an entry's team and client: the client's own
// (client_specific) or the team's default for every client.
struct BillingRuleRow {
  std::string rule;
  std::string value;
  bool client_specific = false;
};

// The rules in force for one client: per rule, the client's own row wins over the team's.
// Rows with an unknown rule or an invalid value are ignored (the table refuses them).
struct ClientGuidelines {
  std::vector<Kind> nonbillable_kinds;
  std::optional<int> max_entry_minutes;
  std::optional<int> min_increment_minutes;
  bool require_activity_code = false;
};
ClientGuidelines guidelines_in_force(const std::vector<BillingRuleRow> &rows);

// An entry autotime made, as the guidelines see it.
struct EntryFacts {
  Kind kind = Kind::Call;
  int minutes = 0;
  bool billable = true;
  std::string_view activity_code;  // "" when the entry has none
};

struct EntryFlag {
  BillingRule rule;
  std::string detail;
};

// An entry of a clerical kind for this client is born non-billable.
bool born_non_billable(Kind kind, const ClientGuidelines &guidelines) noexcept;

// Every guideline the entry breaks, in kAllBillingRules order (empty: none).
std::vector<EntryFlag> entry_flags(const EntryFacts &entry, const ClientGuidelines &guidelines);

}  // namespace autotime
