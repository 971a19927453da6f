-- Service items ranked within their agency by good-review rate (ties: satisfaction score) over a
-- period; an item with fewer than min_count rated evaluations is not ranked.
-- parameters: from_day to_day min_count
WITH items AS (
    SELECT agency_code, item_code,
        SUM(CASE WHEN level >= 3 THEN 1 ELSE 0 END) AS good,
        COUNT(*) AS rated,
        SUM(score) AS score_points
    FROM evaluations
    WHERE dt BETWEEN ? AND ? AND item_code IS NOT NULL AND NOT excluded
    GROUP BY agency_code, item_code
    HAVING COUNT(*) >= ?
)
SELECT agency_code, item_code, good, rated, score_points,
       RANK() OVER (
           PARTITION BY agency_code
           ORDER BY CAST(good AS DOUBLE) / rated DESC, CAST(score_points AS DOUBLE) / rated DESC
       ) AS place
FROM items
ORDER BY agency_code, place, item_code
