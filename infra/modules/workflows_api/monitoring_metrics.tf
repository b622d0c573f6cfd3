# Log-based metrics from the functions' own structured log lines
# (functions/workflows_api/logs.py: one JSON line on stdout per entry, `message` plus
# the fields passed to logs.log). Cloud Run turns each line into an entry of the log
# run.googleapis.com/stdout, fields under jsonPayload, except the special field
# `httpRequest`, which becomes the entry's own httpRequest. tests/infra reads the
# code's log calls and checks that every message and field named here is written.
#
# Each metric counts the entries of one log line of the code; labels come from the
# line's fields. Resource labels (service_name: which function) come with every
# metric of a cloud_run_revision entry without being extracted.

locals {
  # The deployment's functions, as Cloud Run services.
  function_services_regex = "^${var.name_prefix}-(${join("|", [for name in keys(local.functions) : replace(name, "_", "-")])})$"

  # The functions' own log lines (not Cloud Run's request log, which has no
  # jsonPayload, nor another deployment's functions).
  function_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=~\"${local.function_services_regex}\"",
    "logName=\"projects/${var.project_id}/logs/run.googleapis.com%2Fstdout\"",
  ])

  # key => the metric. `filter`: clauses ANDed with function_log_filter. `labels`:
  # label => extractor. `value`: the extracted field of a distribution (else a count).
  log_metrics = {
    # execute, status (reconciliation), pubsub_trigger and the sweep submit; the line
    # carries no org yet (only the workflow).
    executions_submitted = {
      description = "Executions submitted to BigQuery (a job inserted), by workflow."
      filter      = ["jsonPayload.message=\"execution submitted\""]
      labels = {
        workflow_id = "EXTRACT(jsonPayload.workflow_id)"
      }
    }
    # An execution that ends through a job-completion event (bigquery_job_completed).
    # One ended by a status read (reconciliation) writes no line today.
    executions_ended = {
      description = "Executions that reached an end state on a BigQuery job-completion event, by org and state."
      filter = [
        "jsonPayload.message=~\"^BigQuery job event applied: \"",
        "jsonPayload.state=~\"^(succeeded|failed|cancelled)$\"",
      ]
      labels = {
        org   = "EXTRACT(jsonPayload.org)"
        state = "EXTRACT(jsonPayload.state)"
      }
    }
    # The request line of every HTTP call (http/dispatch.py). The path holds ids, so
    # the route is approximated by its first segments and its last keyword.
    http_5xx = {
      description = "HTTP answers 500 and above, by method and route (first path segments and last keyword)."
      filter      = ["httpRequest.status>=500"]
      labels = {
        method = "EXTRACT(httpRequest.requestMethod)"
        route  = "REGEXP_EXTRACT(httpRequest.requestUrl, \"^((?:/api)?/v[0-9]+/[a-z]+|/healthz|/openapi\\\\.json|/console)\")"
        action = "REGEXP_EXTRACT(httpRequest.requestUrl, \"/(executions|cancel|results|api|sql|webhooks|job|jobs|execute|schedules|run|fires)(?:/[0-9a-f]{16})?$\")"
      }
    }
    backend_unavailable = {
      description = "Calls answered 503 because a backend (Firestore, BigQuery, Secret Manager, Google's certificates...) was unavailable, by backend."
      filter      = ["jsonPayload.message=\"backend unavailable\""]
      labels = {
        backend = "EXTRACT(jsonPayload.backend)"
      }
    }
    # The reason is google-auth's text (adapters/google_oidc.py); the label keeps the
    # check that failed. Empty: undecodable (or another reason).
    id_token_refusals = {
      description = "Google-signed ID tokens refused, by the check that failed (expired, too early, audience, signature; empty: undecodable)."
      filter      = ["jsonPayload.message=\"ID token refused\""]
      labels = {
        reason = "REGEXP_EXTRACT(jsonPayload.reason, \"(?i)(expired|too early|audience|signature)\")"
      }
    }
    # service/webhooks.py: the function's own last attempt failed.
    webhook_dead_letters = {
      description = "Webhook deliveries given up after the last attempt, by the last failure."
      filter = [
        "jsonPayload.message=\"webhook delivery attempt\"",
        "jsonPayload.dead_lettered=true",
      ]
      labels = {
        reason = "EXTRACT(jsonPayload.reason)"
      }
    }
    # service/sweep.py, one line per sweep (every 5 minutes).
    sweeps_leaving_executions = {
      description = "Sweeps that left executions created (they could not be submitted)."
      filter = [
        "jsonPayload.message=\"sweep of executions left created\"",
        "jsonPayload.left>0",
      ]
      labels = {}
    }
    sweep_left = {
      description = "Executions each sweep left created."
      filter      = ["jsonPayload.message=\"sweep of executions left created\""]
      labels      = {}
      value       = "EXTRACT(jsonPayload.left)"
    }
    # service/triggers.py: a Pub/Sub message that will never run (bad message, unknown
    # workflow...), recorded as a trigger rejection.
    trigger_rejections = {
      description = "Pub/Sub messages rejected for good, by error code."
      filter      = ["jsonPayload.message=\"Pub/Sub message rejected for good\""]
      labels = {
        code = "EXTRACT(jsonPayload.code)"
      }
    }
  }
}

resource "google_logging_metric" "signals" {
  for_each = local.log_metrics

  project     = var.project_id
  name        = "${var.name_prefix}/${each.key}"
  description = each.value.description
  filter      = join(" AND ", concat([local.function_log_filter], each.value.filter))

  label_extractors = each.value.labels
  value_extractor  = try(each.value.value, null)

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = can(each.value.value) ? "DISTRIBUTION" : "INT64"
    unit        = "1"

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.key
        value_type = "STRING"
      }
    }
  }

  # Distributions need buckets: 0, 1, 2, 4 ... 512 executions.
  dynamic "bucket_options" {
    for_each = can(each.value.value) ? [1] : []
    content {
      exponential_buckets {
        num_finite_buckets = 10
        growth_factor      = 2
        scale              = 1
      }
    }
  }

  depends_on = [google_project_service.services]
}

# Alert policies and the dashboard name these metrics; Cloud Monitoring takes a while
# to know a new one ("Cannot find metric" otherwise).
resource "time_sleep" "log_metrics" {
  create_duration = "60s"

  triggers = {
    metrics = join(",", sort([for metric in google_logging_metric.signals : metric.id]))
  }
}
