// Which settings some team uses, cached per backend with a generation (settings_cache.hpp).
#include "settings_cache.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
}

namespace autotime::pg {

namespace {

uint64 generation = 1;           // begun anew by every invalidation of the settings
uint64 features_generation = 0;  // the generation cached_features was read in
int cached_features = 0;
Oid settings_relid = InvalidOid;  // autotime.team_settings when last read

void invalidate_settings(Datum, Oid relid) {
  if (relid == InvalidOid || relid == settings_relid) generation++;
}


// Whether autotime's table `name` exists (a database not updated to 1.3 yet has none) and has a row,
// as committed now.
bool any_row_in(Oid schema, const char *name) {
  if (!OidIsValid(schema) || !OidIsValid(get_relname_relid(name, schema))) return false;
  PushActiveSnapshot(GetLatestSnapshot());
  const int rc = SPI_execute(psprintf("SELECT EXISTS (SELECT 1 FROM autotime.%s)", ::quote_identifier(name)), true, 1);
  PopActiveSnapshot();
  if (rc != SPI_OK_SELECT)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read autotime.%s", name)));
  bool isnull = false;
  return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

}  // namespace

int settings_features() {
  if (features_generation != generation) {
    const uint64 reading = generation;
    const Oid schema = get_namespace_oid("autotime", true);
    settings_relid = OidIsValid(schema) ? get_relname_relid("team_settings", schema) : InvalidOid;
    PushActiveSnapshot(GetLatestSnapshot());  // as committed now (see load_binding)
    // (to_jsonb: the column is 1.3's; a 1.2 database reads NULL)
    const int rc = SPI_execute("SELECT EXISTS (SELECT 1 FROM autotime.team_settings s WHERE (pg_catalog.to_jsonb(s) "
                               "OPERATOR(pg_catalog.->>) 'daily_cap_minutes') IS NOT NULL), EXISTS (SELECT 1 FROM "
                               "autotime.team_settings s WHERE (pg_catalog.to_jsonb(s) OPERATOR(pg_catalog.->>) "
                               "'case_fallback') OPERATOR(pg_catalog.<>) 'latest_open'), EXISTS (SELECT 1 FROM "
                               "autotime.team_settings s WHERE s.on_error OPERATOR(pg_catalog.=) 'record'::pg_catalog.text)",
                               true, 1);
    PopActiveSnapshot();
    if (rc != SPI_OK_SELECT)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read its settings")));
    bool isnull = false;
    HeapTuple row = SPI_tuptable->vals[0];
    int features = (DatumGetBool(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull)) ? kDailyCaps : 0) |
                   (DatumGetBool(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull)) ? kCaseFallbacks : 0) |
                   (DatumGetBool(SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &isnull)) ? kRecordsErrors : 0);
    // (1.3's tables: a database not updated yet has none; a trigger on each invalidates this too)
    if (any_row_in(schema, "activity_codes")) features |= kTeamCodes;
    // Sessions (1.3): some team has session_gap_minutes, or some activity is still billed on a
    // session's entry (autotime.sessions_in_use; a partial index makes the second question cheap).
    PushActiveSnapshot(GetLatestSnapshot());
    int sessions_rc = SPI_execute("SELECT pg_catalog.to_regprocedure('autotime.sessions_in_use()') IS NOT NULL", true, 1);
    if (sessions_rc == SPI_OK_SELECT && DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))) {
      sessions_rc = SPI_execute("SELECT autotime.sessions_in_use()", true, 1);
      if (sessions_rc == SPI_OK_SELECT && DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
        features |= kSessions;
    }
    PopActiveSnapshot();
    if (sessions_rc != SPI_OK_SELECT)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("autotime could not read its session settings")));
    if (any_row_in(schema, "billing_rules")) features |= kBillingRules;
    cached_features = features;
    features_generation = reading;  // an invalidation while reading began a newer generation: read again
  }
  return cached_features;
}

bool any_team_records_errors() { return (settings_features() & kRecordsErrors) != 0; }

void register_settings_invalidation() { CacheRegisterRelcacheCallback(invalidate_settings, (Datum)0); }

}  // namespace autotime::pg
