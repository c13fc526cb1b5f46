// The capture pipelines kept per relation: one per (attached source relation or a partition of
// one written to directly, driver, bulk or not, settings variant), prepared on first use and kept
// for the life of the backend, dropped when a relcache invalidation touches the relation, its
// attached ancestor or a bound table (an ALTER TABLE ... OWNER included: each step remembers whose
// rights it runs with), or when a cast changes. The one-row path's precheck is kept with them.
#pragma once

#include "row_probes.hpp"
#include "spi_pipeline.hpp"

namespace autotime::pg {

// Registers the invalidation callbacks; called once from _PG_init.
void register_capture_plan_invalidation();

// The kept pipeline for `driver` on attached relation `relid`. Must run inside SPI_connect;
// trigger drivers must have registered their transition tables first. Errors clearly when
// `relid` is not attached or a role is not bound. Trigger drivers keep two: one planned for a few
// rows and one for bulk statements (`bulk`), because a plan is kept for every later statement and
// a join that is right for one row is quadratic for a million.
const PreparedPipeline *capture_pipeline_for(Oid relid, Driver driver, bool bulk = false);

// Runs the kept pipeline (spi_pipeline.hpp execute_pipeline).
PipelineResult run_pipeline(Oid relid, Driver driver, Datum *args, const char *nulls, bool bulk, bool read_only,
                            const char *doing);
template <Driver D>
PipelineResult run_pipeline(Oid relid, const Arguments<D> &args, bool bulk, bool read_only, const char *doing) {
  return run_pipeline(relid, D, const_cast<Datum *>(args.values), args.nulls, bulk, read_only, doing);
}

// The precheck of attached relation `relid`, kept with its plans. Must run inside SPI_connect.
RowPrecheck row_precheck(Oid relid);

}  // namespace autotime::pg
