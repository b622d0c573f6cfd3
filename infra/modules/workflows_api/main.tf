# Workflows API on Google Cloud: one Cloud Function (2nd gen) per entry point of
# functions/main.py, Firestore for records, BigQuery for the work, API Gateway in front.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  project_number = data.google_project.this.number
  gateway_region = coalesce(var.gateway_region, var.region)
  labels         = merge({ app = "workflows-api" }, var.labels)

  # Every Cloud Function, keyed by its entry point in functions/main.py. Adding a
  # function is adding an entry here: the function resource, its invoker binding, the
  # gateway backends (trigger "http") and the event wiring (other triggers) follow.
  # tests/infra checks these keys against main.py.
  #
  # Sizing, on purpose:
  # - cpu "1" everywhere: Cloud Run functions need a whole vCPU to serve more than one
  #   request per instance. The work is I/O (Firestore, BigQuery's API), so one vCPU
  #   and a thread per concurrent request (THREADS below) go a long way.
  # - timeouts cover the longest wait each function does on purpose, plus retries.
  functions = {
    api_access = {
      trigger     = "http"
      description = "Workflow definitions and API access toggling."
      # Enabling compiles the workflow (sqlglot, CPU-bound) and waits for the CREATE
      # PROCEDURE job (up to 120 s in the BigQuery adapter): few, slow, admin calls.
      memory          = "512Mi"
      timeout_seconds = 300
      concurrency     = 8
      max_instances   = 10
    }
    execute = {
      trigger     = "http"
      description = "Start executions (native, CARTO and Nexadata dialects) and cancel them."
      # With wait_seconds a call may hold its request up to 60 s polling BigQuery,
      # mostly idle: many concurrent requests per instance; the timeout leaves room
      # for submission retries after the wait.
      memory          = "512Mi"
      timeout_seconds = 180
      concurrency     = 40
      max_instances   = 50
    }
    status = {
      trigger     = "http"
      description = "Execution status, listings, results, health and the OpenAPI document."
      # Short reads (Firestore, jobs.get at most once a second per execution); result
      # pages read table rows, which takes longer and more memory than a status read.
      memory          = "512Mi"
      timeout_seconds = 120
      concurrency     = 40
      max_instances   = 50
    }
    pubsub_trigger = {
      trigger     = "pubsub"
      description = "CloudEvent: Pub/Sub messages that start executions (one topic per org)."
      # Each message is one execute: Firestore writes and a jobs.insert. Pub/Sub
      # retries a failed delivery (events.tf), so the timeout only bounds one attempt;
      # the push subscription's ack deadline is at least this timeout.
      memory          = "512Mi"
      timeout_seconds = 120
      concurrency     = 20
      max_instances   = 20
    }
    bigquery_job_completed = {
      trigger     = "bigquery_audit_log"
      description = "CloudEvent: BigQuery job-completion audit-log events move executions to their end state."
      # The log sink (events.tf) sends only done jobs labelled as executions'; the
      # function still ignores those that are not. A Firestore read and maybe a write.
      memory          = "512Mi"
      timeout_seconds = 60
      concurrency     = 40
      max_instances   = 20
    }
    deliver_webhook = {
      trigger     = "webhook_delivery"
      description = "CloudEvent: one attempt of a queued webhook delivery (an execution's end, to one URL)."
      # One POST with a 5 s total deadline (adapters/webhook_http.py), a Firestore read
      # and write; Pub/Sub retries a failed attempt after its backoff (events.tf).
      memory          = "512Mi"
      timeout_seconds = 60
      concurrency     = 20
      max_instances   = 10
    }
    sweep_executions = {
      trigger     = "schedule"
      description = "CloudEvent: on a schedule, submit the executions left created (submission timed out)."
      # One sweep at a time, bounded to 90 s by the code (service/sweep.py); usually a
      # single Firestore query that finds nothing.
      memory          = "512Mi"
      timeout_seconds = 120
      concurrency     = 1
      max_instances   = 1
    }
  }

  http_functions = { for name, fn in local.functions : name => fn if fn.trigger == "http" }
  # The functions behind the event triggers (events.tf).
  pubsub_function     = one([for name, fn in local.functions : name if fn.trigger == "pubsub"])
  completion_function = one([for name, fn in local.functions : name if fn.trigger == "bigquery_audit_log"])
  webhook_function    = one([for name, fn in local.functions : name if fn.trigger == "webhook_delivery"])
  sweep_function      = one([for name, fn in local.functions : name if fn.trigger == "schedule"])

  firestore_database = var.create_firestore_database ? google_firestore_database.records[0].name : var.firestore_database

  # The audience Cloud Scheduler's OIDC ID tokens carry and execute verifies: the
  # execute service's deterministic Cloud Run URL. Computed rather than read from the
  # function, which would make the function's settings depend on the function itself.
  oidc_audience = "https://${var.name_prefix}-execute-${local.project_number}.${var.region}.run.app"

  # The settings every function reads (functions/workflows_api/config.py,
  # ENVIRONMENT_VARIABLES), less the local-only ones: emulator hosts, http webhooks.
  environment = {
    GOOGLE_CLOUD_PROJECT      = var.project_id
    WFAPI_BIGQUERY_LOCATION   = var.bigquery_location
    WFAPI_FIRESTORE_DATABASE  = local.firestore_database
    LOG_LEVEL                 = var.log_level
    WFAPI_TOKEN_CACHE_SECONDS = tostring(var.token_cache_seconds)
    # The sweep re-reads open executions not reconciled for this long (lost events).
    WFAPI_SWEEP_RECHECK_SECONDS = tostring(var.sweep_recheck_seconds)
    # Topic => the org it is bound to: a topic runs only its org's workflows.
    WFAPI_PUBSUB_TOPICS  = jsonencode({ for org, topic in google_pubsub_topic.org : topic.id => org })
    WFAPI_OIDC_AUDIENCE  = local.oidc_audience
    WFAPI_OIDC_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
    # Each connection's BigQuery calls run as its own service account, impersonated
    # (iam.tf: Token Creator on impersonated_service_accounts only).
    WFAPI_SINGLE_ORG               = tostring(var.single_org)
    WFAPI_IAM_CREDENTIALS_ENDPOINT = "https://iamcredentials.googleapis.com"
    # Webhook signing secrets in Secret Manager (secrets.tf), not Firestore, under this
    # deployment's own prefix: two deployments in one project never reach each other's.
    WFAPI_WEBHOOK_SECRETS       = "secret-manager"
    WFAPI_WEBHOOK_SECRET_PREFIX = local.webhook_secret_prefix
    # Ending an execution queues its webhook deliveries here (events.tf).
    WFAPI_WEBHOOK_DELIVERY_TOPIC = google_pubsub_topic.webhook_deliveries.id
    # private access mode (gateway.tf): the caller's credential arrives in
    # X-Forwarded-Authorization, the gateway's own token in Authorization.
    WFAPI_TRUST_FORWARDED_AUTHORIZATION = tostring(var.access_mode == "private")
    # The gateway's own ID tokens are never accepted as a caller's credential.
    WFAPI_GATEWAY_SERVICE_ACCOUNT = google_service_account.accounts["gateway"].email
    # Spans exported to Cloud Trace (iam.tf: roles/cloudtrace.agent), or none.
    WFAPI_TRACE_EXPORT = var.trace_export ? "cloud-trace" : ""
  }

  services = toset(concat([
    "apigateway.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicecontrol.googleapis.com",
    "servicemanagement.googleapis.com",
    "storage.googleapis.com",
    ], var.billing_account == null ? [] : [
    "billingbudgets.googleapis.com",
    ], var.trace_export ? ["cloudtrace.googleapis.com"] : []
  ))
}

# Resources that call an API depend on this resource (directly or through their
# parents), so that a first apply on a fresh project enables the API first.
resource "google_project_service" "services" {
  for_each = var.enable_apis ? local.services : toset([])

  project = var.project_id
  service = each.value
  # Other workloads of the project may use these APIs: never turn them off on destroy.
  disable_on_destroy = false
}
