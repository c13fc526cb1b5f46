// Prepared capture statements, one per (attached source relation, driver), kept for the life of
// the backend and dropped when a relcache invalidation touches the source or a bound relation.
#pragma once

#include "../core/capture_sql.hpp"
#include "postgres_headers.hpp"

namespace autotime::pg {

// Registers the relcache callback; called once from _PG_init.
void register_capture_plan_invalidation();

// The kept plan for `driver` on attached relation `relid`. Must run inside SPI_connect; trigger
// drivers must have registered their transition tables first. Errors clearly when `relid` is not
// attached or a role is not bound. Trigger drivers keep two plans: one planned for a few rows
// and one for bulk statements (`bulk`), because a plan is kept for every later statement and a
// join that is right for one row is quadratic for a million.
SPIPlanPtr capture_plan(Oid relid, Driver driver, bool bulk = false);

// How to tell, from one inserted row and before any lookup, that it fails its kind's default
// qualification (autotime::qualifies_by_default). Usable only for an attachment without a custom
// qualifies expression whose status and direction columns are text, varchar or an enum (whose
// text is exactly what the SQL test compares); InvalidAttrNumber marks a column not read.
struct RowPrecheck {
  bool usable = false;
  Kind kind = Kind::Call;
  AttrNumber status = InvalidAttrNumber;
  AttrNumber direction = InvalidAttrNumber;
  AttrNumber value = InvalidAttrNumber;  // documents: template_id; events: completed_at
  AttrNumber case_id = InvalidAttrNumber;  // to tell an UPDATE that left the case alone (any attachment)
};

// The precheck of attached relation `relid`, kept with its plans. Must run inside SPI_connect.
RowPrecheck row_precheck(Oid relid);

// Transition tables with more rows than this use the bulk plans.
inline constexpr int64 kBulkRows = 100;
// The row count bulk plans are planned for (registered as the transition tables' estimate).
inline constexpr double kBulkPlanRows = 100000.0;

// Whether the driver's statements are planned for many rows (with nested loops discouraged).
bool plans_many_rows(Driver driver);
// Sets enable_nestloop = off at the current GUC nest level (caller opened one).
void discourage_nested_loops();

// True when some team has on_error = 'record' (cached per backend until team_settings changes).
// Must run inside SPI_connect.
bool any_team_records_errors();

// SPI_execute_plan for a capture statement. An error keeps its code, message, detail and hint;
// its context becomes `doing` instead of the generated statement's text.
// `many_rows`: (re)plan with nested loops discouraged, as the plan was prepared.
int execute_capture(SPIPlanPtr plan, Datum *values, bool read_only, const char *doing, bool many_rows = false);
int execute_capture_with_nulls(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, const char *doing,
                               bool many_rows = false);

}  // namespace autotime::pg
