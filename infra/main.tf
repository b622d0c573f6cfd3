# The deployment `make deploy` applies: the workflows_api module with this
# repository's functions/ as its source. To deploy from another configuration, call
# ./modules/workflows_api the same way.

module "workflows_api" {
  source = "./modules/workflows_api"

  project_id     = var.project_id
  region         = var.region
  gateway_region = var.gateway_region
  name_prefix    = var.name_prefix
  labels         = var.labels
  enable_apis    = var.enable_apis
  access_mode    = var.access_mode
  source_dir     = "${path.root}/../functions"

  bigquery_location                  = var.bigquery_location
  dataset_id                         = var.dataset_id
  table_expiration_days              = var.table_expiration_days
  source_datasets                    = var.source_datasets
  delete_dataset_contents_on_destroy = var.delete_dataset_contents_on_destroy
  impersonated_service_accounts      = var.impersonated_service_accounts
  single_org                         = var.single_org

  create_firestore_database = var.create_firestore_database
  firestore_database        = var.firestore_database
  firestore_location        = var.firestore_location
  firestore_deletion_policy = var.firestore_deletion_policy

  log_level             = var.log_level
  token_cache_seconds   = var.token_cache_seconds
  sweep_recheck_seconds = var.sweep_recheck_seconds
  trace_export          = var.trace_export
  function_scaling      = var.function_scaling

  pubsub_orgs    = var.pubsub_orgs
  scheduler_jobs = var.scheduler_jobs

  notification_channels           = var.notification_channels
  alert_thresholds                = var.alert_thresholds
  billing_account                 = var.billing_account
  monthly_budget                  = var.monthly_budget
  firestore_backup_retention_days = var.firestore_backup_retention_days
}

# Completion events of connections whose BigQuery jobs run in other projects: one log
# sink per project (infra/README.md, "Connections in other projects").
module "completion_events_sink" {
  source   = "./modules/completion_events_sink"
  for_each = toset(var.completion_event_projects)

  project_id = each.value
  name       = "${var.name_prefix}-bigquery-jobs"
  topic      = module.workflows_api.completion_events_topic
  filter     = module.workflows_api.completion_events_log_filter
}

# Deploying again after a destroy: the Firestore database outlives it (deletion policy
# ABANDON, the default) and creating it again would fail with 409. With
# import_firestore_database = true the apply adopts the existing database into this
# state instead (infra/README.md, "Deploying again").
import {
  for_each = var.import_firestore_database && var.create_firestore_database ? toset([var.firestore_database]) : toset([])

  to = module.workflows_api.google_firestore_database.records[0]
  id = "projects/${var.project_id}/databases/${each.value}"
}
