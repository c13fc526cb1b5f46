// What the catalog says about an attached relation: its attachment, the tables bound to each role
// and whose rights each capture step runs with; and the capture statements the core builds from them.
#pragma once

#include "../core/capture_sql.hpp"
#include "postgres_headers.hpp"

namespace autotime::pg {

inline constexpr int kRoleCount = 3;
inline constexpr const char *kRoles[kRoleCount] = {"time_entries", "cases", "team_members"};

// One relation of a binding as read from the catalog, before the core sees it.
struct RawRelation {
  Oid relid = InvalidOid;
  const char *qualified_name = nullptr;
  int column_count = 0;
  const char **contract_columns = nullptr;
  const char **table_columns = nullptr;
};

struct RawBinding {
  bool failures_table = false;
  bool released_links = false;
  bool ledger_key_spaces = false;
  bool entries_name_table = false;
  int entries_activity_key = 0;  // EntryActivityKey, as read from the catalog
  bool entries_partitioned = false;
  bool billing_increments = false;
  bool daily_caps = false;
  bool case_fallbacks = false;
  bool entry_spans = false;
  bool entries_have_codes = false;
  bool team_codes = false;
  bool sessions = false;
  bool source_team_index = false;
  bool many_rows = false;
  bool join_members = false;
  const char *key_space = nullptr;
  const char *kind = nullptr;
  const char *qualifies = nullptr;
  RawRelation source;
  RawRelation roles[kRoleCount];
};

static_assert(std::is_trivially_destructible_v<RawBinding>);

// Reads the attachment of `relid` (or of the attached table it is a partition of) and the role
// bindings, as committed now. Errors clearly when it is not attached or a role is not bound.
RawBinding load_binding(Oid relid);

// The attachment checked again against the table as it is now (see binding.cpp).
void check_attachment_still_fits(Oid attached);

// The role a step of `run_as` runs as: the owner of the table it reads or writes, or autotime's.
Oid step_user(RunAs run_as, const RawBinding &raw);

// The driver's steps from the core (merged where the same role runs consecutive steps),
// flattened for the trip across the C++ boundary (see binding.cpp for the format).
char *build_pipeline(const RawBinding &raw, Driver driver, const int (&owner_group)[kRunAsCount]);

// The attached tables (of `kind`, or all when nullptr), ordered by kind then OID, palloc'd; their
// number in *count. Must run inside SPI_connect.
Oid *attached_sources(uint64 *count, const char *kind = nullptr);

// The table's own name for a contract column of the source, or of a bound relation.
const char *source_column(const RawBinding &raw, const char *contract_column);
const char *role_column(const RawRelation &rel, const char *contract_column);

}  // namespace autotime::pg
