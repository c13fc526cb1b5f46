// The loadable module: _PG_init registers the caches' invalidation (kept plans, settings, the entry
// history's target, partitions' indexes) and autotime's settings (GUCs).
#include "module.hpp"

#include "history_insert.hpp"
#include "partition_routing.hpp"
#include "plan_cache.hpp"
#include "settings_cache.hpp"

namespace autotime::pg {

bool capture_enabled = true;
int capture_chunk_rows = 100000;

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
  DefineCustomIntVariable("autotime.capture_chunk_rows", "Rows of one statement captured at a time.",
                          "An INSERT, COPY, UPDATE or DELETE of more rows is captured in pieces of this many, each as if it "
                          "were its own statement, so that the work its entries queue (their foreign-key checks "
                          "and the entry history) is done and its memory freed before the next piece.",
                          &autotime::pg::capture_chunk_rows, 100000, 1, INT_MAX, PGC_SUSET, 0, nullptr, nullptr,
                          nullptr);
  MarkGUCPrefixReserved("autotime");
}
}
