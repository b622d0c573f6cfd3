CREATE OR REPLACE PROCEDURE `demo-project`.`workflows_temp`.`wfproc_test`(`wfparam_factor` NUMERIC, `output_table` STRING)
BEGIN
  IF REGEXP_CONTAINS(`output_table`, r'^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$') IS NOT TRUE THEN
    RAISE USING MESSAGE = 'output_table must be project.dataset.table';
  END IF;
  CREATE OR REPLACE TEMP TABLE `wf_s` AS
  WITH
    -- node src (read_table)
    `wf_src` AS (
      SELECT *
      FROM `demo-project`.`retail`.`stores`
    )
  -- node s (select)
  SELECT `id`, `name`, revenue * `wfparam_factor` AS `scaled`
  FROM `wf_src`;
  -- node out (output)
  EXECUTE IMMEDIATE FORMAT('CREATE TABLE IF NOT EXISTS `%s` OPTIONS(expiration_timestamp=TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)) AS SELECT * FROM `wf_s`', `output_table`);
END;
