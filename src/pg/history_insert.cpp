// A row of autotime.entry_history without a statement (history_insert.hpp). What the INSERT (a kept
// plan) run through SPI did per row and this doesn't: executor start-up and shutdown, the snapshot
// and command-counter round trip, the range table's permission check (the owner's INSERT right is
// checked below) and the target list's projection. What it does as the statement did:
// the identity's nextval (nextval_internal without a permission check, as the executor's
// NextValueExpr), clock_timestamp() for `at`, the heap insert (WAL-logged, in the current command,
// undone with the (sub)transaction), NOT NULL and CHECK constraints, every index entry with its
// uniqueness (the primary key) or exclusion checked.
#include "history_insert.hpp"

#include "identity.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "nodes/primnodes.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/timestamp.h"
}

namespace autotime::pg {
namespace {

enum Column { kChangeId, kTeamId, kEntryId, kAt, kActor, kAction, kChanges, kColumns };

struct ExpectedColumn {
  const char *name;
  Oid type;
};
const ExpectedColumn kExpected[kColumns] = {{"change_id", INT8OID}, {"team_id", INT8OID},  {"entry_id", INT8OID},
                                            {"at", TIMESTAMPTZOID}, {"actor", TEXTOID},    {"action", TEXTOID},
                                            {"changes", JSONBOID}};

// What this backend knows of autotime.entry_history; forgotten by the relcache callback when the
// table is altered or dropped (or all caches are reset). Trivially destructible.
struct HistoryTarget {
  Oid relid;       // InvalidOid: to look up by name
  bool described;  // the fields below describe relid's current definition
  bool direct;     // its columns and defaults are autotime's: a direct insert is the statement's
  Oid sequence;    // change_id's identity sequence
  AttrNumber attnum[kColumns];
};
HistoryTarget target = {InvalidOid, false, false, InvalidOid, {}};

void forget_target(Datum, Oid relid) {
  if (relid == InvalidOid || relid == target.relid) {
    target.relid = InvalidOid;
    target.described = false;
  }
}

// Whether `rel`'s live columns are exactly autotime's seven, of their types, change_id an identity
// and `at` defaulting to clock_timestamp() (the only defaults the statement uses); fills `t`.
bool describe(Relation rel, HistoryTarget *t) {
  const TupleDesc desc = RelationGetDescr(rel);
  for (AttrNumber &a : t->attnum) a = InvalidAttrNumber;
  int live = 0;
  for (int i = 0; i < desc->natts; i++) {
    const Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped) continue;
    live++;
    int k = 0;
    while (k < kColumns && strcmp(NameStr(att->attname), kExpected[k].name) != 0) k++;
    if (k == kColumns || att->atttypid != kExpected[k].type || att->attgenerated != '\0') return false;
    t->attnum[k] = att->attnum;
  }
  if (live != kColumns) return false;
  for (AttrNumber a : t->attnum)
    if (a == InvalidAttrNumber) return false;
  if (TupleDescAttr(desc, t->attnum[kChangeId] - 1)->attidentity == '\0') return false;
  t->sequence = getIdentitySequence(RelationGetRelid(rel), t->attnum[kChangeId], true);
  if (!OidIsValid(t->sequence)) return false;
  Node *at_default = build_column_default(rel, t->attnum[kAt]);
  return at_default != nullptr && IsA(at_default, FuncExpr) &&
         reinterpret_cast<FuncExpr *>(at_default)->funcid == F_CLOCK_TIMESTAMP &&
         reinterpret_cast<FuncExpr *>(at_default)->args == NIL;
}

// Whether an INSERT into `rel` would run nothing a direct insert skips: no INSERT trigger of any
// kind (foreign keys and deferrable keys are triggers too), no rule, no row security, not a
// partition; and its owner may insert (the statement ran as the owner, who could revoke that).
// Read from the open, locked relation on every row: always current.
bool plain_target(Relation rel) {
  const Form_pg_class form = rel->rd_rel;
  if (form->relkind != RELKIND_RELATION || form->relispartition || form->relrowsecurity || form->relhasrules)
    return false;
  const TriggerDesc *trig = rel->trigdesc;
  if (trig != nullptr && (trig->trig_insert_before_row || trig->trig_insert_after_row || trig->trig_insert_instead_row ||
                          trig->trig_insert_before_statement || trig->trig_insert_after_statement ||
                          trig->trig_insert_new_table))
    return false;
  return pg_class_aclcheck(RelationGetRelid(rel), form->relowner, ACL_INSERT) == ACLCHECK_OK;
}

}  // namespace

bool insert_history_row(int64 team_id, int64 entry_id, const char *actor, const char *action, Datum changes) {
  if (!OidIsValid(target.relid)) {
    const Oid schema = get_namespace_oid("autotime", true);
    target.relid = OidIsValid(schema) ? get_relname_relid("entry_history", schema) : InvalidOid;
    target.described = false;
    if (!OidIsValid(target.relid)) return false;  // the statement names what is missing
  }
  // Locking accepts invalidations: the callback may forget the target meanwhile (described below
  // from the locked relation, whose definition can't change until the transaction ends).
  Relation rel = try_table_open(target.relid, RowExclusiveLock);
  if (rel == nullptr) {  // dropped since: look it up again next time, the statement says why now
    forget_target((Datum)0, InvalidOid);
    return false;
  }
  if (!target.described) {
    HistoryTarget fresh = {RelationGetRelid(rel), true, false, InvalidOid, {}};
    fresh.direct = describe(rel, &fresh);
    target = fresh;
  }
  if (!target.direct || !plain_target(rel)) {
    table_close(rel, NoLock);  // (the lock is kept to the transaction's end, as the statement's)
    return false;
  }

  const SavedIdentity saved = become(rel->rd_rel->relowner);  // CHECK expressions run as the statement's did
  EState *estate = CreateExecutorState();
  ResultRelInfo *result = makeNode(ResultRelInfo);
  InitResultRelInfo(result, rel, 0, nullptr, 0);
  ExecOpenIndices(result, false);
  TupleTableSlot *slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsVirtual);
  ExecClearTuple(slot);
  for (int i = 0; i < slot->tts_tupleDescriptor->natts; i++) {
    slot->tts_values[i] = (Datum)0;
    slot->tts_isnull[i] = true;
  }
  // Defaults in column order, as the statement's projection evaluated them.
  const auto set = [slot](AttrNumber attnum, Datum value, bool isnull) {
    slot->tts_values[attnum - 1] = value;
    slot->tts_isnull[attnum - 1] = isnull;
  };
  set(target.attnum[kChangeId], Int64GetDatum(nextval_internal(target.sequence, false)), false);
  set(target.attnum[kTeamId], Int64GetDatum(team_id), false);
  set(target.attnum[kEntryId], Int64GetDatum(entry_id), false);
  set(target.attnum[kAt], TimestampTzGetDatum(GetCurrentTimestamp()), false);
  set(target.attnum[kActor], actor == nullptr ? (Datum)0 : CStringGetTextDatum(actor), actor == nullptr);
  set(target.attnum[kAction], CStringGetTextDatum(action), false);
  set(target.attnum[kChanges], changes, changes == (Datum)0);
  ExecStoreVirtualTuple(slot);
  // No INSERT trigger (plain_target): nothing is queued for after the statement, so no
  // AfterTriggerBeginQuery/EndQuery pair is needed around it.
  ExecSimpleRelationInsert(result, estate, slot);
  ExecCloseIndices(result);
  ExecResetTupleTable(estate->es_tupleTable, false);
  FreeExecutorState(estate);
  restore_identity(saved);
  table_close(rel, NoLock);
  return true;
}

void register_history_invalidation() { CacheRegisterRelcacheCallback(forget_target, (Datum)0); }

}  // namespace autotime::pg
