// Which leaf partition of a partitioned table holds the rows whose key columns have given integer
// values: the choice the executor's tuple routing makes for an INSERT, made here so that the
// one-row path (row_decision.cpp) probes one partition's index instead of starting a statement.
#pragma once

#include "postgres_headers.hpp"

namespace autotime::pg {

// A column of the partitioned table the caller opened, and the value it is looked up by.
struct KnownValue {
  AttrNumber column = InvalidAttrNumber;
  int64 value = 0;
};

enum class Route {
  Leaf,         // *leaf is the partition that holds every such row (the caller opens it)
  NoPartition,  // no partition accepts the values: no such row exists
  NotRoutable,  // a level is partitioned by something else: the caller asks the SQL instead
};

// Follows the partition bounds from `top` (a partitioned table) down to a leaf, level by level,
// and `*index` (a partitioned index of `top`) down to its part on the leaf's parent: the leaf's
// own part of it is then part_of_index(leaf, *index). A level is routable when each of its key columns is one of `known` (by name below the top), of
// an integer type, with a built-in operator class (a table owner's own would run their code).
Route route_to_leaf(Relation top, const KnownValue *known, int count, Oid *leaf, Oid *index);

// Whether `relid`'s own partition key is made of `columns` alone as route_to_leaf needs it (checked
// when the lookups are worked out; levels below are checked as each row is routed).
bool partitioned_by(Oid relid, const AttrNumber *columns, int count);

// index_get_partition(partition, parent_index), kept per backend until a relcache invalidation.
Oid part_of_index(Relation partition, Oid parent_index);

// Registers the relcache callback that forgets them (_PG_init).
void register_partition_index_invalidation();

}  // namespace autotime::pg
