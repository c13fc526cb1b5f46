#include <algorithm>

#include <gtest/gtest.h>

#include "capture_sql.hpp"
#include "kinds.hpp"

namespace autotime {
namespace {

bool is_source_column(Kind kind, std::string_view column) {
  const auto columns = source_columns(kind);
  return std::find(columns.begin(), columns.end(), column) != columns.end();
}

// What the probes and the SQL read of a kind is among the columns attach requires of it.
TEST(Kinds, ShapeReadsOnlyContractColumns) {
  for (Kind kind : kAllKinds) {
    const KindShape shape = kind_shape(kind);
    for (std::string_view column : {shape.actor_column, shape.fallback_actor_column, shape.occurred_column,
                                    shape.label_column})
      EXPECT_TRUE(column.empty() || is_source_column(kind, column)) << kind_name(kind) << ": " << column;
    EXPECT_TRUE(!shape.has_direction || is_source_column(kind, "direction")) << kind_name(kind);
    EXPECT_TRUE(!shape.has_duration || is_source_column(kind, "duration_seconds")) << kind_name(kind);
    EXPECT_TRUE(!shape.keyed_by_provider_id || is_source_column(kind, "provider_message_id")) << kind_name(kind);
    EXPECT_EQ(shape.track_setting.substr(0, 6), "track_") << kind_name(kind);
    EXPECT_EQ(shape.minutes_setting.substr(shape.minutes_setting.size() - 8), "_minutes") << kind_name(kind);
  }
}

// Events are the only kind whose actor falls back, texts the only kind keyed by a provider id,
// calls the only kind with a duration (minutes by rounded duration).
TEST(Kinds, WhatSetsKindsApart) {
  for (Kind kind : kAllKinds) {
    const KindShape shape = kind_shape(kind);
    EXPECT_EQ(!shape.fallback_actor_column.empty(), kind == Kind::Event) << kind_name(kind);
    EXPECT_EQ(shape.keyed_by_provider_id, kind == Kind::Sms) << kind_name(kind);
    EXPECT_EQ(shape.has_duration, kind == Kind::Call) << kind_name(kind);
  }
  EXPECT_EQ(kind_shape(Kind::Event).actor_column, "completed_by");
  EXPECT_EQ(kind_shape(Kind::Sms).minutes_setting, "sms_minutes");
}

}  // namespace
}  // namespace autotime
