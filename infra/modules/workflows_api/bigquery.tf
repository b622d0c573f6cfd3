# The dataset for generated objects: one procedure per API-enabled workflow and the
# executions' output tables. The service reads it first and creates it only when it
# is missing, so creating it here is what lets the runtime account do without the
# right to create datasets.

resource "google_bigquery_dataset" "generated" {
  project       = var.project_id
  dataset_id    = var.dataset_id
  friendly_name = "Workflows API: generated procedures and output tables"
  description   = "Managed by Workflows API. Output tables expire after ${var.table_expiration_days} days; procedures do not expire."
  location      = var.bigquery_location
  labels        = local.labels

  # Output tables expire 30 days after creation by default, as the design says, and a
  # cache entry lives no longer than its table. Routines (the procedures) never expire.
  default_table_expiration_ms = var.table_expiration_days * 24 * 60 * 60 * 1000

  delete_contents_on_destroy = var.delete_dataset_contents_on_destroy

  depends_on = [google_project_service.services]
}
