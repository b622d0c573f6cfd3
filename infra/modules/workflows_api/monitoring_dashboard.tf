# One dashboard: the golden signals of every function (traffic, errors, latency,
# saturation, from Cloud Run's metrics of the services behind the functions), then
# the executions (per state), then the log signals and the queues. How to read it:
# infra/README.md, "Signals".

locals {
  run_services = "resource.type=\"cloud_run_revision\" AND resource.label.service_name=monitoring.regex.full_match(\"${local.function_services_regex}\")"

  # A line chart of `filter`, aligned per minute (or `period`), summed (or `reducer`)
  # per group of `group_by`.
  dashboard_charts = [
    {
      title    = "Traffic: requests per second, per function"
      filter   = "metric.type=\"run.googleapis.com/request_count\" AND ${local.run_services}"
      aligner  = "ALIGN_RATE"
      group_by = ["resource.label.service_name"]
    },
    {
      title    = "Errors: 5xx answers per second, per function"
      filter   = "metric.type=\"run.googleapis.com/request_count\" AND metric.label.response_code_class=\"5xx\" AND ${local.run_services}"
      aligner  = "ALIGN_RATE"
      group_by = ["resource.label.service_name"]
    },
    {
      title    = "Latency: 95th percentile (ms), per function"
      filter   = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.run_services}"
      aligner  = "ALIGN_DELTA"
      reducer  = "REDUCE_PERCENTILE_95"
      group_by = ["resource.label.service_name"]
    },
    {
      title    = "Latency: median (ms), per function"
      filter   = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.run_services}"
      aligner  = "ALIGN_DELTA"
      reducer  = "REDUCE_PERCENTILE_50"
      group_by = ["resource.label.service_name"]
    },
    {
      title    = "Saturation: instances, per function"
      filter   = "metric.type=\"run.googleapis.com/container/instance_count\" AND ${local.run_services}"
      aligner  = "ALIGN_MAX"
      group_by = ["resource.label.service_name", "metric.label.state"]
    },
    {
      title    = "Saturation: CPU utilisation, 95th percentile, per function"
      filter   = "metric.type=\"run.googleapis.com/container/cpu/utilizations\" AND ${local.run_services}"
      aligner  = "ALIGN_DELTA"
      reducer  = "REDUCE_PERCENTILE_95"
      group_by = ["resource.label.service_name"]
    },
    {
      title    = "Saturation: memory utilisation, 95th percentile, per function"
      filter   = "metric.type=\"run.googleapis.com/container/memory/utilizations\" AND ${local.run_services}"
      aligner  = "ALIGN_DELTA"
      reducer  = "REDUCE_PERCENTILE_95"
      group_by = ["resource.label.service_name"]
    },
    {
      title    = "Saturation: concurrent requests per instance (max), per function"
      filter   = "metric.type=\"run.googleapis.com/container/max_request_concurrencies\" AND ${local.run_services}"
      aligner  = "ALIGN_DELTA"
      reducer  = "REDUCE_PERCENTILE_99"
      group_by = ["resource.label.service_name"]
    },
    {
      title    = "Executions submitted per 5 minutes, per workflow"
      metric   = "executions_submitted"
      period   = "300s"
      group_by = ["metric.label.workflow_id"]
    },
    {
      title    = "Executions ended (job-completion events) per 5 minutes, per state"
      metric   = "executions_ended"
      period   = "300s"
      group_by = ["metric.label.state"]
    },
    {
      title    = "5xx logged per 5 minutes, per function and route"
      metric   = "http_5xx"
      period   = "300s"
      group_by = ["resource.label.service_name", "metric.label.method", "metric.label.route", "metric.label.action"]
    },
    {
      title    = "Backend unavailable per 5 minutes, per backend"
      metric   = "backend_unavailable"
      period   = "300s"
      group_by = ["metric.label.backend"]
    },
    {
      title    = "ID tokens refused per 5 minutes, per reason"
      metric   = "id_token_refusals"
      period   = "300s"
      group_by = ["metric.label.reason"]
    },
    {
      title    = "Webhook dead letters and Pub/Sub rejections per 5 minutes"
      metric   = "webhook_dead_letters"
      also     = "trigger_rejections"
      period   = "300s"
      group_by = []
    },
    {
      title    = "Executions each sweep left created (max)"
      metric   = "sweep_left"
      period   = "300s"
      aligner  = "ALIGN_DELTA"
      reducer  = "REDUCE_PERCENTILE_99"
      group_by = []
    },
    {
      title    = "Queues: undelivered messages, per subscription"
      filter   = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=starts_with(\"${var.name_prefix}-\")"
      aligner  = "ALIGN_MAX"
      group_by = ["resource.label.subscription_id"]
    },
  ]

  dashboard = {
    displayName = "Workflows API (${var.name_prefix})"
    gridLayout = {
      columns = 2
      widgets = [
        for chart in local.dashboard_charts : {
          title = chart.title
          xyChart = {
            dataSets = [
              for filter in compact([
                try(chart.filter, ""),
                can(chart.metric) ? "metric.type=\"logging.googleapis.com/user/${google_logging_metric.signals[chart.metric].name}\" AND resource.type=\"cloud_run_revision\"" : "",
                can(chart.also) ? "metric.type=\"logging.googleapis.com/user/${google_logging_metric.signals[chart.also].name}\" AND resource.type=\"cloud_run_revision\"" : "",
                ]) : {
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = filter
                    aggregation = {
                      alignmentPeriod    = try(chart.period, "60s")
                      perSeriesAligner   = try(chart.aligner, can(chart.metric) ? "ALIGN_SUM" : "ALIGN_RATE")
                      crossSeriesReducer = try(chart.reducer, "REDUCE_SUM")
                      groupByFields      = chart.group_by
                    }
                  }
                }
              }
            ]
          }
        }
      ]
    }
  }
}

resource "google_monitoring_dashboard" "signals" {
  project        = var.project_id
  dashboard_json = jsonencode(local.dashboard)

  depends_on = [google_project_service.services, time_sleep.log_metrics]
}
