-- Inputs renormalization needs that the API document does not carry: the detector feature whose normalizer
-- scored a record, and the normalizer scope of a record or influencer. NULL for rows written before this
-- version (those are not renormalized) and for other result types.
ALTER TABLE results ADD COLUMN normalizer_feature INTEGER;
ALTER TABLE results ADD COLUMN normalizer_scope INTEGER;
