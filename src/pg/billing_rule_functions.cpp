// SQL-callable faces of a client's billing guidelines (src/core/billing_rules.hpp): the check on
// autotime.billing_rules, a clerical kind's entries born non-billable, and an entry's flags.
#include <vector>

#include "../core/billing_rules.hpp"
#include "boundary.hpp"
#include "postgres_headers.hpp"

namespace {

// The rows of autotime.billing_rules that apply to one entry, read from three parallel arrays
// (rule text[], value text[], client_specific boolean[]) into palloc'd memory: no C++ object is
// alive while PostgreSQL may raise an error.
struct RuleArgs {
  int count = 0;
  const char **rules = nullptr;
  const char **values = nullptr;
  bool *client_specific = nullptr;

  std::vector<autotime::BillingRuleRow> rows() const {
    std::vector<autotime::BillingRuleRow> rows;
    for (int i = 0; i < count; i++) rows.push_back({rules[i], values[i], client_specific[i]});
    return rows;
  }
};

RuleArgs rule_args(FunctionCallInfo fcinfo, int first) {
  RuleArgs args;
  if (PG_ARGISNULL(first) || PG_ARGISNULL(first + 1) || PG_ARGISNULL(first + 2)) return args;
  Datum *rules, *values, *own;
  bool *rules_null, *values_null, *own_null;
  int n_rules, n_values, n_own;
  deconstruct_array(PG_GETARG_ARRAYTYPE_P(first), TEXTOID, -1, false, TYPALIGN_INT, &rules, &rules_null, &n_rules);
  deconstruct_array(PG_GETARG_ARRAYTYPE_P(first + 1), TEXTOID, -1, false, TYPALIGN_INT, &values, &values_null, &n_values);
  deconstruct_array(PG_GETARG_ARRAYTYPE_P(first + 2), BOOLOID, 1, true, TYPALIGN_CHAR, &own, &own_null, &n_own);
  if (n_rules != n_values || n_rules != n_own)
    ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("billing rule arrays differ in length")));
  args.rules = static_cast<const char **>(palloc0(sizeof(char *) * (n_rules + 1)));
  args.values = static_cast<const char **>(palloc0(sizeof(char *) * (n_rules + 1)));
  args.client_specific = static_cast<bool *>(palloc0(sizeof(bool) * (n_rules + 1)));
  for (int i = 0; i < n_rules; i++) {
    if (rules_null[i] || values_null[i]) continue;
    args.rules[args.count] = TextDatumGetCString(rules[i]);
    args.values[args.count] = TextDatumGetCString(values[i]);
    args.client_specific[args.count] = !own_null[i] && DatumGetBool(own[i]);
    args.count++;
  }
  return args;
}

std::optional<autotime::Kind> kind_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  return autotime::parse_kind(text_to_cstring(PG_GETARG_TEXT_PP(n)));
}

}  // namespace

// rule_billing_problem(rule text, value text) RETURNS text: why the row is refused, NULL when fine.
AUTOTIME_SQL_FUNCTION(autotime_rule_billing_problem) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_NULL();
  const char *rule = text_to_cstring(PG_GETARG_TEXT_PP(0));
  const char *value = text_to_cstring(PG_GETARG_TEXT_PP(1));
  const char *problem =
      autotime::pg::call_core("check a billing rule", [&] { return autotime::billing_rule_problem(rule, value); });
  if (problem[0] == '\0') PG_RETURN_NULL();
  PG_RETURN_TEXT_P(cstring_to_text(problem));
}

// rule_born_non_billable(kind text, rules text[], vals text[], client_specific boolean[]) RETURNS boolean
AUTOTIME_SQL_FUNCTION(autotime_rule_born_non_billable) {
  const std::optional<autotime::Kind> kind = kind_arg(fcinfo, 0);
  if (!kind) PG_RETURN_BOOL(false);
  const RuleArgs args = rule_args(fcinfo, 1);
  const char *verdict = autotime::pg::call_core("read a client's billing rules", [&] {
    return std::string(autotime::born_non_billable(*kind, autotime::guidelines_in_force(args.rows())) ? "t" : "f");
  });
  PG_RETURN_BOOL(verdict[0] == 't');
}

// rule_entry_flags(kind text, minutes integer, billable boolean, activity_code text, rules text[],
// vals text[], client_specific boolean[]) RETURNS TABLE (rule text, detail text)
AUTOTIME_SQL_FUNCTION(autotime_rule_entry_flags) {
  InitMaterializedSRF(fcinfo, 0);
  auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  const std::optional<autotime::Kind> kind = kind_arg(fcinfo, 0);
  if (!kind || PG_ARGISNULL(1)) return (Datum)0;
  const RuleArgs args = rule_args(fcinfo, 4);
  autotime::EntryFacts entry;
  entry.kind = *kind;
  entry.minutes = PG_GETARG_INT32(1);
  entry.billable = PG_ARGISNULL(2) || PG_GETARG_BOOL(2);
  entry.activity_code = PG_ARGISNULL(3) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(3));
  // One flag per line: rule, a tab, its detail (neither holds a tab or a newline).
  char *flags = autotime::pg::call_core("flag an entry", [&] {
    std::string out;
    for (const autotime::EntryFlag &flag : autotime::entry_flags(entry, autotime::guidelines_in_force(args.rows())))
      out.append(autotime::billing_rule_name(flag.rule)).append("\t").append(flag.detail).append("\n");
    return out;
  });
  for (char *line = flags; *line != '\0';) {
    char *tab = strchr(line, '\t');
    char *end = strchr(line, '\n');
    *tab = '\0';
    *end = '\0';
    Datum values[2] = {CStringGetTextDatum(line), CStringGetTextDatum(tab + 1)};
    bool nulls[2] = {false, false};
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    line = end + 1;
  }
  return (Datum)0;
}
