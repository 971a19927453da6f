-- Agencies ranked within their region by good-review rate (ties: satisfaction score) over a period;
-- an agency with fewer than min_count rated evaluations is not ranked.
-- parameters: from_day to_day min_count
WITH agencies AS (
    SELECT region_code, agency_code,
        SUM(CASE WHEN level >= 3 THEN 1 ELSE 0 END) AS good,
        COUNT(*) AS rated,
        SUM(score) AS score_points
    FROM evaluations
    WHERE dt BETWEEN ? AND ? AND NOT excluded
    GROUP BY region_code, agency_code
    HAVING COUNT(*) >= ?
)
SELECT region_code, agency_code, good, rated, score_points,
       RANK() OVER (
           PARTITION BY region_code
           ORDER BY CAST(good AS DOUBLE) / rated DESC, CAST(score_points AS DOUBLE) / rated DESC
       ) AS place
FROM agencies
ORDER BY region_code, place, agency_code
