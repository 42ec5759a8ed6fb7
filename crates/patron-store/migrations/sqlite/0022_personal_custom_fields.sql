-- A custom field may hold personal data (a second phone, a WeChat group nickname): marked,
-- its values are masked for roles that may not reveal personal data, like the WeChat id and
-- the employer. The profile itself (customers.profile) is sealed by the application from
-- this release on; rows written before are sealed at start-up.
ALTER TABLE custom_fields ADD COLUMN personal INTEGER NOT NULL DEFAULT 0;
