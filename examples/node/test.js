// End-to-end check of app.js against a database where autotime and its practice schema exist
// (scripts/test.d/node_example.sh creates one). Run with: node --test test.js
// The environment (PGHOST, PGUSER, ...) names a superuser, the DBA: it creates the application's
// role from app_role.sql and opts firms in. Everything the app does runs as that role.
// The tests run in order and build on each other, like a day at the firm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  connect, inTransaction, recordCall, recordText, recordDocument, draftEntries, approve, explain, entryFor,
  backfillClient,
} from './app.js';

const FIRM = 1;        // opted in to autotime
const OTHER_FIRM = 2;  // not yet opted in: its history is for the backfill
const ANA = 10;        // attorney at FIRM
const DEV = 20;        // attorney at OTHER_FIRM
const GOMEZ = 100;     // client of FIRM
const NORTHWIND = 200; // client of OTHER_FIRM

const APP_ROLE_SQL = readFileSync(new URL('./app_role.sql', import.meta.url), 'utf8');
let dba;               // the DBA's connection (a superuser): roles and settings only
let pool;              // the application's connection, as practice_app
const recorded = {};   // activity ids recorded by the tests, by name

before(async () => {
  dba = connect();
  await dba.query(APP_ROLE_SQL);
  pool = connect({ user: 'practice_app' });
  // Opting the firms in (or not yet) is the DBA's decision, not the app's.
  await dba.query(`INSERT INTO autotime.team_settings (team_id, enabled, timezone) VALUES
                     ($1, true, 'America/New_York'), ($2, false, 'UTC')`, [FIRM, OTHER_FIRM]);
  // The firm's own data, set up the way an admin screen would.
  await inTransaction(pool, async (db) => {
    await db.query(`INSERT INTO teams (team_id, name) VALUES ($1, 'Hale & Ortiz LLP'), ($2, 'Northside Legal')`,
                   [FIRM, OTHER_FIRM]);
    await db.query(`INSERT INTO team_members (team_id, user_id, name, hourly_rate) VALUES
                      ($1, $2, 'Ana Hale', 350), ($3, $4, 'Dev Patel', 200)`, [FIRM, ANA, OTHER_FIRM, DEV]);
    await db.query(`INSERT INTO clients (team_id, id, name) VALUES ($1, $2, 'Maria Gomez'), ($3, $4, 'Northwind Ltd')`,
                   [FIRM, GOMEZ, OTHER_FIRM, NORTHWIND]);
    await db.query(`INSERT INTO cases (team_id, id, client_id, title) VALUES
                      ($1, 1000, $2, 'Gomez v. Landlord'), ($3, 2000, $4, 'Northwind lease')`,
                   [FIRM, GOMEZ, OTHER_FIRM, NORTHWIND]);
  });
});

after(async () => {
  await pool.end();
  await dba.end();
});

test('the app connects as its own role, which is no superuser', async () => {
  const { rows } = await pool.query(`SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user`);
  assert.deepEqual(rows, [{ current_user: 'practice_app', rolsuper: false }]);
  // The README shows exactly the grants the app runs with.
  assert.ok(readFileSync(new URL('./README.md', import.meta.url), 'utf8').includes(APP_ROLE_SQL.trim()),
            'README.md must show app_role.sql as it is');
});

test('a completed call, a sent text and a generated document each commit in their own transaction', async () => {
  recorded.call = await inTransaction(pool, (db) => recordCall(db, {
    teamId: FIRM, clientId: GOMEZ, userId: ANA, direction: 'outbound', status: 'completed',
    startedAt: '2026-03-10T13:05:00Z', durationSeconds: 14 * 60, counterparty: 'Maria Gomez',
  }));
  recorded.text = await inTransaction(pool, (db) => recordText(db, {
    teamId: FIRM, clientId: GOMEZ, userId: ANA, direction: 'outbound', status: 'sent',
    body: 'Hearing confirmed for Thursday 9am', providerMessageId: 'SM-101', sentAt: '2026-03-10T15:00:00Z',
  }));
  recorded.document = await inTransaction(pool, (db) => recordDocument(db, {
    teamId: FIRM, clientId: GOMEZ, caseId: 1000, userId: ANA, name: 'Demand letter', templateId: 7,
    createdAt: '2026-03-10T16:00:00Z',
  }));
  for (const id of Object.values(recorded)) assert.equal(typeof id, 'number');
});

test('a call whose transaction rolls back leaves no entry behind', async () => {
  await assert.rejects(inTransaction(pool, async (db) => {
    recorded.rolledBackCall = await recordCall(db, {
      teamId: FIRM, clientId: GOMEZ, userId: ANA, direction: 'inbound', status: 'completed',
      startedAt: '2026-03-10T17:00:00Z', durationSeconds: 300,
    });
    // Inside the transaction the draft entry is already there: capture is part of the insert.
    const inside = await draftEntries(db, FIRM);
    assert.ok(inside.some((e) => e.source_kind === 'call' && e.source_id === recorded.rolledBackCall));
    throw new Error('the caller hung up on the intake form'); // the app gives up: ROLLBACK
  }), /hung up/);

  const why = await explain(pool, FIRM, 'call', recorded.rolledBackCall);
  assert.equal(why.outcome, 'skipped');
  assert.equal(why.reason, 'unknown_activity');
});

test('exactly three draft entries wait for review, one per committed activity', async () => {
  const drafts = await draftEntries(pool, FIRM);
  assert.equal(drafts.length, 3);
  assert.deepEqual(drafts.map((e) => `${e.source_kind} ${e.source_id}`).sort(), [
    `call ${recorded.call}`, `document ${recorded.document}`, `sms ${recorded.text}`,
  ]);
  assert.ok(!drafts.some((e) => e.source_id === recorded.rolledBackCall && e.source_kind === 'call'));
  for (const e of drafts) {
    assert.equal(e.client_id, GOMEZ);
    assert.equal(e.case_id, 1000);
    assert.equal(e.user_id, ANA);
    assert.equal(e.work_date, '2026-03-10'); // the local date in New York
    assert.equal(e.minutes, 15);             // the default minutes_per_activity
    assert.equal(e.billable, true);
    assert.equal(e.rate, '350.00');          // numeric arrives as a string
    assert.doesNotMatch(e.description, /Hearing confirmed/); // never the text's body
  }
  assert.equal(drafts.find((e) => e.source_kind === 'document').description, 'Prepared document: Demand letter');

  const why = await explain(pool, FIRM, 'call', recorded.call);
  assert.equal(why.outcome, 'created');
  assert.equal(why.time_entry_id, drafts.find((e) => e.source_kind === 'call').id);
});

test('the app learns the entry made for the row it just wrote, in the next statement', async () => {
  const { callId, sameStatement, nextStatement } = await inTransaction(pool, async (db) => {
    // A data-modifying CTE runs before the capture trigger, which fires when the statement ends.
    const { rows } = await db.query(
      `WITH c AS (INSERT INTO calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds)
                  VALUES ($1, $2, $3, 'inbound', 'completed', '2026-03-10T18:00:00Z', 60) RETURNING id)
       SELECT c.id, autotime.entry_for('call', c.id, team_id => $1) AS entry_id FROM c`, [FIRM, GOMEZ, ANA]);
    return { callId: rows[0].id, sameStatement: rows[0].entry_id, nextStatement: await entryFor(db, FIRM, 'call', rows[0].id) };
  });
  assert.equal(sameStatement, null);
  assert.equal(typeof nextStatement, 'number');
  assert.equal((await explain(pool, FIRM, 'call', callId)).time_entry_id, nextStatement);
  assert.equal(await entryFor(pool, FIRM, 'call', recorded.rolledBackCall), null); // rolled back: none
  // A reviewer dismisses it (the app role may not), so the review list is as the tests below expect.
  await dba.query('SELECT autotime.dismiss(ARRAY[$1]::bigint[], team_id => $2)', [nextStatement, FIRM]);
  assert.equal((await explain(pool, FIRM, 'call', callId)).reason, 'dismissed');
});

test('the app role can record and review, but not write entries, read the ledger or change settings', async () => {
  const refused = (sql, params = []) => assert.rejects(pool.query(sql, params), /permission denied/);
  await refused(`INSERT INTO time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description)
                 VALUES ($1, $2, 1000, $3, '2026-03-10', 60, 'made up')`, [FIRM, GOMEZ, ANA]);
  await refused('UPDATE time_entries SET minutes = 600 WHERE team_id = $1', [FIRM]);
  await refused('SELECT count(*) FROM autotime.activity_links');
  await refused('UPDATE autotime.team_settings SET enabled = true WHERE team_id = $1', [OTHER_FIRM]);
  await refused(`SELECT autotime.dismiss(ARRAY[1]::bigint[], team_id => $1)`, [FIRM]);
});

test('approving an entry takes it off the review list', async () => {
  const [first] = await draftEntries(pool, FIRM);
  assert.equal(await approve(pool, FIRM, [first.id], ANA), 1);

  const { rows } = await pool.query('SELECT status, reviewed_by FROM time_entries WHERE team_id = $1 AND id = $2',
                                    [FIRM, first.id]);
  assert.deepEqual(rows, [{ status: 'approved', reviewed_by: ANA }]);
  const left = await draftEntries(pool, FIRM);
  assert.equal(left.length, 2);
  assert.ok(!left.some((e) => e.id === first.id));
  assert.equal(await approve(pool, FIRM, [first.id], ANA), 0); // already approved: nothing changes
});

test('a firm that opts in later gets its history from a backfill, once', async () => {
  // Recorded while OTHER_FIRM was disabled: two qualifying calls, a missed one, a delivered text.
  const history = await inTransaction(pool, async (db) => [
    await recordCall(db, { teamId: OTHER_FIRM, clientId: NORTHWIND, userId: DEV, direction: 'outbound',
                           status: 'completed', startedAt: '2026-02-02T10:00:00Z', durationSeconds: 600 }),
    await recordCall(db, { teamId: OTHER_FIRM, clientId: NORTHWIND, userId: DEV, direction: 'inbound',
                           status: 'completed', startedAt: '2026-02-03T10:00:00Z', durationSeconds: 120 }),
    await recordCall(db, { teamId: OTHER_FIRM, clientId: NORTHWIND, userId: DEV, direction: 'inbound',
                           status: 'missed', startedAt: '2026-02-04T10:00:00Z' }),
    await recordText(db, { teamId: OTHER_FIRM, clientId: NORTHWIND, userId: DEV, direction: 'outbound',
                           status: 'delivered', body: 'Lease draft attached', providerMessageId: 'SM-900',
                           sentAt: '2026-02-05T10:00:00Z' }),
  ]);
  assert.deepEqual(await draftEntries(pool, OTHER_FIRM), []);
  assert.equal((await explain(pool, OTHER_FIRM, 'call', history[0])).reason, 'team_disabled');

  await dba.query('UPDATE autotime.team_settings SET enabled = true WHERE team_id = $1', [OTHER_FIRM]);
  assert.equal((await explain(pool, OTHER_FIRM, 'call', history[0])).reason, 'pending_backfill');

  assert.equal(await backfillClient(pool, OTHER_FIRM, NORTHWIND), 3);
  assert.equal(await backfillClient(pool, OTHER_FIRM, NORTHWIND), 0); // safe to re-run
  const drafts = await draftEntries(pool, OTHER_FIRM);
  assert.deepEqual(drafts.map((e) => e.work_date), ['2026-02-02', '2026-02-03', '2026-02-05']);
  assert.equal((await explain(pool, OTHER_FIRM, 'call', history[0])).outcome, 'created');
  assert.equal((await explain(pool, OTHER_FIRM, 'call', history[2])).outcome, 'not_qualifying');
  assert.equal((await draftEntries(pool, FIRM)).length, 2); // the first firm is untouched
});
