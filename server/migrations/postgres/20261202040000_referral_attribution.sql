-- Which advocate a browser that followed two referral links credits: 'first' keeps the code it
-- remembers until its window ends, 'last' lets each new link replace it. First touch by default.
ALTER TABLE sites ADD COLUMN referral_attribution TEXT NOT NULL DEFAULT 'first'
    CHECK (referral_attribution IN ('first', 'last'));
