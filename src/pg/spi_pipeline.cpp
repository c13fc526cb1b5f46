// Capture pipelines as SPI plans (spi_pipeline.hpp): prepared and run step by step, each step as
// the role it runs as, its rows handed on as named tuplestores, its errors named after what
// autotime was doing.
#include "spi_pipeline.hpp"

#include <algorithm>

extern "C" {
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "executor/tstoreReceiver.h"
#include "nodes/params.h"
#include "utils/plancache.h"
#include "utils/queryenvironment.h"
}

#include "identity.hpp"

namespace autotime::pg {

namespace {

// A deferrable trigger of the entries table would fire at COMMIT as whoever commits (a DBA's
// backfill: a superuser), outside the owner switch; only PostgreSQL's own (foreign keys, which
// switch to the referenced table's owner themselves) are allowed.
void refuse_deferrable_triggers(Oid entries) {
  List *relids = find_all_inheritors(entries, AccessShareLock, nullptr);
  ListCell *cell;
  foreach (cell, relids) {
    Relation rel = table_open(lfirst_oid(cell), NoLock);
    const TriggerDesc *triggers = rel->trigdesc;
    for (int i = 0; triggers != nullptr && i < triggers->numtriggers; i++) {
      const Trigger &trigger = triggers->triggers[i];
      if (!trigger.tgdeferrable || trigger.tgisinternal) continue;
      const char *table = pstrdup(RelationGetRelationName(rel));
      const char *name = pstrdup(trigger.tgname);
      table_close(rel, NoLock);
      ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                      errmsg("autotime does not write time entries to \"%s\": its trigger \"%s\" is deferrable", table, name),
                      errdetail("A deferred trigger fires at commit with the rights of whoever commits, not of the "
                                "table's owner."),
                      errhint("Make it NOT DEFERRABLE (or a plain AFTER trigger), or bind another table.")));
    }
    table_close(rel, NoLock);
  }
  list_free(relids);
}


// A value type's OID (statements.hpp ValueType).
Oid type_oid(ValueType type) {
  switch (type) {
    case ValueType::Int8: return INT8OID;
    case ValueType::Int4: return INT4OID;
    case ValueType::Text: return TEXTOID;
    case ValueType::Bool: return BOOLOID;
    case ValueType::Numeric: return NUMERICOID;
    case ValueType::Date: return DATEOID;
    case ValueType::TimestampTz: return TIMESTAMPTZOID;
  }
  return TEXTOID;
}


// Prepares one step as its user: parse analysis of a firm table's qualifies expression or column
// defaults must not run anything with the caller's rights either.
SPIPlanPtr prepare_step(const char *sql, const PreparedPipeline &pipeline, int cursor_options, Oid user, Oid relid) {
  SPIPlanPtr plan = nullptr;
  MemoryContext caller_context = CurrentMemoryContext;
  const SavedIdentity saved = become(user);
  PG_TRY();
  { plan = SPI_prepare_cursor(sql, pipeline.nargs, const_cast<Oid *>(pipeline.argtypes), cursor_options); }
  PG_CATCH();
  {
    restore_identity(saved);
    rethrow_naming(caller_context, psprintf("autotime preparing capture for table \"%s\" (check its attachment: "
                                            "columns and qualifies expression)", get_rel_name(relid)));
  }
  PG_END_TRY();
  restore_identity(saved);
  return plan;
}


// The declared result columns (statements.hpp) of step `index`, by name, with their declared types:
// a statement that drifted from its description fails here, when prepared, not in a caller.
void resolve_result_columns(PreparedPipeline &pipeline, int index) {
  const StatementSpec &spec = statement(pipeline.driver);
  const PreparedStep &step = pipeline.steps[index];
  const auto *source = static_cast<CachedPlanSource *>(linitial(SPI_plan_get_plan_sources(step.plan)));
  const TupleDesc desc = source->resultDesc;
  for (int c = 0; c < spec.result_column_count; c++) {
    const std::string name(spec.result_columns[c].name);
    const int attnum = desc == nullptr ? SPI_ERROR_NOATTRIBUTE : SPI_fnumber(desc, name.c_str());
    if (attnum <= 0 || TupleDescAttr(desc, attnum - 1)->atttypid != type_oid(spec.result_columns[c].type))
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                      errmsg("autotime's %s statement does not return column \"%s\" as described",
                             std::string(spec.purpose).c_str(), name.c_str())));
    pipeline.result_attnums[c] = static_cast<AttrNumber>(attnum);
  }
  pipeline.result_step = index;
}

// The run's arguments for every step (nullptr when the statement takes none).
ParamListInfo parameter_list(const PreparedPipeline &pipeline, Datum *args, const char *nulls) {
  if (pipeline.nargs == 0) return nullptr;
  ParamListInfo params = makeParamList(pipeline.nargs);
  for (int i = 0; i < pipeline.nargs; i++) {
    params->params[i].value = args[i];
    params->params[i].isnull = nulls != nullptr && nulls[i] == 'n';
    params->params[i].pflags = PARAM_FLAG_CONST;
    params->params[i].ptype = pipeline.argtypes[i];
  }
  return params;
}

}  // namespace

void rethrow_naming(MemoryContext caller_context, const char *doing) {
  MemoryContextSwitchTo(caller_context);
  ErrorData *error = CopyErrorData();
  FlushErrorState();
  error->context = pstrdup(doing);
  error->internalquery = nullptr;
  error->internalpos = 0;
  ReThrowError(error);
}

void register_rows(const char *name, TupleDesc desc, Oid relid, Tuplestorestate *rows, double estimate) {
  (void)SPI_unregister_relation(name);
  auto *enr = static_cast<EphemeralNamedRelation>(palloc0(sizeof(EphemeralNamedRelationData)));
  enr->md.name = pstrdup(name);
  enr->md.reliddesc = relid;
  enr->md.tupdesc = relid == InvalidOid ? desc : nullptr;
  enr->md.enrtype = ENR_NAMED_TUPLESTORE;
  enr->md.enrtuples = estimate;
  enr->reldata = rows;
  const int rc = SPI_register_relation(enr);
  if (rc != SPI_OK_REL_REGISTER)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("autotime could not register the rows of a capture step: %s", SPI_result_code_string(rc))));
}


PreparedPipeline *prepare_pipeline(Oid relid, Driver driver, bool bulk, const Oid (&users)[kRunAsCount], Oid entries,
                                   char *flat) {
  MemoryContext context = AllocSetContextCreate(CacheMemoryContext, "autotime capture pipeline", ALLOCSET_SMALL_SIZES);
  auto *pipeline = static_cast<PreparedPipeline *>(MemoryContextAllocZero(context, sizeof(PreparedPipeline)));
  pipeline->context = context;
  const StatementSpec &spec = statement(driver);
  pipeline->driver = driver;
  pipeline->many_rows = bulk || plans_many_rows(driver);
  pipeline->nargs = spec.parameter_count;
  for (int i = 0; i < spec.parameter_count; i++) pipeline->argtypes[i] = type_oid(spec.parameters[i].type);
  const char *registered[kMaxSteps];
  int registered_count = 0;
  PG_TRY();
  {
    for (char *cursor = flat; *cursor != '\0';) {
      if (pipeline->count == kMaxSteps)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("capture pipeline has more than %d steps", kMaxSteps)));
      char *end = strchr(cursor, '\x1d');
      if (end == nullptr) break;
      *end = '\0';
      char *fields[5] = {cursor, nullptr, nullptr, nullptr, nullptr};
      for (int f = 1; f < 5; f++) {
        fields[f] = strchr(fields[f - 1], '\x1e');
        if (fields[f] == nullptr) ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("malformed capture step")));
        *fields[f]++ = '\0';
      }
      PreparedStep &step = pipeline->steps[pipeline->count];
      step.name = MemoryContextStrdup(context, fields[0]);
      const auto run_as = static_cast<RunAs>(atoi(fields[1]));
      step.user = users[static_cast<int>(run_as)];
      step.run_as = run_as;
      if (run_as == RunAs::Entries && driver != Driver::Explain) refuse_deferrable_triggers(entries);
      step.output = fields[2][0] == '\0' ? nullptr : MemoryContextStrdup(context, fields[2]);
      step.continue_if_empty = fields[3][0] == '1';
      step.plan = prepare_step(fields[4], *pipeline, plans_per_run(driver) ? CURSOR_OPT_CUSTOM_PLAN : 0, step.user, relid);
      if (step.plan == nullptr)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("autotime could not prepare capture for \"%s\": %s", get_rel_name(relid),
                               SPI_result_code_string(SPI_result))));
      if (SPI_keepplan(step.plan) != 0)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not keep its capture plan")));
      pipeline->count++;
      if (spec.result_step == step.name) resolve_result_columns(*pipeline, pipeline->count - 1);
      if (step.output != nullptr) {
        List *sources = SPI_plan_get_plan_sources(step.plan);
        const auto *source = static_cast<CachedPlanSource *>(linitial(sources));
        if (source->resultDesc == nullptr)
          ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("capture step \"%s\" returns no rows", step.name)));
        MemoryContext old = MemoryContextSwitchTo(context);
        step.output_desc = CreateTupleDescCopy(source->resultDesc);
        MemoryContextSwitchTo(old);
        register_rows(step.output, step.output_desc, InvalidOid, nullptr, 0);
        registered[registered_count++] = step.output;
      }
      cursor = end + 1;
    }
  }
  PG_CATCH();
  {
    free_pipeline(pipeline);
    PG_RE_THROW();
  }
  PG_END_TRY();
  for (int i = 0; i < registered_count; i++) (void)SPI_unregister_relation(registered[i]);
  return pipeline;
}

void free_pipeline(PreparedPipeline *pipeline) {
  for (int i = 0; i < pipeline->count; i++)
    if (pipeline->steps[i].plan != nullptr) SPI_freeplan(pipeline->steps[i].plan);
  MemoryContextDelete(pipeline->context);
}


void use_capture_path() {
  (void)set_config_option("search_path", kCapturePath, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}


// A kept plan is reused for every later statement, and row estimates can be far off (a transition
// table's size, a table just bulk-loaded and not yet analyzed): a nested loop between two large
// row sets would be quadratic. Plans for many rows are therefore made with nested loops
// discouraged; the per-row lookups are LATERAL ... LIMIT 1 probes, which stay index nested loops.
void discourage_nested_loops() {
  (void)set_config_option("enable_nestloop", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  // The disabled nested loops' cost would cross jit_above_cost and compile every run for seconds.
  (void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

PipelineResult execute_pipeline(const PreparedPipeline *pipeline, Datum *args, const char *nulls, bool bulk,
                                bool read_only, const char *doing) {
  PipelineResult result;
  result.pipeline = pipeline;
  const ParamListInfo params = parameter_list(*pipeline, args, nulls);
  MemoryContext caller_context = CurrentMemoryContext;
  // PostgreSQL re-analyses a kept statement when the search_path differs from the one it was
  // prepared with: run under the same pg_catalog-only path, so an attachment's qualifies
  // expression never resolves an operator or function in the caller's schemas.
  // The tuplestores passed between steps, ended (and their temporary files closed) when the
  // pipeline is done: only the steps read them.
  Tuplestorestate *stores[kMaxSteps];
  int store_count = 0;
  // (A capture trigger sets it once for all its pipelines: then nothing to do here.)
  const bool path_set = strcmp(namespace_search_path, kCapturePath) == 0;
  const int path_level = path_set ? 0 : NewGUCNestLevel();
  if (!path_set) use_capture_path();
  for (int i = 0; i < pipeline->count; i++) {
    const PreparedStep &step = pipeline->steps[i];
    Tuplestorestate *volatile rows = nullptr;
    SPIExecuteOptions options;
    memset(&options, 0, sizeof options);
    options.params = params;
    options.read_only = read_only;
    if (step.output != nullptr) {
      rows = tuplestore_begin_heap(false, false, work_mem);
      options.dest = CreateDestReceiver(DestTuplestore);
      SetTuplestoreDestReceiverParams(options.dest, rows, CurrentMemoryContext, false, nullptr, nullptr);
    }
    // On error, transaction or subtransaction abort unwinds the GUC nest level.
    volatile const int nest_level = pipeline->many_rows ? NewGUCNestLevel() : 0;
    if (pipeline->many_rows) discourage_nested_loops();
    int rc = 0;
    const SavedIdentity saved = become(step.user);
    PG_TRY();
    { rc = SPI_execute_plan_extended(step.plan, &options); }
    PG_CATCH();
    {
      restore_identity(saved);
      rethrow_naming(caller_context, doing);
    }
    PG_END_TRY();
    restore_identity(saved);
    if (pipeline->many_rows) AtEOXact_GUC(true, nest_level);
    if (rc < 0)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                      errmsg("autotime capture step \"%s\" failed: %s", step.name, SPI_result_code_string(rc))));
    result.ran[i] = true;
    result.processed[i] = SPI_processed;
    if (step.output == nullptr) {
      result.rows[i] = SPI_tuptable;
      continue;
    }
    options.dest->rDestroy(options.dest);
    const double estimate = bulk ? std::max<double>(SPI_processed, kBulkPlanRows) : static_cast<double>(SPI_processed);
    register_rows(step.output, step.output_desc, InvalidOid, rows, estimate);
    stores[store_count++] = rows;
    if (result.processed[i] == 0 && !step.continue_if_empty) break;  // nothing follows from nothing
  }
  if (!path_set) AtEOXact_GUC(true, path_level);
  for (int i = 0; i < pipeline->count; i++)
    if (pipeline->steps[i].output != nullptr) (void)SPI_unregister_relation(pipeline->steps[i].output);
  for (int i = 0; i < store_count; i++) tuplestore_end(stores[i]);
  return result;
}


bool step_ran(const PipelineResult &result, const char *name, uint64 *processed, SPITupleTable **rows) {
  for (int i = 0; result.pipeline != nullptr && i < result.pipeline->count; i++) {
    if (strcmp(result.pipeline->steps[i].name, name) != 0) continue;
    if (processed != nullptr) *processed = result.ran[i] ? result.processed[i] : 0;
    if (rows != nullptr) *rows = result.ran[i] ? result.rows[i] : nullptr;
    return result.ran[i];
  }
  ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime has no capture step \"%s\"", name)));
}


uint64 result_rows(const PipelineResult &result) {
  const PreparedPipeline *pipeline = result.pipeline;
  if (pipeline == nullptr || pipeline->result_step < 0 || !result.ran[pipeline->result_step]) return 0;
  const SPITupleTable *rows = result.rows[pipeline->result_step];
  return rows == nullptr ? 0 : rows->numvals;
}


Datum result_value(const PipelineResult &result, int column, uint64 row, bool *isnull) {
  const PreparedPipeline *pipeline = result.pipeline;
  if (row >= result_rows(result) || column < 0 || column >= statement(pipeline->driver).result_column_count)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime read a result its statement did not return")));
  const SPITupleTable *rows = result.rows[pipeline->result_step];
  return SPI_getbinval(rows->vals[row], rows->tupdesc, pipeline->result_attnums[column], isnull);
}


int64 sessions_merged(const PipelineResult &result) {
  for (int i = 0; result.pipeline != nullptr && i < result.pipeline->count; i++) {
    if (strcmp(result.pipeline->steps[i].name, "sessions") != 0 || !result.ran[i] || result.rows[i] == nullptr) continue;
    if (result.rows[i]->numvals != 1) return 0;
    bool isnull = false;
    const Datum merged = SPI_getbinval(result.rows[i]->vals[0], result.rows[i]->tupdesc, 1, &isnull);
    return isnull ? 0 : DatumGetInt64(merged);
  }
  return 0;
}

}  // namespace autotime::pg
