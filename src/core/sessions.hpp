// SPEC §6 sessions: the time arithmetic of grouping a member's activities into sessions.
// Pure C++17 (no PostgreSQL): spans in whole seconds on any common epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace autotime {

// What one activity worked: [start, end) in seconds.
struct WorkSpan {
  int64_t start = 0;
  int64_t end = 0;
};

inline constexpr int kMinSessionGap = 1;
inline constexpr int kMaxSessionGap = 240;

// How long one activity worked, in seconds: a call's duration when known (positive; at most a
// day), else its own minutes (per-kind minutes or minutes_per_activity, at least one).
int64_t activity_seconds(int minutes, std::optional<int64_t> duration_seconds) noexcept;

// The session of each span, in input order. Spans whose gap to the session so far (start minus
// the latest end before it) is at most `gap_seconds` belong to it; sessions are numbered 0, 1, ...
// by start. The grouping depends only on the set of spans, never on their order.
std::vector<int> group_sessions(const std::vector<WorkSpan> &spans, int64_t gap_seconds);

// A session's billed minutes: last end - first start, in whole minutes rounded up (at least
// one, at most a day), then rounded up to the billing increment when there is one.
int session_minutes(int64_t first_start, int64_t last_end, std::optional<int> billing_increment) noexcept;

// Most distinct kinds of work a session description lists before "and N more activities".
inline constexpr std::size_t kMaxSessionItems = 5;

// A session's description from its activities' own descriptions, in the order they happened:
// equal descriptions are counted ("2 text messages to client"), listed in order of first
// occurrence and joined by "; ". A single activity keeps its own description.
std::string session_description(const std::vector<std::string> &descriptions);

}  // namespace autotime
