#include "identity.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "utils/syscache.h"
}

namespace autotime::pg {

Oid relation_owner(Oid relid) {
  HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
  if (!HeapTupleIsValid(tuple)) return InvalidOid;
  const Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relowner;
  ReleaseSysCache(tuple);
  return owner;
}

Oid autotime_owner() {
  const Oid schema = get_namespace_oid("autotime", false);
  const Oid ledger = get_relname_relid("activity_links", schema);
  const Oid owner = OidIsValid(ledger) ? relation_owner(ledger) : InvalidOid;
  if (!OidIsValid(owner))
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE), errmsg("autotime's ledger is missing"),
                    errhint("Reinstall the extension: DROP EXTENSION autotime CASCADE; CREATE EXTENSION autotime.")));
  return owner;
}

SavedIdentity become(Oid user) {
  SavedIdentity saved;
  GetUserIdAndSecContext(&saved.user, &saved.sec_context);
  SetUserIdAndSecContext(user, saved.sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
  return saved;
}

void restore_identity(const SavedIdentity &saved) { SetUserIdAndSecContext(saved.user, saved.sec_context); }

}  // namespace autotime::pg
