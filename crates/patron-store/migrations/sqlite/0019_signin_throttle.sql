-- Sign-in throttling by reservation: an attempt is counted before the password or code is
-- checked, so parallel guesses cannot pass the limit. `next_lock_ms` is how long the next
-- lock of a key lasts (it doubles per lock for exponential back-off); `succeeded_at` marks
-- an (account, address) key from which the account last signed in, which the per-account
-- ceiling does not slow down. Counters kept under the old key scheme are dropped.
DELETE FROM login_throttle;
ALTER TABLE login_throttle ADD COLUMN next_lock_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE login_throttle ADD COLUMN succeeded_at INTEGER;
