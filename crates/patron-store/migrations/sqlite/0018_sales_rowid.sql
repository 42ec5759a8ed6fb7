-- Sales ids without AUTOINCREMENT, on SQLite. AUTOINCREMENT makes every INSERT into `sales`
-- read the table's row in `sqlite_sequence` and write it back: one more b-tree read and write
-- a sale (2 to 10 % of writing sales and their lines, in a trial outside Patron). It only
-- matters when the highest id is deleted (the id would otherwise be given again), and
-- nothing deletes sales: a refund is a row of its own, and a member who leaves keeps the
-- purchases on file. Without it a new sale takes the highest id plus one, the same id
-- AUTOINCREMENT gives when nothing is deleted.
-- The keyword changes nothing the file stores, so the stored definition is edited, as
-- 0008 did for a CHECK; `sales`' row in `sqlite_sequence` stays and is no longer read.
-- PostgreSQL's identity column has no such cost; this migration has no PostgreSQL
-- counterpart.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(sql, 'id INTEGER PRIMARY KEY AUTOINCREMENT', 'id INTEGER PRIMARY KEY')
WHERE type = 'table' AND name = 'sales';
PRAGMA writable_schema = OFF;

-- Editing the stored definition does not change the schema version; creating a table does,
-- so every open connection reads the definitions again before its next statement.
CREATE TABLE schema_reload (id INTEGER PRIMARY KEY);
DROP TABLE schema_reload;
