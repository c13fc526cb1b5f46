// Unit tests for the capture statement builder (src/core/capture_sql.hpp).
#include "capture_sql.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace autotime {
namespace {

// ---------------------------------------------------------------------------------------------
// Helpers

constexpr Driver kAllDrivers[] = {Driver::Insert,       Driver::Update,     Driver::BackfillClient,
                                  Driver::BackfillTeam, Driver::Explain,    Driver::ClientTeams,
                                  Driver::Delete,       Driver::MoveCase,   Driver::RecordInsertFailures,
                                  Driver::RecordUpdateFailures, Driver::ClaimLink, Driver::WriteClaimedEntry,
                                  Driver::IdRange,      Driver::Rekey,      Driver::Truncate,
                                  Driver::Report};

const char *driver_name(Driver driver) {
  switch (driver) {
    case Driver::Insert: return "Insert";
    case Driver::Update: return "Update";
    case Driver::BackfillClient: return "BackfillClient";
    case Driver::BackfillTeam: return "BackfillTeam";
    case Driver::Explain: return "Explain";
    case Driver::ClientTeams: return "ClientTeams";
    case Driver::IdRange: return "IdRange";
    case Driver::Rekey: return "Rekey";
    case Driver::Truncate: return "Truncate";
    case Driver::Report: return "Report";
    case Driver::Delete: return "Delete";
    case Driver::MoveCase: return "MoveCase";
    case Driver::RecordInsertFailures: return "RecordInsertFailures";
    case Driver::RecordUpdateFailures: return "RecordUpdateFailures";
    case Driver::ClaimLink: return "ClaimLink";
    case Driver::WriteClaimedEntry: return "WriteClaimedEntry";
  }
  return "?";
}

std::string source_table(Kind kind) {
  switch (kind) {
    case Kind::Call: return "calls";
    case Kind::Sms: return "sms";
    case Kind::Document: return "documents";
    case Kind::IrReport: return "ir_reports";
    case Kind::Event: return "events";
  }
  return "?";
}

// A binding like the reference schema's: no column mapping, default qualification.
CaptureBinding reference_binding(Kind kind) {
  CaptureBinding b;
  b.kind = kind;
  b.source.qualified_name = "\"firm\".\"" + source_table(kind) + "\"";
  b.time_entries.qualified_name = "\"firm\".\"time_entries\"";
  b.cases.qualified_name = "\"firm\".\"cases\"";
  b.team_members.qualified_name = "\"firm\".\"team_members\"";
  b.failures_table = true;
  b.released_links = true;
  return b;
}

// A binding where every contract column is mapped to "<prefix><contract name>".
CaptureBinding mapped_binding(Kind kind) {
  CaptureBinding b;
  b.kind = kind;
  b.source.qualified_name = "\"legacy\".\"src_table\"";
  b.time_entries.qualified_name = "\"legacy\".\"te_table\"";
  b.cases.qualified_name = "\"legacy\".\"case_table\"";
  b.team_members.qualified_name = "\"legacy\".\"member_table\"";
  for (std::string_view c : source_columns(kind)) b.source.columns.emplace(std::string(c), "src_" + std::string(c));
  for (std::string_view c : role_columns("time_entries"))
    b.time_entries.columns.emplace(std::string(c), "te_" + std::string(c));
  for (std::string_view c : role_columns("cases")) b.cases.columns.emplace(std::string(c), "case_" + std::string(c));
  for (std::string_view c : role_columns("team_members"))
    b.team_members.columns.emplace(std::string(c), "mem_" + std::string(c));
  return b;
}

bool contains(const std::string &haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t count(const std::string &haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

// The statement with string literals and quoted identifiers blanked out (kept as '' and "").
std::string without_quoted(const std::string &sql) {
  std::string out;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char q = sql[i];
    if (q != '\'' && q != '"') {
      out += q;
      continue;
    }
    out += q;
    ++i;
    for (; i < sql.size(); ++i) {
      if (sql[i] == q) {
        if (i + 1 < sql.size() && sql[i + 1] == q) {
          ++i;  // doubled quote inside
          continue;
        }
        break;
      }
    }
    out += q;
  }
  return out;
}

// Every quoted identifier in the statement, unescaped.
std::vector<std::string> quoted_identifiers(const std::string &sql) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char q = sql[i];
    if (q != '\'' && q != '"') continue;
    std::string text;
    for (++i; i < sql.size(); ++i) {
      if (sql[i] == q) {
        if (i + 1 < sql.size() && sql[i + 1] == q) {
          text += q;
          ++i;
          continue;
        }
        break;
      }
      text += sql[i];
    }
    if (q == '"') ids.push_back(text);
  }
  return ids;
}

// The statement outside literals/identifiers with every schema-qualified operator removed.
std::string without_qualified_operators(const std::string &sql) {
  std::string s = without_quoted(sql);
  for (std::string_view op : {"OPERATOR(pg_catalog.=)", "OPERATOR(pg_catalog.<>)", "OPERATOR(pg_catalog.||)",
                              "OPERATOR(pg_catalog.>=)", "OPERATOR(pg_catalog.>)", "OPERATOR(pg_catalog.<=)",
                              "OPERATOR(pg_catalog.<)"}) {
    for (auto pos = s.find(op); pos != std::string::npos; pos = s.find(op)) s.replace(pos, op.size(), " ");
  }
  return s;
}

bool parentheses_balanced(const std::string &sql) {
  int depth = 0;
  for (char c : without_quoted(sql)) {
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) return false;
  }
  return depth == 0;
}

// ---------------------------------------------------------------------------------------------
// quote_identifier / quote_literal

TEST(QuoteIdentifier, AlwaysQuotes) {
  EXPECT_EQ(quote_identifier("case_id"), "\"case_id\"");
  EXPECT_EQ(quote_identifier("CamelCase"), "\"CamelCase\"");
  EXPECT_EQ(quote_identifier("select"), "\"select\"");
  EXPECT_EQ(quote_identifier("with space"), "\"with space\"");
  EXPECT_EQ(quote_identifier(""), "\"\"");
}

TEST(QuoteIdentifier, DoublesEmbeddedQuotes) {
  EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quote_identifier("\""), "\"\"\"\"");
  EXPECT_EQ(quote_identifier("\"\""), "\"\"\"\"\"\"");
  EXPECT_EQ(quote_identifier("x\"; DROP TABLE t; --"), "\"x\"\"; DROP TABLE t; --\"");
}

TEST(QuoteIdentifier, KeepsOtherBytes) {
  EXPECT_EQ(quote_identifier("it's"), "\"it's\"");
  EXPECT_EQ(quote_identifier("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_EQ(quote_identifier("a.b"), "\"a.b\"");
}

TEST(QuoteLiteral, QuotesAndDoublesSingleQuotes) {
  EXPECT_EQ(quote_literal("completed"), "'completed'");
  EXPECT_EQ(quote_literal(""), "''");
  EXPECT_EQ(quote_literal("O'Brien"), "'O''Brien'");
  EXPECT_EQ(quote_literal("'"), "''''");
  EXPECT_EQ(quote_literal("''"), "''''''");
  EXPECT_EQ(quote_literal("x'; DROP TABLE t; --"), "'x''; DROP TABLE t; --'");
}

TEST(QuoteLiteral, LeavesDoubleQuotesAndBackslashesAlone) {
  // standard_conforming_strings: a backslash is an ordinary character.
  EXPECT_EQ(quote_literal("a\\b"), "'a\\b'");
  EXPECT_EQ(quote_literal("say \"hi\""), "'say \"hi\"'");
}

TEST(QuoteLiteral, RoundTripsThroughTheLiteralScanner) {
  for (std::string_view value : {"plain", "O'Brien", "''", "'a'b'", "x\"y", ""}) {
    const std::string quoted = quote_literal(value);
    // Re-scan: the literal must end exactly at the last character.
    std::string text;
    std::size_t i = 1;
    for (; i < quoted.size(); ++i) {
      if (quoted[i] == '\'') {
        if (i + 1 < quoted.size() && quoted[i + 1] == '\'') {
          text += '\'';
          ++i;
          continue;
        }
        break;
      }
      text += quoted[i];
    }
    EXPECT_EQ(i, quoted.size() - 1) << quoted;
    EXPECT_EQ(text, value) << quoted;
  }
}

// ---------------------------------------------------------------------------------------------
// BoundRelation::column

TEST(BoundRelationColumn, UnmappedColumnIsTheContractNameQuoted) {
  BoundRelation r;
  r.qualified_name = "\"public\".\"calls\"";
  EXPECT_EQ(r.column("case_id"), "\"case_id\"");
  EXPECT_EQ(r.column("team_id"), "\"team_id\"");
}

TEST(BoundRelationColumn, MappedColumnIsTheTablesNameQuoted) {
  BoundRelation r;
  r.columns = {{"case_id", "matter_id"}, {"user_id", "AttorneyID"}};
  EXPECT_EQ(r.column("case_id"), "\"matter_id\"");
  EXPECT_EQ(r.column("user_id"), "\"AttorneyID\"");
  EXPECT_EQ(r.column("client_id"), "\"client_id\"");
  // Lookup is exact, not case-insensitive or prefix based.
  EXPECT_EQ(r.column("CASE_ID"), "\"CASE_ID\"");
  EXPECT_EQ(r.column("case"), "\"case\"");
}

TEST(BoundRelationColumn, MappedNameIsEscaped) {
  BoundRelation r;
  r.columns = {{"case_id", "we\"ird"}};
  EXPECT_EQ(r.column("case_id"), "\"we\"\"ird\"");
}

TEST(BoundRelationColumn, ContractNameIsEscapedWhenUnmapped) {
  BoundRelation r;
  EXPECT_EQ(r.column("a\"b"), "\"a\"\"b\"");
}

// ---------------------------------------------------------------------------------------------
// source_columns / role_columns

TEST(SourceColumns, ExactListsPerKind) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(source_columns(Kind::Call),
            (V{"team_id", "id", "client_id", "case_id", "user_id", "status", "direction", "started_at",
               "duration_seconds"}));
  EXPECT_EQ(source_columns(Kind::Sms),
            (V{"team_id", "id", "client_id", "case_id", "user_id", "status", "direction", "provider_message_id",
               "sent_at"}));
  EXPECT_EQ(source_columns(Kind::Document),
            (V{"team_id", "id", "client_id", "case_id", "user_id", "name", "template_id", "created_at"}));
  EXPECT_EQ(source_columns(Kind::IrReport), (V{"team_id", "id", "client_id", "case_id", "user_id", "title", "created_at"}));
  EXPECT_EQ(source_columns(Kind::Event),
            (V{"team_id", "id", "client_id", "case_id", "user_id", "title", "completed_at", "completed_by"}));
}

TEST(SourceColumns, NoDuplicatesAndNeverPrivateContent) {
  for (Kind kind : kAllKinds) {
    const auto cols = source_columns(kind);
    const std::set<std::string_view> unique(cols.begin(), cols.end());
    EXPECT_EQ(unique.size(), cols.size()) << kind_name(kind);
    EXPECT_EQ(unique.count("body"), 0u) << kind_name(kind);
    EXPECT_EQ(unique.count("transcript"), 0u) << kind_name(kind);
    for (std::string_view common : {"team_id", "id", "client_id", "case_id"})
      EXPECT_EQ(unique.count(common), 1u) << kind_name(kind) << " " << common;
  }
}

TEST(RoleColumns, ExactListsPerRole) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(role_columns("time_entries"),
            (V{"team_id", "id", "client_id", "case_id", "user_id", "work_date", "minutes", "description", "billable",
               "status", "rate", "source_kind", "source_id", "reviewed_by", "reviewed_at"}));
  EXPECT_EQ(role_columns("cases"), (V{"team_id", "id", "client_id", "status", "billing_type", "updated_at"}));
  EXPECT_EQ(role_columns("team_members"), (V{"team_id", "user_id", "can_log_time", "hourly_rate"}));
}

TEST(RoleColumns, UnknownRoleHasNoColumns) {
  for (std::string_view role : {"", "Cases", "case", "time_entry", "members", "calls"})
    EXPECT_TRUE(role_columns(role).empty()) << role;
}

// ---------------------------------------------------------------------------------------------
// default_qualifies

TEST(DefaultQualifies, PerKindShape) {
  EXPECT_EQ(default_qualifies(reference_binding(Kind::Call)),
            "(\"status\")::pg_catalog.text OPERATOR(pg_catalog.=) 'completed'::pg_catalog.text");
  const std::string sms = default_qualifies(reference_binding(Kind::Sms));
  EXPECT_TRUE(contains(sms, "(\"direction\")::pg_catalog.text OPERATOR(pg_catalog.=) 'outbound'::pg_catalog.text"))
      << sms;
  EXPECT_TRUE(contains(sms, "(\"status\")::pg_catalog.text OPERATOR(pg_catalog.=) 'sent'::pg_catalog.text")) << sms;
  EXPECT_TRUE(contains(sms, "(\"status\")::pg_catalog.text OPERATOR(pg_catalog.=) 'delivered'::pg_catalog.text"))
      << sms;
  EXPECT_FALSE(contains(sms, "'queued'"));
  EXPECT_FALSE(contains(sms, "'received'"));
  EXPECT_EQ(default_qualifies(reference_binding(Kind::Document)), "\"template_id\" IS NOT NULL");
  EXPECT_EQ(default_qualifies(reference_binding(Kind::IrReport)), "true");
  EXPECT_EQ(default_qualifies(reference_binding(Kind::Event)), "\"completed_at\" IS NOT NULL");
}

TEST(DefaultQualifies, SmsGroupsTheStatusAlternatives) {
  // "outbound AND (sent OR delivered)" -- without the parentheses an inbound delivered text would qualify.
  const std::string sms = default_qualifies(reference_binding(Kind::Sms));
  const auto and_pos = sms.find(" AND (");
  ASSERT_NE(and_pos, std::string::npos) << sms;
  EXPECT_LT(and_pos, sms.find(" OR ")) << sms;
  EXPECT_EQ(sms.back(), ')') << sms;
  EXPECT_TRUE(parentheses_balanced(sms)) << sms;
}

TEST(DefaultQualifies, UsesMappedColumns) {
  CaptureBinding call = reference_binding(Kind::Call);
  call.source.columns = {{"status", "call_state"}};
  EXPECT_EQ(default_qualifies(call), "(\"call_state\")::pg_catalog.text OPERATOR(pg_catalog.=) 'completed'::pg_catalog.text");

  CaptureBinding doc = reference_binding(Kind::Document);
  doc.source.columns = {{"template_id", "tmpl"}};
  EXPECT_EQ(default_qualifies(doc), "\"tmpl\" IS NOT NULL");

  CaptureBinding event = reference_binding(Kind::Event);
  event.source.columns = {{"completed_at", "done_at"}};
  EXPECT_EQ(default_qualifies(event), "\"done_at\" IS NOT NULL");

  CaptureBinding sms = reference_binding(Kind::Sms);
  sms.source.columns = {{"direction", "dir"}, {"status", "st"}};
  const std::string q = default_qualifies(sms);
  EXPECT_TRUE(contains(q, "(\"dir\")::pg_catalog.text")) << q;
  EXPECT_TRUE(contains(q, "(\"st\")::pg_catalog.text")) << q;
  EXPECT_FALSE(contains(q, "\"status\"")) << q;
  EXPECT_FALSE(contains(q, "\"direction\"")) << q;
}

TEST(DefaultQualifies, IgnoresTheCustomExpression) {
  CaptureBinding b = reference_binding(Kind::Call);
  b.qualifies = "\"state\" OPERATOR(pg_catalog.=) 3";
  EXPECT_EQ(default_qualifies(b), default_qualifies(reference_binding(Kind::Call)));
}


// ---------------------------------------------------------------------------------------------
// capture_pipeline: who runs what

std::string label(Kind kind, Driver driver, const Step &step) {
  return std::string(kind_name(kind)) + "/" + driver_name(driver) + "/" + step.name;
}

// The firm tables of a binding, by the role whose owner may touch them.
std::map<RunAs, std::string> firm_tables(const CaptureBinding &b) {
  return {{RunAs::Source, b.source.qualified_name},
          {RunAs::Cases, b.cases.qualified_name},
          {RunAs::Members, b.team_members.qualified_name},
          {RunAs::Entries, b.time_entries.qualified_name}};
}

// The security property of the pipeline (SPEC 4a): a step touches the tables of one owner only.
// Firm steps never touch autotime's tables (they run as the firm's owners, who have no rights
// there), and autotime's steps never touch a firm table (they run with autotime's rights).
TEST(Pipeline, EveryStepTouchesOnlyItsOwnersTables) {
  for (Kind kind : kAllKinds)
    for (const CaptureBinding &b : {reference_binding(kind), mapped_binding(kind)})
      for (Driver driver : kAllDrivers)
        for (const Step &step : capture_pipeline(b, driver)) {
          for (const auto &[owner, table] : firm_tables(b)) {
            // A regclass literal names a table (an OID to record) without reading it.
            std::string sql = step.sql;
            const std::string literal = quote_literal(table) + "::pg_catalog.regclass";
            for (auto pos = sql.find(literal); pos != std::string::npos; pos = sql.find(literal)) sql.erase(pos, literal.size());
            if (contains(sql, table)) {
              EXPECT_EQ(owner, step.run_as) << table << " in " << label(kind, driver, step) << "\n" << step.sql;
            }
          }
          if (contains(step.sql, "autotime.")) {
            EXPECT_EQ(step.run_as, RunAs::Autotime) << label(kind, driver, step);
          }
        }
}

// Every step reads only what steps before it registered (or the trigger's transition tables).
TEST(Pipeline, StepsReadOnlyEarlierOutputs) {
  const std::vector<std::string_view> tables = {kRowsTable,      kUnlinkedTable, kCasedTable,      kFactsTable,
                                                kClaimedTable,   kExplainedTable, kMovesTable,     kValidMovesTable,
                                                kChangedTable,   kRekeyedTable,  kTombstonedTable, kReleasedTable,
                                                kDraftsTable,    kGoneTable,     kCheckedTable,    kVerdictTable};
  for (Kind kind : kAllKinds)
    for (Driver driver : kAllDrivers) {
      std::set<std::string> registered;
      for (const Step &step : capture_pipeline(reference_binding(kind), driver)) {
        for (std::string_view table : tables)
          if (contains(step.sql, std::string(table) + " ")) {
            EXPECT_EQ(registered.count(std::string(table)), 1u) << table << " in " << label(kind, driver, step);
          }
        const bool reads_transition = contains(step.sql, kNewTable) || contains(step.sql, kOldTable);
        const bool trigger_driver = driver == Driver::Insert || driver == Driver::Update || driver == Driver::Delete ||
                                    driver == Driver::Rekey ||
                                    driver == Driver::MoveCase || driver == Driver::RecordInsertFailures ||
                                    driver == Driver::RecordUpdateFailures;
        if (reads_transition) {
          EXPECT_TRUE(trigger_driver) << label(kind, driver, step);
          EXPECT_EQ(step.run_as, RunAs::Source) << label(kind, driver, step);
        }
        if (!step.output.empty()) registered.insert(step.output);
      }
    }
}

// Links are claimed only by autotime's steps, entries are written only as the entries' owner, and
// explain, the client lookup and the failure record write nothing else.
TEST(Pipeline, WritesHappenOnlyWhereTheyBelong) {
  for (Kind kind : kAllKinds) {
    const CaptureBinding b = reference_binding(kind);
    for (Driver driver : kAllDrivers)
      for (const Step &step : capture_pipeline(b, driver)) {
        const std::string sql = without_quoted(step.sql);
        const bool writes_entries = contains(step.sql, "INSERT INTO " + b.time_entries.qualified_name) ||
                                    contains(step.sql, "UPDATE " + b.time_entries.qualified_name) ||
                                    contains(step.sql, "DELETE FROM " + b.time_entries.qualified_name);
        const bool reads_entries_only = step.name == "verdict" || step.name == "drafts" || step.name == "entries";
        EXPECT_EQ(writes_entries, step.run_as == RunAs::Entries && !reads_entries_only) << label(kind, driver, step);
        if (contains(step.sql, "INSERT INTO autotime.activity_links")) {
          EXPECT_EQ(step.run_as, RunAs::Autotime) << label(kind, driver, step);
        }
        if (driver == Driver::Explain || driver == Driver::ClientTeams || driver == Driver::IdRange ||
            driver == Driver::Report) {
          EXPECT_FALSE(contains(sql, "INSERT")) << label(kind, driver, step);
          EXPECT_FALSE(contains(sql, "UPDATE")) << label(kind, driver, step);
          EXPECT_FALSE(contains(sql, "DELETE")) << label(kind, driver, step);
        }
      }
  }
}

// Capture claims the link before the entry is written (the claim is what makes it once).
TEST(Pipeline, CaptureClaimsTheLinkThenWritesTheEntry) {
  for (Kind kind : kAllKinds)
    for (Driver driver : {Driver::Insert, Driver::Update, Driver::BackfillClient, Driver::BackfillTeam}) {
      const auto steps = capture_pipeline(reference_binding(kind), driver);
      ASSERT_GE(steps.size(), 2u);
      const bool backfill = driver == Driver::BackfillClient || driver == Driver::BackfillTeam;
      // A backfill checks again, after claiming, that rows whose released link it took back exist.
      const Step &decide = steps[steps.size() - (backfill ? 4 : 2)], &write = steps.back();
      EXPECT_EQ(decide.run_as, RunAs::Autotime);
      EXPECT_TRUE(contains(decide.sql, "claimed AS (INSERT INTO autotime.activity_links"));
      // Capture takes back a released link (a deleted activity sent again) and never another.
      EXPECT_FALSE(contains(decide.sql, "ON CONFLICT (team_id, kind, source_key) DO NOTHING"));
      EXPECT_TRUE(contains(decide.sql, "DO UPDATE SET released_at = NULL, source_id = EXCLUDED.source_id, "
                                       "linked_at = pg_catalog.now() WHERE l.released_at IS NOT NULL"));
      if (backfill) {
        const Step &recheck = steps[steps.size() - 3];
        EXPECT_EQ(recheck.run_as, RunAs::Source);
        EXPECT_TRUE(contains(recheck.sql, "WHERE NOT c.reclaimed OR EXISTS"));
        EXPECT_EQ(recheck.output, kCheckedTable);
        EXPECT_TRUE(contains(write.sql, std::string("FROM ") + std::string(kCheckedTable)));
        continue;
      }
      EXPECT_TRUE(contains(decide.sql, "FROM claimed k JOIN priced c")) << "entries only for links this step claimed";
      EXPECT_EQ(decide.output, kClaimedTable);
      EXPECT_EQ(write.run_as, RunAs::Entries);
      EXPECT_TRUE(contains(write.sql, std::string("FROM ") + std::string(kClaimedTable)));
    }
}

// The entries write keeps an entry the activity already has by the entries' key on the activity,
// and by no other key: a firm's own unique key refusing an entry must raise, not skip it.
TEST(Pipeline, EntryWriteSkipsOnlyTheActivitysOwnEntry) {
  const auto write_of = [](CaptureBinding b, Driver driver) { return capture_pipeline(b, driver).back().sql; };
  for (Driver driver : {Driver::Insert, Driver::Update, Driver::BackfillClient, Driver::BackfillTeam, Driver::ClaimLink,
                        Driver::WriteClaimedEntry}) {
    CaptureBinding b = reference_binding(Kind::Sms);
    EXPECT_FALSE(contains(write_of(b, driver), "ON CONFLICT")) << driver_name(driver);
    b.entries_activity_key = EntryActivityKey::KindAndId;
    EXPECT_TRUE(contains(write_of(b, driver), " c ON CONFLICT (\"team_id\", \"source_kind\", \"source_id\") DO NOTHING"))
        << driver_name(driver);
    b.entries_name_table = true;
    b.entries_activity_key = EntryActivityKey::KindIdAndTable;
    EXPECT_TRUE(contains(write_of(b, driver),
                         " c ON CONFLICT (\"team_id\", \"source_kind\", \"source_id\", \"source_table\") DO NOTHING"))
        << driver_name(driver);
    CaptureBinding mapped = mapped_binding(Kind::Sms);
    mapped.entries_activity_key = EntryActivityKey::KindAndId;
    EXPECT_TRUE(contains(write_of(mapped, driver), "ON CONFLICT (\"te_team_id\", \"te_source_kind\", \"te_source_id\")"))
        << driver_name(driver);
    // On a partitioned entries table only the one-row write leaves the arbiter out (the caller
    // writes again with WriteClaimedEntry when it inserted nothing); with no key it has none.
    b.entries_partitioned = true;
    const bool untargeted = driver == Driver::ClaimLink;
    const std::string write = write_of(b, driver);
    const std::string ending = untargeted ? " c ON CONFLICT DO NOTHING" : "\"source_table\") DO NOTHING";
    EXPECT_EQ(write.substr(write.size() - std::min(write.size(), ending.size())), ending) << driver_name(driver);
    b.entries_activity_key = EntryActivityKey::None;
    EXPECT_FALSE(contains(write_of(b, driver), "ON CONFLICT")) << driver_name(driver);
  }
}

// WriteClaimedEntry writes what ClaimLink would, claiming nothing: its activity code is looked up
// as autotime, the entry written as the entries' owner.
TEST(Pipeline, ClaimedEntryIsWrittenLikeTheClaimsEntry) {
  CaptureBinding b = reference_binding(Kind::Call);
  b.entries_have_codes = true;
  b.team_codes = true;
  b.entries_activity_key = EntryActivityKey::KindAndId;
  const auto claim = capture_pipeline(b, Driver::ClaimLink);
  const auto again = capture_pipeline(b, Driver::WriteClaimedEntry);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].run_as, RunAs::Autotime);
  EXPECT_FALSE(contains(again[0].sql, "INSERT"));
  EXPECT_TRUE(contains(again[0].sql, "autotime.activity_codes"));
  EXPECT_EQ(again[1].run_as, RunAs::Entries);
  EXPECT_EQ(again[1].name, "write");
  EXPECT_EQ(again[1].sql, claim[1].sql);
  const int one_owner[kRunAsCount] = {0, 0, 0, 0, 0};
  const auto merged = merge_same_owner_steps(again, one_owner);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_TRUE(contains(merged[0].sql, "FROM (SELECT COALESCE((SELECT ac.code FROM autotime.activity_codes"));
}

TEST(Pipeline, StatementsAreBalancedAndSingle) {
  for (Kind kind : kAllKinds)
    for (Driver driver : kAllDrivers)
      for (const Step &step : capture_pipeline(mapped_binding(kind), driver)) {
        EXPECT_TRUE(parentheses_balanced(step.sql)) << label(kind, driver, step) << "\n" << step.sql;
        EXPECT_FALSE(contains(without_quoted(step.sql), ";")) << label(kind, driver, step);
        EXPECT_FALSE(step.name.empty());
      }
}

TEST(Pipeline, EveryOperatorIsSchemaQualified) {
  // Outside literals and quoted names, no comparison or concatenation operator may be left bare
  // (assignments of UPDATE ... SET excepted).
  for (Kind kind : kAllKinds)
    for (Driver driver : kAllDrivers)
      for (const Step &step : capture_pipeline(mapped_binding(kind), driver)) {
        std::string rest = without_qualified_operators(step.sql);
        for (std::string_view assignment : {" = r.", " = EXCLUDED.", " = pg_catalog.now()", " = NULL"})
          for (auto pos = rest.find(assignment); pos != std::string::npos; pos = rest.find(assignment))
            rest.replace(pos, 3, "   ");
        for (char op : {'=', '<', '>', '|', '+', '-', '/', '%', '!', '~'})
          EXPECT_EQ(rest.find(op), std::string::npos) << "bare '" << op << "' in " << label(kind, driver, step) << "\n"
                                                      << rest;
        EXPECT_EQ(count(rest, "OPERATOR("), 0u) << label(kind, driver, step);
        const std::string unquoted = without_quoted(step.sql);
        EXPECT_EQ(count(unquoted, "::"), count(unquoted, "::pg_catalog.")) << label(kind, driver, step);
        EXPECT_EQ(count(unquoted, "count("), count(unquoted, "pg_catalog.count("));
        EXPECT_EQ(count(unquoted, "min("), count(unquoted, "pg_catalog.min("));
        // (A constraint named in ON CONFLICT ON CONSTRAINT is not an object to qualify.)
        const std::string unconstrained = [&] {
          std::string text = unquoted;
          for (auto pos = text.find("ON CONSTRAINT "); pos != std::string::npos; pos = text.find("ON CONSTRAINT "))
            text.erase(pos, text.find(' ', pos + 14) - pos);
          return text;
        }();
        for (std::string_view object : {"activity_links", "team_settings", "capture_failures", "rule_skip_reason",
                                        "rule_minutes", "rule_description", "rule_billable"})
          EXPECT_EQ(count(unconstrained, object), count(unconstrained, "autotime." + std::string(object)))
              << object << " in " << label(kind, driver, step);
      }
}

// The parameters a step may use are the driver's: $1..$n with n its argument count.
TEST(Pipeline, ParametersPerDriver) {
  const std::map<Driver, int> arguments = {
      {Driver::Insert, 0},       {Driver::Update, 0},       {Driver::BackfillClient, 2},
      {Driver::BackfillTeam, 4}, {Driver::Explain, 2},      {Driver::ClientTeams, 1},
      {Driver::Delete, 0},       {Driver::MoveCase, 0},     {Driver::RecordInsertFailures, 2},
      {Driver::RecordUpdateFailures, 2}, {Driver::ClaimLink, 12}, {Driver::WriteClaimedEntry, 12}, {Driver::IdRange, 3},
      {Driver::Rekey, 0},        {Driver::Truncate, 0},     {Driver::Report, 2}};
  for (Kind kind : kAllKinds)
    for (Driver driver : kAllDrivers) {
      bool used[14] = {};
      for (const Step &step : capture_pipeline(reference_binding(kind), driver)) {
        const std::string sql = without_quoted(step.sql);
        for (std::size_t pos = sql.find('$'); pos != std::string::npos; pos = sql.find('$', pos + 1)) {
          const int n = std::stoi(sql.substr(pos + 1, 2));
          ASSERT_GE(n, 1) << label(kind, driver, step);
          ASSERT_LE(n, arguments.at(driver)) << label(kind, driver, step);
          used[n] = true;
        }
      }
      for (int n = 1; n <= arguments.at(driver); n++)
        // ClaimLink's time ($12) is read only when the ledger keeps spans; WriteClaimedEntry
        // claims nothing (its key and time: $2, $12).
        if (!(driver == Driver::ClaimLink && n == 12) &&
            !(driver == Driver::WriteClaimedEntry && (n == 2 || n == 12))) {
          EXPECT_TRUE(used[n]) << "$" << n << " unused in " << kind_name(kind) << "/" << driver_name(driver);
        }
    }
}

// What each kind reads from its source row: private content (an SMS body, a transcript) never.
TEST(Pipeline, PrivateContentIsNeverRead) {
  for (Kind kind : kAllKinds)
    for (Driver driver : kAllDrivers)
      for (const Step &step : capture_pipeline(mapped_binding(kind), driver)) {
        EXPECT_FALSE(contains(step.sql, "body")) << label(kind, driver, step);
        EXPECT_FALSE(contains(step.sql, "transcript")) << label(kind, driver, step);
      }
}

// Every quoted column of a firm table in a step comes from that table's mapping.
TEST(Pipeline, EveryQuotedColumnComesFromTheMapping) {
  for (Kind kind : kAllKinds) {
    const CaptureBinding b = mapped_binding(kind);
    std::set<std::string> allowed = {"legacy", "src_table", "te_table", "case_table", "member_table"};
    for (const BoundRelation *rel : {&b.source, &b.time_entries, &b.cases, &b.team_members})
      for (const auto &[contract, column] : rel->columns) allowed.insert(column);
    for (Driver driver : kAllDrivers)
      for (const Step &step : capture_pipeline(b, driver))
        for (const std::string &id : quoted_identifiers(step.sql))
          EXPECT_EQ(allowed.count(id), 1u) << "\"" << id << "\" in " << label(kind, driver, step);
  }
}

TEST(Pipeline, CustomQualifiesIsEvaluatedOnlyInTheSourceStep) {
  for (Kind kind : kAllKinds) {
    CaptureBinding b = reference_binding(kind);
    b.qualifies = "state OPERATOR(pg_catalog.=) 3";
    for (Driver driver : kAllDrivers) {
      const auto steps = capture_pipeline(b, driver);
      for (const Step &step : steps)
        if (contains(step.sql, b.qualifies)) {
          EXPECT_EQ(step.run_as, RunAs::Source) << label(kind, driver, step);
        }
      const bool reads_activities = driver != Driver::MoveCase && driver != Driver::ClientTeams &&
                                    driver != Driver::IdRange && driver != Driver::Truncate &&
                                    driver != Driver::ClaimLink && driver != Driver::WriteClaimedEntry;
      EXPECT_EQ(contains(steps.front().sql, b.qualifies), reads_activities) << kind_name(kind) << "/" << driver_name(driver);
    }
  }
}

TEST(Pipeline, TextsAreKeyedByProviderMessageId) {
  for (Kind kind : kAllKinds) {
    const std::string sql = capture_pipeline(reference_binding(kind), Driver::Insert).front().sql;
    EXPECT_EQ(contains(sql, "'provider:'"), kind == Kind::Sms) << kind_name(kind);
    const std::string decide = capture_pipeline(reference_binding(kind), Driver::Insert)[3].sql;
    EXPECT_EQ(contains(decide, "DISTINCT ON (d.team_id, d.source_key)"), kind == Kind::Sms) << kind_name(kind);
  }
}

// Planned for many rows, the team's settings are joined once per statement, and the members too
// when their table is small (join_members); otherwise both stay per-row LATERAL ... LIMIT 1 probes.
TEST(Pipeline, BulkPlansJoinMembersAndSettingsOnce) {
  for (Kind kind : kAllKinds) {
    CaptureBinding b = reference_binding(kind);
    const auto find = [](const std::vector<Step> &steps, const std::string &name) {
      for (const Step &step : steps)
        if (step.name == name) return step.sql;
      return std::string();
    };
    const auto few = capture_pipeline(b, Driver::Insert);
    EXPECT_TRUE(contains(find(few, "members"), "LEFT JOIN LATERAL (SELECT")) << kind_name(kind);
    EXPECT_TRUE(contains(find(few, "decide"), "LEFT JOIN LATERAL (SELECT s.* FROM autotime.team_settings s")) << kind_name(kind);
    b.many_rows = true;
    EXPECT_TRUE(contains(find(capture_pipeline(b, Driver::Insert), "members"), "LEFT JOIN LATERAL (SELECT")) << kind_name(kind);
    b.join_members = true;
    const auto many = capture_pipeline(b, Driver::Insert);
    const std::string members = find(many, "members"), decide = find(many, "decide");
    EXPECT_FALSE(contains(members, "LATERAL")) << members;
    EXPECT_TRUE(contains(members, "(SELECT DISTINCT ON (1, 2) m.\"team_id\" AS member_team_id")) << members;
    EXPECT_TRUE(contains(members, "mem ON mem.member_team_id OPERATOR(pg_catalog.=) a.team_id AND mem.member_user_id "
                                  "OPERATOR(pg_catalog.=) a.user_id")) << members;
    EXPECT_TRUE(contains(decide, "LEFT JOIN autotime.team_settings st ON st.team_id OPERATOR(pg_catalog.=) f.team_id"))
        << decide;
  }
}

// Steps of one role share a statement: with every table owned by the extension's owner, an insert
// is decided in one statement and written in another; with every owner different, nothing merges.
TEST(Pipeline, SameOwnerStepsMergeIntoOneStatement) {
  const int one_owner[kRunAsCount] = {0, 0, 0, 0, 0};
  const int all_different[kRunAsCount] = {0, 1, 2, 3, 4};
  const int firm_and_autotime[kRunAsCount] = {0, 0, 0, 0, 4};  // Source, Cases, Members, Entries; Autotime
  for (Kind kind : kAllKinds) {
    const CaptureBinding b = reference_binding(kind);
    const auto plain = capture_pipeline(b, Driver::Insert);
    EXPECT_EQ(merge_same_owner_steps(plain, all_different).size(), plain.size());
    const auto merged = merge_same_owner_steps(plain, one_owner);
    ASSERT_EQ(merged.size(), 2u) << kind_name(kind);
    EXPECT_EQ(merged[0].name, "decide");
    EXPECT_TRUE(contains(merged[0].sql, "FROM (SELECT a.*, mem.can_log_time"));
    EXPECT_TRUE(contains(merged[0].sql, std::string("FROM ") + std::string(kNewTable)));
    EXPECT_EQ(merged[1].name, "write");
    // One row's claim and write: one statement (the claim its WITH query) for one role, else two.
    const auto claim = capture_pipeline(b, Driver::ClaimLink);
    ASSERT_EQ(claim.size(), 2u);
    const auto claim_one = merge_same_owner_steps(claim, one_owner);
    ASSERT_EQ(claim_one.size(), 1u) << kind_name(kind);
    EXPECT_EQ(claim_one[0].run_as, RunAs::Entries);
    EXPECT_EQ(claim_one[0].sql.rfind("WITH " + std::string(kClaimTable) + " AS (INSERT INTO autotime.activity_links", 0), 0u)
        << claim_one[0].sql;
    EXPECT_TRUE(contains(claim_one[0].sql, ") INSERT INTO \"firm\".\"time_entries\""));
    EXPECT_EQ(merge_same_owner_steps(claim, firm_and_autotime).size(), 2u) << kind_name(kind);
    const auto firm = merge_same_owner_steps(plain, firm_and_autotime);
    ASSERT_EQ(firm.size(), 3u) << kind_name(kind);
    EXPECT_EQ(firm[0].name, "members");
    EXPECT_EQ(firm[0].run_as, RunAs::Members);
    // Never across roles: every merged statement still touches one role's tables only.
    for (const int(*groups)[kRunAsCount] : {&one_owner, &all_different, &firm_and_autotime})
      for (Driver driver : kAllDrivers) {
        const auto steps = merge_same_owner_steps(capture_pipeline(b, driver), *groups);
        for (const Step &step : steps) {
          for (const auto &[owner, table] : firm_tables(b))
            if (contains(step.sql, table) && !contains(step.sql, quote_literal(table) + "::pg_catalog.regclass")) {
              EXPECT_EQ((*groups)[static_cast<int>(owner)], (*groups)[static_cast<int>(step.run_as)])
                  << table << " in " << label(kind, driver, step);
            }
          EXPECT_TRUE(parentheses_balanced(step.sql)) << label(kind, driver, step);
        }
        // Callers read these steps by name: they survive merging.
        for (const char *name : {"write", "unlinked", "disabled_team", "verdict", "report", "record"}) {
          const bool before = [&] {
            for (const Step &step : capture_pipeline(b, driver))
              if (step.name == name) return true;
            return false;
          }();
          bool after = false;
          for (const Step &step : steps) after = after || step.name == name;
          EXPECT_EQ(after, before) << name << " in " << kind_name(kind) << "/" << driver_name(driver);
        }
      }
  }
}

TEST(Pipeline, UnknownDriverValueThrows) {
  EXPECT_THROW(capture_pipeline(reference_binding(Kind::Call), static_cast<Driver>(99)), std::logic_error);
}

}  // namespace

// With a daily cap (SPEC §6), only the activities that fit the member's day, counted under the
// cap's guard, are claimed; the SQL stays schema-qualified.
TEST(Pipeline, DailyCapClaimsOnlyWhatTheCountAdmitted) {
  for (Kind kind : kAllKinds) {
    CaptureBinding b = reference_binding(kind);
    b.daily_caps = true;
    const auto steps = capture_pipeline(b, Driver::Insert);
    const Step &decide = steps[steps.size() - 2];
    EXPECT_TRUE(contains(decide.sql, "counted AS (INSERT INTO autotime.daily_minutes"));
    EXPECT_TRUE(contains(decide.sql, "WHERE EXCLUDED.minutes OPERATOR(pg_catalog.+) dm.minutes OPERATOR(pg_catalog.<=) "));
    EXPECT_TRUE(contains(decide.sql, "FROM admitted c ON CONFLICT"));
    EXPECT_TRUE(contains(decide.sql, "FROM claimed k JOIN admitted c"));
    EXPECT_TRUE(parentheses_balanced(decide.sql));
    b.daily_caps = false;
    EXPECT_FALSE(contains(capture_pipeline(b, Driver::Insert)[steps.size() - 2].sql, "daily_minutes"));
  }
}

// A table attached while another of its kind is has an id space of its own: its ledger keys carry
// the space, its links record it, its entries name it, and every lookup by id is confined to it.
TEST(Pipeline, KeySpaceConfinesEveryLookupById) {
  CaptureBinding b = reference_binding(Kind::Call);
  b.released_links = true;
  b.ledger_key_spaces = true;
  b.entries_name_table = true;
  b.key_space = "firm.voip_calls";
  const auto sql_of = [&](Driver driver) {
    std::string all;
    for (const Step &step : capture_pipeline(b, driver)) all += step.sql + "\n";
    return all;
  };
  EXPECT_TRUE(contains(sql_of(Driver::Insert), "'table:firm.voip_calls:'::pg_catalog.text"));
  EXPECT_TRUE(contains(sql_of(Driver::Insert), "key_space)"));
  EXPECT_TRUE(contains(sql_of(Driver::ClaimLink),
                       "COALESCE($2::pg_catalog.text, ('table:firm.voip_calls:'::pg_catalog.text OPERATOR(pg_catalog.||) "
                       "($3::pg_catalog.int8)::pg_catalog.text))"));
  for (Driver driver : {Driver::Delete, Driver::Truncate, Driver::Rekey, Driver::MoveCase, Driver::Explain, Driver::Report})
    EXPECT_TRUE(contains(sql_of(driver), "\"source_table\")::pg_catalog.text, ''::pg_catalog.text) OPERATOR(pg_catalog.=) "
                                         "'firm.voip_calls'::pg_catalog.text"))
        << static_cast<int>(driver);
  for (Driver driver : {Driver::Delete, Driver::Truncate, Driver::BackfillTeam})
    EXPECT_TRUE(contains(sql_of(driver), ".key_space OPERATOR(pg_catalog.=) 'firm.voip_calls'::pg_catalog.text"))
        << static_cast<int>(driver);
  // The kind's first table: keys are ids, its links' space is NULL, its entries' source_table ''.
  b.key_space.clear();
  EXPECT_FALSE(contains(sql_of(Driver::Insert), "'table:"));
  EXPECT_TRUE(contains(sql_of(Driver::Delete), ".key_space IS NULL"));
  EXPECT_TRUE(contains(sql_of(Driver::Delete), "OPERATOR(pg_catalog.=) ''::pg_catalog.text"));
}

// Backfill of one client skips linked activities by a probe per activity from C (what the ledger
// holds doesn't matter), in the attachment's id space and, for texts, by provider key too; a
// team's backfill (batches of an id range) keeps the anti-join, and so does a ledger from before
// 1.3 (no released links or key spaces: the function doesn't exist there either).
TEST(Pipeline, ClientBackfillProbesTheLedgerPerActivity) {
  const auto unlinked = [](const CaptureBinding &b, Driver driver) {
    for (const Step &step : capture_pipeline(b, driver))
      if (step.name == "unlinked") return step.sql;
    return std::string();
  };
  CaptureBinding call = reference_binding(Kind::Call);
  call.ledger_key_spaces = true;
  EXPECT_EQ(unlinked(call, Driver::BackfillClient),
            "SELECT a.* FROM autotime_rows a WHERE NOT autotime.activity_linked(a.team_id, 'call'::pg_catalog.text, "
            "a.source_id, NULL::pg_catalog.text, NULL::pg_catalog.text)");
  call.key_space = "firm.voip_calls";
  EXPECT_TRUE(contains(unlinked(call, Driver::BackfillClient),
                       "a.source_id, 'firm.voip_calls'::pg_catalog.text, NULL::pg_catalog.text)"));
  CaptureBinding text = reference_binding(Kind::Sms);
  text.ledger_key_spaces = true;
  EXPECT_TRUE(contains(unlinked(text, Driver::BackfillClient), "NULL::pg_catalog.text, a.source_key)"));
  EXPECT_TRUE(contains(unlinked(call, Driver::BackfillTeam), "NOT EXISTS (SELECT 1 FROM autotime.activity_links l"));
  EXPECT_FALSE(contains(unlinked(call, Driver::BackfillTeam), "activity_linked"));
  call.ledger_key_spaces = false;
  EXPECT_TRUE(contains(unlinked(call, Driver::BackfillClient), "NOT EXISTS (SELECT 1 FROM autotime.activity_links l"));
}

// Every pipeline, with every feature that adds steps turned on, fits what the pg layer keeps
// prepared (a pipeline longer than that fails when it is prepared, not here).
TEST(Pipeline, EveryPipelineFitsItsPreparedSteps) {
  for (Kind kind : kAllKinds)
    for (bool many : {false, true}) {
      CaptureBinding b = mapped_binding(kind);
      b.sessions = b.daily_caps = b.case_fallbacks = b.team_codes = b.entry_spans = b.entries_have_codes = true;
      b.billing_increments = b.released_links = b.ledger_key_spaces = b.failures_table = true;
      b.many_rows = b.join_members = many;
      for (Driver driver : kAllDrivers)
        EXPECT_LE(capture_pipeline(b, driver).size(), kMaxPipelineSteps) << kind_name(kind) << " driver " << static_cast<int>(driver);
    }
}

// Sessions (SPEC §6 session_gap_minutes). While no team uses them, no statement changes: the hot
// path's prepared statements are the ones without sessions.
TEST(Pipeline, SessionsOffLeaveEveryStatementAsItWas) {
  for (Kind kind : kAllKinds)
    for (Driver driver : kAllDrivers)
      for (const Step &step : capture_pipeline(reference_binding(kind), driver)) {
        EXPECT_FALSE(contains(step.sql, "session")) << label(kind, driver, step);
        EXPECT_FALSE(contains(step.name, "session")) << label(kind, driver, step);
      }
}

// With sessions, capture locks the member before it claims a link and regroups after writing; the
// pipeline keeps its rules: one owner's tables per step, only earlier outputs read, qualified SQL.
TEST(Pipeline, SessionsLockBeforeClaimingAndKeepThePipelineRules) {
  const std::vector<std::string_view> tables = {kRowsTable,    kUnlinkedTable, kCasedTable,      kFactsTable,
                                                kClaimedTable, kChangedTable,  kRekeyedTable,    kTombstonedTable,
                                                kReleasedTable, kDraftsTable,  kGoneTable,       kCheckedTable,
                                                kValidMovesTable, kSessionMembersTable, kSessionDraftsTable};
  for (Kind kind : kAllKinds)
    for (bool caps : {false, true}) {
      CaptureBinding b = mapped_binding(kind);
      b.sessions = true;
      b.daily_caps = caps;
      for (Driver driver : kAllDrivers) {
        const auto steps = capture_pipeline(b, driver);
        std::set<std::string> registered;
        int lock_at = -1, decide_at = -1, write_at = -1, regroup_at = -1;
        for (std::size_t i = 0; i < steps.size(); i++) {
          const Step &step = steps[i];
          if (step.name == "session_locks") lock_at = static_cast<int>(i);
          if (step.name == "decide") decide_at = static_cast<int>(i);
          if (step.name == "write") write_at = static_cast<int>(i);
          if (step.name == "sessions") regroup_at = static_cast<int>(i);
          for (const auto &[owner, table] : firm_tables(b)) {
            std::string sql = step.sql;  // (a regclass literal names a table without reading it)
            const std::string literal = quote_literal(table) + "::pg_catalog.regclass";
            for (auto pos = sql.find(literal); pos != std::string::npos; pos = sql.find(literal)) sql.erase(pos, literal.size());
            if (contains(sql, table)) {
              EXPECT_EQ(owner, step.run_as) << table << " in " << label(kind, driver, step);
            }
          }
          if (contains(step.sql, "autotime.")) {
            EXPECT_EQ(step.run_as, RunAs::Autotime) << label(kind, driver, step);
          }
          for (std::string_view table : tables)
            if (contains(step.sql, std::string(table) + " ")) {
              EXPECT_EQ(registered.count(std::string(table)), 1u) << table << " in " << label(kind, driver, step);
            }
          if (!step.output.empty()) registered.insert(step.output);
          EXPECT_TRUE(parentheses_balanced(step.sql)) << label(kind, driver, step);
          std::string rest = without_qualified_operators(step.sql);
          for (std::string_view allowed : {" = r.", " = EXCLUDED.", " = pg_catalog.now()", " = NULL", " => ", "OPERATOR(pg_catalog.+)"})
            for (auto pos = rest.find(allowed); pos != std::string::npos; pos = rest.find(allowed))
              rest.replace(pos, allowed.size(), std::string(allowed.size(), ' '));
          for (char op : {'=', '<', '>', '|', '+', '-'})
            EXPECT_EQ(rest.find(op), std::string::npos) << "bare '" << op << "' in " << label(kind, driver, step) << "\n"
                                                        << rest;
        }
        if (decide_at >= 0) {  // every capture: the member's lock, then the claim, the entry, the regrouping
          EXPECT_GE(lock_at, 0) << label(kind, driver, steps[decide_at]);
          EXPECT_LT(lock_at, decide_at);
          EXPECT_GT(regroup_at, write_at);
        }
      }
    }
}
}  // namespace autotime

namespace autotime {
namespace {

// backfill_automatic_time(client) without a team finds the client's teams: through an index led
// by team_id, one probe per team (a loose index scan), never by reading the whole table.
TEST(Pipeline, ClientTeamsSkipFromTeamToTeamThroughAnIndex) {
  CaptureBinding b = reference_binding(Kind::Call);
  const auto teams_sql = [&] {
    const auto steps = capture_pipeline(b, Driver::ClientTeams);
    EXPECT_EQ(steps.size(), 1u);
    return steps.front().sql;
  };
  EXPECT_EQ(teams_sql().find("RECURSIVE"), std::string::npos);
  EXPECT_NE(teams_sql().find("\"client_id\" OPERATOR(pg_catalog.=) $1::pg_catalog.int8"), std::string::npos);
  b.source_team_index = true;
  const std::string sql = teams_sql();
  EXPECT_NE(sql.find("WITH RECURSIVE teams(team_id)"), std::string::npos);
  EXPECT_NE(sql.find("s.\"team_id\" OPERATOR(pg_catalog.>) t.team_id ORDER BY s.\"team_id\" LIMIT 1"), std::string::npos);
  EXPECT_NE(sql.find("s.\"team_id\" OPERATOR(pg_catalog.=) t.team_id AND s.\"client_id\" OPERATOR(pg_catalog.=) "
                     "$1::pg_catalog.int8"),
            std::string::npos);
  EXPECT_NE(sql.find("LIMIT 2"), std::string::npos);  // two teams are enough to refuse
}

}  // namespace
}  // namespace autotime
