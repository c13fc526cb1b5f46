"""What the benchmark writes for each activity kind, in one place (bench.py and callgrind_live.py
read it): the one-row insert, its floor (the same insert plus the same link and draft entry as one
plain statement, no logic), the bulk rows, and the bulk floor (the load, then the same links and
entries as plain set-based SQL).

Every floor writes exactly the rows autotime writes for the benchmark's data (checked at the start
of every run): the link with its span (the entry's time, SPEC section 6 double-billing guard) and
the entry with its default UTBMS activity code. The floor knows what autotime looks up: bench/setup.sql
gives client c the picked case c*10+1 (flat fee, so non-billable, for every fifth client), member
u the rate u+100, the team the timezone America/New_York and 15 minutes per activity."""

KINDS = ["call", "sms", "document", "ir_report", "event"]
TABLE = {"call": "calls", "sms": "sms", "document": "documents", "ir_report": "ir_reports", "event": "events"}
SHAPES = {"plain": 0, "partitioned": 4}    # partitions per table (hash by team_id), as AUTOTIME_PARTITIONS=4

ENTRY = ("INSERT INTO bench.time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description, "
         "billable, status, rate, source_kind, source_id, activity_code) ")
LINK = "INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id, span) "
HISTORY = "INSERT INTO autotime.entry_history (team_id, entry_id, actor, action, changes) "

# Per kind: columns of the one-row insert and its VALUES ($1 client, $2 user, $3 unique text);
# the row's actor, time, source key and description as SQL over the inserted row (alias-free);
# the activity code; the bulk rows (g = 1..n, 2 % not qualifying except IR reports, which always do).
SPEC = {
    "call": dict(
        cols="team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty",
        values="1, $1, $2, 'outbound', 'completed', now(), 300, 'bench'",
        actor="user_id", at="started_at", key="id::text",
        descr="CASE direction WHEN 'inbound' THEN 'Phone call (inbound)' ELSE 'Phone call (outbound)' END",
        code="A106", qual="status = 'completed'",
        rows=("SELECT 1, 1 + g % 1000, 101 + g % 50, CASE WHEN g % 4 = 0 THEN 'inbound' ELSE 'outbound' END, "
              "CASE WHEN g % 50 = 0 THEN 'missed' ELSE 'completed' END, "
              "timestamptz '2026-11-01 14:00+00' + g * interval '1 second', 60 + g % 900, 'bench'")),
    "sms": dict(
        cols="team_id, client_id, user_id, direction, status, body, provider_message_id, sent_at",
        values="1, $1, $2, 'outbound', 'delivered', 'bench', $3, now()",
        actor="user_id", at="sent_at", key="'provider:' || provider_message_id",
        descr="'Text message to client'", code="A106",
        qual="direction = 'outbound' AND status IN ('sent', 'delivered')",
        rows=("SELECT 1, 1 + g % 1000, 101 + g % 50, CASE WHEN g % 50 = 0 THEN 'inbound' ELSE 'outbound' END, "
              "CASE WHEN g % 50 = 0 THEN 'received' ELSE 'delivered' END, 'bench', 'msg-' || g, "
              "timestamptz '2026-11-01 14:00+00' + g * interval '1 second'")),
    "document": dict(
        cols="team_id, client_id, user_id, name, template_id, created_at",
        values="1, $1, $2, 'Engagement letter', 7, now()",
        actor="user_id", at="created_at", key="id::text",
        descr="'Prepared document: ' || name", code="A103", qual="template_id IS NOT NULL",
        rows=("SELECT 1, 1 + g % 1000, 101 + g % 50, 'Engagement letter', CASE WHEN g % 50 = 0 THEN NULL ELSE 7 END, "
              "timestamptz '2026-11-01 14:00+00' + g * interval '1 second'")),
    "ir_report": dict(
        cols="team_id, client_id, user_id, title, transcript, created_at",
        values="1, $1, $2, 'Intake interview', 'words', now()",
        actor="user_id", at="created_at", key="id::text",
        descr="'Interaction report: ' || title", code="A106", qual="true",
        rows=("SELECT 1, 1 + g % 1000, 101 + g % 50, 'Intake interview', 'bench', "
              "timestamptz '2026-11-01 14:00+00' + g * interval '1 second'")),
    "event": dict(
        cols="team_id, client_id, user_id, title, starts_at, completed_at, completed_by",
        values="1, $1, $2, 'Hearing', now(), now(), $2",
        actor="coalesce(completed_by, user_id)", at="completed_at", key="id::text",
        descr="'Completed: ' || title", code="A109", qual="completed_at IS NOT NULL",
        rows=("SELECT 1, 1 + g % 1000, 101 + g % 50, 'Hearing', timestamptz '2026-11-01 13:00+00' + g * interval '1 second', "
              "CASE WHEN g % 50 = 0 THEN NULL ELSE timestamptz '2026-11-01 14:00+00' + g * interval '1 second' END, "
              "NULL::bigint")),
}


def one_row(kind):
    """The one-row insert (variants none, autotime, plpgsql): $1 client, $2 user, $3 unique text."""
    s = SPEC[kind]
    return f"INSERT INTO bench.{TABLE[kind]} ({s['cols']}) VALUES ({s['values']})"


def one_row_floor(kind, history=False):
    """The live floor: the same insert, link and entry as ONE plain statement, no logic. With
    history: also the entry's 'created' row of the entry history (SPEC section 7), the row as jsonb,
    which autotime must write too (the floor_history variant of callgrind_live.py)."""
    s = SPEC[kind]
    entry = (f"{ENTRY}SELECT team_id, client_id, $1 * 10 + 1, {s['actor']}, ({s['at']} AT TIME ZONE 'America/New_York')::date, "
             f"15, {s['descr']}, $1 % 5 <> 0, 'draft', {s['actor']} + 100, '{kind}', id, '{s['code']}' FROM a")
    if history:
        entry = f"e AS ({entry} RETURNING *) {HISTORY}SELECT team_id, id, current_user, 'created', to_jsonb(e) FROM e"
    return (f"WITH a AS ({one_row(kind)} RETURNING *), "
            f"link AS ({LINK}SELECT team_id, '{kind}', {s['key']}, id, "
            f"tstzrange({s['at']}, {s['at']} + interval '15 minutes') FROM a "
            f"ON CONFLICT (team_id, kind, source_key) DO NOTHING)" + (", " if history else " ") + entry)


def bulk_rows(kind, n):
    return SPEC[kind]["rows"] + f" FROM generate_series(1, {n}) g"


def bulk_floor_after(kind):
    """The bulk floor's work after the load: the links and entries of every qualifying row."""
    s, t = SPEC[kind], TABLE[kind]
    return (f"{LINK}SELECT team_id, '{kind}', {s['key']}, id, tstzrange({s['at']}, {s['at']} + interval '15 minutes') "
            f"FROM bench.{t} WHERE {s['qual']} ON CONFLICT (team_id, kind, source_key) DO NOTHING;\n"
            f"{ENTRY}SELECT team_id, client_id, client_id * 10 + 1, {s['actor']}, "
            f"({s['at']} AT TIME ZONE 'America/New_York')::date, 15, {s['descr']}, client_id % 5 <> 0, 'draft', "
            f"{s['actor']} + 100, '{kind}', id, '{s['code']}' FROM bench.{t} WHERE {s['qual']};")


def detach_all():
    return "".join(f"SELECT autotime.detach('bench.{TABLE[k]}');\n" for k in KINDS)


# The entries' history and guideline triggers (1.3) are autotime's logic, not the floor's: the
# variants without autotime (none, floor, plpgsql) run without them, autotime with them.
NO_ENTRY_TRIGGERS = ("DROP TRIGGER IF EXISTS autotime_entry_history ON bench.time_entries; "
                     "DROP TRIGGER IF EXISTS autotime_entry_guidelines ON bench.time_entries;")
