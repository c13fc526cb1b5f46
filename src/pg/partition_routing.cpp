// Tuple routing for a key's values (partition_routing.hpp), with PostgreSQL's exported bound
// searches: a hash partition by the key's hash modulo the greatest modulus, a list partition by
// the value, a range partition by the greatest lower bound; else the default partition.
#include "partition_routing.hpp"
#include "slot_values.hpp"

#include <limits>

extern "C" {
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "partitioning/partbounds.h"
#include "partitioning/partdesc.h"
#include "utils/partcache.h"
}

namespace autotime::pg {

namespace {

// Which index of a partition is its part of a partitioned index (index_get_partition reads
// pg_inherits for each of the partition's indexes: most of what routing a probe cost), kept per
// backend and forgotten at any relcache invalidation (an index or partition attached, detached or
// dropped); a look-up an invalidation overtook is used, not kept.
struct PartIndexKey {
  Oid partition;
  Oid parent_index;
};
struct PartIndexEntry {
  PartIndexKey key;
  Oid index;
};
HTAB *part_indexes = nullptr;
uint64 part_indexes_generation = 0;

void forget_part_indexes(Datum, Oid) {
  part_indexes_generation++;
  if (part_indexes != nullptr) hash_destroy(part_indexes);
  part_indexes = nullptr;
}

HTAB *part_index_table() {
  if (part_indexes == nullptr) {
    HASHCTL control = {};
    control.keysize = sizeof(PartIndexKey);
    control.entrysize = sizeof(PartIndexEntry);
    control.hcxt = TopMemoryContext;
    part_indexes = hash_create("autotime partition indexes", 64, &control, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  return part_indexes;
}


// Key column `i` of `key` as route_to_leaf reads it: a plain column, integer, built-in opclass.
bool routable_key_column(PartitionKey key, int i) {
  return key->partattrs[i] != InvalidAttrNumber && integer_type(key->parttypid[i]) &&
         key->parttypid[i] == key->partopcintype[i] && key->partopfamily[i] < FirstNormalObjectId;
}

// The value of key column `i` of `rel` among `known` (columns of `top`): by number on the top
// level, by name below it (a partition may order its columns differently).
const KnownValue *known_for(Relation top, Relation rel, PartitionKey key, int i, const KnownValue *known, int count) {
  AttrNumber column = key->partattrs[i];
  if (rel != top) {
    const char *name = get_attname(RelationGetRelid(rel), column, true);
    column = name == nullptr ? InvalidAttrNumber : get_attnum(RelationGetRelid(top), name);
  }
  for (int k = 0; k < count; k++)
    if (known[k].column == column) return &known[k];
  return nullptr;
}

// `value` as a Datum of integer type `type`; false when the type can't hold it (no row can).
bool integer_datum(Oid type, int64 value, Datum *datum) {
  if (type == INT8OID) {
    *datum = Int64GetDatum(value);
    return true;
  }
  if (type == INT4OID) {
    if (value < std::numeric_limits<int32>::min() || value > std::numeric_limits<int32>::max()) return false;
    *datum = Int32GetDatum(static_cast<int32>(value));
    return true;
  }
  if (value < std::numeric_limits<int16>::min() || value > std::numeric_limits<int16>::max()) return false;
  *datum = Int16GetDatum(static_cast<int16>(value));
  return true;
}

// The index in `desc` of the partition accepting `values` (no NULLs), or -1.
int partition_for(PartitionKey key, PartitionDesc desc, Datum *values) {
  const PartitionBoundInfo bounds = desc->boundinfo;
  if (bounds == nullptr) return -1;  // no partitions yet
  bool isnull[PARTITION_MAX_KEYS] = {};
  int index = -1;
  bool equal = false;
  switch (key->strategy) {
    case PARTITION_STRATEGY_HASH: {
      const uint64 hash = compute_partition_hash_value(key->partnatts, key->partsupfunc, key->partcollation, values, isnull);
      index = bounds->indexes[hash % get_hash_partition_greatest_modulus(bounds)];
      break;
    }
    case PARTITION_STRATEGY_LIST: {
      const int offset = partition_list_bsearch(key->partsupfunc, key->partcollation, bounds, values[0], &equal);
      if (offset >= 0 && equal) index = bounds->indexes[offset];
      break;
    }
    case PARTITION_STRATEGY_RANGE: {
      const int offset =
          partition_range_datum_bsearch(key->partsupfunc, key->partcollation, bounds, key->partnatts, values, &equal);
      index = bounds->indexes[offset + 1];
      break;
    }
    default: return -1;
  }
  return index >= 0 ? index : bounds->default_index;
}

}  // namespace


void register_partition_index_invalidation() { CacheRegisterRelcacheCallback(forget_part_indexes, (Datum)0); }


Oid part_of_index(Relation partition, Oid parent_index) {
  const PartIndexKey key{RelationGetRelid(partition), parent_index};
  bool found = false;
  const auto *kept = static_cast<PartIndexEntry *>(hash_search(part_index_table(), &key, HASH_FIND, &found));
  if (found) return kept->index;
  const uint64 generation = part_indexes_generation;
  const Oid index = index_get_partition(partition, parent_index);
  if (generation == part_indexes_generation) {
    auto *entry = static_cast<PartIndexEntry *>(hash_search(part_index_table(), &key, HASH_ENTER, &found));
    entry->index = index;
  }
  return index;
}


bool partitioned_by(Oid relid, const AttrNumber *columns, int count) {
  Relation rel = table_open(relid, AccessShareLock);
  bool fits = rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE;
  const PartitionKey key = fits ? RelationGetPartitionKey(rel) : nullptr;
  for (int i = 0; fits && i < key->partnatts; i++) {
    bool found = false;
    for (int k = 0; k < count; k++) found = found || key->partattrs[i] == columns[k];
    fits = found && routable_key_column(key, i);
  }
  table_close(rel, NoLock);
  return fits;
}


Route route_to_leaf(Relation top, const KnownValue *known, int count, Oid *leaf, Oid *index) {
  Relation rel = top;
  Route route = Route::NotRoutable;
  for (;;) {
    const PartitionKey key = RelationGetPartitionKey(rel);
    Datum values[PARTITION_MAX_KEYS];
    bool routable = key->partnatts <= PARTITION_MAX_KEYS, exists = true;
    for (int i = 0; routable && i < key->partnatts; i++) {
      const KnownValue *value = routable_key_column(key, i) ? known_for(top, rel, key, i, known, count) : nullptr;
      routable = value != nullptr;
      exists = routable && exists && integer_datum(key->parttypid[i], value->value, &values[i]);
    }
    const PartitionDesc desc = routable && exists ? RelationGetPartitionDesc(rel, true) : nullptr;
    const int part = desc == nullptr ? -1 : partition_for(key, desc, values);
    if (!routable || part < 0) {
      route = routable ? Route::NoPartition : Route::NotRoutable;
      break;
    }
    if (desc->is_leaf[part]) {
      *leaf = desc->oids[part];
      route = Route::Leaf;
      break;
    }
    const Oid child = desc->oids[part];
    if (rel != top) table_close(rel, NoLock);
    rel = table_open(child, AccessShareLock);
    *index = part_of_index(rel, *index);  // the index's part on this level
    if (!OidIsValid(*index)) break;
  }
  if (rel != top) table_close(rel, NoLock);
  return route;
}

}  // namespace autotime::pg
