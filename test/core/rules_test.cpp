// Unit tests for the pure capture rules (src/core/rules.hpp).
#include "rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace autotime {
namespace {

// ---------------------------------------------------------------------------------------------
// Helpers

// Facts for an activity that should become an entry: every check passes, the case was found
// through the "latest open case" path (no own case), hourly billing.
Facts passing_facts() {
  Facts f;
  f.team_enabled = true;
  f.kind_enabled = true;
  f.qualifies = true;
  f.has_activity_time = true;
  f.has_actor = true;
  f.member_found = true;
  f.member_can_log_time = true;
  f.own_case_given = false;
  f.case_found = true;
  f.case_client_matches = true;
  f.billing_type = "hourly";
  f.flat_fee_policy = FlatFeePolicy::NonBillable;
  return f;
}

constexpr Reason kAllReasons[] = {
    Reason::TeamDisabled, Reason::KindDisabled,  Reason::NotQualifying, Reason::NoActivityTime, Reason::NoActor,
    Reason::NoPermission, Reason::CaseMismatch,  Reason::NoOpenCase,    Reason::FlatFeeSkip,    Reason::AlreadyLinked,
    Reason::Dismissed,    Reason::UnknownActivity, Reason::PendingBackfill, Reason::CaptureFailed, Reason::DailyCap, Reason::NoCase, Reason::AmbiguousCase,
};

constexpr FlatFeePolicy kAllPolicies[] = {FlatFeePolicy::NonBillable, FlatFeePolicy::Skip, FlatFeePolicy::Billable};

std::string reason_text(std::optional<Reason> reason) {
  return reason ? std::string(reason_code(*reason)) : std::string("<create>");
}

// One precedence step of decide(): the fact(s) it breaks and the reason it must then report.
struct Step {
  const char *name;
  std::function<void(Facts &)> break_fact;
  Reason expected;
};

// Ordered exactly as decide() must check them.
std::vector<Step> precedence_steps() {
  return {
      {"team_disabled", [](Facts &f) { f.team_enabled = false; }, Reason::TeamDisabled},
      {"kind_disabled", [](Facts &f) { f.kind_enabled = false; }, Reason::KindDisabled},
      {"not_qualifying", [](Facts &f) { f.qualifies = false; }, Reason::NotQualifying},
      {"no_activity_time", [](Facts &f) { f.has_activity_time = false; }, Reason::NoActivityTime},
      {"no_actor", [](Facts &f) { f.has_actor = false; }, Reason::NoActor},
      {"no_permission", [](Facts &f) { f.member_can_log_time = false; }, Reason::NoPermission},
      {"case_mismatch",
       [](Facts &f) {
         f.own_case_given = true;
         f.case_client_matches = false;
       },
       Reason::CaseMismatch},
      // Breaking case_found after case_mismatch's breaker keeps own_case_given=true, so the
      // combination still reports case_mismatch; alone (no own case) it reports no_open_case.
      {"no_open_case", [](Facts &f) { f.case_found = false; }, Reason::NoOpenCase},
      {"flat_fee_skip",
       [](Facts &f) {
         f.billing_type = "flat_fee";
         f.flat_fee_policy = FlatFeePolicy::Skip;
       },
       Reason::FlatFeeSkip},
  };
}

// ---------------------------------------------------------------------------------------------
// decide(): precedence

TEST(Decide, AllFactsPassingCreatesTheEntry) { EXPECT_EQ(decide(passing_facts()), std::nullopt); }

TEST(Decide, DefaultConstructedFactsReportTeamDisabled) { EXPECT_EQ(decide(Facts{}), Reason::TeamDisabled); }

TEST(Decide, EachStepFiresAloneWhenItsFactIsMissing) {
  for (const Step &step : precedence_steps()) {
    Facts f = passing_facts();
    step.break_fact(f);
    EXPECT_EQ(reason_text(decide(f)), reason_text(step.expected)) << "step " << step.name;
  }
}

TEST(Decide, EachStepWinsOverEveryLaterStep) {
  const auto steps = precedence_steps();
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Facts f = passing_facts();
    for (std::size_t j = i; j < steps.size(); ++j) steps[j].break_fact(f);
    EXPECT_EQ(reason_text(decide(f)), reason_text(steps[i].expected))
        << "step " << steps[i].name << " with every later fact also missing";
  }
}

TEST(Decide, EarlierStepsAlwaysWinOverLaterOnes) {
  const auto steps = precedence_steps();
  for (std::size_t i = 0; i < steps.size(); ++i) {
    for (std::size_t j = i + 1; j < steps.size(); ++j) {
      Facts f = passing_facts();
      steps[j].break_fact(f);
      steps[i].break_fact(f);
      EXPECT_EQ(reason_text(decide(f)), reason_text(steps[i].expected))
          << steps[i].name << " must win over " << steps[j].name;
    }
  }
}

TEST(Decide, NoPermissionWhenMemberMissingOrCannotLogTime) {
  Facts missing = passing_facts();
  missing.member_found = false;
  EXPECT_EQ(decide(missing), Reason::NoPermission);

  // member_found=false with can_log_time=true (inconsistent input) is still no permission.
  Facts missing_but_flag = passing_facts();
  missing_but_flag.member_found = false;
  missing_but_flag.member_can_log_time = true;
  EXPECT_EQ(decide(missing_but_flag), Reason::NoPermission);

  Facts cannot_log = passing_facts();
  cannot_log.member_can_log_time = false;
  EXPECT_EQ(decide(cannot_log), Reason::NoPermission);

  Facts both = passing_facts();
  both.member_found = false;
  both.member_can_log_time = false;
  EXPECT_EQ(decide(both), Reason::NoPermission);
}

TEST(Decide, NoActorWinsOverMissingMember) {
  Facts f = passing_facts();
  f.has_actor = false;
  f.member_found = false;
  f.member_can_log_time = false;
  EXPECT_EQ(decide(f), Reason::NoActor);
}

TEST(Decide, OwnCaseThatMatchesTheClientIsUsed) {
  Facts f = passing_facts();
  f.own_case_given = true;
  f.case_found = true;
  f.case_client_matches = true;
  EXPECT_EQ(decide(f), std::nullopt);
}

TEST(Decide, OwnCaseNotFoundIsCaseMismatchNotNoOpenCase) {
  for (bool client_matches : {false, true}) {
    Facts f = passing_facts();
    f.own_case_given = true;
    f.case_found = false;  // e.g. another team's case id
    f.case_client_matches = client_matches;
    EXPECT_EQ(decide(f), Reason::CaseMismatch) << "client_matches=" << client_matches;
  }
}

TEST(Decide, OwnCaseOfAnotherClientIsCaseMismatch) {
  Facts f = passing_facts();
  f.own_case_given = true;
  f.case_found = true;
  f.case_client_matches = false;
  EXPECT_EQ(decide(f), Reason::CaseMismatch);
}

TEST(Decide, NoOwnCaseAndNoOpenCaseIsNoOpenCase) {
  for (bool client_matches : {false, true}) {
    Facts f = passing_facts();
    f.own_case_given = false;
    f.case_found = false;
    f.case_client_matches = client_matches;
    EXPECT_EQ(decide(f), Reason::NoOpenCase) << "client_matches=" << client_matches;
  }
}

TEST(Decide, ClientMatchIsOnlyCheckedForAnOwnCase) {
  // The latest-open-case lookup is by client, so the match flag only matters for an own case.
  Facts f = passing_facts();
  f.own_case_given = false;
  f.case_found = true;
  f.case_client_matches = false;
  EXPECT_EQ(decide(f), std::nullopt);
}

TEST(Decide, FlatFeeSkipOnlyForFlatFeeUnderSkipPolicy) {
  for (std::string_view billing : {"hourly", "flat_fee", "contingency", "", "FLAT_FEE", "flat-fee"}) {
    for (FlatFeePolicy policy : kAllPolicies) {
      Facts f = passing_facts();
      f.billing_type = billing;
      f.flat_fee_policy = policy;
      const bool skip = billing == "flat_fee" && policy == FlatFeePolicy::Skip;
      EXPECT_EQ(decide(f), skip ? std::optional<Reason>(Reason::FlatFeeSkip) : std::nullopt)
          << "billing_type=" << billing << " policy=" << static_cast<int>(policy);
    }
  }
}

TEST(Decide, FlatFeeSkipAppliesToAnOwnCaseToo) {
  Facts f = passing_facts();
  f.own_case_given = true;
  f.billing_type = "flat_fee";
  f.flat_fee_policy = FlatFeePolicy::Skip;
  EXPECT_EQ(decide(f), Reason::FlatFeeSkip);
}

TEST(Decide, NeverReportsAnExplainOnlyReason) {
  // Exhaustively flip every boolean fact with every billing/policy combination.
  for (unsigned bits = 0; bits < (1u << 10); ++bits) {
    for (std::string_view billing : {"hourly", "flat_fee", "contingency"}) {
      for (FlatFeePolicy policy : kAllPolicies) {
        Facts f;
        f.team_enabled = bits & 1u;
        f.kind_enabled = bits & 2u;
        f.qualifies = bits & 4u;
        f.has_activity_time = bits & 8u;
        f.has_actor = bits & 16u;
        f.member_found = bits & 32u;
        f.member_can_log_time = bits & 64u;
        f.own_case_given = bits & 128u;
        f.case_found = bits & 256u;
        f.case_client_matches = bits & 512u;
        f.billing_type = billing;
        f.flat_fee_policy = policy;
        const auto reason = decide(f);
        if (!reason) {
          EXPECT_TRUE(f.team_enabled && f.kind_enabled && f.qualifies && f.has_activity_time && f.has_actor &&
                      f.member_found && f.member_can_log_time && f.case_found)
              << "created with bits=" << bits;
          EXPECT_FALSE(f.own_case_given && !f.case_client_matches) << "bits=" << bits;
          EXPECT_FALSE(billing == "flat_fee" && policy == FlatFeePolicy::Skip) << "bits=" << bits;
          continue;
        }
        EXPECT_NE(*reason, Reason::AlreadyLinked);
        EXPECT_NE(*reason, Reason::Dismissed);
        EXPECT_NE(*reason, Reason::UnknownActivity);
        EXPECT_NE(*reason, Reason::PendingBackfill);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// entry_minutes()

TEST(EntryMinutes, FixedModeLogsOneIncrementWhateverTheDuration) {
  for (std::optional<int64_t> duration : std::initializer_list<std::optional<int64_t>>{
           std::nullopt, int64_t{-60}, int64_t{0}, int64_t{1}, int64_t{3600}, int64_t{86400}, int64_t{10'000'000}}) {
    EXPECT_EQ(entry_minutes(MinutesMode::Fixed, 15, duration), 15);
    EXPECT_EQ(entry_minutes(MinutesMode::Fixed, 6, duration), 6);
    EXPECT_EQ(entry_minutes(MinutesMode::Fixed, 1440, duration), 1440);
  }
}

TEST(EntryMinutes, FixedModeClampsTheIncrement) {
  EXPECT_EQ(entry_minutes(MinutesMode::Fixed, 0, std::nullopt), kMinIncrement);
  EXPECT_EQ(entry_minutes(MinutesMode::Fixed, -15, std::nullopt), kMinIncrement);
  EXPECT_EQ(entry_minutes(MinutesMode::Fixed, INT_MIN, std::nullopt), kMinIncrement);
  EXPECT_EQ(entry_minutes(MinutesMode::Fixed, 1, std::nullopt), 1);
  EXPECT_EQ(entry_minutes(MinutesMode::Fixed, 1441, std::nullopt), kMaxMinutes);
  EXPECT_EQ(entry_minutes(MinutesMode::Fixed, INT_MAX, std::nullopt), kMaxMinutes);
}

TEST(EntryMinutes, RoundedDurationRoundsUpToWholeIncrements) {
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 1), 15);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 60), 15);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 899), 15);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 900), 15);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 901), 30);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 1000), 30);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 1800), 30);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 1801), 45);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 3600), 60);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 6, 361), 12);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 6, 360), 6);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 1, 59), 1);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 1, 61), 2);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 10, 2 * 3600 + 1), 130);
}

TEST(EntryMinutes, RoundedDurationMissingZeroOrNegativeLogsOneIncrement) {
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, std::nullopt), 15);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 0), 15);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, -1), 15);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, -100000), 15);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, std::numeric_limits<int64_t>::min()), 15);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 6, std::nullopt), 6);
}

TEST(EntryMinutes, RoundedDurationIsCappedAtADay) {
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 86400), kMaxMinutes);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 86401), kMaxMinutes);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 10'000'000), kMaxMinutes);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, std::numeric_limits<int64_t>::max()), kMaxMinutes);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, std::numeric_limits<int64_t>::max() - 1), kMaxMinutes);
  // Just under a day: 96 increments of 15 = 1440.
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 15, 86399), 1440);
  // Rounding up to a whole increment must not overshoot the cap (206 * 7 = 1442).
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 7, 86399), kMaxMinutes);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 1, 86340), 1439);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 1, 86341), 1440);
}

TEST(EntryMinutes, RoundedDurationClampsTheIncrement) {
  // An increment below the minimum is treated as one minute.
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 0, 61), 2);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, -30, 61), 2);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 0, std::nullopt), kMinIncrement);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, INT_MIN, 1), kMinIncrement);
  // An increment above a day is a day.
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, 5000, 1), kMaxMinutes);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, INT_MAX, 1), kMaxMinutes);
  EXPECT_EQ(entry_minutes(MinutesMode::RoundedDuration, INT_MAX, std::nullopt), kMaxMinutes);
}

TEST(EntryMinutes, RoundedDurationAlwaysCoversTheCallInWholeIncrementsWithinBounds) {
  for (int increment : {1, 5, 6, 7, 10, 15, 30, 60, 100, 1440}) {
    for (int64_t seconds = 1; seconds <= 90'000; seconds += 37) {
      const int minutes = entry_minutes(MinutesMode::RoundedDuration, increment, seconds);
      ASSERT_GE(minutes, increment) << increment << "/" << seconds;
      ASSERT_LE(minutes, kMaxMinutes) << increment << "/" << seconds;
      if (minutes == kMaxMinutes) {
        // Only capped when whole increments would reach or pass a day.
        const int64_t whole = (seconds + increment * 60 - 1) / (increment * 60) * increment;
        ASSERT_GE(whole, kMaxMinutes) << increment << "/" << seconds;
        continue;
      }
      ASSERT_EQ(minutes % increment, 0) << increment << "/" << seconds;
      ASSERT_GE(int64_t{minutes} * 60, seconds) << "covers the call: " << increment << "/" << seconds;
      ASSERT_LT(int64_t{minutes - increment} * 60, seconds) << "smallest cover: " << increment << "/" << seconds;
    }
  }
}

TEST(EntryMinutes, NeverOutsideBoundsForExtremeInputs) {
  const int increments[] = {INT_MIN, -1, 0, 1, 15, 1440, 1441, INT_MAX};
  const std::optional<int64_t> durations[] = {std::nullopt,
                                              std::numeric_limits<int64_t>::min(),
                                              int64_t{-1},
                                              int64_t{0},
                                              int64_t{1},
                                              int64_t{86399},
                                              int64_t{86400},
                                              int64_t{INT_MAX},
                                              std::numeric_limits<int64_t>::max()};
  for (MinutesMode mode : {MinutesMode::Fixed, MinutesMode::RoundedDuration})
    for (int increment : increments)
      for (const auto &duration : durations) {
        const int minutes = entry_minutes(mode, increment, duration);
        EXPECT_GE(minutes, kMinIncrement);
        EXPECT_LE(minutes, kMaxMinutes);
      }
}

// ---------------------------------------------------------------------------------------------
// entry_billable()

TEST(EntryBillable, HourlyIsBillableUnderEveryPolicy) {
  for (FlatFeePolicy policy : kAllPolicies) EXPECT_TRUE(entry_billable("hourly", policy));
}

TEST(EntryBillable, FlatFeeFollowsThePolicy) {
  EXPECT_FALSE(entry_billable("flat_fee", FlatFeePolicy::NonBillable));
  EXPECT_FALSE(entry_billable("flat_fee", FlatFeePolicy::Skip));
  EXPECT_TRUE(entry_billable("flat_fee", FlatFeePolicy::Billable));
}

TEST(EntryBillable, ContingencyIsNeverBillable) {
  for (FlatFeePolicy policy : kAllPolicies) EXPECT_FALSE(entry_billable("contingency", policy));
}

TEST(EntryBillable, UnknownOrMissingBillingTypeIsNotBillable) {
  for (std::string_view billing : {"", "Hourly", "HOURLY", "hourly ", "flat-fee", "retainer"})
    for (FlatFeePolicy policy : kAllPolicies) EXPECT_FALSE(entry_billable(billing, policy)) << billing;
}

// ---------------------------------------------------------------------------------------------
// describe()

TEST(Describe, CallWordingByDirection) {
  EXPECT_EQ(describe(Kind::Call, "inbound", "", false), "Phone call (inbound)");
  EXPECT_EQ(describe(Kind::Call, "outbound", "", false), "Phone call (outbound)");
  EXPECT_EQ(describe(Kind::Call, "", "", false), "Phone call");
  EXPECT_EQ(describe(Kind::Call, "sideways", "", false), "Phone call");
  EXPECT_EQ(describe(Kind::Call, "INBOUND", "", false), "Phone call");
}

TEST(Describe, CallNeverIncludesALabel) {
  const std::string secret = "Client admitted liability on the call";
  for (std::string_view direction : {"inbound", "outbound", ""}) {
    for (bool clipped : {false, true}) {
      const std::string d = describe(Kind::Call, direction, secret, clipped);
      EXPECT_EQ(d.find("admitted"), std::string::npos) << d;
      EXPECT_EQ(d.find("..."), std::string::npos) << d;
    }
  }
  EXPECT_EQ(describe(Kind::Call, "inbound", secret, true), "Phone call (inbound)");
  EXPECT_EQ(describe(Kind::Call, "outbound", std::string(500, 'x'), false), "Phone call (outbound)");
}

TEST(Describe, SmsIsAlwaysTheSameWordingWithoutBody) {
  const std::string body = "Your settlement offer is $250,000, call me";
  for (std::string_view direction : {"outbound", "inbound", ""}) {
    for (bool clipped : {false, true}) {
      EXPECT_EQ(describe(Kind::Sms, direction, body, clipped), "Text message to client");
      EXPECT_EQ(describe(Kind::Sms, direction, "", clipped), "Text message to client");
      EXPECT_EQ(describe(Kind::Sms, direction, std::string(1000, 'b'), clipped), "Text message to client");
    }
  }
}

TEST(Describe, DocumentWording) {
  EXPECT_EQ(describe(Kind::Document, "", "Motion to dismiss", false), "Prepared document: Motion to dismiss");
  EXPECT_EQ(describe(Kind::Document, "outbound", "Engagement letter", false), "Prepared document: Engagement letter");
  EXPECT_EQ(describe(Kind::Document, "", "", false), "Prepared document");
}

TEST(Describe, IrReportWording) {
  EXPECT_EQ(describe(Kind::IrReport, "", "Intake interview", false), "Interaction report: Intake interview");
  EXPECT_EQ(describe(Kind::IrReport, "", "", false), "Interaction report");
}

TEST(Describe, EventWording) {
  EXPECT_EQ(describe(Kind::Event, "", "Deposition of J. Smith", false), "Completed: Deposition of J. Smith");
  EXPECT_EQ(describe(Kind::Event, "inbound", "Hearing", false), "Completed: Hearing");
  EXPECT_EQ(describe(Kind::Event, "", "", false), "Completed calendar event");
}

TEST(Describe, BlankOrControlOnlyLabelsFallBack) {
  for (std::string_view label : {" ", "   ", "\t", "\n\r\t", "\x01\x02\x7f", " \n "}) {
    EXPECT_EQ(describe(Kind::Document, "", label, false), "Prepared document") << "label bytes=" << label.size();
    EXPECT_EQ(describe(Kind::IrReport, "", label, false), "Interaction report");
    EXPECT_EQ(describe(Kind::Event, "", label, false), "Completed calendar event");
  }
}

TEST(Describe, LabelIsTrimmed) {
  EXPECT_EQ(describe(Kind::Document, "", "  Will  ", false), "Prepared document: Will");
  EXPECT_EQ(describe(Kind::Event, "", "\n\tHearing\r\n", false), "Completed: Hearing");
  // Inner whitespace is kept as is.
  EXPECT_EQ(describe(Kind::Event, "", "Status  conference", false), "Completed: Status  conference");
}

TEST(Describe, ControlCharactersBecomeSpaces) {
  EXPECT_EQ(describe(Kind::Document, "", "Line1\nLine2", false), "Prepared document: Line1 Line2");
  EXPECT_EQ(describe(Kind::Document, "", "a\tb\rc\x01" "d\x1f" "e\x7f" "f", false),
            "Prepared document: a b c d e f");
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(describe(Kind::IrReport, "", with_nul, false), "Interaction report: a b");
}

TEST(Describe, NoControlByteEverSurvives) {
  for (int byte = 0; byte < 0x20; ++byte) {
    const std::string label = std::string("x") + static_cast<char>(byte) + "y";
    const std::string d = describe(Kind::Event, "", label, false);
    EXPECT_EQ(d, "Completed: x y") << "byte " << byte;
  }
  EXPECT_EQ(describe(Kind::Event, "", "x\x7fy", false), "Completed: x y");
}

// C1 controls and bidirectional or invisible format characters (UTF-8) are spaces too: a title
// with U+202E would show a reviewer "fdp.exe" for "exe.pdf".
TEST(Describe, C1AndBidiControlsBecomeSpaces) {
  for (const char *control : {"\xC2\x80", "\xC2\x85", "\xC2\x9F", "\xD8\x9C", "\xE2\x80\x8B", "\xE2\x80\x8E",
                              "\xE2\x80\x8F", "\xE2\x80\xAA", "\xE2\x80\xAE", "\xE2\x81\xA0", "\xE2\x81\xA6",
                              "\xE2\x81\xA9", "\xEF\xBB\xBF"}) {
    const std::string label = std::string("x") + control + "y";
    EXPECT_EQ(describe(Kind::Event, "", label, false), "Completed: x y") << label;
  }
  // Neighbours of those ranges are ordinary text and stay.
  for (const char *text : {"\xC2\xA0", "\xC2\xA9", "\xE2\x80\x94", "\xE2\x80\xAF", "\xE2\x81\xAA"}) {
    const std::string label = std::string("x") + text + "y";
    EXPECT_EQ(describe(Kind::Event, "", label, false), "Completed: " + label) << label;
  }
}

TEST(Describe, NonAsciiUtf8IsKept) {
  const std::string label = "D\xC3\xA9" "claration \xE2\x80\x94 \xC3\xBC";  // "Déclaration — ü"
  EXPECT_EQ(describe(Kind::Document, "", label, false), "Prepared document: " + label);
}

TEST(Describe, ClippedFlagAppendsEllipsis) {
  EXPECT_EQ(describe(Kind::Document, "", "Motion to", true), "Prepared document: Motion to...");
  EXPECT_EQ(describe(Kind::IrReport, "", "Intake", true), "Interaction report: Intake...");
  EXPECT_EQ(describe(Kind::Event, "", "Hearing", true), "Completed: Hearing...");
  // Trailing blanks are trimmed before the ellipsis.
  EXPECT_EQ(describe(Kind::Document, "", "Motion to   ", true), "Prepared document: Motion to...");
}

TEST(Describe, LabelAtTheLimitIsKeptWhole) {
  const std::string label(kMaxLabelBytes, 'a');
  EXPECT_EQ(describe(Kind::Document, "", label, false), "Prepared document: " + label);
}

TEST(Describe, LongLabelIsTruncatedWithEllipsis) {
  const std::string label = std::string(kMaxLabelBytes, 'a') + "SECRET-TAIL";
  const std::string d = describe(Kind::Document, "", label, false);
  EXPECT_EQ(d, "Prepared document: " + std::string(kMaxLabelBytes, 'a') + "...");
  EXPECT_EQ(d.find("SECRET"), std::string::npos);

  const std::string one_over(kMaxLabelBytes + 1, 'b');
  EXPECT_EQ(describe(Kind::Event, "", one_over, false), "Completed: " + std::string(kMaxLabelBytes, 'b') + "...");
  // Already-clipped flag and an over-long label do not double the ellipsis.
  EXPECT_EQ(describe(Kind::Event, "", one_over, true), "Completed: " + std::string(kMaxLabelBytes, 'b') + "...");
}

TEST(Describe, TruncationHappensBeforeTrimming) {
  // 199 letters, then a space at byte 200, then more: the kept part ends in a blank that is trimmed.
  const std::string label = std::string(kMaxLabelBytes - 1, 'c') + " tail";
  EXPECT_EQ(describe(Kind::IrReport, "", label, false),
            "Interaction report: " + std::string(kMaxLabelBytes - 1, 'c') + "...");
}

TEST(Describe, DescriptionLengthIsBounded) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, kMaxLabelBytes, kMaxLabelBytes + 1, std::size_t{10000}}) {
    for (Kind kind : kAllKinds) {
      const std::string d = describe(kind, "outbound", std::string(size, 'z'), false);
      EXPECT_LE(d.size(), std::string("Interaction report: ").size() + kMaxLabelBytes + 3) << kind_name(kind);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// parse_* and names

TEST(Names, KindNamesAreTheContractNames) {
  EXPECT_EQ(kind_name(Kind::Call), "call");
  EXPECT_EQ(kind_name(Kind::Sms), "sms");
  EXPECT_EQ(kind_name(Kind::Document), "document");
  EXPECT_EQ(kind_name(Kind::IrReport), "ir_report");
  EXPECT_EQ(kind_name(Kind::Event), "event");
}

TEST(Names, KindNameRoundTrips) {
  std::set<std::string_view> seen;
  for (Kind kind : kAllKinds) {
    const auto name = kind_name(kind);
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    EXPECT_EQ(parse_kind(name), kind) << name;
  }
  EXPECT_EQ(seen.size(), 5u);
}

TEST(Names, ParseKindRejectsNearMisses) {
  for (std::string_view name :
       {"", "Call", "CALL", " call", "call ", "calls", "text", "ir-report", "irreport", "IR_REPORT", "events", "unknown"})
    EXPECT_EQ(parse_kind(name), std::nullopt) << "'" << name << "'";
  EXPECT_EQ(parse_kind(std::string_view("call\0", 5)), std::nullopt);
}

TEST(Names, ParseFlatFeePolicy) {
  EXPECT_EQ(parse_flat_fee_policy("non_billable"), FlatFeePolicy::NonBillable);
  EXPECT_EQ(parse_flat_fee_policy("skip"), FlatFeePolicy::Skip);
  EXPECT_EQ(parse_flat_fee_policy("billable"), FlatFeePolicy::Billable);
  for (std::string_view name : {"", "Skip", "SKIP", "nonbillable", "non-billable", "non_billable ", "bill"})
    EXPECT_EQ(parse_flat_fee_policy(name), std::nullopt) << "'" << name << "'";
}

TEST(Names, ParseMinutesMode) {
  EXPECT_EQ(parse_minutes_mode("fixed"), MinutesMode::Fixed);
  EXPECT_EQ(parse_minutes_mode("rounded_duration"), MinutesMode::RoundedDuration);
  for (std::string_view name : {"", "Fixed", "rounded", "duration", "rounded-duration", "ROUNDED_DURATION"})
    EXPECT_EQ(parse_minutes_mode(name), std::nullopt) << "'" << name << "'";
}

TEST(Names, ReasonCodes) {
  EXPECT_EQ(reason_code(Reason::TeamDisabled), "team_disabled");
  EXPECT_EQ(reason_code(Reason::KindDisabled), "kind_disabled");
  EXPECT_EQ(reason_code(Reason::NotQualifying), "not_qualifying");
  EXPECT_EQ(reason_code(Reason::NoActivityTime), "no_activity_time");
  EXPECT_EQ(reason_code(Reason::NoActor), "no_actor");
  EXPECT_EQ(reason_code(Reason::NoPermission), "no_permission");
  EXPECT_EQ(reason_code(Reason::CaseMismatch), "case_mismatch");
  EXPECT_EQ(reason_code(Reason::NoOpenCase), "no_open_case");
  EXPECT_EQ(reason_code(Reason::FlatFeeSkip), "flat_fee_skip");
  EXPECT_EQ(reason_code(Reason::AlreadyLinked), "already_linked");
  EXPECT_EQ(reason_code(Reason::Dismissed), "dismissed");
  EXPECT_EQ(reason_code(Reason::UnknownActivity), "unknown_activity");
  EXPECT_EQ(reason_code(Reason::PendingBackfill), "pending_backfill");
  EXPECT_EQ(reason_code(Reason::CaptureFailed), "capture_failed");
}

TEST(Names, ReasonCodesAreUniqueAndCoverTheSpec) {
  std::set<std::string_view> codes;
  for (Reason reason : kAllReasons) EXPECT_TRUE(codes.insert(reason_code(reason)).second) << reason_code(reason);
  // SPEC §2: explain reason codes, at least these.
  for (std::string_view code : {"team_disabled", "kind_disabled", "not_qualifying", "no_actor", "no_permission",
                                "no_open_case", "case_mismatch", "flat_fee_skip", "already_linked", "dismissed",
                                "unknown_activity"})
    EXPECT_EQ(codes.count(code), 1u) << code;
}

TEST(Names, OutcomeNames) {
  EXPECT_EQ(outcome_name(Outcome::Created), "created");
  EXPECT_EQ(outcome_name(Outcome::Skipped), "skipped");
  EXPECT_EQ(outcome_name(Outcome::NotQualifying), "not_qualifying");
}

// ---------------------------------------------------------------------------------------------
// explain_verdict()

std::vector<std::optional<Reason>> all_live_reasons() {
  std::vector<std::optional<Reason>> reasons{std::nullopt};
  for (Reason reason : kAllReasons) reasons.emplace_back(reason);
  return reasons;
}

TEST(ExplainVerdict, LinkedByAnotherRowIsAlreadyLinked) {
  for (bool entry_exists : {false, true}) {
    for (const auto &live : all_live_reasons()) {
      const Verdict v = explain_verdict({true, false, entry_exists}, live);
      EXPECT_EQ(v.outcome, Outcome::Skipped) << reason_text(live);
      EXPECT_EQ(v.reason, Reason::AlreadyLinked) << reason_text(live);
    }
  }
}

TEST(ExplainVerdict, LinkedToThisRowWithEntryIsCreated) {
  for (const auto &live : all_live_reasons()) {
    // Even when the row no longer qualifies or the team was disabled since: the entry exists.
    const Verdict v = explain_verdict({true, true, true}, live);
    EXPECT_EQ(v.outcome, Outcome::Created) << reason_text(live);
    EXPECT_EQ(v.reason, std::nullopt) << reason_text(live);
  }
}

TEST(ExplainVerdict, LinkedToThisRowWithoutEntryIsDismissed) {
  for (const auto &live : all_live_reasons()) {
    const Verdict v = explain_verdict({true, true, false}, live);
    EXPECT_EQ(v.outcome, Outcome::Skipped) << reason_text(live);
    EXPECT_EQ(v.reason, Reason::Dismissed) << reason_text(live);
  }
}

TEST(ExplainVerdict, UnlinkedNotQualifyingIsItsOwnOutcome) {
  const Verdict v = explain_verdict({}, Reason::NotQualifying);
  EXPECT_EQ(v.outcome, Outcome::NotQualifying);
  EXPECT_EQ(v.reason, Reason::NotQualifying);
}

TEST(ExplainVerdict, UnlinkedWithLiveReasonIsSkippedForThatReason) {
  for (Reason live : kAllReasons) {
    if (live == Reason::NotQualifying) continue;
    const Verdict v = explain_verdict({}, live);
    EXPECT_EQ(v.outcome, Outcome::Skipped) << reason_code(live);
    EXPECT_EQ(v.reason, live) << reason_code(live);
  }
}

TEST(ExplainVerdict, UnlinkedButWouldCaptureIsPendingBackfill) {
  const Verdict v = explain_verdict({}, std::nullopt);
  EXPECT_EQ(v.outcome, Outcome::Skipped);
  EXPECT_EQ(v.reason, Reason::PendingBackfill);
}

TEST(ExplainVerdict, RecordedFailureWithoutALinkIsCaptureFailed) {
  LedgerState ledger;
  ledger.failure_recorded = true;
  const Verdict v = explain_verdict(ledger, std::nullopt);
  EXPECT_EQ(v.outcome, Outcome::Skipped);
  EXPECT_EQ(v.reason, Reason::CaptureFailed);
}

TEST(ExplainVerdict, CurrentSkipReasonOrALinkOutranksARecordedFailure) {
  LedgerState ledger;
  ledger.failure_recorded = true;
  EXPECT_EQ(explain_verdict(ledger, Reason::TeamDisabled).reason, Reason::TeamDisabled);
  ledger.linked = ledger.linked_to_this_source = ledger.entry_exists = true;
  EXPECT_EQ(explain_verdict(ledger, std::nullopt).outcome, Outcome::Created);
}

TEST(ExplainVerdict, UnlinkedIgnoresTheOtherLedgerFlags) {
  // linked=false wins: stray flags must not turn into created/dismissed.
  for (bool this_source : {false, true}) {
    for (bool entry_exists : {false, true}) {
      for (const auto &live : all_live_reasons()) {
        const Verdict v = explain_verdict({false, this_source, entry_exists}, live);
        const Verdict plain = explain_verdict({}, live);
        EXPECT_EQ(v.outcome, plain.outcome) << reason_text(live);
        EXPECT_EQ(v.reason, plain.reason) << reason_text(live);
      }
    }
  }
}

TEST(ExplainVerdict, CreatedOnlyWithAnExistingEntryAndSkippedAlwaysHasAReason) {
  for (bool linked : {false, true})
    for (bool this_source : {false, true})
      for (bool entry_exists : {false, true})
        for (const auto &live : all_live_reasons()) {
          const Verdict v = explain_verdict({linked, this_source, entry_exists}, live);
          if (v.outcome == Outcome::Created) {
            EXPECT_TRUE(linked && this_source && entry_exists);
            EXPECT_EQ(v.reason, std::nullopt);
          } else {
            EXPECT_TRUE(v.reason.has_value());
          }
        }
}

}  // namespace
}  // namespace autotime

namespace autotime {
namespace {

// ---------------------------------------------------------------------------------------------
// qualifies_by_default: the C++ form of default_qualifies() (capture_sql.cpp), used to skip a
// one-row capture that cannot qualify before any lookup.

QualificationValues row(std::optional<std::string_view> status, std::optional<std::string_view> direction = std::nullopt,
                        bool value_present = false) {
  QualificationValues r;
  r.status = status;
  r.direction = direction;
  r.value_present = value_present;
  return r;
}

TEST(QualifiesByDefault, CallsQualifyOnlyWhenCompleted) {
  EXPECT_TRUE(qualifies_by_default(Kind::Call, row("completed")));
  for (std::string_view status : {"ringing", "in_progress", "missed", "voicemail", "failed", "Completed", "completed ", ""})
    EXPECT_FALSE(qualifies_by_default(Kind::Call, row(status))) << status;
  EXPECT_FALSE(qualifies_by_default(Kind::Call, row(std::nullopt)));
  // Direction does not matter for calls.
  EXPECT_TRUE(qualifies_by_default(Kind::Call, row("completed", "inbound")));
}

TEST(QualifiesByDefault, TextsQualifyWhenOutboundAndSentOrDelivered) {
  EXPECT_TRUE(qualifies_by_default(Kind::Sms, row("sent", "outbound")));
  EXPECT_TRUE(qualifies_by_default(Kind::Sms, row("delivered", "outbound")));
  EXPECT_FALSE(qualifies_by_default(Kind::Sms, row("received", "inbound")));
  EXPECT_FALSE(qualifies_by_default(Kind::Sms, row("sent", "inbound")));
  EXPECT_FALSE(qualifies_by_default(Kind::Sms, row("queued", "outbound")));
  EXPECT_FALSE(qualifies_by_default(Kind::Sms, row("failed", "outbound")));
  EXPECT_FALSE(qualifies_by_default(Kind::Sms, row(std::nullopt, "outbound")));
  EXPECT_FALSE(qualifies_by_default(Kind::Sms, row("sent", std::nullopt)));
}

TEST(QualifiesByDefault, DocumentsAndEventsQualifyWhenTheirColumnIsSetAndReportsAlways) {
  EXPECT_TRUE(qualifies_by_default(Kind::Document, row(std::nullopt, std::nullopt, true)));
  EXPECT_FALSE(qualifies_by_default(Kind::Document, row(std::nullopt, std::nullopt, false)));
  EXPECT_TRUE(qualifies_by_default(Kind::Event, row(std::nullopt, std::nullopt, true)));
  EXPECT_FALSE(qualifies_by_default(Kind::Event, row("completed", std::nullopt, false)));
  EXPECT_TRUE(qualifies_by_default(Kind::IrReport, row(std::nullopt)));
}

TEST(QualifiesByDefault, InputsAreWhatEachKindReads) {
  const QualificationInputs call = default_qualification_inputs(Kind::Call);
  EXPECT_TRUE(call.status && !call.direction && !call.value);
  const QualificationInputs sms = default_qualification_inputs(Kind::Sms);
  EXPECT_TRUE(sms.status && sms.direction && !sms.value);
  for (Kind kind : {Kind::Document, Kind::Event}) {
    const QualificationInputs in = default_qualification_inputs(kind);
    EXPECT_TRUE(!in.status && !in.direction && in.value) << kind_name(kind);
  }
  const QualificationInputs report = default_qualification_inputs(Kind::IrReport);
  EXPECT_TRUE(!report.status && !report.direction && !report.value);
}

}  // namespace
// SPEC §6: billed minutes are whole increments, never less than the work, less than one increment more.
TEST(BilledMinutes, WholeIncrementsRoundedUpNeverBelowTheWork) {
  for (int increment = 1; increment <= kMaxBillingIncrement; increment++)
    for (int minutes = 1; minutes <= kMaxMinutes; minutes++) {
      const int billed = billed_minutes(minutes, increment);
      ASSERT_EQ(billed % increment, 0) << minutes << " in " << increment;
      ASSERT_GE(billed, minutes) << minutes << " in " << increment;
      ASSERT_LT(billed - minutes, increment) << minutes << " in " << increment;
      ASSERT_EQ(billed_minutes(billed, increment), billed);  // rounding twice changes nothing
    }
}

// SPEC §6: a day admits its activities in the order they happened while they fit.
TEST(DailyCap, AdmitsThePrefixThatFits) {
  EXPECT_EQ(admitted_under_daily_cap(0, {15, 15, 15}, 40), 2u);
  EXPECT_EQ(admitted_under_daily_cap(0, {15, 15, 10}, 40), 3u);
  EXPECT_EQ(admitted_under_daily_cap(30, {15, 5}, 40), 0u);  // the first doesn't fit: nor does a later one
  EXPECT_EQ(admitted_under_daily_cap(40, {1}, 40), 0u);
  EXPECT_EQ(admitted_under_daily_cap(0, {}, 40), 0u);
}

// Properties: whatever the activities and however they arrive — one statement each or several
// per statement, in any order of statements — a day never exceeds its cap, and a statement stops
// only at an activity that would pass it.
TEST(DailyCap, ADayNeverExceedsItsCapWhateverTheArrival) {
  std::mt19937 random(20261201);
  for (int round = 0; round < 20000; round++) {
    const int cap = std::uniform_int_distribution<int>(1, kMaxMinutes)(random);
    std::vector<int> activities(std::uniform_int_distribution<int>(0, 12)(random));
    for (int &minutes : activities) minutes = std::uniform_int_distribution<int>(1, 240)(random);
    std::shuffle(activities.begin(), activities.end(), random);  // the order statements arrive in
    int counted = 0;
    for (std::size_t at = 0; at < activities.size();) {
      const std::size_t size = std::uniform_int_distribution<std::size_t>(1, activities.size() - at)(random);
      const std::vector<int> statement(activities.begin() + at, activities.begin() + at + size);
      const std::size_t admitted = admitted_under_daily_cap(counted, statement, cap);
      ASSERT_LE(admitted, statement.size());
      for (std::size_t i = 0; i < admitted; i++) counted += statement[i];
      ASSERT_LE(counted, cap) << "round " << round;
      if (admitted < statement.size()) {
        ASSERT_GT(counted + statement[admitted], cap) << "round " << round;
      }
      at += size;
    }
  }
}

TEST(BilledMinutes, OffLeavesTheMinutes) {
  for (int minutes : {1, 7, 15, 1440}) EXPECT_EQ(billed_minutes(minutes, std::nullopt), minutes);
  EXPECT_EQ(billed_minutes(15, 6), 18);
  EXPECT_EQ(billed_minutes(3, 6), 6);
}

}  // namespace autotime

namespace autotime {
namespace {

TEST(CaseFallbackOrder, OpenCasesAreThoseNotClosedOrArchived) {
  EXPECT_TRUE(case_is_open("open"));
  EXPECT_TRUE(case_is_open("pending"));
  EXPECT_TRUE(case_is_open("Closed"));  // the SQL compares exactly, as text
  EXPECT_FALSE(case_is_open("closed"));
  EXPECT_FALSE(case_is_open("archived"));
}

TEST(CaseFallbackOrder, LatestUpdatedFirstNeverUpdatedLastThenHighestId) {
  const CaseOrderValues updated_late_low_id = {200, 1}, updated_early_high_id = {100, 9}, never_updated = {std::nullopt, 50},
                        tie_high_id = {200, 7};
  EXPECT_TRUE(falls_back_before(updated_late_low_id, updated_early_high_id));
  EXPECT_FALSE(falls_back_before(updated_early_high_id, updated_late_low_id));
  EXPECT_TRUE(falls_back_before(updated_early_high_id, never_updated));
  EXPECT_FALSE(falls_back_before(never_updated, updated_early_high_id));
  EXPECT_TRUE(falls_back_before(tie_high_id, updated_late_low_id));
  EXPECT_FALSE(falls_back_before(tie_high_id, tie_high_id));
}

TEST(ActivityTimeRange, BoundsArePostgresTimestampsOfTheFirstAndEndYears) {
  static_assert(kFirstActivityTime == INT64_C(-63082281600000000));  // 0001-01-01 00:00 UTC
  static_assert(kEndActivityTime == INT64_C(252455616000000000));    // 10000-01-01 00:00 UTC
  static_assert(days_from_civil(1970, 1, 1) == 0 && days_from_civil(2000, 3, 1) == 11017);
  EXPECT_EQ(activity_time_bound_sql(kFirstActivityYear), "'0001-01-01 00:00+00'::pg_catalog.timestamptz");
  EXPECT_EQ(activity_time_bound_sql(kEndActivityYear), "'10000-01-01 00:00+00'::pg_catalog.timestamptz");
}

}  // namespace
}  // namespace autotime
