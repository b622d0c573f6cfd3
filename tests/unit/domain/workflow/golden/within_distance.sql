CREATE OR REPLACE PROCEDURE `demo-project`.`workflows_temp`.`wfproc_test`(`wfparam_lat` FLOAT64, `wfparam_metres` INT64, `output_table` STRING)
BEGIN
  IF REGEXP_CONTAINS(`output_table`, r'^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$') IS NOT TRUE THEN
    RAISE USING MESSAGE = 'output_table must be project.dataset.table';
  END IF;
  CREATE OR REPLACE TEMP TABLE `wf_w` AS
  WITH
    -- node src (read_table)
    `wf_src` AS (
      SELECT *
      FROM `demo-project`.`retail`.`stores`
    )
  -- node w (within_distance)
  SELECT *
  FROM `wf_src`
  WHERE ST_DWITHIN(`geom`, ST_GEOGPOINT(-3.7, `wfparam_lat`), `wfparam_metres`);
  -- node out (output)
  EXECUTE IMMEDIATE FORMAT('CREATE TABLE IF NOT EXISTS `%s` OPTIONS(expiration_timestamp=TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)) AS SELECT * FROM `wf_w`', `output_table`);
END;
