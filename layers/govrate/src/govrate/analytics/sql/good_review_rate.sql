-- 好评率 good-review rate: evaluations rated 3-5 / all rated evaluations, evaluator-given and
-- system-given alike, without excluded bad reviews. Per day (dt), region, agency and service item.
-- parameters: from_day to_day
SELECT dt, region_code, agency_code, item_code,
       SUM(CASE WHEN level >= 3 THEN 1 ELSE 0 END) AS numerator,
       COUNT(*) AS denominator
FROM evaluations
WHERE dt BETWEEN ? AND ? AND NOT excluded
GROUP BY dt, region_code, agency_code, item_code
