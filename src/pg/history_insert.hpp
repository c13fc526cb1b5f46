// Appending a row to autotime.entry_history without a statement: the table is opened, the row
// formed and inserted with its index entries and constraints the way PostgreSQL's logical
// replication applies a row (ExecSimpleRelationInsert): ~28 k instructions a row where the INSERT
// run through SPI cost ~17 k more (bench/RESULTS.md).
#pragma once

#include "postgres_headers.hpp"

namespace autotime::pg {

// Inserts (change_id from the identity's sequence, team_id, entry_id, at = clock_timestamp(),
// actor, action, changes) into autotime.entry_history as the table's owner, exactly what
// `INSERT INTO autotime.entry_history (team_id, entry_id, actor, action, changes) VALUES (...)`
// inserts. Returns false, having inserted nothing, when that statement could do more than a
// direct insert does: the table has an INSERT trigger (a foreign key or deferrable key's
// included), a rule, row security, is a partition, or its columns or defaults are not the ones
// autotime created; the caller then runs the statement. `actor` and `changes` (Datum) 0 are NULL.
bool insert_history_row(int64 team_id, int64 entry_id, const char *actor, const char *action, Datum changes);

// Registers the relcache callback that forgets what insert_history_row knows of the table.
void register_history_invalidation();

}  // namespace autotime::pg
