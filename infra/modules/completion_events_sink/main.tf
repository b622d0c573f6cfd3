# Completion events of BigQuery jobs that run in another project (a connection whose
# project is not the deployment's): a log sink in that project sends our jobs' done
# entries to the deployment's job-events topic, which pushes them to the completion
# function like those of the deployment's own project. Without it, executions in that
# project still end, when their status is read (reconciliation), only later.
#
# Applying it needs, in the connection's project, the right to create sinks
# (roles/logging.configWriter) and, on the deployment's topic, to grant publishing
# (roles/pubsub.admin on the topic, or the deployment's owner applies the grant).

terraform {
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.45"
    }
  }
}

variable "project_id" {
  description = "The connection's project, where its BigQuery jobs run."
  type        = string
}

variable "name" {
  description = "The sink's name in that project."
  type        = string
  default     = "wfapi-bigquery-jobs"
}

variable "topic" {
  description = "The deployment's job-events topic, projects/<p>/topics/<t> (output completion_events_topic)."
  type        = string
}

variable "filter" {
  description = "The log filter of our jobs' completions (output completion_events_log_filter)."
  type        = string
}

resource "google_logging_project_sink" "job_events" {
  project                = var.project_id
  name                   = var.name
  description            = "BigQuery job completions of Workflows API executions, to the deployment's topic."
  destination            = "pubsub.googleapis.com/${var.topic}"
  filter                 = var.filter
  unique_writer_identity = true
}

resource "google_pubsub_topic_iam_member" "sink_publisher" {
  project = split("/", var.topic)[1]
  topic   = var.topic
  role    = "roles/pubsub.publisher"
  member  = google_logging_project_sink.job_events.writer_identity
}

output "writer_identity" {
  description = "The sink's identity (publisher on the topic)."
  value       = google_logging_project_sink.job_events.writer_identity
}
