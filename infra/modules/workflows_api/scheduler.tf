# Scheduled executions, one Cloud Scheduler job per entry of var.scheduler_jobs. Each
# POSTs the execute route straight to the execute function with a Google-signed OIDC
# ID token of the scheduler service account, for the audience execute verifies
# (WFAPI_OIDC_AUDIENCE: the service's deterministic URL); execute maps the account to
# the org that registered it as a principal (`wfapi principal add`).

locals {
  execute_url = google_cloudfunctions2_function.functions["execute"].service_config[0].uri
  scheduler_jobs = {
    for job in var.scheduler_jobs : job.name => {
      schedule  = job.schedule
      time_zone = try(job.time_zone, "Etc/UTC")
      workflow  = job.workflow
      body = merge(
        { parameters = try(job.parameters, {}) },
        can(job.cache) ? { cache = job.cache } : {},
      )
    }
  }
}

resource "google_cloud_scheduler_job" "executions" {
  for_each = local.scheduler_jobs

  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = "Execute workflow ${each.value.workflow} (Workflows API)"
  schedule    = each.value.schedule
  time_zone   = each.value.time_zone
  # execute answers at once (202) unless asked to wait, but a slow call (submission
  # retries, BigQuery slow to answer) may take up to execute's whole timeout: Scheduler
  # waits that long plus a margin, so that no call still being served is retried.
  attempt_deadline = "${local.functions["execute"].timeout_seconds + 30}s"

  retry_config {
    # Retries happen only when execute failed or did not answer in time; with the
    # cache on, a retry with identical parameters joins the first execution.
    retry_count          = 3
    min_backoff_duration = "10s"
    max_backoff_duration = "300s"
  }

  http_target {
    http_method = "POST"
    uri         = "${local.execute_url}/v1/workflows/${each.value.workflow}/executions"
    body        = base64encode(jsonencode(each.value.body))
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.accounts["scheduler"].email
      audience              = local.oidc_audience
    }
  }

  depends_on = [google_project_service.services]
}

# The sweep (functions/workflows_api/service/sweep.py): submits the executions left
# `created` when BigQuery did not answer their submission in time. Cloud Scheduler
# publishes a tick to the sweep topic, pushed to the sweep function (events.tf).
# Missed ticks need no retry: the next one sweeps everything left.
resource "google_cloud_scheduler_job" "sweep" {
  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-sweep"
  description = "Submit Workflows API executions left created (sweep)"
  # Every 5 minutes: how long an execution may stay `created` after BigQuery is back,
  # when nobody reads its status.
  schedule  = "*/5 * * * *"
  time_zone = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.sweep.id
    data       = base64encode("{}")
  }

  depends_on = [google_project_service.services]
}
