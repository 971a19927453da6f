-- 回访整改率 return-visit rectification rate: real-name bad reviews visited and rectified (or lawfully
-- explained) / real-name bad reviews, without excluded bad reviews. Target 100 %.
-- parameters: from_day to_day
SELECT c.dt, c.region_code, c.agency_code, c.item_code,
       SUM(CASE WHEN c.visited_and_rectified THEN 1 ELSE 0 END) AS numerator,
       COUNT(*) AS denominator
FROM cases c
WHERE c.dt BETWEEN ? AND ? AND c.real_name AND NOT c.excluded_from_rates
GROUP BY c.dt, c.region_code, c.agency_code, c.item_code
