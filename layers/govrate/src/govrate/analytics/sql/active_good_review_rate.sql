-- 主动评价好评率 active good-review rate: the good-review rate over evaluator-given ratings only
-- (system-given default ratings left out), without excluded bad reviews.
-- parameters: from_day to_day
SELECT dt, region_code, agency_code, item_code,
       SUM(CASE WHEN level >= 3 THEN 1 ELSE 0 END) AS numerator,
       COUNT(*) AS denominator
FROM evaluations
WHERE dt BETWEEN ? AND ? AND NOT excluded AND NOT system_given
GROUP BY dt, region_code, agency_code, item_code
