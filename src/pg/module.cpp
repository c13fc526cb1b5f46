// The loadable module: _PG_init registers the caches' invalidation (kept plans, settings, the entry
// history's target, partitions' indexes) and autotime's settings (GUCs).
#include "module.hpp"

#include "history_insert.hpp"
#include "partition_routing.hpp"
#include "plan_cache.hpp"
#include "settings_cache.hpp"

namespace autotime::pg {

bool capture_enabled = true;

}  // namespace autotime::pg

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);
void _PG_init(void) {
  autotime::pg::register_capture_plan_invalidation();
  autotime::pg::register_settings_invalidation();
  autotime::pg::register_history_invalidation();
  autotime::pg::register_partition_index_invalidation();
  DefineCustomBoolVariable("autotime.capture", "Captures activity as draft time entries when on.",
                           "Off pauses live capture in this session (e.g. for a bulk load): the rows wait for "
                           "autotime.backfill_team() or autotime.backfill_automatic_time(), and explain() says "
                           "pending_backfill. Deletions still release their drafts.",
                           &autotime::pg::capture_enabled, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("autotime");
}
}
