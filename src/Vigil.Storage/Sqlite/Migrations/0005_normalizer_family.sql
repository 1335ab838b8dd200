-- How many results a record's or influencer's normalizer scored in its bucket: the family of the family-wise
-- absolute-probability ceiling (ScoreNormalizer), needed to renormalize with the same ceiling. NULL for rows
-- written before this version (renormalized with a family of 1, as they were first scored).
ALTER TABLE results ADD COLUMN normalizer_family INTEGER;
