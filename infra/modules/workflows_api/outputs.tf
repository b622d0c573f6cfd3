output "base_url" {
  description = "The public HTTPS entry (API Gateway): every route of the routing table."
  value       = "https://${google_api_gateway_gateway.gateway.default_hostname}"
}

output "console_url" {
  description = "The web console (served by the status function through the gateway): paste an API token."
  value       = "https://${google_api_gateway_gateway.gateway.default_hostname}/console/"
}

output "function_urls" {
  description = "Each function's own URL (the gateway's backends; execute's is Cloud Scheduler's target)."
  value       = { for name, fn in google_cloudfunctions2_function.functions : name => fn.service_config[0].uri }
}

output "service_accounts" {
  description = "The service account of each role."
  value       = { for role, account in google_service_account.accounts : role => account.email }
}

output "scheduler_service_account" {
  description = "Register this account as a principal of the org whose workflows the Scheduler jobs run."
  value       = google_service_account.accounts["scheduler"].email
}

output "oidc_audience" {
  description = "The audience of Google-signed ID tokens that execute accepts (WFAPI_OIDC_AUDIENCE)."
  value       = local.oidc_audience
}

output "pubsub_topics" {
  description = "Org => Pub/Sub topic that starts that org's executions."
  value       = { for org, topic in google_pubsub_topic.org : org => topic.id }
}

output "bigquery_dataset" {
  description = "The dataset for generated procedures and output tables."
  value       = "${var.project_id}.${google_bigquery_dataset.generated.dataset_id}"
}

output "firestore_database" {
  description = "The Firestore database of the records."
  value       = local.firestore_database
}

locals {
  # A single-org deployment's connection may run as the runtime in the dataset made
  # here; otherwise it names the org's service account (listed in
  # impersonated_service_accounts) and gets the org's own dataset, wfapi_<org>.
  example_connection_identity = (
    var.single_org
    ? "--dataset ${google_bigquery_dataset.generated.dataset_id}"
    : "--service-account ${try(var.impersonated_service_accounts[0], "SERVICE_ACCOUNT_OF_THE_ORG")}"
  )
}

output "example_call" {
  description = "What to run after the first deployment: a connection, a token, then calls."
  value       = <<-EOT
    # 1. Point the admin CLI at this deployment (application-default credentials):
    export GOOGLE_CLOUD_PROJECT=${var.project_id} WFAPI_FIRESTORE_DATABASE='${local.firestore_database}'
    .venv/bin/wfapi connection create --org demo --id default --project ${var.project_id} --location ${var.bigquery_location} ${local.example_connection_identity}
    .venv/bin/wfapi token create --org demo --name first-token   # every grant; prints TOKEN once
    .venv/bin/wfapi principal add --org demo --email ${google_service_account.accounts["scheduler"].email}   # Cloud Scheduler's jobs
    # 2. Call the API. examples/store_clusters.yaml reads retail.stores: point it at a
    #    table of yours and list that dataset in source_datasets.
    TOKEN=wfa_...
    BASE=https://${google_api_gateway_gateway.gateway.default_hostname}
    curl -s $BASE/healthz
    curl -sS -X PUT $BASE/v1/workflows/store_clusters -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/yaml' --data-binary @examples/store_clusters.yaml
    curl -sS -X POST $BASE/v1/workflows/store_clusters/api -H "Authorization: Bearer $TOKEN"
    curl -sS -X POST $BASE/v1/workflows/store_clusters/executions -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"parameters": {"number_of_clusters": 2, "buffer_radius": 500, "store_type": "Supermarket"}, "wait_seconds": 30}'
  EOT
}

output "completion_events_topic" {
  description = "The topic of BigQuery job-completion log entries (modules/completion_events_sink, for connections in other projects)."
  value       = google_pubsub_topic.job_events.id
}

output "completion_events_log_filter" {
  description = "The log filter of our jobs' completions that every sink to that topic uses."
  value       = local.completion_log_filter
}

output "dead_letter_subscription" {
  description = "Events no function could take after every retry: gcloud pubsub subscriptions pull <this>."
  value       = google_pubsub_subscription.dead_letter.id
}
