-- 疑似干扰评价占比 flagged share: evaluations carrying an interference flag / all rated evaluations, the
-- population of the good-review rate (without excluded bad reviews). Reported beside the rates: a
-- flagged evaluation is never left out of a rate. Per day (dt), region, agency and service item.
-- parameters: from_day to_day
SELECT dt, region_code, agency_code, item_code,
       SUM(CASE WHEN integrity_flags IS NOT NULL THEN 1 ELSE 0 END) AS numerator,
       COUNT(*) AS denominator
FROM evaluations
WHERE dt BETWEEN ? AND ? AND NOT excluded
GROUP BY dt, region_code, agency_code, item_code
