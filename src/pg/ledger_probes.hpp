// Probes of autotime's ledger (activity_links) from C, without a statement.
#pragma once

#include "postgres_headers.hpp"

namespace autotime::pg {

// Whether this transaction (or one of its subtransactions) wrote, in a command since
// `claimed_since`, the link in force of activity `source_id` of `kind` in `team`, keyed as its
// claim keys it (`provider_key`, else the id in `key_space`, NULL for the kind's default space),
// not dismissed: then the claim made since then took it, and the activity's entry is its to write.
// A link another transaction or an earlier statement wrote, or one that names another activity (a
// re-sent text's key), is not.
bool link_claimed_in_this_transaction(int64 team, const char *kind, int64 source_id, const char *provider_key,
                                      const char *key_space, CommandId claimed_since);

}  // namespace autotime::pg
