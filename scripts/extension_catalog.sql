-- What extension autotime installed in this database, one line per property, sorted (extconfig in
-- its own order, which pg_extension shows): two databases hold the same extension exactly when this
-- prints the same in both (scripts/test.d/install_equivalence.sh).
-- Privileges are compared as what they grant (a NULL ACL as its default), not as they are spelled.
\pset format unaligned
\pset tuples_only on
\pset pager off
CREATE TEMP VIEW members AS
  SELECT d.classid, d.objid, d.objsubid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'autotime';
CREATE TEMP VIEW member_rels AS
  SELECT c.* FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid;
CREATE FUNCTION pg_temp.privileges(acl aclitem[], kind "char", owner oid) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(string_agg(p, ' ' ORDER BY p), 'none')
  FROM (SELECT format('%s:%s%s', CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END,
                      x.privilege_type, CASE WHEN x.is_grantable THEN '*' ELSE '' END) AS p
        FROM aclexplode(coalesce(acl, acldefault(kind, owner))) x) s
$$;
-- (section, object, n, text): a multi-line definition is one row per line, in order.
WITH lines(section, object, n, line) AS (
  SELECT 'extension', e.extname::text, 0, format('version %s, schema %s, relocatable %s, config %s, condition %s',
         e.extversion, e.extnamespace::regnamespace, e.extrelocatable,
         (SELECT array_agg(c::regclass::text ORDER BY n) FROM unnest(e.extconfig) WITH ORDINALITY u(c, n)),
         (SELECT array_agg(x.cond ORDER BY x.n) FROM unnest(e.extcondition) WITH ORDINALITY x(cond, n)))
  FROM pg_extension e WHERE e.extname = 'autotime'
  UNION ALL
  SELECT 'schema', n.nspname::text, 0, format('owner %s, privileges %s, comment %L', n.nspowner::regrole,
         pg_temp.privileges(n.nspacl, 'n', n.nspowner), obj_description(n.oid, 'pg_namespace'))
  FROM pg_namespace n JOIN pg_extension e ON e.extnamespace = n.oid WHERE e.extname = 'autotime'
  UNION ALL
  SELECT 'member', pg_describe_object(m.classid, m.objid, m.objsubid), 0, '' FROM members m
  UNION ALL
  -- Functions and procedures: pg_get_functiondef spells out volatility, strictness, SECURITY
  -- DEFINER, SET clauses, parallel safety, cost and rows; the rest is listed beside it.
  SELECT 'function', p.oid::regprocedure::text, 0,
         format('kind %s, volatile %s, strict %s, security definer %s, parallel %s, leakproof %s, config %s, '
                'privileges %s, comment %L', p.prokind, p.provolatile, p.proisstrict, p.prosecdef, p.proparallel,
                p.proleakproof, p.proconfig, pg_temp.privileges(p.proacl, 'f', p.proowner), obj_description(p.oid, 'pg_proc'))
  FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
  UNION ALL
  SELECT 'function', p.oid::regprocedure::text, l.n::int, l.line
  FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid,
       regexp_split_to_table(pg_get_functiondef(p.oid), E'\n') WITH ORDINALITY l(line, n)
  UNION ALL
  SELECT 'relation', c.oid::regclass::text, 0,
         format('kind %s, persistence %s, options %s, row security %s, replica identity %s, privileges %s, comment %L',
                c.relkind, c.relpersistence, c.reloptions, c.relrowsecurity, c.relreplident,
                pg_temp.privileges(c.relacl, CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner),
                obj_description(c.oid, 'pg_class'))
  FROM member_rels c
  UNION ALL
  -- Columns by their position among the live ones (SELECT * and dumps list them in that order).
  SELECT 'relation', c.oid::regclass::text, 1000 + row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
         format('column %I %s, not null %s, default %s, identity %L, generated %L, collation %s, privileges %s, comment %L',
                a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                a.attidentity, a.attgenerated, nullif(a.attcollation, 0)::regcollation, a.attacl,
                col_description(c.oid, a.attnum))
  FROM member_rels c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
  UNION ALL
  SELECT 'relation', c.oid::regclass::text, 2000,
         format('constraint %I: %s, comment %L', k.conname, pg_get_constraintdef(k.oid), obj_description(k.oid, 'pg_constraint'))
  FROM member_rels c JOIN pg_constraint k ON k.conrelid = c.oid
  UNION ALL
  SELECT 'relation', c.oid::regclass::text, 3000,
         format('index %s, comment %L', pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class'))
  FROM member_rels c JOIN pg_index i ON i.indrelid = c.oid
  UNION ALL
  SELECT 'relation', c.oid::regclass::text, 4000,
         format('trigger %s, enabled %s, comment %L', pg_get_triggerdef(t.oid), t.tgenabled, obj_description(t.oid, 'pg_trigger'))
  FROM member_rels c JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
  UNION ALL
  SELECT 'relation', c.oid::regclass::text, 5000 + l.n::int, l.line
  FROM member_rels c, regexp_split_to_table(pg_get_viewdef(c.oid, true), E'\n') WITH ORDINALITY l(line, n)
  WHERE c.relkind IN ('v', 'm')
  UNION ALL
  SELECT 'relation', s.seqrelid::regclass::text, 6000,
         format('sequence %s start %s increment %s min %s max %s cache %s cycle %s, owned by %s',
                s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                (SELECT d.refobjid::regclass || '.' || a.attname FROM pg_depend d
                   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.refclassid = 'pg_class'::regclass
                    AND d.deptype IN ('a', 'i')))
  FROM pg_sequence s
  WHERE s.seqrelid IN (SELECT oid FROM member_rels)
     OR s.seqrelid IN (SELECT d.objid FROM pg_depend d JOIN member_rels c ON d.refobjid = c.oid
                        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i')
  UNION ALL
  SELECT 'event trigger', t.evtname::text, 0,
         format('on %s when %s execute %s, enabled %s, comment %L', t.evtevent, t.evttags, t.evtfoid::regprocedure,
                t.evtenabled, obj_description(t.oid, 'pg_event_trigger'))
  FROM pg_event_trigger t JOIN members m ON m.classid = 'pg_event_trigger'::regclass AND m.objid = t.oid
)
SELECT section || ' ' || object || ' | ' || line FROM lines ORDER BY section, object, n, line;
