// Unit and property tests for sessions (src/core/sessions.hpp, SPEC §6 session_gap_minutes).
#include "sessions.hpp"

#include "rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace autotime {
namespace {

constexpr int64_t kMinute = 60;

WorkSpan at(int64_t start_minute, int64_t minutes) { return {start_minute * kMinute, (start_minute + minutes) * kMinute}; }

TEST(ActivitySeconds, CallDurationWhenKnownElseOwnMinutes) {
  EXPECT_EQ(activity_seconds(15, std::nullopt), 15 * kMinute);
  EXPECT_EQ(activity_seconds(15, 0), 15 * kMinute);
  EXPECT_EQ(activity_seconds(15, -5), 15 * kMinute);
  EXPECT_EQ(activity_seconds(15, 90), 90);
  EXPECT_EQ(activity_seconds(15, 10LL * 86400), 86400);  // at most a day
  EXPECT_EQ(activity_seconds(0, std::nullopt), kMinute);  // at least a minute
}

TEST(GroupSessions, GapBoundaryIsInclusive) {
  // 10:00 text (15 min) ends 10:15; the next at 10:25 is 10 minutes after: within a 10-minute gap.
  EXPECT_EQ(group_sessions({at(600, 15), at(625, 15)}, 10 * kMinute), (std::vector<int>{0, 0}));
  // One second more and it is a new session.
  EXPECT_EQ(group_sessions({at(600, 15), {625 * kMinute + 1, 640 * kMinute}}, 10 * kMinute), (std::vector<int>{0, 1}));
}

TEST(GroupSessions, ChainsAndContainedSpans) {
  // a long call contains a text; a later text chains to the call's end, not to the text's.
  const std::vector<WorkSpan> spans = {at(600, 60), at(610, 5), at(665, 5), at(700, 5)};
  EXPECT_EQ(group_sessions(spans, 5 * kMinute), (std::vector<int>{0, 0, 0, 1}));
  EXPECT_TRUE(group_sessions({}, kMinute).empty());
}

TEST(GroupSessions, NumberedByStartWhateverTheInputOrder) {
  EXPECT_EQ(group_sessions({at(900, 15), at(600, 15)}, 10 * kMinute), (std::vector<int>{1, 0}));
}

TEST(SessionMinutes, SpanRoundedUpToIncrement) {
  EXPECT_EQ(session_minutes(0, 25 * kMinute, std::nullopt), 25);
  EXPECT_EQ(session_minutes(0, 25 * kMinute, 6), 30);
  EXPECT_EQ(session_minutes(0, 25 * kMinute + 1, std::nullopt), 26);  // whole minutes, rounded up
  EXPECT_EQ(session_minutes(0, 0, std::nullopt), 1);
  EXPECT_EQ(session_minutes(0, 0, 6), 6);
  EXPECT_EQ(session_minutes(0, 3 * 86400, std::nullopt), kMaxMinutes);
}

TEST(SessionDescription, CountsAndOrder) {
  EXPECT_EQ(session_description({"Text message to client"}), "Text message to client");
  EXPECT_EQ(session_description({"Text message to client", "Text message to client", "Text message to client"}),
            "3 text messages to client");
  EXPECT_EQ(session_description({"Phone call (outbound)", "Text message to client", "Text message to client"}),
            "Phone call (outbound); 2 text messages to client");
  EXPECT_EQ(session_description({"Text message to client", "Phone call (outbound)", "Text message to client"}),
            "2 text messages to client; Phone call (outbound)");
  EXPECT_EQ(session_description({"Phone call", "Phone call"}), "2 phone calls");
  EXPECT_EQ(session_description({"Prepared document: NDA", "Prepared document: NDA"}), "2 x Prepared document: NDA");
  EXPECT_EQ(session_description({"Prepared document", "Prepared document"}), "2 prepared documents");
}

TEST(SessionDescription, BoundedLength) {
  std::vector<std::string> many;
  for (int i = 0; i < 40; i++) many.push_back("Completed: event " + std::to_string(i));
  const std::string d = session_description(many);
  EXPECT_NE(d.find("; and 35 more activities"), std::string::npos) << d;
  EXPECT_EQ(session_description({"a", "b", "c", "d", "e", "f"}), "a; b; c; d; e; and 1 more activity");
}

// ---------------------------------------------------------------------------------------------
// Properties over random days of activity.

struct Day {
  std::vector<WorkSpan> spans;
  int64_t gap = 0;
  std::optional<int> increment;
};

// Activities of one work date (starting before 23:00, each under an hour): a session is under a day.
Day random_day(std::mt19937_64 &rng) {
  Day day;
  std::uniform_int_distribution<int> count(1, 30), start(0, 23 * 60 - 1), minutes(1, 45), gap(1, 240), inc(0, 60);
  std::uniform_int_distribution<int> seconds(0, 59);
  const int n = count(rng);
  for (int i = 0; i < n; i++) {
    const int64_t s = int64_t{start(rng)} * kMinute + seconds(rng);
    day.spans.push_back({s, s + int64_t{minutes(rng)} * kMinute + seconds(rng)});
  }
  day.gap = int64_t{gap(rng)} * kMinute;
  const int i = inc(rng);
  if (i > 0) day.increment = i;
  return day;
}

// Each session's members as sets of spans (start, end), in session order: comparable across orders.
std::vector<std::vector<std::pair<int64_t, int64_t>>> sessions_of(const std::vector<WorkSpan> &spans,
                                                                   const std::vector<int> &session) {
  const int n = session.empty() ? 0 : *std::max_element(session.begin(), session.end()) + 1;
  std::vector<std::vector<std::pair<int64_t, int64_t>>> out(n);
  for (std::size_t i = 0; i < spans.size(); i++) out[session[i]].push_back({spans[i].start, spans[i].end});
  for (auto &members : out) std::sort(members.begin(), members.end());
  return out;
}

TEST(SessionProperties, BilledCoversWorkedWithinOneIncrementPerSession) {
  std::mt19937_64 rng(20261201);
  for (int trial = 0; trial < 2000; trial++) {
    const Day day = random_day(rng);
    const std::vector<int> session = group_sessions(day.spans, day.gap);
    const auto sessions = sessions_of(day.spans, session);
    for (const auto &members : sessions) {
      ASSERT_FALSE(members.empty());  // numbered densely
      int64_t first = members.front().first, last = members.front().second;
      for (auto [s, e] : members) last = std::max(last, e), first = std::min(first, s);
      const int billed = session_minutes(first, last, day.increment);
      const int64_t worked_seconds = last - first;
      ASSERT_GE(int64_t{billed} * kMinute, worked_seconds);  // billed >= worked
      const int64_t worked_minutes = (worked_seconds + kMinute - 1) / kMinute;
      ASSERT_LT(billed - worked_minutes, day.increment.value_or(1));  // less than one increment more
      if (day.increment) {
        ASSERT_EQ(billed % *day.increment, 0);
      }
    }
    // Activities in different sessions are more than the gap apart: between the sessions, in start
    // order, each next session starts more than the gap after everything before it ended.
    int64_t reach = std::numeric_limits<int64_t>::min();
    for (const auto &members : sessions) {
      int64_t first = members.front().first, last = members.front().first;
      for (auto [s, e] : members) last = std::max(last, e), first = std::min(first, s);
      if (reach != std::numeric_limits<int64_t>::min()) {
        ASSERT_GT(first - reach, day.gap);
      }
      reach = std::max(reach, last);
    }
  }
}

TEST(SessionProperties, IndependentOfArrivalOrder) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 2000; trial++) {
    Day day = random_day(rng);
    const auto expected = sessions_of(day.spans, group_sessions(day.spans, day.gap));
    std::shuffle(day.spans.begin(), day.spans.end(), rng);
    ASSERT_EQ(sessions_of(day.spans, group_sessions(day.spans, day.gap)), expected);
  }
}

TEST(SessionProperties, NoSessionIsMoreThanItsActivitiesBilledAlone) {
  // A session never bills more than the same activities billed one by one (rounded each).
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 2000; trial++) {
    const Day day = random_day(rng);
    const std::vector<int> session = group_sessions(day.spans, day.gap);
    std::map<int, std::pair<int64_t, int64_t>> bounds;
    std::map<int, int64_t> alone;
    for (std::size_t i = 0; i < day.spans.size(); i++) {
      auto [it, fresh] = bounds.try_emplace(session[i], day.spans[i].start, day.spans[i].end);
      if (!fresh) it->second = {std::min(it->second.first, day.spans[i].start), std::max(it->second.second, day.spans[i].end)};
      alone[session[i]] += session_minutes(day.spans[i].start, day.spans[i].end, day.increment);
    }
    for (auto &[s, b] : bounds) {
      // With a gap, a session may bill the gap time between activities; it never bills more than
      // the alone total plus the gaps it bridged (at most gap per extra activity) plus one increment.
      const int billed = session_minutes(b.first, b.second, day.increment);
      int64_t members = 0;
      for (int x : session) members += (x == s);
      ASSERT_LE(int64_t{billed}, alone[s] + (members - 1) * (day.gap / kMinute) + day.increment.value_or(1));
    }
  }
}

}  // namespace
}  // namespace autotime
