// The review action autotime is carrying out on its entries table, so the entry history names it
// (approved, non_billable, reassigned, dismissed) rather than `edited` or `deleted`. Only
// autotime's own C code sets it (query_as_owner, revoked from PUBLIC): an application can't label
// its own UPDATE as a review.
#pragma once

#include "postgres_headers.hpp"

namespace autotime::pg {

struct EntryAction {
  Oid relid = InvalidOid;
  const char *name = nullptr;  // a string literal or palloc'd in a context that outlives the action
};

// Makes `name` the action on `relid` until end_entry_action(previous) is called with what it returned.
EntryAction begin_entry_action(Oid relid, const char *name);
void end_entry_action(const EntryAction &previous);

// The action being carried out on `relid`, nullptr when none.
const char *entry_action_on(Oid relid);

}  // namespace autotime::pg
