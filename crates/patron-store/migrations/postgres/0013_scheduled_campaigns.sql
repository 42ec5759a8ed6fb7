-- A playbook can be scheduled as a campaign: it runs by itself on `run_on` (a date in the
-- head office's zone, 'YYYY-MM-DD'), and `ran_on` records the day it did, so a day missed
-- while the server was down is caught up once. The calendar shows scheduled campaigns.
ALTER TABLE winback_playbooks ADD COLUMN run_on TEXT;
ALTER TABLE winback_playbooks ADD COLUMN ran_on TEXT;
