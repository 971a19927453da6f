-- 未评率 unrated rate: completed service records without an evaluator-given rating / completed
-- service records, by the day the record was completed. An evaluation given later (a paper form
-- entered days after the service) counts as long as it was given by rated_until.
-- parameters: from_day rated_until from_day to_day
WITH rated AS (
    SELECT DISTINCT region_code, record_id FROM evaluations
    WHERE dt BETWEEN ? AND ? AND record_id IS NOT NULL AND NOT system_given
)
SELECT r.dt, r.region_code, r.agency_code, r.item_code,
       SUM(CASE WHEN rated.record_id IS NULL THEN 1 ELSE 0 END) AS numerator,
       COUNT(*) AS denominator
FROM records r
LEFT JOIN rated ON rated.region_code = r.region_code AND rated.record_id = r.record_id
WHERE r.dt BETWEEN ? AND ?
GROUP BY r.dt, r.region_code, r.agency_code, r.item_code
