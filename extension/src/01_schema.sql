-- The schema autotime: created by CREATE EXTENSION (the control file pins it), checked here.
\echo Use "CREATE EXTENSION autotime" to load this file. \quit

-- The control file pins schema = autotime, and CREATE EXTENSION creates it when it is missing.
-- One that already existed must belong to a superuser: its owner could replace what is in it.
DO $$
BEGIN
  IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
          WHERE n.nspname OPERATOR(pg_catalog.=) 'autotime') THEN
    RAISE EXCEPTION 'schema autotime belongs to a role that is not a superuser'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Its owner could replace the functions capture calls.',
            HINT = 'Drop it, or ALTER SCHEMA autotime OWNER TO a superuser, then CREATE EXTENSION autotime.';
  END IF;
END
$$;
COMMENT ON SCHEMA autotime IS 'autotime: captures practice activity as draft billable time entries';
GRANT USAGE ON SCHEMA autotime TO PUBLIC;
