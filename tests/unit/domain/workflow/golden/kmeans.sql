CREATE OR REPLACE PROCEDURE `demo-project`.`workflows_temp`.`wfproc_test`(`output_table` STRING)
BEGIN
  DECLARE `wf_k__state` STRUCT<iterations INT64, converged BOOL, centres ARRAY<STRUCT<cluster INT64, x FLOAT64, y FLOAT64>>>;
  IF REGEXP_CONTAINS(`output_table`, r'^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$') IS NOT TRUE THEN
    RAISE USING MESSAGE = 'output_table must be project.dataset.table';
  END IF;
  CREATE OR REPLACE TEMP TABLE `wf_k__points` AS
  WITH
    -- node src (read_table)
    `wf_src` AS (
      SELECT *
      FROM `demo-project`.`retail`.`stores`
    )
  -- node k (kmeans)
  SELECT ST_X(ST_CENTROID(`geom`)) * COS(AVG(ST_Y(ST_CENTROID(`geom`))) OVER () * ACOS(-1) / 180) * 111195.08023353292 AS `__wf_x`, ST_Y(ST_CENTROID(`geom`)) * 111195.08023353292 AS `__wf_y`, *
  FROM `wf_src`;
  SET `wf_k__state` = (
    SELECT AS STRUCT 0 AS iterations, COUNT(*) = 0 AS converged, ARRAY_AGG(STRUCT(i AS cluster, `__wf_x` AS x, `__wf_y` AS y) ORDER BY i) AS centres
    FROM (
      SELECT `__wf_x`, `__wf_y`, ROW_NUMBER() OVER (ORDER BY `__wf_x`, `__wf_y`) - 1 AS `__wf_rank`, COUNT(*) OVER () AS `__wf_count`, 2 * LEAST(3, COUNT(*) OVER ()) AS `__wf_half_slices`
      FROM (SELECT DISTINCT `__wf_x`, `__wf_y` FROM `wf_k__points` WHERE `__wf_x` IS NOT NULL)
    )
    CROSS JOIN UNNEST(GENERATE_ARRAY(0, 3 - 1)) AS i
    WHERE i < `__wf_count` AND `__wf_rank` = DIV((2 * i + 1) * `__wf_count`, `__wf_half_slices`)
  );
  WHILE NOT `wf_k__state`.converged AND `wf_k__state`.iterations < 2 DO
    SET `wf_k__state` = (
      WITH `__wf_nearest` AS (
        SELECT `__wf_x`, `__wf_y`, (SELECT c.cluster FROM UNNEST(`wf_k__state`.centres) AS c WHERE p.`__wf_x` IS NOT NULL ORDER BY (p.`__wf_x` - c.x) * (p.`__wf_x` - c.x) + (p.`__wf_y` - c.y) * (p.`__wf_y` - c.y), c.cluster LIMIT 1) AS `__wf_cluster`
        FROM `wf_k__points` AS p
      ),
      `__wf_moved` AS (
        SELECT `__wf_cluster`, AVG(`__wf_x`) AS `__wf_x`, AVG(`__wf_y`) AS `__wf_y`
        FROM `__wf_nearest`
        WHERE `__wf_cluster` IS NOT NULL
        GROUP BY `__wf_cluster`
      )
      SELECT AS STRUCT `wf_k__state`.iterations + 1 AS iterations, COUNT(*) = ARRAY_LENGTH(`wf_k__state`.centres) AND LOGICAL_AND(SQRT((m.`__wf_x` - c.x) * (m.`__wf_x` - c.x) + (m.`__wf_y` - c.y) * (m.`__wf_y` - c.y)) <= 0.001) AS converged, ARRAY_AGG(STRUCT(m.`__wf_cluster` AS cluster, m.`__wf_x` AS x, m.`__wf_y` AS y) ORDER BY m.`__wf_cluster`) AS centres
      FROM `__wf_moved` AS m
      INNER JOIN UNNEST(`wf_k__state`.centres) AS c ON c.cluster = m.`__wf_cluster`
    );
  END WHILE;
  CREATE OR REPLACE TEMP TABLE `wf_k` AS
  -- node k (kmeans)
  SELECT p.* EXCEPT (`__wf_x`, `__wf_y`), (SELECT c.cluster FROM UNNEST(`wf_k__state`.centres) AS c WHERE p.`__wf_x` IS NOT NULL ORDER BY (p.`__wf_x` - c.x) * (p.`__wf_x` - c.x) + (p.`__wf_y` - c.y) * (p.`__wf_y` - c.y), c.cluster LIMIT 1) AS `cluster`
  FROM `wf_k__points` AS p;
  -- node out (output)
  EXECUTE IMMEDIATE FORMAT('CREATE TABLE IF NOT EXISTS `%s` OPTIONS(expiration_timestamp=TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)) AS SELECT * FROM `wf_k`', `output_table`);
END;
