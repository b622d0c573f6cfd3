CREATE OR REPLACE PROCEDURE `demo-project`.`workflows_temp`.`wfproc_test`(`output_table` STRING)
BEGIN
  IF REGEXP_CONTAINS(`output_table`, r'^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$') IS NOT TRUE THEN
    RAISE USING MESSAGE = 'output_table must be project.dataset.table';
  END IF;
  CREATE OR REPLACE TEMP TABLE `wf_u` AS
  WITH
    -- node a (read_table)
    `wf_a` AS (
      SELECT *
      FROM `demo-project`.`retail`.`stores`
    ),
    -- node b (read_table)
    `wf_b` AS (
      SELECT *
      FROM `demo-project`.`retail`.`stores`
    ),
    -- node c (read_table)
    `wf_c` AS (
      SELECT *
      FROM `demo-project`.`retail`.`stores`
    )
  -- node u (union)
  SELECT *
  FROM `wf_a`
  UNION ALL
  SELECT *
  FROM `wf_b`
  UNION ALL
  SELECT *
  FROM `wf_c`;
  -- node out (output)
  EXECUTE IMMEDIATE FORMAT('CREATE TABLE IF NOT EXISTS `%s` OPTIONS(expiration_timestamp=TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)) AS SELECT * FROM `wf_u`', `output_table`);
END;
