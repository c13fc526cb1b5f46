// Helpers behind autotime.attach() and autotime.bind(): contract columns, validation, invalidation.
#include "boundary.hpp"
#include "capture_plans.hpp"

extern "C" {

PG_FUNCTION_INFO_V1(autotime_contract_columns);
PG_FUNCTION_INFO_V1(autotime_validate_attachment);
PG_FUNCTION_INFO_V1(autotime_contract_type);
PG_FUNCTION_INFO_V1(autotime_invalidate_capture);

// contract_columns(kind_or_role text) RETURNS text[]
Datum autotime_contract_columns(PG_FUNCTION_ARGS) {
  const char *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
  constexpr int kMaxColumns = 32;
  const char *names[kMaxColumns];
  int count = 0;
  try {
    const auto kind = autotime::parse_kind(name);
    const auto columns = kind ? autotime::source_columns(*kind) : autotime::role_columns(name);
    for (const std::string_view column : columns)
      if (count < kMaxColumns) names[count++] = column.data();  // literals: NUL-terminated
  } catch (...) {
    count = -1;
  }
  if (count < 0) ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("autotime could not list contract columns")));
  if (count == 0) PG_RETURN_NULL();
  Datum *elements = static_cast<Datum *>(palloc(sizeof(Datum) * count));
  for (int i = 0; i < count; i++) elements[i] = CStringGetTextDatum(names[i]);
  PG_RETURN_ARRAYTYPE_P(construct_array(elements, count, TEXTOID, -1, false, TYPALIGN_INT));
}

// contract_type(column text) RETURNS text: integer, timestamptz, boolean, numeric, date or any.
Datum autotime_contract_type(PG_FUNCTION_ARGS) {
  const char *column = text_to_cstring(PG_GETARG_TEXT_PP(0));
  const std::string_view type = autotime::contract_type(column);
  PG_RETURN_TEXT_P(cstring_to_text_with_len(type.data(), static_cast<int>(type.size())));
}

// validate_attachment(source regclass): prepares the table-reading statements now, so a missing
// column or a bad qualification expression fails at attach time instead of at the first capture.
Datum autotime_validate_attachment(PG_FUNCTION_ARGS) {
  const Oid relid = PG_GETARG_OID(0);
  SPI_connect();
  for (autotime::Driver driver : {autotime::Driver::Explain, autotime::Driver::BackfillClient, autotime::Driver::BackfillTeam})
    (void)autotime::pg::capture_pipeline_for(relid, driver);
  SPI_finish();
  PG_RETURN_VOID();
}

// invalidate_capture(source regclass): every backend re-reads the binding at its next capture.
Datum autotime_invalidate_capture(PG_FUNCTION_ARGS) {
  CacheInvalidateRelcacheByRelid(PG_GETARG_OID(0));
  PG_RETURN_VOID();
}

}  // extern "C"
