// Concurrency stress test of live capture and backfill through real connections (libpq).
//
// Eight threads, one connection each, write tens of thousands of mixed activities into the
// reference practice schema: calls inserted completed or ringing and completed later (some in two
// steps), texts whose provider_message_ids are replayed across connections (and replay
// un-captured history), texts queued and sent later, documents with and without templates (some
// given a template later), IR reports, events completed later, multi-row VALUES lists, COPY,
// explicit transactions (a quarter rolled back), while two of the connections also run
// autotime.backfill_automatic_time for every client and one runs CALL autotime.backfill_team
// mid-run. History written while the teams were disabled is only reachable by those backfills.
// Racing all of that, identity changes and removals (SPEC 4.11-12): activities renumbered to a
// fresh id (mostly captured ones), moved to another team (a client, case and member of that team)
// or to another client of their team, their client alone corrected, rows re-sent by a sync job
// (DELETE and INSERT of the same rows, in one transaction or two), two TRUNCATEs of sms with a
// third of the texts sent again (in the same transaction, then in the next one), drafts dismissed
// (autotime.dismiss) and drafts deleted by hand; now and then the activity renumbered or moved is
// one whose entry a person removed. Each identity change is recorded in stress_lineage (old key ->
// new key, and whether the row held its old key's link) and each removal in stress_removed (by
// dedupe key) by the statement that makes it.
//
// Afterwards, from the tables themselves, right after the run and again after a final
// CALL autotime.backfill_team of every team:
//   - no statement failed on any connection (no deadlock, no unique violation, nothing);
//   - no dedupe key and no source row has two entries; every entry's activity exists (every entry
//     is a draft here) and is capturable, and the entry has a link that is neither released nor
//     dismissed; a released or dismissed link has no entry, a hand-deleted entry's tombstone none,
//     any other link exactly one;
//   - each entry's client, case, user, rate, work date, minutes and billable flag match the oracle
//     (an independent SQL oracle of the rules) for its source row as it is now, and an entry for a
//     live row that never changed identity was written by that row's own transaction (same xmin),
//     so a miss by live capture can't hide behind a later backfill;
//   - right after the run, every capturable key whose rows were all written live and never changed
//     identity has its entry unless a person removed it (live capture lost nothing);
//   - an entry a person dismissed or deleted never comes back, also after its activity was
//     renumbered or moved (the removal is followed through stress_lineage, by the rows that held
//     the removed key's link: a replayed text moved elsewhere is that firm's), and the ledger keeps
//     the removal where the activity is (the id key it left may be released);
//   - after the final backfill, the keys with an entry are exactly the capturable keys not removed
//     by a person (entries == held links == that number).
//
// Connection: the usual libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE) or AUTOTIME_TEST_DSN.
// The database must have the extension, the practice schema in `public` and the firm that
// scripts/test.d/stress.sh creates (3 teams, their settings, members, clients and cases).
// Size: AUTOTIME_STRESS_OPS operations per thread (default 700), AUTOTIME_STRESS_SEED (default 20260101).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr int kThreads = 8;

std::string env_or(const char *name, const std::string &fallback) {
  const char *value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Everything that went wrong anywhere, and the run's counters.
struct Stats {
  std::mutex mutex;
  std::vector<std::string> errors;
  std::atomic<long> deadlocks{0};
  std::atomic<long> statements{0};
  std::atomic<long> committed_txns{0};
  std::atomic<long> rolled_back_txns{0};
  std::atomic<long> rows_written{0};
  std::atomic<long> backfill_calls{0};
  std::atomic<long> backfill_created{0};
  std::atomic<long> ops_done{0};
  std::atomic<long> renumbered{0}, moved{0}, client_corrected{0}, resent{0}, truncated{0}, truncate_resent{0},
      dismissed{0}, entries_deleted{0};
  std::atomic<bool> backfill_team_finished{false};
  std::string backfill_team_summary;
  double backfill_team_started_at = -1;  // seconds into the run
  double backfill_team_seconds = -1;

  void error(const std::string &text) {
    std::lock_guard<std::mutex> lock(mutex);
    if (errors.size() < 50) errors.push_back(text);
    else if (errors.size() == 50) errors.push_back("... more errors not kept");
  }
};

Stats stats;

void count_notice(void *arg, const PGresult *result) {
  auto *last = static_cast<std::string *>(arg);
  const char *message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (message != nullptr) *last = message;
}

class Connection {
 public:
  Connection(std::string name) : name_(std::move(name)) {
    const std::string dsn = env_or("AUTOTIME_TEST_DSN", "");
    conn_ = PQconnectdb(dsn.c_str());  // empty: everything from the PG* environment
    if (PQstatus(conn_) != CONNECTION_OK) {
      stats.error(name_ + ": cannot connect: " + PQerrorMessage(conn_));
      return;
    }
    PQsetNoticeReceiver(conn_, count_notice, &last_notice_);
    exec("SET statement_timeout = '90s'", "setup");
    exec("SET application_name = 'autotime_stress_" + name_ + "'", "setup");
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  const std::string &last_notice() const { return last_notice_; }

  // Runs one statement; records any failure (with its SQLSTATE) and returns nullptr then.
  Result exec(const std::string &sql, const char *what) {
    Result result(PQexec(conn_, sql.c_str()), &PQclear);
    stats.statements++;
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN) return result;
    record_failure(result.get(), what, sql);
    return Result(nullptr, &PQclear);
  }

  // COPY ... FROM STDIN with the given text-format lines.
  bool copy_in(const std::string &copy_sql, const std::string &data, const char *what) {
    Result start = exec(copy_sql, what);
    if (!start) return false;
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
      stats.error(name_ + " " + what + ": COPY did not start");
      return false;
    }
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1) {
      stats.error(name_ + " " + what + ": sending COPY data failed: " + PQerrorMessage(conn_));
      return false;
    }
    bool good = true;
    while (PGresult *r = PQgetResult(conn_)) {
      Result result(r, &PQclear);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        record_failure(r, what, copy_sql);
        good = false;
      }
    }
    return good;
  }

  // A single number from a query (or -1 after recording an error).
  long long scalar(const std::string &sql, const char *what) {
    Result result = exec(sql, what);
    if (!result || PQntuples(result.get()) != 1 || PQgetisnull(result.get(), 0, 0)) {
      if (result) stats.error(name_ + " " + what + ": expected one non-NULL value");
      return -1;
    }
    return std::atoll(PQgetvalue(result.get(), 0, 0));
  }

 private:
  void record_failure(const PGresult *result, const char *what, const std::string &sql) {
    const char *state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const std::string code = state != nullptr ? state : "?????";
    if (code == "40P01") stats.deadlocks++;
    std::string message = PQresultErrorMessage(result);
    if (message.empty()) message = PQerrorMessage(conn_);
    stats.error(name_ + " " + what + " [" + code + "] " + message + "   statement: " + sql.substr(0, 300));
  }

  std::string name_;
  PGconn *conn_ = nullptr;
  std::string last_notice_;
};

// The firm as stress.sh created it, read back from the database.
struct Client {
  long long team;
  long long id;
  std::vector<long long> cases;
};
struct TeamUsers {
  std::vector<long long> can_log, cannot_log;
  long long stranger = 0;  // a user id that is not a member of the team
};
struct Firm {
  std::vector<Client> clients;
  std::map<long long, TeamUsers> users;
  std::map<long long, std::vector<size_t>> clients_of_team;
};

Firm load_firm(Connection &conn) {
  Firm firm;
  Result clients = conn.exec(
      "SELECT cl.team_id, cl.id, coalesce(array_to_string(array_agg(c.id ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), ' '), '') "
      "FROM clients cl LEFT JOIN cases c ON c.team_id = cl.team_id AND c.client_id = cl.id "
      "GROUP BY 1, 2 ORDER BY 1, 2", "load clients");
  if (!clients) return firm;
  for (int i = 0; i < PQntuples(clients.get()); i++) {
    Client c{std::atoll(PQgetvalue(clients.get(), i, 0)), std::atoll(PQgetvalue(clients.get(), i, 1)), {}};
    std::istringstream ids(PQgetvalue(clients.get(), i, 2));
    long long id;
    while (ids >> id) c.cases.push_back(id);
    firm.clients_of_team[c.team].push_back(firm.clients.size());
    firm.clients.push_back(c);
  }
  Result members = conn.exec("SELECT team_id, user_id, can_log_time FROM team_members ORDER BY team_id, user_id", "load members");
  if (!members) return firm;
  for (int i = 0; i < PQntuples(members.get()); i++) {
    TeamUsers &team = firm.users[std::atoll(PQgetvalue(members.get(), i, 0))];
    const long long user = std::atoll(PQgetvalue(members.get(), i, 1));
    (PQgetvalue(members.get(), i, 2)[0] == 't' ? team.can_log : team.cannot_log).push_back(user);
    team.stranger = std::max(team.stranger, user + 1);
  }
  return firm;
}

std::string num_or_null(long long value) { return value < 0 ? "NULL" : std::to_string(value); }

// Texts' provider ids are drawn from one pool shared by every connection and the history, so the
// same webhook arrives on several connections. The pool id fixes the text's facts; only its
// status differs between arrivals (a replay may arrive as queued, then as sent).
constexpr long long kProviderPool = 6000;

// Generates activity rows. Used by the history load and by every worker.
class Generator {
 public:
  Generator(const Firm &firm, uint64_t seed) : firm_(firm), rng_(seed) {}

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  struct Who {
    long long team, client, case_id, user;  // -1 = NULL
  };

  // Mostly members who may log time; some who can't, some who aren't members, some without one.
  long long pick_user(long long team, bool may_be_null) {
    const TeamUsers &users = firm_.users.at(team);
    const int r = uniform(0, 99);
    if (may_be_null && r < 5) return -1;
    if (r < 12 || users.can_log.empty()) return users.stranger;
    if (r < 22 && !users.cannot_log.empty())
      return users.cannot_log[static_cast<size_t>(uniform(0, static_cast<int>(users.cannot_log.size()) - 1))];
    return users.can_log[static_cast<size_t>(uniform(0, static_cast<int>(users.can_log.size()) - 1))];
  }

  // 80% no case (the client's latest open case applies), 12% the client's own case (any status),
  // 8% a case of another client of the same team (case_mismatch).
  long long pick_case(const Client &client) {
    const int r = uniform(0, 99);
    if (r < 80 || client.cases.empty()) return -1;
    if (r < 92) return client.cases[static_cast<size_t>(uniform(0, static_cast<int>(client.cases.size()) - 1))];
    const auto &team_clients = firm_.clients_of_team.at(client.team);
    const Client &other = firm_.clients[team_clients[static_cast<size_t>(uniform(0, static_cast<int>(team_clients.size()) - 1))]];
    if (other.id == client.id || other.cases.empty()) return -1;
    return other.cases[static_cast<size_t>(uniform(0, static_cast<int>(other.cases.size()) - 1))];
  }

  Who who(bool user_may_be_null = false) {
    const Client &c = firm_.clients[static_cast<size_t>(uniform(0, static_cast<int>(firm_.clients.size()) - 1))];
    return {c.team, c.id, pick_case(c), pick_user(c.team, user_may_be_null)};
  }

  std::string when() { return "now() - interval '" + std::to_string(uniform(0, 40 * 86400)) + " seconds'"; }

  std::string call_row(const char *status, bool with_duration) {
    const Who w = who();
    return "(" + std::to_string(w.team) + ", " + std::to_string(w.client) + ", " + num_or_null(w.case_id) + ", " +
           num_or_null(w.user) + ", '" + (chance(0.5) ? "inbound" : "outbound") + "', '" + status + "', " + when() +
           ", " + (with_duration ? std::to_string(uniform(0, 3600)) : "NULL") + ", 'live')";
  }
  static constexpr const char *kCallColumns =
      "calls (team_id, client_id, case_id, user_id, direction, status, started_at, duration_seconds, counterparty)";

  // A text from the shared pool: its facts are a function of the pool id.
  std::string pooled_sms_row(long long n, bool history) {
    const Client &c = firm_.clients[static_cast<size_t>(n % static_cast<long long>(firm_.clients.size()))];
    const TeamUsers &users = firm_.users.at(c.team);
    const long long pick = (n / 7) % 8;  // 0..4 may log time, 5 may not, 6 not a member, 7 NULL
    long long user = -1;
    if (pick < 5 && !users.can_log.empty())
      user = users.can_log[static_cast<size_t>(pick) % users.can_log.size()];
    else if (pick == 5 && !users.cannot_log.empty()) user = users.cannot_log.front();
    else if (pick == 6) user = users.stranger;
    const long long case_id = n % 13 == 0 && !c.cases.empty() ? c.cases[static_cast<size_t>(n % c.cases.size())] : -1;
    const char *direction = n % 17 == 0 ? "inbound" : "outbound";
    const int r = uniform(0, 99);
    const char *status = r < 55 ? "sent" : r < 75 ? "delivered" : r < 90 ? "queued" : "failed";
    if (n % 17 == 0) status = "received";
    return "(" + std::to_string(c.team) + ", " + std::to_string(c.id) + ", " + num_or_null(case_id) + ", " +
           num_or_null(user) + ", '" + direction + "', '" + status + "', '" + (history ? "history" : "live") +
           "', 'SM-" + std::to_string(n) + "', now() - interval '" + std::to_string(n * 97 % (40 * 86400)) +
           " seconds')";
  }
  // A text outside the pool: no provider id, or an empty one (its key is then its own id).
  std::string own_sms_row(const char *status, bool with_sent_at) {
    const Who w = who(true);
    return "(" + std::to_string(w.team) + ", " + std::to_string(w.client) + ", " + num_or_null(w.case_id) + ", " +
           num_or_null(w.user) + ", 'outbound', '" + status + "', 'live', " + (chance(0.5) ? "NULL" : "''") + ", " +
           (with_sent_at ? when() : std::string("NULL")) + ")";
  }
  static constexpr const char *kSmsColumns =
      "sms (team_id, client_id, case_id, user_id, direction, status, body, provider_message_id, sent_at)";

  std::string document_row(bool with_template) {
    const Who w = who();
    return "(" + std::to_string(w.team) + ", " + std::to_string(w.client) + ", " + num_or_null(w.case_id) + ", " +
           num_or_null(w.user) + ", 'Engagement letter " + std::to_string(uniform(1, 99999)) + "', " +
           (with_template ? std::to_string(uniform(1, 40)) : std::string("NULL")) + ", " + when() + ")";
  }
  static constexpr const char *kDocumentColumns = "documents (team_id, client_id, case_id, user_id, name, template_id, created_at)";

  std::string report_row() {
    const Who w = who();
    return "(" + std::to_string(w.team) + ", " + std::to_string(w.client) + ", " + num_or_null(w.case_id) + ", " +
           num_or_null(w.user) + ", 'Intake interview " + std::to_string(uniform(1, 99999)) +
           "', 'confidential transcript', " + when() + ")";
  }
  static constexpr const char *kReportColumns = "ir_reports (team_id, client_id, case_id, user_id, title, transcript, created_at)";

  // Tab-separated COPY line for ir_reports (\N = NULL).
  std::string report_copy_line() {
    const Who w = who();
    const auto copy_num = [](long long v) { return v < 0 ? std::string("\\N") : std::to_string(v); };
    return std::to_string(w.team) + "\t" + std::to_string(w.client) + "\t" + copy_num(w.case_id) + "\t" +
           copy_num(w.user) + "\tCopied report " + std::to_string(uniform(1, 99999)) + "\t2026-0" +
           std::to_string(uniform(1, 9)) + "-1" + std::to_string(uniform(0, 9)) + " 0" + std::to_string(uniform(0, 9)) +
           ":30:00+00\n";
  }

  std::string event_row(bool completed) {
    const Who w = who();
    std::string completed_by = "NULL";
    if (completed && chance(0.6)) completed_by = num_or_null(pick_user(w.team, false));
    return "(" + std::to_string(w.team) + ", " + std::to_string(w.client) + ", " + num_or_null(w.case_id) + ", " +
           num_or_null(w.user) + ", 'Hearing " + std::to_string(uniform(1, 99999)) + "', " + when() + ", " +
           (completed ? when() : std::string("NULL")) + ", " + completed_by + ")";
  }
  static constexpr const char *kEventColumns =
      "events (team_id, client_id, case_id, user_id, title, starts_at, completed_at, completed_by)";

  std::string rows(int count, const std::function<std::string()> &row) {
    std::string values;
    for (int i = 0; i < count; i++) values += (i ? ", " : "") + row();
    return values;
  }

  const Firm &firm() const { return firm_; }

 private:
  const Firm &firm_;
  std::mt19937_64 rng_;
};

using Key = std::pair<long long, long long>;  // team, id

// The activity tables as the identity operations see them: kind, table, and the dedupe key of a row
// (over alias x), the same expression the oracle uses.
struct ActivityTable {
  const char *kind;
  const char *table;
  const char *key;
};
constexpr ActivityTable kActivityTables[] = {
    {"call", "calls", "x.id::text"},
    {"sms", "sms", "coalesce(CASE WHEN x.provider_message_id <> '' THEN 'provider:' || x.provider_message_id END, x.id::text)"},
    {"document", "documents", "x.id::text"},
    {"ir_report", "ir_reports", "x.id::text"},
    {"event", "events", "x.id::text"},
};
// Renumbered activities get ids from here up (each connection its own range): fresh, never used.
constexpr long long kRenumberBase = 1000000000LL;

std::vector<Key> read_keys(const PGresult *result) {
  std::vector<Key> keys;
  for (int i = 0; i < PQntuples(result); i++)
    keys.emplace_back(std::atoll(PQgetvalue(result, i, 0)), std::atoll(PQgetvalue(result, i, 1)));
  return keys;
}

std::string key_values(const std::vector<Key> &keys) {
  std::string values;
  for (size_t i = 0; i < keys.size(); i++)
    values += (i ? ", (" : "(") + std::to_string(keys[i].first) + ", " + std::to_string(keys[i].second) + ")";
  return values;
}

// Takes up to `count` random keys out of `pending`.
std::vector<Key> take(std::vector<Key> &pending, Generator &g, int count) {
  std::vector<Key> taken;
  while (!pending.empty() && static_cast<int>(taken.size()) < count) {
    const size_t i = static_cast<size_t>(g.uniform(0, static_cast<int>(pending.size()) - 1));
    taken.push_back(pending[i]);
    pending[i] = pending.back();
    pending.pop_back();
  }
  return taken;
}

class Worker {
 public:
  Worker(int index, const Firm &firm, uint64_t seed, int ops, long total_ops)
      : index_(index), conn_("conn" + std::to_string(index)), g_(firm, seed), ops_(ops), total_ops_(total_ops) {
    for (const Client &c : firm.clients) backfill_order_.emplace_back(c.id, c.team);
    std::sort(backfill_order_.begin(), backfill_order_.end());
    backfill_order_.erase(std::unique(backfill_order_.begin(), backfill_order_.end()), backfill_order_.end());
    if (index_ % 2 == 1) std::reverse(backfill_order_.begin(), backfill_order_.end());
    backfilled_.assign(backfill_order_.size(), false);
  }

  void run(std::chrono::steady_clock::time_point started) {
    if (!conn_.ok()) return;
    const bool backfills = index_ >= kThreads - 2;
    const bool runs_backfill_team = index_ == kThreads - 1;
    bool backfill_team_done = false;
    for (int op = 0; op < ops_; op++) {
      if (index_ == 0 && (op == ops_ / 3 || op == ops_ * 2 / 3)) truncate_sms(op == ops_ / 3);
      one_operation();
      stats.ops_done++;
      if (backfills && op % 4 == 3) backfill_next_client();
      if (runs_backfill_team && !backfill_team_done && stats.ops_done >= total_ops_ * 2 / 5) {
        backfill_team_done = true;
        backfill_team(started);
      }
    }
    // Every client gets at least one backfill from each backfilling connection (history of teams
    // 1 and 2 has no other way in), still racing the other connections' writes.
    for (size_t i = 0; backfills && i < backfill_order_.size(); i++)
      if (!backfilled_[i]) backfill_client(i);
    if (runs_backfill_team && !backfill_team_done) backfill_team(started);
  }

 private:
  // The next client in this connection's order. Team 3's history is left to backfill_team until
  // it has finished, so that the procedure has real work racing the writers.
  void backfill_next_client() {
    for (size_t tries = 0; tries < backfill_order_.size(); tries++) {
      const size_t i = next_backfill_++ % backfill_order_.size();
      if (backfill_order_[i].second == 3 && !stats.backfill_team_finished) continue;
      backfill_client(i);
      return;
    }
  }

  void backfill_client(size_t i) {
    const long long client = backfill_order_[i].first;
    const long long created =
        conn_.scalar("SELECT autotime.backfill_automatic_time(" + std::to_string(client) + ")", "backfill_automatic_time");
    backfilled_[i] = true;
    stats.backfill_calls++;
    if (created > 0) stats.backfill_created += created;
  }

  void backfill_team(std::chrono::steady_clock::time_point started) {
    const auto t0 = std::chrono::steady_clock::now();
    stats.backfill_team_started_at = std::chrono::duration<double>(t0 - started).count();
    conn_.exec("CALL autotime.backfill_team(3, batch_size => 400)", "backfill_team");
    stats.backfill_team_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stats.backfill_team_summary = conn_.last_notice();
    stats.backfill_team_finished = true;
  }

  void insert(const char *columns, const std::string &values, int rows, const char *what) {
    if (conn_.exec(std::string("INSERT INTO ") + columns + " VALUES " + values, what)) stats.rows_written += rows;
  }

  // A random activity row of `t` (team `team`): from the drafts (a captured activity) or any row;
  // now and then one whose entry a person dismissed or deleted (stress_removed).
  std::string pick_row(const ActivityTable &t, long long team, bool captured) {
    const std::string team_s = std::to_string(team);
    if (g_.chance(0.15))
      return std::string("SELECT x.team_id, x.id, ") + t.key + " AS okey FROM " + t.table + " x JOIN (SELECT team_id, key FROM "
             "stress_removed WHERE team_id = " + team_s + " AND kind = '" + t.kind + "' ORDER BY random() LIMIT 1) r ON "
             "x.team_id = r.team_id AND " + (std::string(t.kind) == "sms" ? std::string(t.key) + " = r.key" : "x.id = r.key::bigint") +
             " LIMIT 1 FOR UPDATE OF x";
    if (captured)
      return std::string("SELECT x.team_id, x.id, ") + t.key + " AS okey FROM " + t.table + " x JOIN (SELECT team_id, source_id FROM "
             "time_entries WHERE team_id = " + team_s + " AND source_kind = '" + t.kind + "' AND id >= (SELECT (random() * "
             "max(id))::bigint FROM time_entries WHERE team_id = " + team_s + ") ORDER BY id LIMIT 1) e ON x.team_id = e.team_id "
             "AND x.id = e.source_id FOR UPDATE OF x";
    return std::string("SELECT x.team_id, x.id, ") + t.key + " AS okey FROM " + t.table + " x WHERE x.team_id = " + team_s +
           " AND x.id >= (SELECT (random() * max(id))::bigint FROM " + t.table + " WHERE team_id = " + team_s +
           " AND id < " + std::to_string(kRenumberBase) + ") ORDER BY x.id LIMIT 1 FOR UPDATE";
  }

  // An UPDATE of one picked row that changes its identity, recorded in stress_lineage by the same
  // statement (old key -> new key), so the checks can follow an activity through its changes;
  // `holder`: the row held its old key's link (a replayed text whose key is linked to the text it
  // replays does not: a person's removal of that text stays with it, SPEC 4.12 / sql/identity.sql).
  bool identity_update(const ActivityTable &t, const std::string &picked, const std::string &set, const char *what,
                       const std::string &also = "") {
    Result r = conn_.exec(std::string("WITH o AS (") + picked + "), u AS (UPDATE " + t.table + " x SET " + set +
                              " FROM o WHERE x.team_id = o.team_id AND x.id = o.id" + also + " RETURNING o.team_id AS old_team, o.okey, "
                              "x.team_id AS new_team, " + t.key + " AS nkey, EXISTS (SELECT 1 FROM autotime.activity_links l "
                              "WHERE l.team_id = o.team_id AND l.kind = '" + t.kind + "' AND l.source_key = o.okey AND l.source_id "
                              "= o.id) AS holder) INSERT INTO stress_lineage SELECT '" + t.kind +
                              "', old_team, okey, new_team, nkey, holder FROM u",
                          what);
    return r && std::atoll(PQcmdTuples(r.get())) > 0;
  }

  long long random_team() { return g_.uniform(1, 3); }
  const Client &random_client_of(long long team) {
    const auto &ids = g_.firm().clients_of_team.at(team);
    return g_.firm().clients[ids[static_cast<size_t>(g_.uniform(0, static_cast<int>(ids.size()) - 1))]];
  }

  // The identity and removal operations (SPEC 4.11-12), racing everything else.
  void identity_operation(int pick) {
    const ActivityTable &t = kActivityTables[g_.uniform(0, 4)];
    const long long team = random_team();
    if (pick < 3) {  // renumber an activity (mostly a captured one) to a fresh id
      const long long id = kRenumberBase + static_cast<long long>(index_) * 100000000LL + ++renumbers_;
      if (identity_update(t, pick_row(t, team, g_.chance(0.8)), "id = " + std::to_string(id), "renumber"))
        stats.renumbered++;
    } else if (pick < 5) {  // move an activity to another team (or another client of its team), a valid client and case
      const long long to_team = g_.chance(0.6) ? 1 + (team + g_.uniform(0, 1)) % 3 : team;
      const Client &c = random_client_of(to_team);
      const long long case_id = !c.cases.empty() && g_.chance(0.4)
                                    ? c.cases[static_cast<size_t>(g_.uniform(0, static_cast<int>(c.cases.size()) - 1))] : -1;
      // Another team's activity has another team's people; within the team the actor stays (a new
      // actor alone is not an identity change: the draft keeps who it was for).
      std::string set = "team_id = " + std::to_string(to_team) + ", client_id = " + std::to_string(c.id) +
                        ", case_id = " + num_or_null(case_id);
      if (to_team != team) {
        set += ", user_id = " + std::to_string(g_.pick_user(to_team, false));
        if (std::string(t.kind) == "event") set += ", completed_by = NULL";
      }
      // Within the team, always to another client: a new case alone is not an identity change (and
      // racing a backfill it is the manual's known limit: the entry may keep the old case).
      const std::string also = to_team == team ? " AND x.client_id <> " + std::to_string(c.id) : "";
      if (identity_update(t, pick_row(t, team, g_.chance(0.7)), set, "move activity", also)) stats.moved++;
    } else if (pick < 7) {  // correct only the client (rows without a case of their own)
      const Client &c = random_client_of(team);
      const std::string picked = std::string("SELECT x.team_id, x.id, ") + t.key + " AS okey FROM " + t.table +
                                 " x WHERE x.team_id = " + std::to_string(team) + " AND x.case_id IS NULL AND x.client_id <> " +
                                 std::to_string(c.id) + " AND x.id >= (SELECT (random() * max(id))::bigint FROM " + t.table +
                                 " WHERE team_id = " + std::to_string(team) + " AND id < " + std::to_string(kRenumberBase) +
                                 ") ORDER BY x.id LIMIT 1 FOR UPDATE";
      if (identity_update(t, picked, "client_id = " + std::to_string(c.id), "correct client")) stats.client_corrected++;
    } else if (pick < 10) {  // a sync job re-sends rows: DELETE, then INSERT of the same rows (same keys)
      const std::string temp = std::string("resend_") + t.table;
      conn_.exec("CREATE TEMP TABLE IF NOT EXISTS " + temp + " (LIKE " + t.table + ")", "resend temp");
      const bool one_txn = g_.chance(0.6);
      if (one_txn && !conn_.exec("BEGIN", "begin")) return;
      const int n = g_.uniform(1, 6);
      conn_.exec("DELETE FROM " + temp, "resend temp");
      Result d = conn_.exec(std::string("WITH d AS (DELETE FROM ") + t.table + " x USING (SELECT team_id, id FROM " + t.table +
                                " WHERE team_id = " + std::to_string(team) + " AND id >= (SELECT (random() * max(id))::bigint "
                                "FROM " + t.table + " WHERE team_id = " + std::to_string(team) + ") ORDER BY id LIMIT " +
                                std::to_string(n) + ") v WHERE x.team_id = v.team_id AND x.id = v.id RETURNING x.*) "
                                "INSERT INTO " + temp + " SELECT * FROM d",
                            "resend delete");
      Result i = conn_.exec(std::string("INSERT INTO ") + t.table + " SELECT * FROM " + temp, "resend insert");
      if (one_txn) conn_.exec(d && i ? "COMMIT" : "ROLLBACK", "commit");
      if (d && i) stats.resent += std::atoll(PQcmdTuples(i.get()));
    } else if (pick < 12) {  // a reviewer dismisses drafts (recorded by key in the same statement)
      const std::string team_s = std::to_string(team);
      Result r = conn_.exec("WITH e AS (SELECT id, team_id, source_kind, source_id FROM time_entries WHERE team_id = " + team_s +
                                " AND status = 'draft' AND id >= (SELECT (random() * max(id))::bigint FROM time_entries WHERE "
                                "team_id = " + team_s + ") ORDER BY id LIMIT " + std::to_string(g_.uniform(1, 4)) +
                                " FOR UPDATE), r AS (INSERT INTO stress_removed SELECT e.source_kind, e.team_id, l.source_key, "
                                "'dismissed' FROM e JOIN autotime.activity_links l ON l.team_id = e.team_id AND l.kind = "
                                "e.source_kind AND l.source_id = e.source_id AND l.released_at IS NULL) "
                                "SELECT autotime.dismiss(ARRAY(SELECT id FROM e), team_id => " + team_s + ")",
                            "dismiss");
      if (r && PQntuples(r.get()) == 1) stats.dismissed += std::atoll(PQgetvalue(r.get(), 0, 0));
    } else {  // a person deletes drafts by hand (recorded by key in the same statement)
      const std::string team_s = std::to_string(team);
      Result r = conn_.exec("WITH e AS (DELETE FROM time_entries WHERE team_id = " + team_s + " AND status = 'draft' AND id IN "
                                "(SELECT id FROM time_entries WHERE team_id = " + team_s + " AND id >= (SELECT (random() * "
                                "max(id))::bigint FROM time_entries WHERE team_id = " + team_s + ") ORDER BY id LIMIT " +
                                std::to_string(g_.uniform(1, 3)) + ") RETURNING team_id, source_kind, source_id) "
                                "INSERT INTO stress_removed SELECT e.source_kind, e.team_id, l.source_key, 'deleted' FROM e JOIN "
                                "autotime.activity_links l ON l.team_id = e.team_id AND l.kind = e.source_kind AND l.source_id = "
                                "e.source_id AND l.released_at IS NULL",
                            "delete entries");
      if (r) stats.entries_deleted += std::atoll(PQcmdTuples(r.get()));
    }
  }

  // TRUNCATE of the texts, then some of them sent again: in the same transaction, or afterwards.
  void truncate_sms(bool same_transaction) {
    conn_.exec("CREATE TEMP TABLE IF NOT EXISTS keep_sms (LIKE sms)", "truncate temp");
    if (!conn_.exec("BEGIN", "begin")) return;
    bool good = conn_.exec("LOCK TABLE sms IN ACCESS EXCLUSIVE MODE", "lock sms") && conn_.exec("DELETE FROM keep_sms", "truncate temp") &&
                conn_.exec("INSERT INTO keep_sms SELECT * FROM sms WHERE id % 3 = 0", "keep sms") &&
                conn_.exec("TRUNCATE sms", "truncate sms");
    if (good && same_transaction) good = !!conn_.exec("INSERT INTO sms SELECT * FROM keep_sms", "resend truncated sms");
    if (!good) {
      conn_.exec("ROLLBACK", "rollback");
      return;
    }
    if (!conn_.exec("COMMIT", "commit")) return;
    stats.truncated++;
    if (!same_transaction) conn_.exec("INSERT INTO sms SELECT * FROM keep_sms", "resend truncated sms");
    stats.truncate_resent += conn_.scalar("SELECT count(*) FROM keep_sms", "truncate temp");
  }

  void one_operation() {
    const int pick = g_.uniform(0, 112);
    if (pick >= 100) {
      identity_operation(pick - 100);
    } else if (pick < 10) {  // completed calls, multi-row
      const int n = g_.uniform(5, 40);
      insert(Generator::kCallColumns, g_.rows(n, [&] { return g_.call_row(g_.chance(0.85) ? "completed" : "missed", true); }), n,
             "insert calls");
    } else if (pick < 18) {  // ringing calls, completed later
      const int n = g_.uniform(1, 10);
      Result r = conn_.exec(std::string("INSERT INTO ") + Generator::kCallColumns + " VALUES " +
                                g_.rows(n, [&] { return g_.call_row("ringing", false); }) + " RETURNING team_id, id",
                            "insert ringing calls");
      if (r) {
        stats.rows_written += n;
        for (const Key &k : read_keys(r.get())) (g_.chance(0.3) ? ringing_two_step_ : ringing_).push_back(k);
      }
    } else if (pick < 27) {  // answer ringing calls: most complete, some are missed, some go in_progress first
      std::vector<Key> calls = take(ringing_, g_, g_.uniform(1, 12));
      if (!calls.empty()) {
        const bool missed = g_.chance(0.15);
        conn_.exec(std::string("UPDATE calls c SET status = '") + (missed ? "missed" : "completed") +
                       "', duration_seconds = (c.id * 37) % 5400 FROM (VALUES " + key_values(calls) +
                       ") v(t, i) WHERE c.team_id = v.t AND c.id = v.i",
                   "complete calls");
      }
      std::vector<Key> two_step = take(ringing_two_step_, g_, g_.uniform(1, 6));
      if (!two_step.empty()) {
        conn_.exec("UPDATE calls c SET status = 'in_progress' FROM (VALUES " + key_values(two_step) +
                       ") v(t, i) WHERE c.team_id = v.t AND c.id = v.i",
                   "calls in progress");
        for (const Key &k : two_step) ringing_.push_back(k);
      }
    } else if (pick < 28) {  // touch completed calls again: no second entry (marked for the xmin check)
      conn_.exec("UPDATE calls c SET counterparty = 're-updated', status = 'completed' FROM "
                            "(SELECT team_id, id FROM calls WHERE status = 'completed' AND counterparty = 'live' "
                            "AND id % 8 = " + std::to_string(index_) + " ORDER BY id DESC LIMIT 5) v "
                            "WHERE c.team_id = v.team_id AND c.id = v.id",
                            "re-update calls");
    } else if (pick < 42) {  // replayed webhooks: texts from the shared pool, one statement each
      const int n = g_.chance(0.4) ? 1 : g_.uniform(2, 15);
      insert(Generator::kSmsColumns,
             g_.rows(n, [&] { return g_.pooled_sms_row(std::uniform_int_distribution<long long>(0, kProviderPool - 1)(rng_), false); }),
             n, "insert pooled sms");
    } else if (pick < 46) {  // texts without provider id: some sent now, some queued and sent later
      const int n = g_.uniform(1, 8);
      const bool queued = g_.chance(0.5);
      Result r = conn_.exec(std::string("INSERT INTO ") + Generator::kSmsColumns + " VALUES " +
                                g_.rows(n, [&] { return g_.own_sms_row(queued ? "queued" : "sent", !queued); }) +
                                " RETURNING team_id, id",
                            "insert own sms");
      if (r) {
        stats.rows_written += n;
        if (queued)
          for (const Key &k : read_keys(r.get())) queued_sms_.push_back(k);
      }
    } else if (pick < 50) {  // queued texts go out (some without a sent_at: no_activity_time)
      std::vector<Key> texts = take(queued_sms_, g_, g_.uniform(1, 8));
      if (!texts.empty())
        conn_.exec("UPDATE sms s SET status = 'sent', sent_at = CASE WHEN s.id % 10 = 0 THEN NULL ELSE now() END "
                   "FROM (VALUES " + key_values(texts) + ") v(t, i) WHERE s.team_id = v.t AND s.id = v.i",
                   "send queued sms");
    } else if (pick < 51) {  // delivery receipts for sent texts: no second entry (marked for the xmin check)
      conn_.exec("UPDATE sms s SET status = 'delivered', body = 're-updated' FROM "
                 "(SELECT team_id, id FROM sms WHERE status = 'sent' AND body = 'live' AND id % 8 = " +
                     std::to_string(index_) + " ORDER BY id DESC LIMIT 5) v WHERE s.team_id = v.team_id AND s.id = v.id",
                 "deliver sms");
    } else if (pick < 60) {  // documents, with and without templates
      const int n = g_.uniform(1, 30);
      Result r = conn_.exec(std::string("INSERT INTO ") + Generator::kDocumentColumns + " VALUES " +
                                g_.rows(n, [&] { return g_.document_row(g_.chance(0.6)); }) +
                                " RETURNING team_id, id, template_id IS NULL",
                            "insert documents");
      if (r) {
        stats.rows_written += n;
        for (int i = 0; i < PQntuples(r.get()); i++)
          if (PQgetvalue(r.get(), i, 2)[0] == 't')
            plain_documents_.emplace_back(std::atoll(PQgetvalue(r.get(), i, 0)), std::atoll(PQgetvalue(r.get(), i, 1)));
      }
    } else if (pick < 63) {  // a document is regenerated from a template: the UPDATE makes it qualify
      std::vector<Key> docs = take(plain_documents_, g_, g_.uniform(1, 10));
      if (!docs.empty())
        conn_.exec("UPDATE documents d SET template_id = 7 FROM (VALUES " + key_values(docs) +
                       ") v(t, i) WHERE d.team_id = v.t AND d.id = v.i",
                   "template documents");
    } else if (pick < 68) {  // IR reports
      const int n = g_.uniform(1, 20);
      insert(Generator::kReportColumns, g_.rows(n, [&] { return g_.report_row(); }), n, "insert ir_reports");
    } else if (pick < 75) {  // events, completed later (a few already completed)
      const int n = g_.uniform(1, 15);
      Result r = conn_.exec(std::string("INSERT INTO ") + Generator::kEventColumns + " VALUES " +
                                g_.rows(n, [&] { return g_.event_row(g_.chance(0.1)); }) +
                                " RETURNING team_id, id, completed_at IS NULL",
                            "insert events");
      if (r) {
        stats.rows_written += n;
        for (int i = 0; i < PQntuples(r.get()); i++)
          if (PQgetvalue(r.get(), i, 2)[0] == 't')
            open_events_.emplace_back(std::atoll(PQgetvalue(r.get(), i, 0)), std::atoll(PQgetvalue(r.get(), i, 1)));
      }
    } else if (pick < 82) {  // events completed, by someone (completed_by) or by the organiser
      std::vector<Key> events = take(open_events_, g_, g_.uniform(1, 12));
      if (!events.empty())
        conn_.exec("UPDATE events e SET completed_at = now() - (e.id % 1000) * interval '1 minute', "
                   "completed_by = CASE WHEN e.id % 3 = 0 THEN NULL ELSE e.user_id END "
                   "FROM (VALUES " + key_values(events) + ") v(t, i) WHERE e.team_id = v.t AND e.id = v.i",
                   "complete events");
    } else if (pick < 88) {  // an explicit transaction over several tables; a quarter roll back
      const bool rollback = g_.chance(0.25);
      if (!conn_.exec("BEGIN", "begin")) return;
      int rows = 0;
      bool good = true;
      for (int s = g_.uniform(2, 5); s > 0 && good; s--) {
        const int n = g_.uniform(1, 10);
        switch (g_.uniform(0, 3)) {
          case 0: good = !!conn_.exec(std::string("INSERT INTO ") + Generator::kCallColumns + " VALUES " + g_.rows(n, [&] { return g_.call_row("completed", true); }), "txn calls"); break;
          case 1: good = !!conn_.exec(std::string("INSERT INTO ") + Generator::kDocumentColumns + " VALUES " + g_.rows(n, [&] { return g_.document_row(true); }), "txn documents"); break;
          case 2: good = !!conn_.exec(std::string("INSERT INTO ") + Generator::kReportColumns + " VALUES " + g_.rows(n, [&] { return g_.report_row(); }), "txn ir_reports"); break;
          default: good = !!conn_.exec(std::string("INSERT INTO ") + Generator::kEventColumns + " VALUES " + g_.rows(n, [&] { return g_.event_row(true); }), "txn events"); break;
        }
        rows += n;
      }
      if (!good || rollback) {
        conn_.exec("ROLLBACK", "rollback");
        stats.rolled_back_txns++;
      } else if (conn_.exec("COMMIT", "commit")) {
        stats.committed_txns++;
        stats.rows_written += rows;
      }
    } else if (pick < 91) {  // COPY: one pass of capture for the whole load
      const int n = g_.uniform(50, 200);
      std::string data;
      for (int i = 0; i < n; i++) data += g_.report_copy_line();
      if (conn_.copy_in("COPY ir_reports (team_id, client_id, case_id, user_id, title, created_at) FROM STDIN", data,
                        "copy ir_reports"))
        stats.rows_written += n;
    } else {  // single-row statements of every kind
      switch (g_.uniform(0, 4)) {
        case 0: insert(Generator::kCallColumns, g_.call_row("completed", true), 1, "insert one call"); break;
        case 1: insert(Generator::kSmsColumns, g_.pooled_sms_row(std::uniform_int_distribution<long long>(0, kProviderPool - 1)(rng_), false), 1, "insert one sms"); break;
        case 2: insert(Generator::kDocumentColumns, g_.document_row(true), 1, "insert one document"); break;
        case 3: insert(Generator::kReportColumns, g_.report_row(), 1, "insert one ir_report"); break;
        default: insert(Generator::kEventColumns, g_.event_row(true), 1, "insert one event"); break;
      }
    }
  }

  int index_;
  Connection conn_;
  Generator g_;
  std::mt19937_64 rng_{static_cast<uint64_t>(index_) * 7919 + 17};
  int ops_;
  long total_ops_;
  long long renumbers_ = 0;
  std::vector<Key> ringing_, ringing_two_step_, queued_sms_, plain_documents_, open_events_;
  std::vector<std::pair<long long, long long>> backfill_order_;  // client, team
  std::vector<bool> backfilled_;
  size_t next_backfill_ = 0;
};

// Every activity row in canonical form, as the SQL oracle sees it.
constexpr const char *kActivities = R"SQL(
  SELECT 'call'::text AS kind, team_id, id, id::text AS key, client_id, case_id, user_id AS actor,
         started_at AS at, status = 'completed' AS q, duration_seconds::bigint AS duration,
         counterparty = 'live' AS live_untouched, xmin::text AS x, id > %CALLS% AND id < %RENUMBERED% AS live FROM calls
  UNION ALL
  SELECT 'sms', team_id, id, coalesce(CASE WHEN provider_message_id <> '' THEN 'provider:' || provider_message_id END, id::text),
         client_id, case_id, user_id, sent_at, direction = 'outbound' AND status IN ('sent', 'delivered'), NULL,
         body = 'live', xmin::text, id > %SMS% AND id < %RENUMBERED% FROM sms
  UNION ALL
  SELECT 'document', team_id, id, id::text, client_id, case_id, user_id, created_at, template_id IS NOT NULL, NULL,
         true, xmin::text, id > %DOCUMENTS% AND id < %RENUMBERED% FROM documents
  UNION ALL
  SELECT 'ir_report', team_id, id, id::text, client_id, case_id, user_id, created_at, true, NULL, true, xmin::text,
         id > %IR_REPORTS% AND id < %RENUMBERED% FROM ir_reports
  UNION ALL
  SELECT 'event', team_id, id, id::text, client_id, case_id, coalesce(completed_by, user_id), completed_at,
         completed_at IS NOT NULL, NULL, true, xmin::text, id > %EVENTS% AND id < %RENUMBERED% FROM events
)SQL";

// The rules, written independently of the extension: which activities must have an entry, and what it says.
constexpr const char *kOracle = R"SQL(
  CREATE TEMP TABLE oracle AS
  WITH acts AS (%ACTIVITIES%)
  SELECT a.*, s.enabled AND CASE a.kind WHEN 'call' THEN s.track_calls WHEN 'sms' THEN s.track_sms
                                     WHEN 'document' THEN s.track_documents WHEN 'ir_report' THEN s.track_ir_reports
                                     ELSE s.track_events END AS tracked,
         m.can_log_time AS permitted, m.hourly_rate AS rate, c.id AS resolved_case, c.billing_type,
         s.flat_fee_policy, s.timezone,
         coalesce(CASE a.kind WHEN 'call' THEN s.call_minutes WHEN 'sms' THEN s.sms_minutes
                  WHEN 'document' THEN s.document_minutes WHEN 'ir_report' THEN s.ir_report_minutes
                  ELSE s.event_minutes END, s.minutes_per_activity) AS increment,
         s.call_minutes_mode
  FROM acts a
  LEFT JOIN autotime.team_settings s ON s.team_id = a.team_id
  LEFT JOIN team_members m ON m.team_id = a.team_id AND m.user_id = a.actor
  LEFT JOIN LATERAL (
    SELECT c.id, c.billing_type FROM cases c
    WHERE c.team_id = a.team_id AND c.client_id = a.client_id
      AND CASE WHEN a.case_id IS NOT NULL THEN c.id = a.case_id ELSE c.status NOT IN ('closed', 'archived') END
    ORDER BY c.updated_at DESC, c.id DESC LIMIT 1) c ON true;
  ALTER TABLE oracle ADD COLUMN capturable boolean;
  UPDATE oracle SET capturable = coalesce(q AND tracked AND at IS NOT NULL AND actor IS NOT NULL AND permitted
                                          AND resolved_case IS NOT NULL
                                          AND NOT (billing_type = 'flat_fee' AND flat_fee_policy = 'skip'), false);
  CREATE INDEX ON oracle (kind, team_id, id);
  ANALYZE oracle;
)SQL";

std::string replace_all(std::string text, const std::string &from, const std::string &to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// History written while every team was disabled: only the backfills can capture it.
struct Watermarks {
  long long calls = 0, sms = 0, documents = 0, ir_reports = 0, events = 0;
};

Watermarks load_history(Connection &conn, const Firm &firm, uint64_t seed) {
  Generator g(firm, seed ^ 0x5eed);
  conn.exec("UPDATE autotime.team_settings SET enabled = false", "disable teams");
  for (int batch = 0; batch < 10; batch++) {
    conn.exec(std::string("INSERT INTO ") + Generator::kCallColumns + " VALUES " +
                  g.rows(100, [&] { return g.call_row(g.chance(0.8) ? "completed" : "missed", true); }),
              "history calls");
    conn.exec(std::string("INSERT INTO ") + Generator::kSmsColumns + " VALUES " +
                  g.rows(100, [&] { return g.pooled_sms_row(g.uniform(0, static_cast<int>(kProviderPool) - 1), true); }),
              "history sms");
    conn.exec(std::string("INSERT INTO ") + Generator::kDocumentColumns + " VALUES " +
                  g.rows(60, [&] { return g.document_row(g.chance(0.7)); }),
              "history documents");
    conn.exec(std::string("INSERT INTO ") + Generator::kReportColumns + " VALUES " + g.rows(40, [&] { return g.report_row(); }),
              "history ir_reports");
    conn.exec(std::string("INSERT INTO ") + Generator::kEventColumns + " VALUES " +
                  g.rows(60, [&] { return g.event_row(g.chance(0.8)); }),
              "history events");
  }
  // The history must not have been captured by anything.
  EXPECT_EQ(conn.scalar("SELECT count(*) FROM time_entries", "history entries"), 0);
  conn.exec("UPDATE autotime.team_settings SET enabled = true", "enable teams");
  Watermarks w;
  w.calls = conn.scalar("SELECT coalesce(max(id), 0) FROM calls", "watermark");
  w.sms = conn.scalar("SELECT coalesce(max(id), 0) FROM sms", "watermark");
  w.documents = conn.scalar("SELECT coalesce(max(id), 0) FROM documents", "watermark");
  w.ir_reports = conn.scalar("SELECT coalesce(max(id), 0) FROM ir_reports", "watermark");
  w.events = conn.scalar("SELECT coalesce(max(id), 0) FROM events", "watermark");
  return w;
}

void print_table(Connection &conn, const std::string &sql, const char *what) {
  Result r = conn.exec(sql, what);
  if (!r) return;
  const int cols = PQnfields(r.get());
  std::string line;
  for (int c = 0; c < cols; c++) line += (c ? " | " : "  ") + std::string(PQfname(r.get(), c));
  std::printf("%s\n", line.c_str());
  for (int i = 0; i < PQntuples(r.get()); i++) {
    line.clear();
    for (int c = 0; c < cols; c++) line += (c ? " | " : "  ") + std::string(PQgetvalue(r.get(), i, c));
    std::printf("%s\n", line.c_str());
  }
}

struct Checks {
  long long activity_rows = -1, replayed_keys = -1, expected = -1, entries = -1, active_links = -1, history_entries = -1,
            live_entries = -1, live_keys_checked = -1, live_keys_missing = -1, missing = -1, unexpected = -1,
            duplicate_keys = -1, source_ids_with_two_entries = -1, bad_links = -1, entries_without_link = -1,
            entries_without_activity = -1, entries_of_uncapturable = -1, wrong_fields = -1, live_not_same_txn = -1,
            removed_came_back = -1, removed_link_lost = -1;
};

// The oracle and every invariant, from the tables themselves. `final`: after the final backfill.
Checks run_checks(Connection &admin, const Watermarks &w, bool final) {
  Checks c;
  std::string activities = kActivities;
  activities = replace_all(activities, "%CALLS%", std::to_string(w.calls));
  activities = replace_all(activities, "%SMS%", std::to_string(w.sms));
  activities = replace_all(activities, "%DOCUMENTS%", std::to_string(w.documents));
  activities = replace_all(activities, "%IR_REPORTS%", std::to_string(w.ir_reports));
  activities = replace_all(activities, "%EVENTS%", std::to_string(w.events));
  activities = replace_all(activities, "%RENUMBERED%", std::to_string(kRenumberBase));
  admin.exec("DROP TABLE IF EXISTS oracle, removed_keys, keys", "drop oracle");
  if (!admin.exec(replace_all(kOracle, "%ACTIVITIES%", activities), "oracle")) return c;
  // Identity: a row is `touched` when its key took part in an identity change (stress_lineage).
  // A person's removal (stress_removed: dismissed or deleted entries, by key) follows the activity
  // through its identity changes: removed_keys is its closure over the lineage.
  if (!admin.exec(R"SQL(
    ALTER TABLE oracle ADD COLUMN touched boolean;
    UPDATE oracle o SET touched = EXISTS (SELECT 1 FROM stress_lineage l WHERE l.kind = o.kind
      AND ((l.new_team = o.team_id AND l.new_key = o.key) OR (l.old_team = o.team_id AND l.old_key = o.key)));
    CREATE TEMP TABLE removed_keys AS
      WITH RECURSIVE r(kind, team_id, key) AS (
        SELECT kind, team_id, key FROM stress_removed
        UNION
        SELECT l.kind, l.new_team, l.new_key FROM r JOIN stress_lineage l ON l.kind = r.kind AND l.old_team = r.team_id
          AND l.old_key = r.key AND l.holder)
      SELECT * FROM r;
    CREATE TEMP TABLE keys AS
      SELECT o.kind, o.team_id, o.key, bool_and(o.live AND NOT o.touched) AS live_only,
             EXISTS (SELECT 1 FROM removed_keys r WHERE r.kind = o.kind AND r.team_id = o.team_id AND r.key = o.key) AS removed
      FROM oracle o WHERE o.capturable GROUP BY 1, 2, 3;
    CREATE INDEX ON keys (kind, team_id, key);
    ANALYZE keys;)SQL", "identity oracle"))
    return c;

  if (final) {
    std::printf("per kind: rows, qualifying rows, capturable rows, expected (distinct keys not removed by a person), "
                "active links, released links, dismissed links, tombstones of deleted entries, entries\n");
    print_table(admin, R"SQL(
      SELECT o.kind, o.rows, o.qualifying, o.capturable,
             (SELECT count(*) FROM keys k WHERE k.kind = o.kind AND NOT k.removed) AS expected,
             (SELECT count(*) FROM autotime.activity_links l WHERE l.kind = o.kind AND l.released_at IS NULL
                AND l.dismissed_at IS NULL) AS active,
             (SELECT count(*) FROM autotime.activity_links l WHERE l.kind = o.kind AND l.released_at IS NOT NULL) AS released,
             (SELECT count(*) FROM autotime.activity_links l WHERE l.kind = o.kind AND l.dismissed_at IS NOT NULL) AS dismissed,
             (SELECT count(*) FROM stress_removed r WHERE r.kind = o.kind AND r.how = 'deleted') AS deleted,
             (SELECT count(*) FROM time_entries e WHERE e.source_kind = o.kind) AS entries
      FROM (SELECT kind, count(*) AS rows, count(*) FILTER (WHERE q) AS qualifying,
                   count(*) FILTER (WHERE capturable) AS capturable
            FROM oracle GROUP BY kind) o ORDER BY o.kind)SQL", "per kind");
  }

  c.activity_rows = admin.scalar("SELECT count(*) FROM oracle", "rows");
  c.expected = admin.scalar("SELECT count(*) FROM keys WHERE NOT removed", "expected");
  c.entries = admin.scalar("SELECT count(*) FROM time_entries", "entries");
  // Links holding an entry: not released, not dismissed, with an entry for the row that holds it.
  c.active_links = admin.scalar(
      "SELECT count(*) FROM autotime.activity_links l WHERE l.released_at IS NULL AND l.dismissed_at IS NULL AND EXISTS "
      "(SELECT 1 FROM time_entries e WHERE e.team_id = l.team_id AND e.source_kind = l.kind AND e.source_id = l.source_id)",
      "active links");
  // Set equality after the final backfill: keys that should have an entry and don't, and the reverse.
  c.missing = admin.scalar(
      "SELECT count(*) FROM (SELECT kind, team_id, key FROM keys WHERE NOT removed EXCEPT SELECT l.kind, l.team_id, l.source_key "
      "FROM autotime.activity_links l JOIN time_entries e ON e.team_id = l.team_id AND e.source_kind = l.kind AND "
      "e.source_id = l.source_id WHERE l.released_at IS NULL) k", "missing");
  c.unexpected = admin.scalar(
      "SELECT count(*) FROM (SELECT l.kind, l.team_id, l.source_key FROM autotime.activity_links l JOIN time_entries e ON "
      "e.team_id = l.team_id AND e.source_kind = l.kind AND e.source_id = l.source_id EXCEPT SELECT kind, team_id, key FROM keys) k",
      "unexpected");
  // Live capture lost nothing: every capturable key whose rows were all written live and never
  // changed identity has its entry right after the run, unless a person removed it.
  c.live_keys_checked = admin.scalar("SELECT count(*) FROM keys WHERE live_only AND NOT removed", "live keys");
  c.live_keys_missing = admin.scalar(
      "SELECT count(*) FROM keys k WHERE k.live_only AND NOT k.removed AND NOT EXISTS (SELECT 1 FROM autotime.activity_links l "
      "JOIN time_entries e ON e.team_id = l.team_id AND e.source_kind = l.kind AND e.source_id = l.source_id WHERE "
      "l.kind = k.kind AND l.team_id = k.team_id AND l.source_key = k.key AND l.released_at IS NULL)", "live keys missing");
  c.duplicate_keys = admin.scalar(
      "SELECT count(*) FROM (SELECT 1 FROM time_entries e JOIN oracle o ON o.kind = e.source_kind AND o.team_id = e.team_id "
      "AND o.id = e.source_id GROUP BY o.kind, o.team_id, o.key HAVING count(*) > 1) d", "duplicates per key");
  c.source_ids_with_two_entries = admin.scalar(
      "SELECT count(*) FROM (SELECT 1 FROM time_entries GROUP BY team_id, source_kind, source_id HAVING count(*) > 1) d",
      "duplicates per source");
  // The ledger: a link not released has one entry, except a dismissed one (none) and the tombstone
  // of an entry a person deleted (none); a released link has none.
  c.bad_links = admin.scalar(R"SQL(
    SELECT count(*) FROM (
      SELECT l.*, (SELECT count(*) FROM time_entries e WHERE e.team_id = l.team_id AND e.source_kind = l.kind
                   AND e.source_id = l.source_id) AS n,
             EXISTS (SELECT 1 FROM stress_removed r WHERE r.kind = l.kind AND r.team_id = l.team_id AND r.key = l.source_key
                     AND r.how = 'deleted') AS deleted_by_person
      FROM autotime.activity_links l) l
    WHERE CASE WHEN l.released_at IS NOT NULL OR l.dismissed_at IS NOT NULL THEN l.n <> 0
               WHEN l.deleted_by_person THEN l.n > 1 ELSE l.n <> 1 END)SQL", "links vs entries");
  c.entries_without_link = admin.scalar(
      "SELECT count(*) FROM time_entries e WHERE NOT EXISTS (SELECT 1 FROM autotime.activity_links l WHERE l.team_id = e.team_id "
      "AND l.kind = e.source_kind AND l.source_id = e.source_id AND l.released_at IS NULL AND l.dismissed_at IS NULL)",
      "entries vs links");
  // Every entry is a draft (nothing is approved in this run): none may outlive its activity.
  c.entries_without_activity = admin.scalar(
      "SELECT count(*) FROM time_entries e WHERE NOT EXISTS (SELECT 1 FROM oracle o WHERE "
      "o.kind = e.source_kind AND o.team_id = e.team_id AND o.id = e.source_id)", "entries vs activities");
  c.entries_of_uncapturable = admin.scalar(
      "SELECT count(*) FROM time_entries e JOIN oracle o ON o.kind = e.source_kind AND o.team_id = e.team_id "
      "AND o.id = e.source_id WHERE NOT o.capturable", "entries of uncapturable rows");
  // What each entry says, recomputed from its source row as it is now (current team, client, case).
  c.wrong_fields = admin.scalar(R"SQL(
    SELECT count(*) FROM time_entries e JOIN oracle o ON o.kind = e.source_kind AND o.team_id = e.team_id AND o.id = e.source_id
    WHERE e.case_id IS DISTINCT FROM o.resolved_case OR e.user_id IS DISTINCT FROM o.actor
       OR e.client_id IS DISTINCT FROM o.client_id OR e.status <> 'draft' OR e.rate IS DISTINCT FROM o.rate
       OR e.work_date IS DISTINCT FROM (o.at AT TIME ZONE o.timezone)::date
       OR e.billable IS DISTINCT FROM (o.billing_type = 'hourly' OR (o.billing_type = 'flat_fee' AND o.flat_fee_policy = 'billable'))
       OR e.minutes IS DISTINCT FROM CASE
            WHEN o.kind = 'call' AND o.call_minutes_mode = 'rounded_duration' AND coalesce(o.duration, 0) > 0
            THEN least(ceil(o.duration / (o.increment * 60.0))::int * o.increment, 1440)
            ELSE o.increment END)SQL", "entry fields");
  if (c.wrong_fields > 0) {
    std::printf("entries that don't say what their activity says now (first 5): entry, activity (oracle), lineage\n");
    print_table(admin, R"SQL(
      SELECT e.team_id, e.id AS entry, e.source_kind, e.source_id, e.client_id AS e_client, o.client_id AS a_client,
             e.case_id AS e_case, o.resolved_case AS a_case, e.user_id AS e_user, o.actor AS a_user, e.rate AS e_rate,
             o.rate AS a_rate, e.billable, e.minutes, e.work_date, e.xmin AS e_xmin, o.x AS row_xmin,
             (SELECT string_agg(l.old_team || '/' || l.old_key || ' -> ' || l.new_team || '/' || l.new_key, '; ')
                FROM stress_lineage l WHERE l.kind = o.kind AND (l.new_key = o.key OR l.old_key = o.key)) AS lineage
      FROM time_entries e JOIN oracle o ON o.kind = e.source_kind AND o.team_id = e.team_id AND o.id = e.source_id
      WHERE e.case_id IS DISTINCT FROM o.resolved_case OR e.user_id IS DISTINCT FROM o.actor
         OR e.client_id IS DISTINCT FROM o.client_id OR e.rate IS DISTINCT FROM o.rate
         OR e.work_date IS DISTINCT FROM (o.at AT TIME ZONE o.timezone)::date
         OR e.billable IS DISTINCT FROM (o.billing_type = 'hourly' OR (o.billing_type = 'flat_fee' AND o.flat_fee_policy = 'billable'))
      ORDER BY e.id LIMIT 5)SQL", "wrong fields");
  }
  c.live_entries = admin.scalar(
      "SELECT count(*) FROM time_entries e JOIN oracle o ON o.kind = e.source_kind AND o.team_id = e.team_id "
      "AND o.id = e.source_id WHERE o.live AND o.live_untouched AND NOT o.touched", "live entries");
  c.live_not_same_txn = admin.scalar(
      "SELECT count(*) FROM time_entries e JOIN oracle o ON o.kind = e.source_kind AND o.team_id = e.team_id "
      "AND o.id = e.source_id WHERE o.live AND o.live_untouched AND NOT o.touched AND o.x <> e.xmin::text", "live entries xmin");
  c.history_entries = admin.scalar(
      "SELECT count(*) FROM time_entries e JOIN oracle o ON o.kind = e.source_kind AND o.team_id = e.team_id "
      "AND o.id = e.source_id WHERE NOT o.live AND o.id < " + std::to_string(kRenumberBase), "history entries");
  c.replayed_keys = admin.scalar(
      "SELECT count(*) FROM (SELECT 1 FROM oracle WHERE kind = 'sms' AND key LIKE 'provider:%' GROUP BY team_id, key "
      "HAVING count(*) > 1) r", "replays");
  // A person's removal is permanent: no entry for a removed activity (followed through its
  // identity changes), and the ledger keeps the removal.
  c.removed_came_back = admin.scalar(
      "SELECT count(*) FROM time_entries e JOIN oracle o ON o.kind = e.source_kind AND o.team_id = e.team_id AND o.id = e.source_id "
      "JOIN removed_keys r ON r.kind = o.kind AND r.team_id = o.team_id AND r.key = o.key", "removed came back");
  // The ledger keeps a removal where the activity is: at the removed key while it never left it
  // as its holder (a dismissal as a dismissed link), and at the key a holder's move took it to
  // while a row is there, in a team that captures (a key it left may be released).
  c.removed_link_lost = admin.scalar(
      "SELECT count(*) FROM (SELECT DISTINCT kind, team_id, key, how = 'dismissed' AS dismissed FROM stress_removed d WHERE "
      "NOT EXISTS (SELECT 1 FROM stress_lineage l WHERE l.kind = d.kind AND l.old_team = d.team_id AND l.old_key = d.key AND "
      "l.holder) UNION SELECT DISTINCT o.kind, o.team_id, o.key, false FROM oracle o JOIN removed_keys r ON r.kind = o.kind AND "
      "r.team_id = o.team_id AND r.key = o.key WHERE EXISTS (SELECT 1 FROM stress_lineage l WHERE l.kind = o.kind AND "
      "l.new_team = o.team_id AND l.new_key = o.key AND l.holder) AND EXISTS (SELECT 1 FROM autotime.team_settings s WHERE "
      "s.team_id = o.team_id AND s.enabled)) r WHERE NOT EXISTS (SELECT 1 FROM autotime.activity_links l WHERE l.kind = r.kind "
      "AND l.team_id = r.team_id AND l.source_key = r.key AND l.released_at IS NULL AND (NOT r.dismissed OR l.dismissed_at IS "
      "NOT NULL))", "removed links");
  if (c.removed_came_back > 0) {
    std::printf("removed activities with an entry again (first 5): removal, lineage, current row, entry\n");
    print_table(admin, R"SQL(
      SELECT o.kind, o.team_id, o.id, o.key, e.id AS entry, e.xmin AS entry_xmin,
             (SELECT string_agg(DISTINCT l.old_team || '/' || l.old_key || ' -> ' || l.new_team || '/' || l.new_key ||
                                CASE WHEN l.holder THEN '' ELSE ' (not its link)' END, '; ')
                FROM stress_lineage l WHERE l.kind = o.kind AND (l.new_key = o.key OR l.old_key = o.key)) AS lineage,
             (SELECT string_agg(DISTINCT d.how || ' ' || d.team_id || '/' || d.key, '; ') FROM stress_removed d
                WHERE d.kind = o.kind AND EXISTS (SELECT 1 FROM stress_lineage l WHERE l.kind = d.kind
                  AND l.old_team = d.team_id AND l.old_key = d.key AND (l.new_key = o.key OR d.key = o.key))) AS removal
      FROM time_entries e JOIN oracle o ON o.kind = e.source_kind AND o.team_id = e.team_id AND o.id = e.source_id
      JOIN removed_keys r ON r.kind = o.kind AND r.team_id = o.team_id AND r.key = o.key
      ORDER BY o.kind, o.id LIMIT 5)SQL", "removed came back");
  }

  std::printf("%s: activity rows %lld (texts replayed under %lld provider ids); expected entries %lld; active links %lld; "
              "entries %lld (%lld from history via backfill, %lld live rows checked same-transaction); live keys checked %lld\n",
              final ? "after the final backfill" : "after the run", c.activity_rows, c.replayed_keys, c.expected,
              c.active_links, c.entries, c.history_entries, c.live_entries, c.live_keys_checked);
  std::printf("checks (%s): live keys missing %lld, keys missing %lld, unexpected keys %lld, keys with two entries %lld, "
              "source rows with two entries %lld, bad links %lld, entries without link %lld, entries without activity %lld, "
              "entries of uncapturable rows %lld, wrong fields %lld, live entries not written by their row's transaction %lld, "
              "removed by a person and back %lld, removals forgotten %lld\n",
              final ? "final" : "after the run", c.live_keys_missing, c.missing, c.unexpected, c.duplicate_keys,
              c.source_ids_with_two_entries, c.bad_links, c.entries_without_link, c.entries_without_activity,
              c.entries_of_uncapturable, c.wrong_fields, c.live_not_same_txn, c.removed_came_back, c.removed_link_lost);
  std::fflush(stdout);
  return c;
}

TEST(Stress, ConcurrentCaptureAndBackfillMakeExactlyOneEntryPerActivity) {
  const int ops = std::atoi(env_or("AUTOTIME_STRESS_OPS", "700").c_str());
  const uint64_t seed = std::strtoull(env_or("AUTOTIME_STRESS_SEED", "20260101").c_str(), nullptr, 10);
  Connection admin("admin");
  ASSERT_TRUE(admin.ok()) << (stats.errors.empty() ? "" : stats.errors.front());
  ASSERT_EQ(admin.scalar("SELECT count(*) FROM autotime.team_settings WHERE enabled", "teams"), 3)
      << "expected the firm of stress.sh: three enabled teams";
  ASSERT_EQ(admin.scalar("SELECT count(*) FROM time_entries", "empty"), 0) << "expected an empty practice schema";
  const Firm firm = load_firm(admin);
  ASSERT_EQ(firm.users.size(), 3u);
  // The test's own record of identity changes and of what a person removed (by dedupe key).
  ASSERT_TRUE(admin.exec("DROP TABLE IF EXISTS stress_lineage, stress_removed; "
                         "CREATE TABLE stress_lineage (kind text NOT NULL, old_team bigint NOT NULL, old_key text NOT NULL, "
                         "new_team bigint NOT NULL, new_key text NOT NULL, holder boolean NOT NULL); "
                         "CREATE TABLE stress_removed (kind text NOT NULL, team_id bigint NOT NULL, key text NOT NULL, "
                         "how text NOT NULL CHECK (how IN ('dismissed', 'deleted')))", "record tables"))
      << stats.errors.front();
  ASSERT_FALSE(firm.clients.empty());

  const Watermarks w = load_history(admin, firm, seed);
  ASSERT_TRUE(stats.errors.empty()) << stats.errors.front();
  std::printf("seed %llu, %d connections x %d operations; history: %lld calls, %lld sms, %lld documents, "
              "%lld ir_reports, %lld events (teams disabled while written)\n",
              static_cast<unsigned long long>(seed), kThreads, ops, w.calls, w.sms, w.documents, w.ir_reports, w.events);
  std::fflush(stdout);

  const auto started = std::chrono::steady_clock::now();
  {
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < kThreads; i++)
      workers.push_back(std::make_unique<Worker>(i, firm, seed * 1000003 + static_cast<uint64_t>(i), ops,
                                                 static_cast<long>(ops) * kThreads));
    std::vector<std::thread> threads;
    for (auto &worker : workers) threads.emplace_back([&worker, started] { worker->run(started); });
    for (auto &t : threads) t.join();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("run: %.1f s, %ld statements, %ld activity rows written by the run, %ld explicit transactions "
              "committed, %ld rolled back, %ld backfill_automatic_time calls creating %ld entries\n",
              seconds, stats.statements.load(), stats.rows_written.load(), stats.committed_txns.load(),
              stats.rolled_back_txns.load(), stats.backfill_calls.load(), stats.backfill_created.load());
  const std::string &notice = stats.backfill_team_summary;
  const size_t first_line_end = notice.find('\n');
  std::printf("backfill_team(3) started at %.1f s, took %.1f s (%s); errors on the connections: %zu (deadlocks: %ld)\n",
              stats.backfill_team_started_at, stats.backfill_team_seconds, notice.substr(0, first_line_end).c_str(),
              stats.errors.size(), stats.deadlocks.load());
  if (first_line_end != std::string::npos) std::printf("%s\n", notice.substr(first_line_end + 1).c_str());
  std::printf("identity: %ld renumbered, %ld moved to another team or client, %ld client corrections, %ld rows re-sent "
              "(deleted and inserted again), %ld TRUNCATEs of sms (%ld rows sent again), %ld drafts dismissed, "
              "%ld drafts deleted by a person\n",
              stats.renumbered.load(), stats.moved.load(), stats.client_corrected.load(), stats.resent.load(),
              stats.truncated.load(), stats.truncate_resent.load(), stats.dismissed.load(), stats.entries_deleted.load());
  for (const std::string &e : stats.errors) std::printf("  %s\n", e.c_str());
  std::fflush(stdout);
  EXPECT_TRUE(stats.errors.empty()) << stats.errors.size() << " statements failed; first: " << stats.errors.front();
  EXPECT_EQ(stats.deadlocks.load(), 0);
  EXPECT_GE(stats.backfill_team_seconds, 0) << "backfill_team never ran";
  stats.errors.clear();

  // Twice: right after the run (what live capture and the racing backfills left), then after a
  // final backfill of every team (nothing may be missing then).
  const Checks before = run_checks(admin, w, false);
  for (int team = 1; team <= 3; team++)
    admin.exec("CALL autotime.backfill_team(" + std::to_string(team) + ")", "final backfill_team");
  std::printf("final backfill_team of teams 1-3 done\n");
  const Checks after = run_checks(admin, w, true);

  EXPECT_TRUE(stats.errors.empty()) << stats.errors.front();
  EXPECT_GE(after.activity_rows, 20000) << "the run is supposed to write tens of thousands of activities";
  EXPECT_GT(after.replayed_keys, 100) << "the run is supposed to replay texts";
  EXPECT_GT(after.history_entries, 0) << "the backfills are supposed to capture history";
  EXPECT_GT(after.expected, 0);
  EXPECT_GT(before.live_entries, 0);
  EXPECT_GT(before.live_keys_checked, 0);
  EXPECT_GT(stats.renumbered.load(), 0);
  EXPECT_GT(stats.moved.load(), 0);
  EXPECT_GT(stats.client_corrected.load(), 0);
  EXPECT_GT(stats.resent.load(), 0);
  EXPECT_GE(stats.truncated.load(), 1);
  EXPECT_GT(stats.dismissed.load(), 0);
  EXPECT_GT(stats.entries_deleted.load(), 0);
  // Right after the run: exactly one entry per activity that has one, each on its activity's
  // current team, client and case, and no live activity lost.
  EXPECT_EQ(before.live_keys_missing, 0) << "live activities without an entry (not dismissed or deleted by a person)";
  for (const Checks *c : {&before, &after}) {
    const char *when = c == &before ? "after the run" : "after the final backfill";
    EXPECT_EQ(c->duplicate_keys, 0) << when;
    EXPECT_EQ(c->source_ids_with_two_entries, 0) << when;
    EXPECT_EQ(c->bad_links, 0) << when;
    EXPECT_EQ(c->entries_without_link, 0) << when;
    EXPECT_EQ(c->entries_without_activity, 0) << when;
    EXPECT_EQ(c->entries_of_uncapturable, 0) << when;
    EXPECT_EQ(c->wrong_fields, 0) << when;
    EXPECT_EQ(c->live_not_same_txn, 0) << when;
    EXPECT_EQ(c->removed_came_back, 0) << when << ": an entry a person dismissed or deleted came back (SPEC 4.12)";
    EXPECT_EQ(c->removed_link_lost, 0) << when << ": a dismissal or deletion was forgotten by the ledger";
  }
  // After the final backfill: the set of activities with an entry is exactly the capturable ones
  // not removed by a person.
  EXPECT_EQ(after.missing, 0);
  EXPECT_EQ(after.unexpected, 0);
  EXPECT_EQ(after.entries, after.expected);
  EXPECT_EQ(after.active_links, after.expected);
}

}  // namespace
