-- Vendored from the benchmark kit Kobalt was measured with (shared/bench/rules-nhg.sql, copied 2026-12-07),
-- an independent oracle written outside this project: bench/screen.sh checks that Kobalt's NHG status equals
-- this query's for every patient. Everything below the blank comment line is byte-identical to the original; do
-- not edit it here.
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
         CASE WHEN b12_unit IN ('pg/mL', 'ng/L') THEN b12_value * 0.738 ELSE b12_value END AS b12_pmol,
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
                WHEN mma_umol IS NOT NULL THEN 'unlikely'
                ELSE 'indeterminate' END
         ELSE 'unlikely'
       END AS status
FROM x
