-- Documents: generated from a template qualifies; descriptions are bounded and clean.
\i test/fixtures/small_firm.sql

INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 100, 10, 'Engagement letter', 7, '2026-03-10 15:00+00'),
  (1, 2, 100, 10, 'Scanned receipt.pdf', NULL, '2026-03-10 15:00+00'),
  (1, 3, 100, 10, E'Motion\nto\tdismiss', 8, '2026-03-10 15:00+00'),
  (1, 4, 100, 10, repeat('Ä', 500), 9, '2026-03-10 15:00+00');
SELECT source_id, description, length(description) AS characters FROM time_entries ORDER BY source_id;
SELECT autotime.explain('document', 2) - 'team_id' AS uploaded_not_generated;

-- A document later attached to a template is generated work: captured by the update.
UPDATE documents SET template_id = 3 WHERE id = 2;
SELECT source_id, description FROM time_entries WHERE source_id = 2;
