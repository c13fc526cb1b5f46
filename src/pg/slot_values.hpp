// Reading one column of a tuple slot the way the capture SQL reads it: integers of any width as
// int64, and the text of a text, varchar or enum column. Trivially destructible results only, so
// nothing here can be skipped by a PostgreSQL error's longjmp.
#pragma once

#include <optional>
#include <string_view>

#include "postgres_headers.hpp"

extern "C" {
#include "executor/tuptable.h"
}

namespace autotime::pg {

// The integer types column_integer reads (and the probes and partition routing take as keys).
inline bool integer_type(Oid type) { return type == INT2OID || type == INT4OID || type == INT8OID; }

inline std::optional<int64> column_integer(TupleTableSlot *slot, AttrNumber attnum) {
  bool isnull = false;
  const Datum value = slot_getattr(slot, attnum, &isnull);
  if (isnull) return std::nullopt;
  switch (TupleDescAttr(slot->tts_tupleDescriptor, attnum - 1)->atttypid) {
    case INT2OID: return DatumGetInt16(value);
    case INT4OID: return DatumGetInt32(value);
    default: return DatumGetInt64(value);
  }
}

// Valid while the slot holds its tuple (an enum's label is palloc'd); nullopt for NULL.
inline std::optional<std::string_view> column_text(TupleTableSlot *slot, AttrNumber attnum) {
  bool isnull = false;
  const Datum value = slot_getattr(slot, attnum, &isnull);
  if (isnull) return std::nullopt;
  const Oid type = TupleDescAttr(slot->tts_tupleDescriptor, attnum - 1)->atttypid;
  if (type_is_enum(type)) {
    Oid output = InvalidOid;
    bool varlena = false;
    getTypeOutputInfo(type, &output, &varlena);
    return std::string_view(OidOutputFunctionCall(output, value));
  }
  text *t = DatumGetTextPP(value);
  return std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

// A palloc'd, NUL-terminated copy of column_text (nullptr for NULL), to keep past the slot's tuple.
inline const char *column_text_copy(TupleTableSlot *slot, AttrNumber attnum) {
  const auto text = column_text(slot, attnum);
  return text ? pnstrdup(text->data(), text->size()) : nullptr;
}

}  // namespace autotime::pg
