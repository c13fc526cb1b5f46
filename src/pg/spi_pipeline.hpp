// Capture pipelines as SPI plans: prepared (each step as the role it runs as, its result columns
// checked against statements.hpp), executed (each step's rows handed to the next as a named
// tuplestore, errors renamed after what autotime was doing), and their results read by name.
#pragma once

#include <type_traits>

#include "../core/capture_sql.hpp"
#include "postgres_headers.hpp"

namespace autotime::pg {

inline constexpr int kMaxSteps = static_cast<int>(kMaxPipelineSteps);

// One prepared step of a pipeline (capture_sql.hpp Step), run as `user`.
struct PreparedStep {
  SPIPlanPtr plan = nullptr;
  const char *name = nullptr;
  const char *output = nullptr;      // the tuplestore name later steps read, or nullptr
  TupleDesc output_desc = nullptr;   // its columns
  Oid user = InvalidOid;
  RunAs run_as = RunAs::Autotime;
  bool continue_if_empty = false;
};

inline constexpr int kMaxResultColumns = 8;

struct PreparedPipeline {
  Driver driver = Driver::Insert;
  int count = 0;
  PreparedStep steps[kMaxSteps];
  int nargs = 0;
  Oid argtypes[16];
  bool many_rows = false;  // planned (and replanned) with nested loops discouraged
  int result_step = -1;    // the step whose rows the caller reads (statements.hpp), or -1
  AttrNumber result_attnums[kMaxResultColumns] = {};  // its declared columns, by declared position
  MemoryContext context = nullptr;
};

// The parameters of one run of `D`'s statement, set by name: args.set(AUTOTIME_PARAMETER(D, "team_id"), v).
// Unset parameters are NULL.
template <Driver D>
struct Arguments {
  static constexpr int kCount = statement(D).parameter_count;
  Datum values[kCount > 0 ? kCount : 1] = {};
  char nulls[kCount > 0 ? kCount : 1] = {};
  Arguments() {
    for (char &n : nulls) n = 'n';
  }
  void set(int parameter, Datum value) {
    values[parameter] = value;
    nulls[parameter] = ' ';
  }
  // A nullable SQL argument passed on as it is.
  void set_arg(int parameter, FunctionCallInfo fcinfo, int arg) {
    if (!PG_ARGISNULL(arg)) set(parameter, PG_GETARG_DATUM(arg));
  }
};

// What a run produced, per step (by the step's name).
struct PipelineResult {
  const PreparedPipeline *pipeline = nullptr;
  bool ran[kMaxSteps] = {};
  uint64 processed[kMaxSteps] = {};
  SPITupleTable *rows[kMaxSteps] = {};  // steps without an output: their rows
};

// Prepares `driver`'s steps from `flat` (binding.hpp build_pipeline) for relation `relid`, each as
// users[its RunAs], in a memory context of its own under CacheMemoryContext; a step that writes
// entries first refuses `entries` with a deferrable trigger. Must run inside SPI_connect.
PreparedPipeline *prepare_pipeline(Oid relid, Driver driver, bool bulk, const Oid (&users)[kRunAsCount], Oid entries,
                                   char *flat);
// Frees its plans and memory.
void free_pipeline(PreparedPipeline *pipeline);

// Runs it: each step as its user, its rows registered for the next. An error keeps its code,
// message, detail and hint; its context becomes `doing` instead of the generated text.
PipelineResult execute_pipeline(const PreparedPipeline *pipeline, Datum *args, const char *nulls, bool bulk,
                                bool read_only, const char *doing);

// Re-raises the current error (in a PG_CATCH) without the generated statement's text, which tells
// a DBA nothing, naming instead what autotime was `doing`. Code, message, detail and hint are kept.
[[noreturn]] void rethrow_naming(MemoryContext caller_context, const char *doing);

// Registers `rows` (may be nullptr while preparing) under `name` for the statements that follow,
// replacing rows of that name from an earlier step or pipeline: typed by `desc`, or, for a
// trigger's transition table, by relation `relid`. `estimate`: the row count plans assume.
void register_rows(const char *name, TupleDesc desc, Oid relid, Tuplestorestate *rows, double estimate);

// What lives across PostgreSQL calls (which may longjmp) must have nothing to destroy.
static_assert(std::is_trivially_destructible_v<PipelineResult>);
static_assert(std::is_trivially_destructible_v<PreparedPipeline>);
static_assert(std::is_trivially_destructible_v<Arguments<Driver::ClaimLink>>);
static_assert(kMostParameters <= static_cast<int>(sizeof(PreparedPipeline::argtypes) / sizeof(Oid)));
static_assert(kMostResultColumns <= kMaxResultColumns);

// Whether step `name` ran, with its row count and (for a step without output) its rows.
bool step_ran(const PipelineResult &result, const char *name, uint64 *processed = nullptr,
              SPITupleTable **rows = nullptr);
// The rows of the statement's result step (statements.hpp; 0 when it did not run), and the value of
// its declared column `column` (AUTOTIME_RESULT(driver, "name")) in row `row`.
uint64 result_rows(const PipelineResult &result);
Datum result_value(const PipelineResult &result, int column, uint64 row, bool *isnull);
// How many entries fewer a pipeline's regrouping into sessions left (its "sessions" step; 0 when
// it has none): backfill counts entries created net of those merged into a session.
int64 sessions_merged(const PipelineResult &result);

// Transition tables with more rows than this use the bulk plans.
inline constexpr int64 kBulkRows = 100;
// The row count bulk plans are planned for (registered as the transition tables' estimate).
inline constexpr double kBulkPlanRows = 100000.0;

// The search_path capture statements are prepared and run under: every name they use is
// qualified, and PostgreSQL re-analyses a kept statement under any other path.
inline constexpr const char *kCapturePath = "pg_catalog, pg_temp";
// Sets it at the current GUC nest level (the caller opened one).
void use_capture_path();
// Sets enable_nestloop = off at the current GUC nest level (caller opened one).
void discourage_nested_loops();

}  // namespace autotime::pg
