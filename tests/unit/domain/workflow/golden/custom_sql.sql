CREATE OR REPLACE PROCEDURE `demo-project`.`workflows_temp`.`wfproc_test`(`wfparam_area` STRING, `output_table` STRING)
BEGIN
  IF REGEXP_CONTAINS(`output_table`, r'^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$') IS NOT TRUE THEN
    RAISE USING MESSAGE = 'output_table must be project.dataset.table';
  END IF;
  CREATE OR REPLACE TEMP TABLE `wf_c` AS
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
    )
  -- node c (custom_sql)
  SELECT __wf_input_a.id, b.name, ST_ASTEXT(ST_GEOGFROMTEXT(`wfparam_area`)) AS t FROM `wf_a` AS __wf_input_a JOIN `wf_b` AS b USING (id);
  -- node out (output)
  EXECUTE IMMEDIATE FORMAT('CREATE TABLE IF NOT EXISTS `%s` OPTIONS(expiration_timestamp=TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)) AS SELECT * FROM `wf_c`', `output_table`);
END;
