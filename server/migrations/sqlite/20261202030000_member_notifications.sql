-- Whether a member gets an email for each new pending submission on the site (0/1). Only the
-- member turns it on (Account → Email notifications), so an owner cannot make the server mail
-- visitor-written text to any address they add. Members from before this change were already
-- receiving mail and keep receiving it.
ALTER TABLE memberships ADD COLUMN notify INTEGER NOT NULL DEFAULT 0;
UPDATE memberships SET notify = 1;
