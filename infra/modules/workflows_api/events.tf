# Event-driven executions: one Pub/Sub topic per org that uses them, each with an
# Eventarc trigger to the Pub/Sub function; and BigQuery job-completion audit-log
# events to the completion function.

locals {
  pubsub_topics = {
    for org in var.pubsub_orgs : org => "${var.name_prefix}-org-${org}"
  }
}

# A topic is bound to one org by WFAPI_PUBSUB_TOPICS (main.tf), which the Pub/Sub
# function reads; its name and label also name the org. Messages are
# {"workflow": ..., "parameters": {...}, "cache": ...}.
resource "google_pubsub_topic" "org" {
  for_each = local.pubsub_topics

  project = var.project_id
  name    = each.value
  labels  = merge(local.labels, { wfapi-org = each.key })

  depends_on = [google_project_service.services]
}

resource "google_eventarc_trigger" "pubsub" {
  for_each = local.pubsub_function == null ? {} : local.pubsub_topics

  project  = var.project_id
  name     = "${var.name_prefix}-pubsub-${replace(each.key, "_", "-")}"
  location = var.region
  labels   = merge(local.labels, { wfapi-org = each.key })

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.pubsub.topic.v1.messagePublished"
  }

  # Publish to our topic; Eventarc subscribes to it and pushes each message.
  transport {
    pubsub {
      topic = google_pubsub_topic.org[each.key].id
    }
  }

  destination {
    cloud_run_service {
      service = google_cloudfunctions2_function.functions[local.pubsub_function].name
      region  = var.region
    }
  }

  # The identity Eventarc invokes the function with (run.invoker on it, iam.tf).
  service_account = google_service_account.accounts["pubsub-invoker"].email

  depends_on = [google_cloud_run_v2_service_iam_member.invokers]
}

# Job completion: BigQuery writes an audit log entry for InsertJob when a job is
# inserted and when it is done, with no logging setting to turn on. Every job of the
# project matches; the function keeps only executions' jobs (by their labels) and only
# the done state. Status reads reconcile executions anyway if an event is lost.
resource "google_eventarc_trigger" "bigquery_job_completed" {
  count = local.completion_function == null ? 0 : 1

  project  = var.project_id
  name     = "${var.name_prefix}-bigquery-jobs"
  location = var.bigquery_events_location
  labels   = local.labels

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.audit.log.v1.written"
  }
  matching_criteria {
    attribute = "serviceName"
    value     = "bigquery.googleapis.com"
  }
  matching_criteria {
    attribute = "methodName"
    value     = "google.cloud.bigquery.v2.JobService.InsertJob"
  }

  destination {
    cloud_run_service {
      service = google_cloudfunctions2_function.functions[local.completion_function].name
      region  = var.region
    }
  }

  service_account = google_service_account.accounts["audit-invoker"].email

  depends_on = [
    google_cloud_run_v2_service_iam_member.invokers,
    google_project_iam_member.audit_invoker_event_receiver,
  ]
}
