// Deciding one inserted call by index probes instead of the deciding SELECT (see call_decision.cpp).
#pragma once

#include "capture_plans.hpp"

namespace autotime::pg {

// Decides the call in `row` (a slot holding the inserted row) with the lookups `precheck.direct`
// describes and the same rule functions the SQL uses. Returns false, having looked nothing up
// that matters, when this row needs the SELECT (a NULL key, a case_id that isn't an integer).
// Otherwise *captured tells whether `values`/`nulls` (kEntryValueColumns) hold the entry to write.
bool decide_call_directly(TupleTableSlot *row, const RowPrecheck &precheck, Datum *values, char *nulls, bool *captured);

}  // namespace autotime::pg
