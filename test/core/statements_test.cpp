// Unit tests for the statement descriptions (src/core/statements.hpp): every statement the
// builder writes uses exactly the parameters its description declares, with the declared types.
#include "statements.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "capture_sql.hpp"

namespace autotime {
namespace {

CaptureBinding full_binding(Kind kind) {
  CaptureBinding b;
  b.kind = kind;
  b.source.qualified_name = "\"firm\".\"activity\"";
  b.time_entries.qualified_name = "\"firm\".\"time_entries\"";
  b.cases.qualified_name = "\"firm\".\"cases\"";
  b.team_members.qualified_name = "\"firm\".\"team_members\"";
  b.failures_table = b.released_links = b.ledger_key_spaces = b.entries_name_table = true;
  b.billing_increments = b.daily_caps = b.case_fallbacks = b.entry_spans = true;
  b.entries_have_codes = b.team_codes = b.sessions = true;
  return b;
}

TEST(Statements, EveryParameterReferenceIsDeclaredWithItsType) {
  std::map<const Parameter *, std::set<int>> used_by;
  for (Kind kind : {Kind::Call, Kind::Sms, Kind::Document, Kind::IrReport, Kind::Event}) {
    for (int d = 0; d < kDriverCount; d++) {
      const auto driver = static_cast<Driver>(d);
      const StatementSpec &spec = statement(driver);
      std::set<int> used;
      for (const Step &step : capture_pipeline(full_binding(kind), driver)) {
        const std::regex reference(R"(\$([0-9]+)(::pg_catalog\.([a-z0-9]+))?)");
        for (std::sregex_iterator m(step.sql.begin(), step.sql.end(), reference), end; m != end; ++m) {
          const int position = std::stoi((*m)[1]);
          ASSERT_GE(position, 1) << spec.purpose;
          ASSERT_LE(position, spec.parameter_count) << spec.purpose << ": $" << position << " in " << step.name;
          EXPECT_EQ((*m)[3].str(), type_sql(spec.parameters[position - 1].type))
              << spec.purpose << ": $" << position << " is " << spec.parameters[position - 1].name;
          used.insert(position);
        }
      }
      std::set<int> &all = used_by[spec.parameters];
      all.insert(used.begin(), used.end());
    }
  }
  // Every declared parameter is used.
  for (int d = 0; d < kDriverCount; d++) {
    const StatementSpec &spec = statement(static_cast<Driver>(d));
    EXPECT_EQ(static_cast<int>(used_by[spec.parameters].size()), spec.parameter_count) << spec.purpose;
  }
}

TEST(Statements, ResultStepsExistInTheirPipelines) {
  for (int d = 0; d < kDriverCount; d++) {
    const StatementSpec &spec = statement(static_cast<Driver>(d));
    if (spec.result_step.empty()) {
      EXPECT_EQ(spec.result_column_count, 0) << spec.purpose;
      continue;
    }
    bool found = false;
    for (const Step &step : capture_pipeline(full_binding(Kind::Sms), spec.driver))
      found = found || step.name == spec.result_step;
    EXPECT_TRUE(found) << spec.purpose << " has no step " << spec.result_step;
    EXPECT_GT(spec.result_column_count, 0) << spec.purpose;
  }
}

TEST(Statements, NamesResolveAtCompileTime) {
  static_assert(AUTOTIME_PARAMETER(Driver::ClaimLink, "team_id") == 0);
  static_assert(AUTOTIME_PARAMETER(Driver::BackfillTeam, "last_id") == 3);
  static_assert(AUTOTIME_RESULT(Driver::IdRange, "hi") == 1);
  EXPECT_EQ(parameter_sql(Driver::ClaimLink, "occurred_at"), "$12::pg_catalog.timestamptz");
  EXPECT_THROW((void)parameter_sql(Driver::ClaimLink, "no_such_parameter"), std::logic_error);
  EXPECT_TRUE(plans_per_run(Driver::Explain));
  EXPECT_FALSE(plans_many_rows(Driver::ClaimLink));
  EXPECT_TRUE(plans_many_rows(Driver::BackfillTeam));
}

}  // namespace
}  // namespace autotime
