-- 异地受理 applied here, handled elsewhere: evaluations of trans-regional services (跨省通办) counted in the
-- region where they were applied for; the handling region counts them in every rate, this figure stands
-- apart and is added to no rate or total. Good reviews (rated 3-5) / all rated, without excluded bad
-- reviews. Per day (dt), applied-for region (as region_code), handling agency and service item.
-- parameters: from_day to_day
SELECT dt, applied_region_code AS region_code, agency_code, item_code,
       SUM(CASE WHEN level >= 3 THEN 1 ELSE 0 END) AS numerator,
       COUNT(*) AS denominator
FROM evaluations
WHERE dt BETWEEN ? AND ? AND NOT excluded AND applied_region_code IS NOT NULL
GROUP BY dt, applied_region_code, agency_code, item_code
