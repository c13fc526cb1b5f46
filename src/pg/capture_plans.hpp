// Prepared capture pipelines, one per (attached source relation, driver), kept for the life of the
// backend and dropped when a relcache invalidation touches the source or a bound relation (an
// ALTER TABLE ... OWNER included: each step remembers whose rights it runs with).
#pragma once

#include <type_traits>

#include "../core/capture_sql.hpp"
#include "postgres_headers.hpp"

namespace autotime::pg {

// Registers the relcache callback; called once from _PG_init.
void register_capture_plan_invalidation();

inline constexpr int kMaxSteps = 12;

// One prepared step of a pipeline (capture_sql.hpp Step), run as `user`.
struct PreparedStep {
  SPIPlanPtr plan = nullptr;
  const char *name = nullptr;
  const char *output = nullptr;      // the tuplestore name later steps read, or nullptr
  TupleDesc output_desc = nullptr;   // its columns
  Oid user = InvalidOid;
  bool continue_if_empty = false;
};

struct PreparedPipeline {
  int count = 0;
  PreparedStep steps[kMaxSteps];
  int nargs = 0;
  Oid argtypes[16];
  bool many_rows = false;  // planned (and replanned) with nested loops discouraged
  MemoryContext context = nullptr;
};

// The kept pipeline for `driver` on attached relation `relid`. Must run inside SPI_connect;
// trigger drivers must have registered their transition tables first. Errors clearly when
// `relid` is not attached or a role is not bound. Trigger drivers keep two: one planned for a few
// rows and one for bulk statements (`bulk`), because a plan is kept for every later statement and
// a join that is right for one row is quadratic for a million.
const PreparedPipeline *capture_pipeline_for(Oid relid, Driver driver, bool bulk = false);

// What a run produced, per step (by the step's name).
struct PipelineResult {
  const PreparedPipeline *pipeline = nullptr;
  bool ran[kMaxSteps] = {};
  uint64 processed[kMaxSteps] = {};
  SPITupleTable *rows[kMaxSteps] = {};  // steps without an output: their rows
};

// Runs the pipeline: each step as its user, its rows registered for the next. An error keeps its
// code, message, detail and hint; its context becomes `doing` instead of the generated text.
PipelineResult run_pipeline(Oid relid, Driver driver, Datum *args, const char *nulls, bool bulk, bool read_only,
                            const char *doing);

// Registers `rows` (may be nullptr while preparing) under `name` for the statements that follow,
// replacing rows of that name from an earlier step or pipeline: typed by `desc`, or, for a
// trigger's transition table, by relation `relid`. `estimate`: the row count plans assume.
void register_rows(const char *name, TupleDesc desc, Oid relid, Tuplestorestate *rows, double estimate);

// The attached tables (of `kind`, or all when nullptr), ordered by kind then OID, palloc'd; their
// number in *count. Must run inside SPI_connect.
Oid *attached_sources(uint64 *count, const char *kind = nullptr);

// What lives across PostgreSQL calls (which may longjmp) must have nothing to destroy.
static_assert(std::is_trivially_destructible_v<PipelineResult>);
static_assert(std::is_trivially_destructible_v<PreparedPipeline>);

// Whether step `name` ran, with its row count and (for a step without output) its rows.
bool step_ran(const PipelineResult &result, const char *name, uint64 *processed = nullptr,
              SPITupleTable **rows = nullptr);
// How many entries fewer a pipeline's regrouping into sessions left (its "sessions" step; 0 when
// it has none): backfill counts entries created net of those merged into a session.
int64 sessions_merged(const PipelineResult &result);

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
  // To tell an UPDATE that left the activity's identity and client alone (any attachment): team_id,
  // id, client_id and (texts) provider_message_id; InvalidAttrNumber when unknown (then: changed).
  AttrNumber identity[4] = {InvalidAttrNumber, InvalidAttrNumber, InvalidAttrNumber, InvalidAttrNumber};
  int identity_count = 0;
  // The row's team_id and id when both are integer columns (any attachment): to record a capture
  // failure straight from the row when even reading it through the attachment fails.
  AttrNumber key_team = InvalidAttrNumber, key_id = InvalidAttrNumber;

  // Deciding an inserted row by index probes instead of the SELECT (row_decision.cpp): usable for
  // an attachment with the default qualification whose bound tables are plain tables with the
  // keys it probes and whose columns it reads have types whose text and values it knows.
  struct Probe {  // an equality scan of a B-tree index on its first `keys` columns
    Oid index = InvalidOid;
    int keys = 0;
    AttrNumber index_column[2] = {0, 0};  // ascending; value i is compared with index_column[i]
    int value[2] = {0, 0};                // which of the caller's values goes there
    RegProcedure equal[2] = {InvalidOid, InvalidOid};
  };
  struct Direct {
    bool usable = false;
    // The source row's columns (kinds.hpp KindShape); InvalidAttrNumber where the kind has none.
    AttrNumber team_id = 0, id = 0, client_id = 0, actor = 0, fallback_actor = 0, occurred_at = 0, label = 0,
               direction = 0, duration_seconds = 0, provider_key = 0;
    Oid settings = InvalidOid;
    Probe settings_key;
    AttrNumber s_billing_increment = 0, s_daily_cap = 0, s_case_fallback = 0, s_session_gap = 0;  // InvalidAttrNumber before 1.3
    // The kind's track_* and *_minutes settings.
    AttrNumber s_enabled = 0, s_track = 0, s_minutes = 0, s_minutes_per_activity = 0, s_mode = 0, s_policy = 0,
               s_timezone = 0;
    Oid members = InvalidOid;
    Probe member_key;  // values: team_id, user_id
    AttrNumber m_can_log_time = 0, m_hourly_rate = 0;
    Oid cases = InvalidOid;
    Probe case_key;         // values: team_id, id
    Probe cases_of_client;  // values: team_id, client_id
    AttrNumber c_id = 0, c_client_id = 0, c_status = 0, c_billing_type = 0, c_updated_at = 0;
  } direct;
};

// The precheck of attached relation `relid`, kept with its plans. Must run inside SPI_connect.
RowPrecheck row_precheck(Oid relid);

// Transition tables with more rows than this use the bulk plans.
inline constexpr int64 kBulkRows = 100;
// The row count bulk plans are planned for (registered as the transition tables' estimate).
inline constexpr double kBulkPlanRows = 100000.0;

// The search_path capture statements are prepared and run under: every name they use is
// qualified, and PostgreSQL re-analyses a kept statement under any other path.
inline constexpr const char *kCapturePath = "pg_catalog, pg_temp";
// Sets it at the current GUC nest level (the caller opened one).
void use_capture_path();

// Whether the driver's statements are planned for many rows (with nested loops discouraged).
bool plans_many_rows(Driver driver);
// Sets enable_nestloop = off at the current GUC nest level (caller opened one).
void discourage_nested_loops();

// True when some team has on_error = 'record' (cached per backend until team_settings changes).
// Must run inside SPI_connect.
bool any_team_records_errors();
// Settings some team uses that make capture statements do more: a daily cap (SPEC §6: statements
// count members' days), a case_fallback other than latest_open (SPEC §7: they count open cases),
// a team's own activity code (SPEC §7: they look it up); and on_error = 'record' (which changes how a
// failure is handled, not the statements); sessions (SPEC §6: some team has session_gap_minutes,
// or an activity is billed on a session's entry); some team has billing rules (SPEC §7: its
// entries get flags, computed by the entries table's triggers, not the capture statements).
enum SettingsFeature {
  kDailyCaps = 1,
  kCaseFallbacks = 2,
  kTeamCodes = 4,
  kSessions = 8,
  kRecordsErrors = 16,
  kBillingRules = 32
};
int settings_features();

static_assert(std::is_trivially_destructible_v<RowPrecheck>);

}  // namespace autotime::pg
