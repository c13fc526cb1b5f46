// The rules' PostgreSQL-side helpers shared by the SQL faces (rule_functions.cpp) and the one-row
// probes (row_decision.cpp), so both produce the same values.
#pragma once

#include <string_view>

#include "../core/rules.hpp"
#include "postgres_headers.hpp"

namespace autotime::pg {

// The entry description (autotime::describe), palloc'd: `label` (`label_bytes` long, not
// necessarily NUL-terminated) clipped first at a character boundary of the database encoding.
char *describe_activity(Kind kind, std::string_view direction, const char *label, int label_bytes);

}  // namespace autotime::pg
