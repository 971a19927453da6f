-- 主动评价好评率 active good-review rate: the good-review rate over evaluator-given ratings only
-- (system-given default ratings left out), without excluded bad reviews.
-- parameters: from_day to_day from_day to_day
WITH excluded AS (
    -- bad reviews whose appeal a supervisor upheld: kept, never counted
    SELECT evaluation_id FROM cases
    WHERE dt BETWEEN ? AND ? AND excluded_from_rates
)
SELECT e.dt, e.region_code, e.agency_code, e.item_code,
       SUM(CASE WHEN e.level >= 3 THEN 1 ELSE 0 END) AS numerator,
       COUNT(*) AS denominator
FROM evaluations e
WHERE e.dt BETWEEN ? AND ?
  AND NOT e.system_given
  AND e.evaluation_id NOT IN (SELECT evaluation_id FROM excluded)
GROUP BY e.dt, e.region_code, e.agency_code, e.item_code
