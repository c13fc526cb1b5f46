// A tiny "practice app" on the reference schema of autotime.create_practice_schema().
//
// The app only records what happened: a call, a text, a generated document. It never writes a
// time entry itself. autotime's triggers turn qualifying activity into a draft time entry in the
// same transaction, so an activity that is rolled back takes its entry with it.
import pg from 'pg';

// int8 columns (ids, counts) arrive as strings by default, because they can exceed 2^53. The
// ids of a small practice can't, so read them as plain numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);

// A pool configured from the standard PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ...
// environment, as the application's own role (app_role.sql: practice_app), never a superuser.
// `config` overrides any of it (e.g. { user: 'practice_app' }).
export function connect(config = {}) {
  return new pg.Pool({ max: 4, ...config });
}

// Runs `work(client)` inside BEGIN ... COMMIT on one pooled connection; any error rolls the
// transaction back and is rethrown.
export async function inTransaction(pool, work) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

// Each recorder takes a pool or a client already in a transaction, and returns the new row's id.

export async function recordCall(db, { teamId, clientId, caseId = null, userId, direction, status, startedAt,
                                       durationSeconds = null, counterparty = null }) {
  const { rows } = await db.query(
    `INSERT INTO calls (team_id, client_id, case_id, user_id, direction, status, started_at, duration_seconds, counterparty)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [teamId, clientId, caseId, userId, direction, status, startedAt, durationSeconds, counterparty]);
  return rows[0].id;
}

export async function recordText(db, { teamId, clientId, caseId = null, userId, direction, status, body,
                                       providerMessageId, sentAt }) {
  const { rows } = await db.query(
    `INSERT INTO sms (team_id, client_id, case_id, user_id, direction, status, body, provider_message_id, sent_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [teamId, clientId, caseId, userId, direction, status, body, providerMessageId, sentAt]);
  return rows[0].id;
}

export async function recordDocument(db, { teamId, clientId, caseId = null, userId, name, templateId = null,
                                           createdAt = new Date() }) {
  const { rows } = await db.query(
    `INSERT INTO documents (team_id, client_id, case_id, user_id, name, template_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [teamId, clientId, caseId, userId, name, templateId, createdAt]);
  return rows[0].id;
}

// The review screen: a team's draft entries, oldest work first.
export async function draftEntries(db, teamId) {
  const { rows } = await db.query(
    `SELECT id, client_id, case_id, user_id, work_date::text, minutes, description, billable, rate, amount,
            source_kind, source_id
     FROM autotime.unreviewed WHERE team_id = $1 ORDER BY work_date, id`,
    [teamId]);
  return rows;
}

// A reviewer of the firm approves its entries; returns how many drafts became approved.
export async function approve(db, teamId, entryIds, reviewerUserId) {
  const { rows } = await db.query('SELECT autotime.approve($1::bigint[], $2, team_id => $3) AS approved',
                                  [entryIds, reviewerUserId, teamId]);
  return rows[0].approved;
}

// Why an activity did or did not get an entry: { kind, source_id, team_id, outcome, reason, time_entry_id }.
export async function explain(db, teamId, kind, sourceId) {
  const { rows } = await db.query('SELECT autotime.explain($1, $2, team_id => $3) AS why', [kind, sourceId, teamId]);
  return rows[0].why;
}

// The id of the time entry autotime made for an activity, or null. The entry is written when the
// activity's INSERT statement ends, so ask in the next statement (a data-modifying CTE in the
// INSERT itself can't see it); in the same transaction is fine.
export async function entryFor(db, teamId, kind, sourceId) {
  const { rows } = await db.query('SELECT autotime.entry_for($1, $2, team_id => $3) AS entry_id',
                                  [kind, sourceId, teamId]);
  return rows[0].entry_id;
}

// Creates the entries a client's past activity should have had; returns how many it created.
export async function backfillClient(db, teamId, clientId) {
  const { rows } = await db.query('SELECT autotime.backfill_automatic_time($1, team_id => $2) AS created',
                                  [clientId, teamId]);
  return rows[0].created;
}
