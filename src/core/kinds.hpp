// What each activity kind reads from its source row and from the team's settings: the one table
// both the capture SQL (capture_sql.cpp) and the one-row probes (src/pg/row_decision.cpp) follow.
#pragma once

#include <string_view>

#include "rules.hpp"

namespace autotime {

// Column names are contract names (the reference schema's); an empty name: the kind has none.
struct KindShape {
  std::string_view actor_column;
  std::string_view fallback_actor_column;  // events: completed_by, else the organiser
  std::string_view occurred_column;
  std::string_view label_column;
  bool has_direction;
  bool has_duration;
  bool keyed_by_provider_id;  // a text: its provider_message_id, when non-empty, is its dedupe key
  std::string_view track_setting;
  std::string_view minutes_setting;  // falls back to minutes_per_activity
};

KindShape kind_shape(Kind kind) noexcept;

// SPEC §7: the UTBMS activity code an entry of this kind gets unless its team overrides it
// (autotime.activity_codes): A106 communicate with client, A103 draft/revise, A109 appear/attend.
std::string_view default_activity_code(Kind kind) noexcept;

// A provider-keyed activity's dedupe key is this prefix and its provider_message_id (no id space).
inline constexpr std::string_view kProviderKeyPrefix = "provider:";

}  // namespace autotime
