-- The ten agencies with the lowest good-review rate (then the lowest satisfaction score) over a
-- period, across every region; agencies with fewer than min_count rated evaluations are left out.
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
           ORDER BY CAST(good AS DOUBLE) / rated ASC, CAST(score_points AS DOUBLE) / rated ASC
       ) AS place
FROM agencies
ORDER BY place, agency_code
LIMIT 10
