#include "statements.hpp"

namespace autotime {

std::string_view type_sql(ValueType type) noexcept {
  switch (type) {
    case ValueType::Int8: return "int8";
    case ValueType::Int4: return "int4";
    case ValueType::Text: return "text";
    case ValueType::Bool: return "bool";
    case ValueType::Numeric: return "numeric";
    case ValueType::Date: return "date";
    case ValueType::TimestampTz: return "timestamptz";
  }
  return "text";
}

std::string parameter_sql(Driver driver, std::string_view name) {
  const int index = parameter_index(driver, name);
  return "$" + std::to_string(index + 1) + "::pg_catalog." + std::string(type_sql(statement(driver).parameters[index].type));
}

}  // namespace autotime
