# Alert policies: one per log-based metric (monitoring_metrics.tf), one on undelivered
# messages in every dead-letter subscription, one on the uptime check of /healthz
# through the public entry. SLO burn-rate alerts: slos.tf. Each goes to every channel
# of var.notification_channels (none: incidents show in the console only). Thresholds
# and why: infra/README.md, "Signals"; var.alert_thresholds overrides them by key.

resource "google_monitoring_notification_channel" "channels" {
  for_each = var.notification_channels

  project      = var.project_id
  display_name = "Workflows API: ${each.key}"
  type         = each.value.type
  labels       = each.value.labels
  user_labels  = local.labels

  depends_on = [google_project_service.services]
}

locals {
  notification_channels = [for channel in google_monitoring_notification_channel.channels : channel.id]

  # key => the alert on a log-based metric: more than `threshold` entries within
  # `window` seconds, per group of `group_by` (metric or resource labels); `where`
  # narrows the metric's series.
  log_alerts = {
    http_5xx = {
      metric    = "http_5xx"
      title     = "HTTP 5xx answers"
      threshold = 5
      window    = 300
      group_by  = ["resource.label.service_name", "metric.label.route"]
      severity  = "ERROR"
      why       = "More than a few 5xx in 5 minutes on one route: a bug or a backend down, not a client's mistake (those are 4xx)."
    }
    backend_unavailable = {
      metric    = "backend_unavailable"
      title     = "Backend unavailable"
      threshold = 5
      window    = 300
      group_by  = ["metric.label.backend"]
      severity  = "ERROR"
      why       = "Calls answered 503 because Firestore, BigQuery or another backend did not answer; a single blip is retried by clients, a run of them is an outage."
    }
    id_token_refusals = {
      metric    = "id_token_refusals"
      title     = "ID tokens refused"
      threshold = 10
      window    = 900
      group_by  = ["metric.label.reason"]
      severity  = "WARNING"
      why       = "Scheduler jobs or other Google-signed callers whose tokens fail a check (audience after a URL change, expiry from clock skew): their executions do not start."
    }
    webhook_dead_letters = {
      metric    = "webhook_dead_letters"
      title     = "Webhook deliveries dead-lettered"
      threshold = 0
      window    = 300
      group_by  = ["metric.label.reason"]
      severity  = "WARNING"
      why       = "A customer's endpoint refused or missed every attempt: the end of an execution was never announced."
    }
    sweeps_leaving_executions = {
      metric    = "sweeps_leaving_executions"
      title     = "Sweep leaves executions created"
      threshold = 2
      window    = 900
      group_by  = []
      severity  = "ERROR"
      why       = "Every sweep of the last 15 minutes (three) left executions it could not submit: BigQuery refuses or a connection is broken."
    }
    trigger_rejections = {
      metric    = "trigger_rejections"
      title     = "Pub/Sub messages rejected"
      threshold = 0
      window    = 300
      group_by  = ["metric.label.code"]
      severity  = "WARNING"
      why       = "A message asked for an execution that will never run (bad message, unknown or disabled workflow): the publisher's run did not happen."
    }
    executions_failed = {
      metric    = "executions_ended"
      where     = "metric.label.state=\"failed\""
      title     = "Executions failing"
      threshold = 10
      window    = 1800
      group_by  = ["metric.label.org"]
      severity  = "WARNING"
      why       = "More than 10 failed executions of one org in 30 minutes: its data, its grants or its workflows broke (one failure is the org's business)."
    }
    executions_surge = {
      metric    = "executions_submitted"
      title     = "Executions surge"
      threshold = 600
      window    = 300
      group_by  = []
      severity  = "WARNING"
      why       = "More than 600 executions submitted in 5 minutes (2 a second): a runaway client or schedule, spending BigQuery."
    }
  }
}

resource "google_monitoring_alert_policy" "log_signals" {
  for_each = local.log_alerts

  project               = var.project_id
  display_name          = "Workflows API (${var.name_prefix}): ${each.value.title}"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "${each.value.title}: more than ${lookup(var.alert_thresholds, each.key, each.value.threshold)} in ${each.value.window / 60} min"

    condition_threshold {
      filter = join(" AND ", compact([
        "metric.type=\"logging.googleapis.com/user/${google_logging_metric.signals[each.value.metric].name}\"",
        "resource.type=\"cloud_run_revision\"",
        try(each.value.where, ""),
      ]))
      comparison      = "COMPARISON_GT"
      threshold_value = lookup(var.alert_thresholds, each.key, each.value.threshold)
      duration        = "0s"

      aggregations {
        alignment_period     = "${each.value.window}s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = each.value.group_by
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${each.value.why}\n\nLogs: `${local.function_log_filter}` and the metric's filter (`${google_logging_metric.signals[each.value.metric].name}`). See infra/README.md, \"Signals\"."
  }

  depends_on = [time_sleep.log_metrics]
}

# Messages no function could take after every retry (events.tf: max_delivery_attempts).
locals {
  dead_letter_subscriptions = {
    dead-letter = google_pubsub_subscription.dead_letter.name
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  for_each = local.dead_letter_subscriptions

  project               = var.project_id
  display_name          = "Workflows API (${var.name_prefix}): undelivered messages in ${each.value}"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "${each.value}: undelivered messages"

    condition_threshold {
      filter = join(" AND ", [
        "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\"",
        "resource.type=\"pubsub_subscription\"",
        "resource.label.subscription_id=\"${each.value}\"",
      ])
      comparison      = "COMPARISON_GT"
      threshold_value = lookup(var.alert_thresholds, "dead_letters", 0)
      duration        = "300s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "An event (a Pub/Sub trigger, a job completion, a webhook delivery, a sweep tick) failed every delivery and was moved here; it is kept 7 days. Read it: `gcloud pubsub subscriptions pull ${each.value} --project ${var.project_id} --limit 10`. See infra/README.md, \"Signals\"."
  }

  depends_on = [google_project_service.services]
}

# /healthz through the public entry (API Gateway): the gateway, the status function
# and the backends it probes, from several regions every minute.
resource "google_monitoring_uptime_check_config" "healthz" {
  project      = var.project_id
  display_name = "Workflows API (${var.name_prefix}): /healthz"
  timeout      = "10s"
  period       = "60s"
  user_labels  = local.labels

  http_check {
    path         = "/healthz"
    port         = 443
    use_ssl      = true
    validate_ssl = true

    accepted_response_status_codes {
      status_class = "STATUS_CLASS_2XX"
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = google_api_gateway_gateway.gateway.default_hostname
    }
  }

  depends_on = [google_project_service.services]
}

resource "google_monitoring_alert_policy" "uptime" {
  project               = var.project_id
  display_name          = "Workflows API (${var.name_prefix}): /healthz failing"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "/healthz fails from more than one region"

    condition_threshold {
      filter = join(" AND ", [
        "metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\"",
        "resource.type=\"uptime_url\"",
        "metric.label.check_id=\"${google_monitoring_uptime_check_config.healthz.uptime_check_id}\"",
      ])
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "120s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.label.host"]
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The public entry answers /healthz with something else than 2xx from more than one checker region for 2 minutes: the gateway, the status function or a backend it probes (Firestore, BigQuery) is down. The answer names the failing backend. See infra/README.md, \"Signals\"."
  }

  depends_on = [google_project_service.services]
}
