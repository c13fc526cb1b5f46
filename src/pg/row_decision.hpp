// Deciding one inserted activity of any kind by index probes instead of the deciding SELECT (see
// row_decision.cpp).
#pragma once

#include "plan_cache.hpp"

namespace autotime::pg {

// Decides the activity in `row` (a slot holding the inserted row, which passed its kind's default
// qualification) with the lookups `precheck.direct` describes and the same rules the SQL uses.
// Returns false, having looked nothing up that matters, when this row needs the SELECT (a NULL
// key, no timezone to date it by, an index dropped since). Otherwise *captured tells whether
// `values`/`nulls` (ClaimLink's parameters, statements.hpp) hold the entry to write.
bool decide_row_directly(TupleTableSlot *row, const RowPrecheck &precheck, Datum *values, char *nulls, bool *captured);

// Why a single row inserted into attached relation `relid` for team `team_id` is decided by the
// set-based statement rather than by the probes (a table's keys or types, the team's settings), or
// NULL when the probes decide it. Reads the team's settings with the active snapshot.
const char *statement_decides_because(Oid relid, int64 team_id);

}  // namespace autotime::pg
