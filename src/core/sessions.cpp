#include "sessions.hpp"

#include "rules.hpp"

#include <algorithm>
#include <numeric>
#include <string_view>
#include <utility>

namespace autotime {

int64_t activity_seconds(int minutes, std::optional<int64_t> duration_seconds) noexcept {
  constexpr int64_t kDay = int64_t{kMaxMinutes} * 60;
  if (duration_seconds && *duration_seconds > 0) return std::min(*duration_seconds, kDay);
  return int64_t{std::clamp(minutes, kMinIncrement, kMaxMinutes)} * 60;
}

std::vector<int> group_sessions(const std::vector<WorkSpan> &spans, int64_t gap_seconds) {
  std::vector<std::size_t> order(spans.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // By start, then end: equal spans are interchangeable, so input order can't change the result.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::pair(spans[a].start, spans[a].end) < std::pair(spans[b].start, spans[b].end);
  });
  std::vector<int> session(spans.size(), 0);
  int current = -1;
  int64_t reach = 0;  // the latest end of the current session
  for (std::size_t i : order) {
    const WorkSpan &s = spans[i];
    const int64_t end = std::max(s.end, s.start);
    if (current < 0 || s.start - reach > gap_seconds) {
      current++;
      reach = end;
    } else {
      reach = std::max(reach, end);
    }
    session[i] = current;
  }
  return session;
}

int session_minutes(int64_t first_start, int64_t last_end, std::optional<int> billing_increment) noexcept {
  const int64_t seconds = std::max<int64_t>(last_end - first_start, 0);
  const int64_t minutes = std::clamp<int64_t>((seconds + 59) / 60, 1, kMaxMinutes);
  return billed_minutes(static_cast<int>(minutes), billing_increment);
}

namespace {

// "Phone call (outbound)" counted n > 1 times: "2 phone calls (outbound)". Known singular
// phrases of describe() get their plural; anything else is "n x description".
std::string counted(const std::string &description, std::size_t n) {
  if (n == 1) return description;
  static const std::pair<std::string_view, std::string_view> kPlurals[] = {
      {"Phone call", "phone calls"},
      {"Text message", "text messages"},
      {"Prepared document", "prepared documents"},
      {"Interaction report", "interaction reports"},
      {"Completed calendar event", "completed calendar events"},
  };
  const std::string count = std::to_string(n);
  for (const auto &[singular, plural] : kPlurals) {
    if (description.compare(0, singular.size(), singular) != 0) continue;
    const std::string rest = description.substr(singular.size());
    if (!rest.empty() && rest[0] != ' ') continue;  // a whole phrase only ("Prepared document: x" is labelled)
    return count + " " + std::string(plural) + rest;
  }
  return count + " x " + description;
}

}  // namespace

std::string session_description(const std::vector<std::string> &descriptions) {
  std::vector<std::pair<std::string, std::size_t>> items;  // in order of first occurrence
  for (const std::string &d : descriptions) {
    auto found = std::find_if(items.begin(), items.end(), [&](const auto &item) { return item.first == d; });
    if (found == items.end())
      items.emplace_back(d, 1);
    else
      found->second++;
  }
  std::string text;
  std::size_t listed = 0, rest = 0;
  for (const auto &[description, n] : items) {
    if (listed == kMaxSessionItems) {
      rest += n;
      continue;
    }
    text += (text.empty() ? "" : "; ") + counted(description, n);
    listed++;
  }
  if (rest > 0) text += "; and " + std::to_string(rest) + (rest == 1 ? " more activity" : " more activities");
  return text;
}

}  // namespace autotime
