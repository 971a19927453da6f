-- 满意度 satisfaction score: the mean of the level scores (5->100, 4->80, 3->60, 2->30, 1->0 by default;
-- the export writes each evaluation's score), without excluded bad reviews. numerator = sum of scores.
-- parameters: from_day to_day from_day to_day
WITH excluded AS (
    -- bad reviews whose appeal a supervisor upheld: kept, never counted
    SELECT evaluation_id FROM cases
    WHERE dt BETWEEN ? AND ? AND excluded_from_rates
)
SELECT e.dt, e.region_code, e.agency_code, e.item_code,
       SUM(e.score) AS numerator,
       COUNT(*) AS denominator
FROM evaluations e
WHERE e.dt BETWEEN ? AND ?
  AND e.evaluation_id NOT IN (SELECT evaluation_id FROM excluded)
GROUP BY e.dt, e.region_code, e.agency_code, e.item_code
