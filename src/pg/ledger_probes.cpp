// Whether an activity is already linked, by index probes of autotime.activity_links from C: what
// backfill of one client asks of each of the client's activities before it looks anything else up
// (capture_sql.cpp unlinked_step). As an anti-join in SQL, planned for many rows, it hashed every
// link of the team's kind, so a client's backfill cost what the team's ledger holds; the planner
// can't choose a probe made here (bench/RESULTS.md "Backfill profiled"). And whether this
// transaction holds an activity's link, for the one-row write that inserted no entry
// (capture_triggers.cpp).
#include "ledger_probes.hpp"

#include "boundary.hpp"

extern "C" {
#include "access/genam.h"
#include "access/xact.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
}

namespace {

// The ledger, its two indexes, and the columns read from a link, looked up once per statement
// (kept in the calling expression's fn_extra).
struct Ledger {
  Oid links = InvalidOid;
  Oid by_source_id = InvalidOid;   // (team_id, kind, source_id)
  Oid by_source_key = InvalidOid;  // the primary key (team_id, kind, source_key)
  AttrNumber released_at = InvalidAttrNumber;
  AttrNumber key_space = InvalidAttrNumber;
};

Oid ledger_relation(Oid schema, const char *name) {
  const Oid relid = get_relname_relid(name, schema);
  if (!OidIsValid(relid))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("autotime's ledger has no relation \"%s\"", name),
                    errhint("ALTER EXTENSION autotime UPDATE, or drop and create the extension again.")));
  return relid;
}

const Ledger &ledger(FunctionCallInfo fcinfo) {
  if (fcinfo->flinfo->fn_extra != nullptr) return *static_cast<const Ledger *>(fcinfo->flinfo->fn_extra);
  auto *found = static_cast<Ledger *>(MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(Ledger)));
  const Oid schema = get_namespace_oid("autotime", false);
  found->links = ledger_relation(schema, "activity_links");
  found->by_source_id = ledger_relation(schema, "activity_links_by_source_id");
  found->by_source_key = ledger_relation(schema, "activity_links_one_per_activity");
  found->released_at = get_attnum(found->links, "released_at");
  found->key_space = get_attnum(found->links, "key_space");
  if (found->released_at == InvalidAttrNumber || found->key_space == InvalidAttrNumber)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("autotime's ledger lacks the columns of 1.3"),
                    errhint("ALTER EXTENSION autotime UPDATE.")));
  fcinfo->flinfo->fn_extra = found;
  return *found;
}

// True when `index` (team_id, kind, third) finds a link in force (not released; a ledger without
// released_at, before 1.3, releases none) whose third key column equals `third` (of `type`,
// compared by `equal`) and for which `also(slot)` holds.
template <class Also>
bool link_found(Relation links, Oid index_oid, int64 team, text *kind, Oid type, RegProcedure equal, Datum third,
                AttrNumber released_at, Also &&also) {
  Relation index = index_open(index_oid, AccessShareLock);
  ScanKeyData keys[3];
  ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, INT8OID, InvalidOid, F_INT8EQ, Int64GetDatum(team));
  ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, TEXTOID, index->rd_indcollation[1], F_TEXTEQ,
                         PointerGetDatum(kind));
  ScanKeyEntryInitialize(&keys[2], 0, 3, BTEqualStrategyNumber, type, index->rd_indcollation[2], equal, third);
  IndexScanDesc scan = index_beginscan(links, index, GetActiveSnapshot(), 3, 0);
  index_rescan(scan, keys, 3, nullptr, 0);
  TupleTableSlot *slot = table_slot_create(links, nullptr);
  bool found = false;
  while (!found && index_getnext_slot(scan, ForwardScanDirection, slot)) {
    bool released_null = true;
    if (released_at != InvalidAttrNumber) (void)slot_getattr(slot, released_at, &released_null);
    found = released_null && also(slot);
  }
  ExecDropSingleTupleTableSlot(slot);
  index_endscan(scan);
  index_close(index, NoLock);
  return found;
}

}  // namespace

namespace autotime::pg {

bool link_claimed_in_this_transaction(int64 team, const char *kind, int64 source_id, const char *provider_key,
                                      const char *key_space, CommandId claimed_since) {
  const Oid schema = get_namespace_oid("autotime", false);
  const Oid links_oid = ledger_relation(schema, "activity_links");
  const AttrNumber released_at = get_attnum(links_oid, "released_at");
  const AttrNumber dismissed_at = get_attnum(links_oid, "dismissed_at");
  const AttrNumber linked_id = get_attnum(links_oid, "source_id");
  // The claim's key, as capture_sql.cpp's claim computes it (id_key).
  const char *source_key = provider_key != nullptr ? provider_key
                           : key_space != nullptr  ? psprintf("table:%s:" INT64_FORMAT, key_space, source_id)
                                                   : psprintf(INT64_FORMAT, source_id);
  Relation links = table_open(links_oid, AccessShareLock);
  const Oid primary_key = RelationGetPrimaryKeyIndex(links);  // (team_id, kind, source_key)
  // What the claim just wrote is visible to a snapshot taken after it.
  CommandCounterIncrement();
  PushActiveSnapshot(GetTransactionSnapshot());
  UpdateActiveSnapshotCommandId();
  const bool claimed =
      OidIsValid(primary_key) &&
      link_found(links, primary_key, team, cstring_to_text(kind), TEXTOID, F_TEXTEQ,
                 PointerGetDatum(cstring_to_text(source_key)), released_at, [&](TupleTableSlot *slot) {
                   bool isnull = false;
                   const int64 id = DatumGetInt64(slot_getattr(slot, linked_id, &isnull));
                   if (isnull || id != source_id) return false;  // another activity's (a re-sent text's)
                   if (dismissed_at != InvalidAttrNumber) {
                     (void)slot_getattr(slot, dismissed_at, &isnull);
                     if (!isnull) return false;
                   }
                   const Datum xmin = slot_getsysattr(slot, MinTransactionIdAttributeNumber, &isnull);
                   if (isnull || !TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin))) return false;
                   // (The version in force was neither deleted nor updated since: its raw
                   // command id is the one that wrote it, never a combo id.)
                   const Datum cmin = slot_getsysattr(slot, MinCommandIdAttributeNumber, &isnull);
                   return !isnull && DatumGetCommandId(cmin) >= claimed_since;
                 });
  PopActiveSnapshot();
  table_close(links, NoLock);
  return claimed;
}

}  // namespace autotime::pg

// autotime.activity_linked(team_id, kind, source_id, key_space, source_key): a link in force names
// the activity's id in its id space (key_space NULL: the kind's default space), or, when
// source_key is given (a text keyed by its provider id), its key. The same as the SQL anti-join
// it replaces; the claim still decides, this only spares the lookups of linked activities.
AUTOTIME_SQL_FUNCTION(autotime_activity_linked) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2)) PG_RETURN_BOOL(false);
  const Ledger &l = ledger(fcinfo);
  const int64 team = PG_GETARG_INT64(0);
  text *kind = PG_GETARG_TEXT_PP(1);
  const int64 source_id = PG_GETARG_INT64(2);
  text *space = PG_ARGISNULL(3) ? nullptr : PG_GETARG_TEXT_PP(3);
  Relation links = table_open(l.links, AccessShareLock);

  const Oid collation = get_typcollation(TEXTOID);
  bool linked = link_found(links, l.by_source_id, team, kind, INT8OID, F_INT8EQ, Int64GetDatum(source_id),
                           l.released_at, [&](TupleTableSlot *slot) {
                             bool isnull = false;
                             const Datum link_space = slot_getattr(slot, l.key_space, &isnull);
                             if (space == nullptr || isnull) return space == nullptr && isnull;
                             return DatumGetBool(
                                 DirectFunctionCall2Coll(texteq, collation, link_space, PointerGetDatum(space)));
                           });
  if (!linked && !PG_ARGISNULL(4))
    linked = link_found(links, l.by_source_key, team, kind, TEXTOID, F_TEXTEQ, PointerGetDatum(PG_GETARG_TEXT_PP(4)),
                        l.released_at, [](TupleTableSlot *) { return true; });
  table_close(links, NoLock);
  PG_RETURN_BOOL(linked);
}
