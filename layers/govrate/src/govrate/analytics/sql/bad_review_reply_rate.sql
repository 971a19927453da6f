-- 差评回复率 bad-review reply rate: bad reviews answered within their deadline / bad reviews, by the
-- day the bad review was given, without excluded bad reviews.
-- parameters: from_day to_day
SELECT c.dt, c.region_code, c.agency_code, c.item_code,
       SUM(CASE WHEN c.answered_within_deadline THEN 1 ELSE 0 END) AS numerator,
       COUNT(*) AS denominator
FROM cases c
WHERE c.dt BETWEEN ? AND ? AND NOT c.excluded_from_rates
GROUP BY c.dt, c.region_code, c.agency_code, c.item_code
