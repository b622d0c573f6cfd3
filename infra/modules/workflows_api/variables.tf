variable "project_id" {
  description = "GCP project to deploy into (it holds Firestore, the functions and, for the default connection, BigQuery)."
  type        = string
}

variable "region" {
  description = "Region of the functions, the source bucket and Cloud Scheduler jobs."
  type        = string
  default     = "us-central1"
}

variable "gateway_region" {
  description = "Region of the API Gateway gateway (a region API Gateway serves); null: var.region."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of every resource name (functions, service accounts, topics, the gateway)."
  type        = string
  default     = "wfapi"

  validation {
    # Service account ids are at most 30 characters: the longest suffix is "-pubsub-invoker".
    condition     = can(regex("^[a-z][a-z0-9-]{1,13}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix: 3 to 15 lowercase letters, digits or hyphens, starting with a letter."
  }

  validation {
    # Webhook secrets are named "<name_prefix>-webhook-...": without "webhook" in any
    # prefix, no deployment's secret prefix is a prefix of another deployment's.
    condition     = !strcontains(var.name_prefix, "webhook")
    error_message = "name_prefix must not contain \"webhook\"."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "access_mode" {
  description = "private (default): no allUsers anywhere (organisations that restrict sharing to their domain, the default for new ones, refuse it): only the API Gateway's account invokes the HTTP functions, and the caller's Authorization header reaches them as X-Forwarded-Authorization. public, an explicit choice: the HTTP functions allow unauthenticated invocation (allUsers) and authenticate callers themselves."
  type        = string
  default     = "private"

  validation {
    condition     = contains(["public", "private"], var.access_mode)
    error_message = "access_mode is public or private."
  }
}

variable "enable_apis" {
  description = "Enable the Google APIs the deployment needs (false when a platform team manages them)."
  type        = bool
  default     = true
}

variable "source_dir" {
  description = "Path of the functions' source tree (the repository's functions/ directory)."
  type        = string
}

# --- BigQuery -------------------------------------------------------------------

variable "bigquery_location" {
  description = "BigQuery location of jobs and of the generated dataset (WFAPI_BIGQUERY_LOCATION)."
  type        = string
  default     = "US"
}

variable "dataset_id" {
  description = "Dataset for generated objects: procedures and output tables."
  type        = string
  default     = "workflows_temp"
}

variable "table_expiration_days" {
  description = "Default expiration of tables in the generated dataset (output tables)."
  type        = number
  default     = 30

  validation {
    condition     = var.table_expiration_days >= 1
    error_message = "table_expiration_days must be at least 1."
  }
}

variable "source_datasets" {
  description = "Datasets the workflows read (\"dataset\" in this project or \"project.dataset\"): the runtime service account gets BigQuery Data Viewer on each, and nothing else on them."
  type        = list(string)
  default     = []
}

variable "delete_dataset_contents_on_destroy" {
  description = "Let `make destroy` delete the generated dataset even when it still holds procedures and tables."
  type        = bool
  default     = false
}

variable "impersonated_service_accounts" {
  description = "Service accounts of connections that run an org's SQL under its own IAM: the runtime service account may mint tokens for these, and only these."
  type        = list(string)
  default     = []
}

variable "single_org" {
  description = "One org only: connections may run as the runtime service account. Off (the default), registering a connection without a service account to impersonate is refused."
  type        = bool
  default     = false
}

# --- Firestore ------------------------------------------------------------------

variable "create_firestore_database" {
  description = "Create the Firestore database (false when the project already has it, e.g. an App Engine project's (default))."
  type        = bool
  default     = true
}

variable "firestore_database" {
  description = "Firestore database id (WFAPI_FIRESTORE_DATABASE)."
  type        = string
  default     = "(default)"
}

variable "firestore_location" {
  description = "Firestore location, e.g. nam5 (US multi-region) or eur3; pick one near bigquery_location."
  type        = string
  default     = "nam5"
}

variable "firestore_deletion_policy" {
  description = "ABANDON keeps the database (and every record) on destroy; DELETE deletes it."
  type        = string
  default     = "ABANDON"

  validation {
    condition     = contains(["ABANDON", "DELETE"], var.firestore_deletion_policy)
    error_message = "firestore_deletion_policy is ABANDON or DELETE."
  }
}

# --- Functions ------------------------------------------------------------------

variable "log_level" {
  description = "LOG_LEVEL of the functions."
  type        = string
  default     = "INFO"
}

variable "token_cache_seconds" {
  description = "WFAPI_TOKEN_CACHE_SECONDS: how long a verified API token is trusted without reading Firestore (a revocation takes effect within it)."
  type        = number
  default     = 10
}

variable "trace_export" {
  description = "WFAPI_TRACE_EXPORT=cloud-trace: OpenTelemetry spans of every request and backend call are exported to Cloud Trace (the runtime account gets roles/cloudtrace.agent, the API is enabled). Off, trace ids are still logged and put on BigQuery jobs."
  type        = bool
  default     = false
}

variable "sweep_recheck_seconds" {
  description = "WFAPI_SWEEP_RECHECK_SECONDS: the sweep re-reads, from BigQuery, an open execution not reconciled for this long, so a run whose completion event was lost still ends (within this plus one sweep period)."
  type        = number
  default     = 600

  validation {
    condition     = var.sweep_recheck_seconds >= 60
    error_message = "sweep_recheck_seconds must be at least 60."
  }
}

variable "function_scaling" {
  description = "Per function (api_access, execute, status, pubsub_trigger, bigquery_job_completed, deliver_webhook): override min_instances (0 scales to zero) or max_instances."
  type = map(object({
    min_instances = optional(number)
    max_instances = optional(number)
  }))
  default = {}
}

# --- Events ---------------------------------------------------------------------

variable "pubsub_orgs" {
  description = "Orgs that start executions from Pub/Sub: one topic `<name_prefix>-org-<org>` and one push subscription each. A topic runs only its org's workflows."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for org in var.pubsub_orgs : can(regex("^[a-z][a-z0-9_-]{0,39}$", org))])
    error_message = "Each org in pubsub_orgs: lowercase letters, digits, '_' or '-', starting with a letter, at most 40 characters (it is part of a topic name and a label)."
  }
}

# --- Cloud Scheduler ------------------------------------------------------------

variable "scheduler_jobs" {
  description = <<-EOT
    Scheduled executions, each an object:
      name       job name (lowercase letters, digits, '-')
      schedule   cron, e.g. "0 6 * * *"
      time_zone  tz database name (default "Etc/UTC")
      workflow   the workflow id to execute
      parameters its parameters, typed as the workflow declares them (default {})
      cache      optional: false forces a new run even when an identical one succeeded
    Each calls POST /v1/workflows/<workflow>/executions on the execute function with a
    Google-signed OIDC token of the scheduler service account; register that account as a
    principal of the org that owns the workflow (see infra/README.md).
    Typed `any` so that each job's parameters keep their own JSON types.
  EOT
  type        = any
  default     = []

  validation {
    condition = alltrue([
      for job in var.scheduler_jobs :
      can(regex("^[a-z][a-z0-9-]{0,62}$", job.name)) && can(tostring(job.schedule)) && can(tostring(job.workflow))
    ])
    error_message = "Each scheduler job needs name (lowercase letters, digits, '-'), schedule and workflow."
  }
}

# --- Signals: alerts, budget, backups ---------------------------------------------

variable "notification_channels" {
  description = "Where alerts (and the budget's e-mails) go: name => { type (default \"email\"), labels } as Cloud Monitoring's channel types take them, e.g. { ops = { labels = { email_address = \"ops@example.com\" } } }. Empty: incidents show in the console only."
  type = map(object({
    type   = optional(string, "email")
    labels = map(string)
  }))
  default = {}
}

variable "alert_thresholds" {
  description = "Overrides of alert thresholds by alert key (infra/README.md, \"Signals\"): http_5xx, backend_unavailable, id_token_refusals, webhook_dead_letters, sweeps_leaving_executions, trigger_rejections, executions_failed, executions_surge, dead_letters. An alert fires above its threshold."
  type        = map(number)
  default     = {}
}

variable "billing_account" {
  description = "Billing account id (012345-6789AB-CDEF01) of a monthly budget alert on the project's costs; null: no budget. Needs Billing Account Costs Manager on it."
  type        = string
  default     = null
}

variable "monthly_budget" {
  description = "The monthly budget, in the billing account's currency (with billing_account)."
  type        = number
  default     = 100
}

variable "firestore_backup_retention_days" {
  description = "How long each daily Firestore backup is kept (1 to 7 days)."
  type        = number
  default     = 7

  validation {
    condition     = var.firestore_backup_retention_days >= 1 && var.firestore_backup_retention_days <= 7
    error_message = "firestore_backup_retention_days: 1 to 7 (daily backups are kept at most 7 days)."
  }
}
