-- Kobalt's NHG screening status since the December 2026 clinical review: the vendored reference query
-- (bench/rules-nhg.sql, byte-identical there) with the three corrections the review asked for, and nothing else:
--   1. a value converted from pg/mL (ng/L) is compared after rounding to the limits' precision (whole pmol/L):
--      200 pg/mL = 147.6 pmol/L counts as 148, in the grey zone (review F17);
--   2. MMA 0.28-0.45 umol/L is borderline, never reassuring: 148..260 or > 260 with such an MMA is
--      indeterminate (review F09; the 0.45 limit is unverified, labs use 0.32-0.35);
--   3. a raised MMA (> 0.45 umol/L) with a B12 above 260 disagrees with it: indeterminate, never
--      reassuring (F09, G9: MMA by the laboratory's range).
-- bench/screen.sh checks Kobalt's status against this query.
--
-- Reference screening rules for the batch benchmark (Dutch NHG profile, total B12 and MMA only).
-- {SRC} is replaced by the scan expression, e.g. read_csv('b12_10m.csv') or read_parquet('b12_10m.parquet').
--   b12_pmol     = b12_value * 0.738 when b12_unit is pg/mL (= ng/L), else b12_value (pmol/L)
--   status       = not_tested     no total B12
--                  deficient      total B12 < 148 pmol/L, or 148..260 with MMA > 0.45 umol/L
--                  indeterminate  148..260 without MMA
--                  unlikely       > 260, or 148..260 with MMA <= 0.45
--   at_risk      = metformin > 4 years or acid suppressant (PPI) > 4 years
--   macrocytosis = MCV > 100 fL
-- The MMA limit 0.45 umol/L is the value Kobalt's NHG profile uses (unverified in clinical.md).
WITH x AS (
  SELECT patient_id,
         CASE WHEN b12_unit IN ('pg/mL', 'ng/L') THEN round(b12_value * 0.7378) ELSE b12_value END AS b12_pmol,
         mma_umol,
         (coalesce(metformin_years, 0) > 4 OR coalesce(ppi_years, 0) > 4) AS at_risk,
         coalesce(mcv_fl > 100, false) AS macrocytosis
  FROM {SRC}
)
SELECT patient_id, b12_pmol, at_risk, macrocytosis,
       CASE
         WHEN b12_pmol IS NULL THEN 'not_tested'
         WHEN b12_pmol < 148 THEN 'deficient'
         WHEN b12_pmol <= 260 THEN
           CASE WHEN mma_umol > 0.45 THEN 'deficient'
                WHEN mma_umol >= 0.28 THEN 'indeterminate'
                WHEN mma_umol IS NOT NULL THEN 'unlikely'
                ELSE 'indeterminate' END
         WHEN mma_umol >= 0.28 THEN 'indeterminate'
         ELSE 'unlikely'
       END AS status
FROM x
