// The loadable module: _PG_init registers the plan cache's and the entry history target's invalidation and autotime's settings.
#include "module.hpp"

#include "capture_plans.hpp"
#include "history_insert.hpp"

namespace autotime::pg {

bool capture_enabled = true;

}  // namespace autotime::pg

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);
void _PG_init(void) {
  autotime::pg::register_capture_plan_invalidation();
  autotime::pg::register_history_invalidation();
  DefineCustomBoolVariable("autotime.capture", "Captures activity as draft time entries when on.",
                           "Off pauses live capture in this session (e.g. for a bulk load): the rows wait for "
                           "autotime.backfill_team() or autotime.backfill_automatic_time(), and explain() says "
                           "pending_backfill. Deletions still release their drafts.",
                           &autotime::pg::capture_enabled, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("autotime");
}
}
