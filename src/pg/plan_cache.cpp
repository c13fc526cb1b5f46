// The kept capture pipelines per relation and their invalidation (plan_cache.hpp).
#include "plan_cache.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/pg_inherits.h"
#include "storage/bufmgr.h"
#include "utils/inval.h"
#include "utils/syscache.h"
}

#include "binding.hpp"
#include "settings_cache.hpp"

namespace autotime::pg {

namespace {

struct CapturePlans {
  Oid relid;  // hash key: the attached source relation, or a partition of one written to directly
  Oid attached_relid;  // the attached relation whose attachment it uses (itself, or an ancestor)
  bool valid;
  bool precheck_known;
  RowPrecheck precheck;
  Oid bound_relids[kRoleCount];
  PreparedPipeline *pipelines[kDriverCount * 2 * kSettingsVariants];  // [(driver * 2 + bulk) * variants + features]
};

HTAB *plan_cache = nullptr;


void invalidate_plans(Datum, Oid relid) {
  if (plan_cache == nullptr) return;
  HASH_SEQ_STATUS status;
  hash_seq_init(&status, plan_cache);
  while (auto *entry = static_cast<CapturePlans *>(hash_seq_search(&status))) {
    bool touched = relid == InvalidOid || entry->relid == relid || entry->attached_relid == relid;
    for (Oid bound : entry->bound_relids) touched = touched || bound == relid;
    if (touched) entry->valid = false;
  }
}

void invalidate_all_plans(Datum, int, uint32) { invalidate_plans((Datum)0, InvalidOid); }


// A members table this small (its pages, partitions summed) is joined once per statement in plans
// for many rows; a larger one, or a view or foreign table (size unknown), keeps per-row probes,
// which read only the activities' members. (A table that grows past it keeps its plans until they
// are rebuilt: after its next VACUUM or ANALYZE, or DDL; either plan gives the same rows.)
constexpr BlockNumber kJoinedMembersPages = 32;

bool small_table(Oid relid) {
  List *relids = find_all_inheritors(relid, AccessShareLock, nullptr);
  BlockNumber pages = 0;
  bool small = true;
  ListCell *cell;
  foreach (cell, relids) {
    Relation rel = table_open(lfirst_oid(cell), NoLock);
    const char relkind = rel->rd_rel->relkind;
    if (RELKIND_HAS_STORAGE(relkind))
      pages += RelationGetNumberOfBlocks(rel);
    else if (relkind != RELKIND_PARTITIONED_TABLE)
      small = false;
    table_close(rel, NoLock);
    if (!small || pages > kJoinedMembersPages) break;
  }
  list_free(relids);
  return small && pages <= kJoinedMembersPages;
}

CapturePlans *plans_for(Oid relid) {
  if (plan_cache == nullptr) {
    HASHCTL ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.keysize = sizeof(Oid);
    ctl.entrysize = sizeof(CapturePlans);
    ctl.hcxt = AllocSetContextCreate(CacheMemoryContext, "autotime capture plans", ALLOCSET_SMALL_SIZES);
    plan_cache = hash_create("autotime capture plans", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  bool found = false;
  auto *entry = static_cast<CapturePlans *>(hash_search(plan_cache, &relid, HASH_ENTER, &found));
  if (!found || !entry->valid) {
    for (PreparedPipeline *&pipeline : entry->pipelines) {
      if (found && pipeline != nullptr) free_pipeline(pipeline);
      pipeline = nullptr;
    }
    for (Oid &bound : entry->bound_relids) bound = InvalidOid;
    entry->attached_relid = InvalidOid;
    entry->precheck_known = false;
    entry->valid = true;
  }
  return entry;
}

}  // namespace


void register_capture_plan_invalidation() {
  CacheRegisterRelcacheCallback(invalidate_plans, (Datum)0);
  // A cast created or dropped changes what a column's ::text is (text_exactly): everything again.
  CacheRegisterSyscacheCallback(CASTSOURCETARGET, invalidate_all_plans, (Datum)0);
}


const PreparedPipeline *capture_pipeline_for(Oid relid, Driver driver, bool bulk) {
  CapturePlans *entry = plans_for(relid);
  const int features = settings_features() & (kSettingsVariants - 1);  // those that change the statements
  entry = plans_for(relid);  // (reading the settings may have invalidated it)
  const int slot = (static_cast<int>(driver) * 2 + (bulk ? 1 : 0)) * kSettingsVariants + features;
  if (entry->pipelines[slot] != nullptr) return entry->pipelines[slot];

  // Loading and planning see only pg_catalog: every name we generate is qualified, and the
  // plan keeps this search_path when PostgreSQL re-plans it after DDL.
  const int nest_level = NewGUCNestLevel();
  (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                          false);
  // Capture statements are short and kept: JIT compilation would cost more than it saves.
  (void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  if (bulk || plans_many_rows(driver)) discourage_nested_loops();
  RawBinding raw = load_binding(relid);
  raw.daily_caps = (features & kDailyCaps) != 0;
  raw.case_fallbacks = (features & kCaseFallbacks) != 0;
  raw.team_codes = (features & kTeamCodes) != 0;
  raw.sessions = (features & kSessions) != 0;
  raw.many_rows = bulk || plans_many_rows(driver);
  raw.join_members = raw.many_rows && small_table(raw.roles[2].relid);
  check_attachment_still_fits(raw.source.relid);
  // Steps of the same role may share a statement (merge_same_owner_steps): the roles, by RunAs.
  Oid owners[kRunAsCount];
  int owner_group[kRunAsCount];
  for (int r = 0; r < kRunAsCount; r++) {
    owners[r] = step_user(static_cast<RunAs>(r), raw);
    owner_group[r] = r;
    for (int earlier = 0; earlier < r; earlier++)
      if (owners[earlier] == owners[r]) {
        owner_group[r] = owner_group[earlier];
        break;
      }
  }
  char *flat = build_pipeline(raw, driver, owner_group);
  PreparedPipeline *pipeline = prepare_pipeline(relid, driver, bulk, owners, raw.roles[0].relid, flat);
  AtEOXact_GUC(true, nest_level);

  // The entry may have been invalidated while we planned; a stale entry is rebuilt on next use.
  entry = plans_for(relid);
  if (entry->pipelines[slot] != nullptr) free_pipeline(entry->pipelines[slot]);
  entry->pipelines[slot] = pipeline;
  for (int r = 0; r < kRoleCount; r++) entry->bound_relids[r] = raw.roles[r].relid;
  entry->attached_relid = raw.source.relid;
  return pipeline;
}

PipelineResult run_pipeline(Oid relid, Driver driver, Datum *args, const char *nulls, bool bulk, bool read_only,
                            const char *doing) {
  return execute_pipeline(capture_pipeline_for(relid, driver, bulk), args, nulls, bulk, read_only, doing);
}


RowPrecheck row_precheck(Oid relid) {
  CapturePlans *entry = plans_for(relid);
  if (!entry->precheck_known) {
    const RawBinding raw = load_binding(relid);
    const RowPrecheck precheck = resolve_precheck(relid, raw);
    entry = plans_for(relid);  // an invalidation while loading leaves it unknown for next time
    entry->precheck = precheck;
    entry->precheck_known = true;
    for (int r = 0; r < kRoleCount; r++) entry->bound_relids[r] = raw.roles[r].relid;
    entry->attached_relid = raw.source.relid;
    return precheck;
  }
  return entry->precheck;
}

}  // namespace autotime::pg
