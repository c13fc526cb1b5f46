// Which of autotime's settings some team uses, cached per backend: capture statements that would
// do more for a setting (count a member's day, look up a team's codes...) are prepared that way
// only while some team uses it. The cache has a generation: every change to autotime's settings
// (a trigger on each settings table sends a relcache invalidation of autotime.team_settings) and
// every cache reset starts a new one, and a value read while one began is read again.
#pragma once

#include "postgres_headers.hpp"

namespace autotime::pg {

// Settings some team uses that make capture statements do more: a daily cap (SPEC §6: statements
// count members' days), a case_fallback other than latest_open (SPEC §7: they count open cases),
// a team's own activity code (SPEC §7: they look it up); and on_error = 'record' (which changes how a
// failure is handled, not the statements); sessions (SPEC §6: some team has session_gap_minutes,
// or an activity is billed on a session's entry); some team has billing rules (SPEC §7: its
// entries get flags, computed by the entries table's triggers, not the capture statements).
enum SettingsFeature {
  kDailyCaps = 1,
  kCaseFallbacks = 2,
  kTeamCodes = 4,
  kSessions = 8,
  kRecordsErrors = 16,
  kBillingRules = 32
};
// The features that change the capture statements (the plan cache keeps one set per combination).
inline constexpr int kSettingsVariants = 16;
static_assert(kDailyCaps < kSettingsVariants && kCaseFallbacks < kSettingsVariants && kTeamCodes < kSettingsVariants &&
              kSessions < kSettingsVariants && kRecordsErrors >= kSettingsVariants && kBillingRules >= kSettingsVariants);

// The SettingsFeature bits some team uses, as committed now. Must run inside SPI_connect.
int settings_features();
// True when some team has on_error = 'record'.
bool any_team_records_errors();

// Registers the invalidation callback; called once from _PG_init.
void register_settings_invalidation();

}  // namespace autotime::pg
