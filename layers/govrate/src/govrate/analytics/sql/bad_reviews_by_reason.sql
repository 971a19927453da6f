-- 差评原因 bad reviews by reason code: the bad reviews given, and how many of them named each reason code
-- (one may name several), without excluded bad reviews. Per day (dt), region, agency and service item.
-- parameters: from_day to_day
SELECT dt, region_code, agency_code, item_code,
       COUNT(*) AS bad_reviews,
       SUM(CASE WHEN reason_attitude THEN 1 ELSE 0 END) AS reason_attitude,
       SUM(CASE WHEN reason_slow THEN 1 ELSE 0 END) AS reason_slow,
       SUM(CASE WHEN reason_unclear_requirements THEN 1 ELSE 0 END) AS reason_unclear_requirements,
       SUM(CASE WHEN reason_repeated_trips THEN 1 ELSE 0 END) AS reason_repeated_trips,
       SUM(CASE WHEN reason_system_fault THEN 1 ELSE 0 END) AS reason_system_fault,
       SUM(CASE WHEN reason_policy THEN 1 ELSE 0 END) AS reason_policy,
       SUM(CASE WHEN reason_other THEN 1 ELSE 0 END) AS reason_other
FROM evaluations
WHERE dt BETWEEN ? AND ? AND bad_review AND NOT excluded
GROUP BY dt, region_code, agency_code, item_code
