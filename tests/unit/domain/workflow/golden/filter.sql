CREATE OR REPLACE PROCEDURE `demo-project`.`workflows_temp`.`wfproc_test`(`wfparam_kind` STRING, `wfparam_ids` ARRAY<INT64>, `output_table` STRING)
BEGIN
  IF REGEXP_CONTAINS(`output_table`, r'^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$') IS NOT TRUE THEN
    RAISE USING MESSAGE = 'output_table must be project.dataset.table';
  END IF;
  CREATE OR REPLACE TEMP TABLE `wf_f` AS
  WITH
    -- node src (read_table)
    `wf_src` AS (
      SELECT *
      FROM `demo-project`.`retail`.`stores`
    )
  -- node f (filter)
  SELECT *
  FROM `wf_src`
  WHERE (`store_type` = `wfparam_kind`) OR (`name` LIKE 'O\'Brien%') OR (`id` IN UNNEST(`wfparam_ids`)) OR (`id` NOT IN (1, 2)) OR (`revenue` <> 1.5) OR (`name` IS NULL);
  -- node out (output)
  EXECUTE IMMEDIATE FORMAT('CREATE TABLE IF NOT EXISTS `%s` OPTIONS(expiration_timestamp=TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)) AS SELECT * FROM `wf_f`', `output_table`);
END;
