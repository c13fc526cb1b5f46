// Who runs each capture step. Like PostgreSQL's foreign-key triggers (ri_triggers.c), capture
// switches to the owner of the table a step reads or writes, in a security-restricted operation,
// so no code a table's owner defines (triggers, defaults, checks, casts, policies, qualifies)
// ever runs with autotime's rights or another table's owner's.
#pragma once

#include "postgres_headers.hpp"

namespace autotime::pg {

// The owner of relation `relid` (InvalidOid when it is gone).
Oid relation_owner(Oid relid);

// The role autotime's own tables belong to: the extension's owner.
Oid autotime_owner();

// The user and security context to restore after a step.
struct SavedIdentity {
  Oid user = InvalidOid;
  int sec_context = 0;
};

// Becomes `user` for one step (SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION).
// An error unwinds it with the (sub)transaction; callers that catch errors call restore_identity.
SavedIdentity become(Oid user);
void restore_identity(const SavedIdentity &saved);

}  // namespace autotime::pg
