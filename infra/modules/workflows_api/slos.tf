# Service level objectives of the two functions callers wait on, execute and status,
# from Cloud Run's own request metrics (they count every answer, including those the
# code never logged: timeouts, crashes, cold-start failures), with multi-window
# burn-rate alerts (the SRE workbook's: 2 % of a 28-day budget in 1 hour, 5 % in 6).
#
# Latency: the share of answers under a bound. execute with wait_seconds holds a call
# on purpose (up to 60 s): such calls count as slow, so its bound and goal leave room.

locals {
  slo_functions = toset(["execute", "status"])

  # function => goals (fractions of requests over 28 days) and the latency bound (ms).
  slos = {
    execute = {
      availability = 0.995
      latency      = 0.95
      latency_ms   = 5000
    }
    status = {
      availability = 0.995
      latency      = 0.95
      latency_ms   = 1000
    }
  }

  slo_objectives = merge([
    for fn, goals in local.slos : {
      "${fn}-availability" = { function = fn, kind = "availability", goal = goals.availability }
      "${fn}-latency"      = { function = fn, kind = "latency", goal = goals.latency, max_ms = goals.latency_ms }
    }
  ]...)

  # Burn rates: how many times faster than "exactly spent at 28 days" the budget goes.
  burn_rates = {
    fast = { lookback = "3600s", threshold = 14.4 }
    slow = { lookback = "21600s", threshold = 6 }
  }
}

resource "google_monitoring_custom_service" "functions" {
  for_each = local.slo_functions

  project      = var.project_id
  service_id   = "${var.name_prefix}-${each.key}"
  display_name = "Workflows API (${var.name_prefix}): ${each.key}"
  user_labels  = local.labels

  depends_on = [google_project_service.services]
}

resource "google_monitoring_slo" "functions" {
  for_each = local.slo_objectives

  project             = var.project_id
  service             = google_monitoring_custom_service.functions[each.value.function].service_id
  slo_id              = each.key
  display_name        = "${each.value.function}: ${each.value.kind == "availability" ? "answers other than 5xx" : "answers within ${each.value.max_ms} ms"} (${each.value.goal * 100} %, 28 days)"
  goal                = each.value.goal
  rolling_period_days = 28
  user_labels         = local.labels

  request_based_sli {
    dynamic "good_total_ratio" {
      for_each = each.value.kind == "availability" ? [1] : []
      content {
        bad_service_filter = join(" AND ", [
          "metric.type=\"run.googleapis.com/request_count\"",
          "resource.type=\"cloud_run_revision\"",
          "resource.label.service_name=\"${google_cloudfunctions2_function.functions[each.value.function].name}\"",
          "metric.label.response_code_class=\"5xx\"",
        ])
        total_service_filter = join(" AND ", [
          "metric.type=\"run.googleapis.com/request_count\"",
          "resource.type=\"cloud_run_revision\"",
          "resource.label.service_name=\"${google_cloudfunctions2_function.functions[each.value.function].name}\"",
        ])
      }
    }

    dynamic "distribution_cut" {
      for_each = each.value.kind == "latency" ? [1] : []
      content {
        distribution_filter = join(" AND ", [
          "metric.type=\"run.googleapis.com/request_latencies\"",
          "resource.type=\"cloud_run_revision\"",
          "resource.label.service_name=\"${google_cloudfunctions2_function.functions[each.value.function].name}\"",
        ])
        range {
          max = each.value.max_ms
        }
      }
    }
  }
}

resource "google_monitoring_alert_policy" "slo_burn" {
  for_each = local.slo_objectives

  project               = var.project_id
  display_name          = "Workflows API (${var.name_prefix}): ${each.key} SLO burning"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  dynamic "conditions" {
    for_each = local.burn_rates
    content {
      display_name = "${each.key}: burn rate over ${conditions.value.threshold} (${conditions.key}, ${conditions.value.lookback})"

      condition_threshold {
        filter          = "select_slo_burn_rate(\"${google_monitoring_slo.functions[each.key].name}\", \"${conditions.value.lookback}\")"
        comparison      = "COMPARISON_GT"
        threshold_value = conditions.value.threshold
        duration        = "0s"

        trigger {
          count = 1
        }
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The ${each.key} objective spends its 28-day error budget too fast: 2 % of it within an hour (fast), or 5 % within 6 hours (slow). Cloud Run's request metrics of ${each.value.function}; the dashboard shows which answers. See infra/README.md, \"Signals\"."
  }
}
