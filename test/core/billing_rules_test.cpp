#include <gtest/gtest.h>

#include "billing_rules.hpp"

namespace autotime {
namespace {

std::vector<std::string> rule_names(const std::vector<EntryFlag> &flags) {
  std::vector<std::string> names;
  for (const EntryFlag &flag : flags) names.emplace_back(billing_rule_name(flag.rule));
  return names;
}

TEST(BillingRules, NamesRoundTrip) {
  for (BillingRule rule : kAllBillingRules) EXPECT_EQ(parse_billing_rule(billing_rule_name(rule)), rule);
  EXPECT_FALSE(parse_billing_rule("max_minutes"));
  EXPECT_FALSE(parse_billing_rule(""));
}

TEST(BillingRules, ValuesAreValidatedPerRule) {
  EXPECT_EQ(billing_rule_problem("nonbillable_kinds", "sms"), "");
  EXPECT_EQ(billing_rule_problem("nonbillable_kinds", "document, sms,event"), "");
  EXPECT_NE(billing_rule_problem("nonbillable_kinds", ""), "");
  EXPECT_NE(billing_rule_problem("nonbillable_kinds", "sms,"), "");
  EXPECT_NE(billing_rule_problem("nonbillable_kinds", "sms,texts"), "");
  EXPECT_EQ(billing_rule_problem("max_entry_minutes", "1440"), "");
  EXPECT_NE(billing_rule_problem("max_entry_minutes", "1441"), "");
  EXPECT_NE(billing_rule_problem("max_entry_minutes", "0"), "");
  EXPECT_NE(billing_rule_problem("max_entry_minutes", "30m"), "");
  EXPECT_EQ(billing_rule_problem("min_increment_minutes", " 6 "), "");
  EXPECT_NE(billing_rule_problem("min_increment_minutes", "61"), "");
  EXPECT_EQ(billing_rule_problem("require_activity_code", "true"), "");
  EXPECT_NE(billing_rule_problem("require_activity_code", "yes"), "");
  EXPECT_NE(billing_rule_problem("max_minutes", "30").find("unknown billing rule"), std::string::npos);
}

// Per rule, a client's own row wins over the team's row for every client, whatever their order.
TEST(BillingRules, ClientRowWinsOverTeamRow) {
  const std::vector<BillingRuleRow> rows = {{"max_entry_minutes", "60", false},
                                            {"max_entry_minutes", "30", true},
                                            {"min_increment_minutes", "6", false}};
  std::vector<BillingRuleRow> reversed(rows.rbegin(), rows.rend());
  for (const auto &order : {rows, reversed}) {
    const ClientGuidelines g = guidelines_in_force(order);
    EXPECT_EQ(g.max_entry_minutes, 30);
    EXPECT_EQ(g.min_increment_minutes, 6);
    EXPECT_FALSE(g.require_activity_code);
    EXPECT_TRUE(g.nonbillable_kinds.empty());
  }
  EXPECT_EQ(guidelines_in_force({{"require_activity_code", "true", false}, {"require_activity_code", "false", true}})
                .require_activity_code,
            false);
}

TEST(BillingRules, InvalidRowsAreIgnored) {
  const ClientGuidelines g = guidelines_in_force({{"max_entry_minutes", "zero", true}, {"max_entry_minutes", "45", false}});
  EXPECT_EQ(g.max_entry_minutes, 45);
}

TEST(BillingRules, ClericalKindsAreBornNonBillable) {
  const ClientGuidelines g = guidelines_in_force({{"nonbillable_kinds", "sms, document", true}});
  EXPECT_TRUE(born_non_billable(Kind::Sms, g));
  EXPECT_TRUE(born_non_billable(Kind::Document, g));
  EXPECT_FALSE(born_non_billable(Kind::Call, g));
  EXPECT_FALSE(born_non_billable(Kind::Sms, guidelines_in_force({})));
}

TEST(BillingRules, EachBrokenGuidelineIsOneFlag) {
  const ClientGuidelines g = guidelines_in_force({{"nonbillable_kinds", "sms", false},
                                                  {"max_entry_minutes", "30", false},
                                                  {"min_increment_minutes", "6", false},
                                                  {"require_activity_code", "true", false}});
  EXPECT_TRUE(entry_flags({Kind::Call, 30, true, "A106"}, g).empty());
  EXPECT_TRUE(entry_flags({Kind::Sms, 6, false, "A106"}, g).empty());
  EXPECT_EQ(rule_names(entry_flags({Kind::Sms, 6, true, "A106"}, g)), std::vector<std::string>{"nonbillable_kinds"});
  EXPECT_EQ(rule_names(entry_flags({Kind::Call, 31, true, "A106"}, g)),
            (std::vector<std::string>{"max_entry_minutes", "min_increment_minutes"}));
  EXPECT_EQ(rule_names(entry_flags({Kind::Call, 36, true, "A106"}, g)), std::vector<std::string>{"max_entry_minutes"});
  EXPECT_EQ(rule_names(entry_flags({Kind::Call, 15, true, ""}, g)),
            (std::vector<std::string>{"min_increment_minutes", "require_activity_code"}));
  EXPECT_EQ(entry_flags({Kind::Call, 45, true, "A106"}, g)[0].detail,
            "45 minutes is more than the client's 30-minute maximum per entry");
}

// Property: with only a maximum, an entry is flagged exactly when its minutes pass it; with only an
// increment, exactly when the minutes are not a multiple of it.
TEST(BillingRules, FlagsMatchTheirDefinitions) {
  for (int limit = 1; limit <= 60; limit++) {
    const ClientGuidelines max_only = guidelines_in_force({{"max_entry_minutes", std::to_string(limit), true}});
    const ClientGuidelines increment_only = guidelines_in_force({{"min_increment_minutes", std::to_string(limit), true}});
    for (int minutes = 1; minutes <= 240; minutes++) {
      EXPECT_EQ(entry_flags({Kind::Call, minutes, true, ""}, max_only).size(), minutes > limit ? 1u : 0u);
      EXPECT_EQ(entry_flags({Kind::Call, minutes, true, ""}, increment_only).size(), minutes % limit != 0 ? 1u : 0u);
    }
  }
}

}  // namespace
}  // namespace autotime
