CREATE OR REPLACE PROCEDURE `demo-project`.`workflows_temp`.`wfproc_test`(`output_table` STRING)
BEGIN
  DECLARE `wf_output_table_checked` BOOL DEFAULT IF(REGEXP_CONTAINS(`output_table`, r'^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$'), TRUE, ERROR('output_table must be project.dataset.table'));
  -- node src (read_table)
  CREATE OR REPLACE TEMP TABLE `wf_src` AS
  SELECT *
  FROM `demo-project`.`retail`.`stores`;
  -- node k (kmeans)
  CREATE OR REPLACE TEMP TABLE `wf_k__points` AS
  SELECT ROW_NUMBER() OVER (ORDER BY ST_X(ST_CENTROID(`geom`)), ST_Y(ST_CENTROID(`geom`))) AS `__wf_point_id`, ST_X(ST_CENTROID(`geom`)) AS `__wf_x`, ST_Y(ST_CENTROID(`geom`)) AS `__wf_y`, *
  FROM `wf_src`;
  CREATE OR REPLACE TEMP TABLE `wf_k__centres` AS
  SELECT 0 AS `__wf_cluster`, `__wf_x`, `__wf_y`
  FROM `wf_k__points`
  WHERE `__wf_x` IS NOT NULL
  ORDER BY `__wf_x`, `__wf_y`
  LIMIT 1;
  INSERT INTO `wf_k__centres` (`__wf_cluster`, `__wf_x`, `__wf_y`)
  SELECT (SELECT COUNT(*) FROM `wf_k__centres`), `__wf_x`, `__wf_y`
  FROM (
  SELECT p.`__wf_x`, p.`__wf_y`, MIN(ST_DISTANCE(ST_GEOGPOINT(p.`__wf_x`, p.`__wf_y`), ST_GEOGPOINT(c.`__wf_x`, c.`__wf_y`))) AS `__wf_distance`
  FROM `wf_k__points` AS p
  CROSS JOIN `wf_k__centres` AS c
  WHERE p.`__wf_x` IS NOT NULL
  GROUP BY p.`__wf_point_id`, p.`__wf_x`, p.`__wf_y`
  )
  WHERE (SELECT COUNT(*) FROM `wf_k__centres`) < 3
  ORDER BY `__wf_distance` DESC, `__wf_x`, `__wf_y`
  LIMIT 1;
  INSERT INTO `wf_k__centres` (`__wf_cluster`, `__wf_x`, `__wf_y`)
  SELECT (SELECT COUNT(*) FROM `wf_k__centres`), `__wf_x`, `__wf_y`
  FROM (
  SELECT p.`__wf_x`, p.`__wf_y`, MIN(ST_DISTANCE(ST_GEOGPOINT(p.`__wf_x`, p.`__wf_y`), ST_GEOGPOINT(c.`__wf_x`, c.`__wf_y`))) AS `__wf_distance`
  FROM `wf_k__points` AS p
  CROSS JOIN `wf_k__centres` AS c
  WHERE p.`__wf_x` IS NOT NULL
  GROUP BY p.`__wf_point_id`, p.`__wf_x`, p.`__wf_y`
  )
  WHERE (SELECT COUNT(*) FROM `wf_k__centres`) < 3
  ORDER BY `__wf_distance` DESC, `__wf_x`, `__wf_y`
  LIMIT 1;
  CREATE OR REPLACE TEMP TABLE `wf_k__assignment` AS
  SELECT `__wf_point_id`, `__wf_cluster`
  FROM (
  SELECT p.`__wf_point_id`, c.`__wf_cluster`, ROW_NUMBER() OVER (PARTITION BY p.`__wf_point_id` ORDER BY ST_DISTANCE(ST_GEOGPOINT(p.`__wf_x`, p.`__wf_y`), ST_GEOGPOINT(c.`__wf_x`, c.`__wf_y`)), c.`__wf_cluster`) AS `__wf_rank`
  FROM `wf_k__points` AS p
  CROSS JOIN `wf_k__centres` AS c
  WHERE p.`__wf_x` IS NOT NULL
  )
  WHERE `__wf_rank` = 1;
  CREATE OR REPLACE TEMP TABLE `wf_k__centres` AS
  SELECT a.`__wf_cluster`, AVG(p.`__wf_x`) AS `__wf_x`, AVG(p.`__wf_y`) AS `__wf_y`
  FROM `wf_k__assignment` AS a
  INNER JOIN `wf_k__points` AS p USING (`__wf_point_id`)
  GROUP BY a.`__wf_cluster`;
  CREATE OR REPLACE TEMP TABLE `wf_k__assignment` AS
  SELECT `__wf_point_id`, `__wf_cluster`
  FROM (
  SELECT p.`__wf_point_id`, c.`__wf_cluster`, ROW_NUMBER() OVER (PARTITION BY p.`__wf_point_id` ORDER BY ST_DISTANCE(ST_GEOGPOINT(p.`__wf_x`, p.`__wf_y`), ST_GEOGPOINT(c.`__wf_x`, c.`__wf_y`)), c.`__wf_cluster`) AS `__wf_rank`
  FROM `wf_k__points` AS p
  CROSS JOIN `wf_k__centres` AS c
  WHERE p.`__wf_x` IS NOT NULL
  )
  WHERE `__wf_rank` = 1;
  CREATE OR REPLACE TEMP TABLE `wf_k` AS
  SELECT p.* EXCEPT (`__wf_point_id`, `__wf_x`, `__wf_y`), a.`__wf_cluster` AS `cluster`
  FROM `wf_k__points` AS p
  LEFT JOIN `wf_k__assignment` AS a USING (`__wf_point_id`);
  EXECUTE IMMEDIATE FORMAT('CREATE TABLE IF NOT EXISTS `%s` OPTIONS(expiration_timestamp=TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)) AS SELECT * FROM `wf_k`', `output_table`);
END;
