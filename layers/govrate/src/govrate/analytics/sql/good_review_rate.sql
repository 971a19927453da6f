-- 好评率 good-review rate: evaluations rated 3-5 / all rated evaluations, evaluator-given and
-- system-given alike, without excluded bad reviews. Per day (dt), region, agency and service item.
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
  AND e.evaluation_id NOT IN (SELECT evaluation_id FROM excluded)
GROUP BY e.dt, e.region_code, e.agency_code, e.item_code
