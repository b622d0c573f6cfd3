output "base_url" {
  description = "The public HTTPS entry: every route of the API."
  value       = module.workflows_api.base_url
}

output "console_url" {
  description = "The web console (served by the status function through the gateway): paste an API token."
  value       = module.workflows_api.console_url
}

output "example_call" {
  description = "A connection, a token and a first call."
  value       = module.workflows_api.example_call
}

output "function_urls" {
  description = "Each function's own URL."
  value       = module.workflows_api.function_urls
}

output "service_accounts" {
  description = "The service account of each role."
  value       = module.workflows_api.service_accounts
}

output "scheduler_service_account" {
  description = "Register it as a principal of the org whose workflows the Scheduler jobs run."
  value       = module.workflows_api.scheduler_service_account
}

output "oidc_audience" {
  description = "The audience of Google-signed ID tokens that execute accepts."
  value       = module.workflows_api.oidc_audience
}

output "pubsub_topics" {
  description = "Org => the topic that starts its executions."
  value       = module.workflows_api.pubsub_topics
}

output "bigquery_dataset" {
  description = "The dataset for generated procedures and output tables."
  value       = module.workflows_api.bigquery_dataset
}

output "firestore_database" {
  description = "The Firestore database of the records."
  value       = module.workflows_api.firestore_database
}

output "completion_events_topic" {
  description = "The topic of BigQuery job-completion log entries; sinks of other projects write to it."
  value       = module.workflows_api.completion_events_topic
}

output "completion_events_log_filter" {
  description = "The log filter of our jobs' completions."
  value       = module.workflows_api.completion_events_log_filter
}

output "dead_letter_subscription" {
  description = "Events no function could take after every retry."
  value       = module.workflows_api.dead_letter_subscription
}
