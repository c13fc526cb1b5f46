// Helpers behind autotime.attach() and autotime.bind(): contract columns, validation, invalidation.
#include "boundary.hpp"
#include "binding.hpp"
#include "plan_cache.hpp"

// contract_columns(kind_or_role text) RETURNS text[]
AUTOTIME_SQL_FUNCTION(autotime_contract_columns) {
  const char *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
  constexpr int kMaxColumns = 32;
  const char *names[kMaxColumns];
  int count = 0;
  autotime::pg::run_core("list contract columns", [&] {
    const auto kind = autotime::parse_kind(name);
    const auto columns = kind ? autotime::source_columns(*kind) : autotime::role_columns(name);
    for (const std::string_view column : columns)
      if (count < kMaxColumns) names[count++] = column.data();  // literals: NUL-terminated
  });
  if (count == 0) PG_RETURN_NULL();
  Datum *elements = static_cast<Datum *>(palloc(sizeof(Datum) * count));
  for (int i = 0; i < count; i++) elements[i] = CStringGetTextDatum(names[i]);
  PG_RETURN_ARRAYTYPE_P(construct_array(elements, count, TEXTOID, -1, false, TYPALIGN_INT));
}

// contract_type(column text) RETURNS text: integer, timestamptz, boolean, numeric, date or any.
AUTOTIME_SQL_FUNCTION(autotime_contract_type) {
  const char *column = text_to_cstring(PG_GETARG_TEXT_PP(0));
  const std::string_view type = autotime::contract_type(column);
  PG_RETURN_TEXT_P(cstring_to_text_with_len(type.data(), static_cast<int>(type.size())));
}

// validate_attachment(source regclass): prepares the table-reading statements now, so a missing
// column or a bad qualification expression fails at attach time instead of at the first capture.
AUTOTIME_SQL_FUNCTION(autotime_validate_attachment) {
  const Oid relid = PG_GETARG_OID(0);
  SPI_connect();
  for (autotime::Driver driver : {autotime::Driver::Explain, autotime::Driver::BackfillClient, autotime::Driver::BackfillTeam})
    (void)autotime::pg::capture_pipeline_for(relid, driver);
  SPI_finish();
  PG_RETURN_VOID();
}

// invalidate_capture(source regclass): every backend re-reads the binding at its next capture.
AUTOTIME_SQL_FUNCTION(autotime_invalidate_capture) {
  CacheInvalidateRelcacheByRelid(PG_GETARG_OID(0));
  PG_RETURN_VOID();
}
