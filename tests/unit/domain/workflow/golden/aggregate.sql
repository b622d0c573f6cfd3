CREATE OR REPLACE PROCEDURE `demo-project`.`workflows_temp`.`wfproc_test`(`output_table` STRING)
BEGIN
  IF REGEXP_CONTAINS(`output_table`, r'^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$') IS NOT TRUE THEN
    RAISE USING MESSAGE = 'output_table must be project.dataset.table';
  END IF;
  CREATE OR REPLACE TEMP TABLE `wf_g` AS
  WITH
    -- node src (read_table)
    `wf_src` AS (
      SELECT *
      FROM `demo-project`.`retail`.`stores`
    )
  -- node g (aggregate)
  SELECT `store_type`, COUNT(*) AS `n`, AVG(`revenue`) AS `mean_revenue`
  FROM `wf_src`
  GROUP BY `store_type`;
  -- node out (output)
  EXECUTE IMMEDIATE FORMAT('CREATE TABLE IF NOT EXISTS `%s` OPTIONS(expiration_timestamp=TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)) AS SELECT * FROM `wf_g`', `output_table`);
END;
