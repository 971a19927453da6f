-- 满意度 satisfaction score: the mean of the level scores (5->100, 4->80, 3->60, 2->30, 1->0 by default;
-- the export writes each evaluation's score), without excluded bad reviews. numerator = sum of scores.
-- parameters: from_day to_day
SELECT dt, region_code, agency_code, item_code,
       SUM(score) AS numerator,
       COUNT(*) AS denominator
FROM evaluations
WHERE dt BETWEEN ? AND ? AND NOT excluded
GROUP BY dt, region_code, agency_code, item_code
