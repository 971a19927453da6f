-- 未评率 unrated rate: completed service records without an evaluator-given rating / completed
-- service records, by the day the record was completed. The export flags a record `rated` when an
-- evaluator-given evaluation of it came that day or within 31 days after (a paper form entered days
-- after the service counts).
-- parameters: from_day to_day
SELECT dt, region_code, agency_code, item_code,
       SUM(CASE WHEN rated THEN 0 ELSE 1 END) AS numerator,
       COUNT(*) AS denominator
FROM records
WHERE dt BETWEEN ? AND ?
GROUP BY dt, region_code, agency_code, item_code
