# Event-driven executions, without Eventarc: Eventarc makes its own Pub/Sub
# subscriptions (10 s ack deadline, which is also the push timeout, no dead-letter
# topic, 24 h of retries), which Terraform cannot configure, and its audit-log triggers
# only see the deployment's own project. So every event reaches its function through a
# push subscription managed here:
#
# - one topic per org of var.pubsub_orgs, pushed to the Pub/Sub function;
# - one topic of BigQuery job-completion log entries, fed by a log sink in this
#   project (below) and, for connections in other projects, by a sink per project
#   (modules/completion_events_sink), pushed to the completion function;
# - one topic of webhook deliveries, published by the runtime when an execution ends
#   (one message per URL), pushed to the delivery function: a failed attempt is
#   retried after the backoff below, and the function records the delivery as
#   dead-lettered on the execution after its own last attempt (service/webhooks.py,
#   DEFAULT_ATTEMPTS, fewer than max_delivery_attempts).
#
# Each push subscription waits for its function's whole timeout (ack deadline), backs
# off between retries, and after max_delivery_attempts moves the message to the
# dead-letter topic, where a pull subscription keeps it 7 days for inspection.

locals {
  pubsub_topics = {
    for org in var.pubsub_orgs : org => "${var.name_prefix}-org-${org}"
  }

  # key => the topic it reads, the function it pushes to and the account whose OIDC
  # token the push carries (run.invoker on that function, iam.tf).
  push_subscriptions = merge(
    local.pubsub_function == null ? {} : {
      for org in keys(local.pubsub_topics) : "org-${replace(org, "_", "-")}" => {
        topic    = google_pubsub_topic.org[org].id
        function = local.pubsub_function
        invoker  = "pubsub-invoker"
      }
    },
    local.completion_function == null ? {} : {
      "bigquery-jobs" = {
        topic    = google_pubsub_topic.job_events.id
        function = local.completion_function
        invoker  = "audit-invoker"
      }
    },
    local.webhook_function == null ? {} : {
      "webhook-deliveries" = {
        topic    = google_pubsub_topic.webhook_deliveries.id
        function = local.webhook_function
        invoker  = "hooks-invoker"
      }
    },
    local.sweep_function == null ? {} : {
      "sweep" = {
        topic    = google_pubsub_topic.sweep.id
        function = local.sweep_function
        invoker  = "pubsub-invoker"
      }
    },
  )

  # The BigQuery audit-log entries that end an execution: a job's change to DONE, for
  # jobs labelled with an execution id (functions/workflows_api/domain/execution/states.py,
  # EXECUTION_LABEL). Child jobs of our procedures carry no labels; every other job of
  # the project never leaves Cloud Logging.
  completion_log_filter = join(" AND ", [
    "protoPayload.serviceName=\"bigquery.googleapis.com\"",
    "protoPayload.methodName=\"google.cloud.bigquery.v2.JobService.InsertJob\"",
    "protoPayload.metadata.jobChange.after=\"DONE\"",
    "protoPayload.metadata.jobChange.job.jobConfig.labels.wfapi_execution:*",
  ])

  pubsub_agent_member = "serviceAccount:${google_project_service_identity.pubsub.email}"
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

resource "google_pubsub_topic" "job_events" {
  project = var.project_id
  name    = "${var.name_prefix}-bigquery-jobs"
  labels  = local.labels

  depends_on = [google_project_service.services]
}

# {org, workflow_id, execution_id, url, event_id, state, body}: one webhook delivery
# (functions/workflows_api/domain/execution/webhook_deliveries.py).
resource "google_pubsub_topic" "webhook_deliveries" {
  project = var.project_id
  name    = "${var.name_prefix}-webhook-deliveries"
  labels  = local.labels

  depends_on = [google_project_service.services]
}

# Ticks of the sweep's schedule (scheduler.tf); the messages carry nothing.
resource "google_pubsub_topic" "sweep" {
  project = var.project_id
  name    = "${var.name_prefix}-sweep"
  labels  = local.labels

  depends_on = [google_project_service.services]
}

# The functions publish the deliveries of the executions they end, to this topic only.
resource "google_pubsub_topic_iam_member" "runtime_publishes_webhook_deliveries" {
  project = var.project_id
  topic   = google_pubsub_topic.webhook_deliveries.name
  role    = "roles/pubsub.publisher"
  member  = local.runtime_member
}

resource "google_pubsub_topic" "dead_letter" {
  project = var.project_id
  name    = "${var.name_prefix}-dead-letter"
  labels  = local.labels

  depends_on = [google_project_service.services]
}

# Dead letters are kept here until read (gcloud pubsub subscriptions pull).
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.name_prefix}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter.id
  labels                     = local.labels
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

# BigQuery writes the audit-log entries without any setting; this sink copies ours to
# the job-events topic, as its own writer identity.
resource "google_logging_project_sink" "job_events" {
  project                = var.project_id
  name                   = "${var.name_prefix}-bigquery-jobs"
  description            = "BigQuery job completions of Workflows API executions, to their Pub/Sub topic."
  destination            = "pubsub.googleapis.com/${google_pubsub_topic.job_events.id}"
  filter                 = local.completion_log_filter
  unique_writer_identity = true

  depends_on = [google_project_service.services]
}

resource "google_pubsub_topic_iam_member" "job_events_sink_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.job_events.name
  role    = "roles/pubsub.publisher"
  member  = google_logging_project_sink.job_events.writer_identity
}

# --- Pub/Sub's service agent: dead letters and OIDC tokens ---------------------------

# On a fresh project the agent does not exist until the API creates it; creating it
# here lets the grants below name it in the same apply.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta

  project = var.project_id
  service = "pubsub.googleapis.com"

  depends_on = [google_project_service.services]
}

# Forwarding to the dead-letter topic publishes and acknowledges as the agent.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent_member
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.push_subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent_member
}

# The agent signs the pushes' OIDC tokens as the invoker accounts (built in for
# projects made after April 2021, needed by older ones), on those accounts only.
resource "google_service_account_iam_member" "pubsub_agent_signs_for_invokers" {
  for_each = toset(["pubsub-invoker", "audit-invoker", "hooks-invoker"])

  service_account_id = google_service_account.accounts[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent_member
}

# IAM changes take a while to reach Pub/Sub: the first pushes of a fresh deployment
# would otherwise fail (and the dead-letter forwarding be refused).
resource "time_sleep" "pubsub_agent_grants" {
  create_duration = "60s"

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    google_service_account_iam_member.pubsub_agent_signs_for_invokers,
    google_cloud_run_v2_service_iam_member.invokers,
  ]
}

# --- The push subscriptions ------------------------------------------------------------

resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  project = var.project_id
  name    = "${var.name_prefix}-${each.key}-push"
  topic   = each.value.topic
  labels  = merge(local.labels, { function = each.value.function })

  # A push waits this long for the function's answer before Pub/Sub sends it again:
  # the function's whole timeout (Pub/Sub allows up to 600 s).
  ack_deadline_seconds       = min(600, local.functions[each.value.function].timeout_seconds)
  message_retention_duration = "86400s"

  push_config {
    # functions-framework reads the topic from the path when it turns a push into a
    # CloudEvent (…/projects/<p>/topics/<t>), as WFAPI_PUBSUB_TOPICS names it.
    push_endpoint = "${google_cloudfunctions2_function.functions[each.value.function].service_config[0].uri}/${each.value.topic}"

    oidc_token {
      service_account_email = google_service_account.accounts[each.value.invoker].email
      audience              = google_cloudfunctions2_function.functions[each.value.function].service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 10
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [time_sleep.pubsub_agent_grants]
}
