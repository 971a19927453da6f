-- 回访整改满意率 rectification satisfaction rate: answered cases the evaluator rated satisfied or
-- basically satisfied / answered cases, without excluded bad reviews.
-- parameters: from_day to_day
SELECT c.dt, c.region_code, c.agency_code, c.item_code,
       SUM(CASE WHEN c.handling_rating IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END) AS numerator,
       COUNT(*) AS denominator
FROM cases c
WHERE c.dt BETWEEN ? AND ? AND c.answered AND NOT c.excluded_from_rates
GROUP BY c.dt, c.region_code, c.agency_code, c.item_code
