# One service account per role, each with only what that role does. No basic role
# (Owner, Editor, Viewer) and no admin role is granted anywhere; tests/infra checks.

locals {
  service_accounts = {
    runtime        = "Workflows API functions (runtime identity)"
    build          = "Workflows API function builds (Cloud Build)"
    pubsub-invoker = "Workflows API: Pub/Sub pushes to pubsub_trigger"
    audit-invoker  = "Workflows API: Pub/Sub pushes of job events to bigquery_job_completed"
    # Pub/Sub pushes of queued webhook deliveries to deliver_webhook.
    hooks-invoker = "Workflows API: Pub/Sub pushes of webhook deliveries to deliver_webhook"
    scheduler     = "Workflows API: Cloud Scheduler jobs calling execute (OIDC)"
    gateway       = "Workflows API: API Gateway (invokes the HTTP functions in private mode)"
  }

  runtime_member = "serviceAccount:${google_service_account.accounts["runtime"].email}"
  build_member   = "serviceAccount:${google_service_account.accounts["build"].email}"

  gateway_member = "serviceAccount:${google_service_account.accounts["gateway"].email}"

  # Who may invoke each kind of function (Cloud Run's run.invoker on its service).
  # HTTP functions, access_mode "public": allUsers, because the gateway forwards
  # callers' own Authorization header (disable_auth, see infra/README.md) and every route
  # authenticates its caller itself (API tokens, or Google-signed OIDC tokens of
  # registered Scheduler principals). access_mode "private" (for organisations whose
  # policy refuses allUsers): only the gateway's account, so no caller bypasses it.
  # Event functions: only the account their push subscription signs as (events.tf).
  invoker_by_trigger = {
    http               = var.access_mode == "public" ? "allUsers" : local.gateway_member
    pubsub             = "serviceAccount:${google_service_account.accounts["pubsub-invoker"].email}"
    bigquery_audit_log = "serviceAccount:${google_service_account.accounts["audit-invoker"].email}"
    webhook_delivery   = "serviceAccount:${google_service_account.accounts["hooks-invoker"].email}"
    # The sweep's messages come from Cloud Scheduler through a push subscription that
    # signs as the Pub/Sub invoker, like the trigger topics'.
    schedule = "serviceAccount:${google_service_account.accounts["pubsub-invoker"].email}"
  }

  # "dataset" or "project.dataset"
  source_datasets = {
    for ref in var.source_datasets : ref => {
      project = length(split(".", ref)) == 2 ? split(".", ref)[0] : var.project_id
      dataset = length(split(".", ref)) == 2 ? split(".", ref)[1] : ref
    }
  }
}

resource "google_service_account" "accounts" {
  for_each = local.service_accounts

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.key}"
  display_name = each.value

  depends_on = [google_project_service.services]
}

# --- Runtime: the functions' identity ----------------------------------------------

# Run query jobs (CALL of the procedures, DDL, result reads) billed to this project.
# Job User grants no data access: data comes from the dataset grants below. Only a
# single-org deployment runs jobs as the runtime; otherwise every BigQuery call runs
# as the connection's own (impersonated) account, which its customer grants.
resource "google_project_iam_member" "runtime_bigquery_job_user" {
  count = var.single_org ? 1 : 0

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = local.runtime_member

  depends_on = [google_project_service.services]
}

# Dataset grants are single entries of the dataset's access list
# (google_bigquery_dataset_access), never google_bigquery_dataset_iam_*: those rewrite
# the whole list and drop the entries without a role (authorized views, datasets and
# routines of other teams). Roles are given in the access list's own terms, READER
# (= bigquery.dataViewer) and WRITER (= bigquery.dataEditor), which the API would
# otherwise swap in and show as a diff on every plan.

# Create, replace and drop procedures and output tables in the generated dataset only,
# and only in single-org mode: otherwise each connection has its own dataset, written
# by its own account.
resource "google_bigquery_dataset_access" "runtime_generated_dataset_writer" {
  count = var.single_org ? 1 : 0

  project       = var.project_id
  dataset_id    = google_bigquery_dataset.generated.dataset_id
  role          = "WRITER"
  user_by_email = google_service_account.accounts["runtime"].email

  # The dataset-access resource retries rate limits only: "service account ... does
  # not exist" right after the account's creation would fail the apply.
  depends_on = [time_sleep.iam_propagation]
}

# Read the tables the workflows read, dataset by dataset (other teams' datasets: one
# entry added, nothing else touched).
resource "google_bigquery_dataset_access" "runtime_source_dataset_reader" {
  for_each = local.source_datasets

  project       = each.value.project
  dataset_id    = each.value.dataset
  role          = "READER"
  user_by_email = google_service_account.accounts["runtime"].email

  depends_on = [time_sleep.iam_propagation]
}

# Firestore records, in this deployment's database only.
resource "google_project_iam_member" "runtime_datastore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.runtime_member

  condition {
    title       = "${var.name_prefix}-firestore-database"
    description = "Only the Workflows API database"
    expression  = "resource.name == \"projects/${var.project_id}/databases/${local.firestore_database}\""
  }

  depends_on = [google_project_service.services]
}

# Spans to Cloud Trace, only when exporting them (WFAPI_TRACE_EXPORT).
resource "google_project_iam_member" "runtime_trace_agent" {
  count = var.trace_export ? 1 : 0

  project = var.project_id
  role    = "roles/cloudtrace.agent"
  member  = local.runtime_member

  depends_on = [google_project_service.services]
}

# Connections that run an org's SQL as that org's own service account. The runtime
# only mints access tokens for them (IAM Credentials generateAccessToken): Token
# Creator would also let it sign blobs and JWTs and mint ID tokens as them. A custom
# role made in this project can be granted only on resources of this project, so
# accounts of this project get the custom role (iam.serviceAccounts.getAccessToken
# alone); accounts of other projects get Token Creator, unless their project's owner
# grants a narrower role there instead and leaves them out of the list (README).
resource "google_project_iam_custom_role" "access_token_minter" {
  project     = var.project_id
  role_id     = "${local.custom_role_prefix}_accessTokenMinter_${local.custom_role_suffix}"
  title       = "Workflows API: mint access tokens of connection accounts"
  description = "Mint OAuth access tokens of a service account (impersonation), nothing else."
  permissions = ["iam.serviceAccounts.getAccessToken"]

  depends_on = [google_project_service.services]
}

resource "google_service_account_iam_member" "runtime_impersonates_connection" {
  for_each = toset(var.impersonated_service_accounts)

  # "-": the IAM API finds the account's project from its email.
  service_account_id = "projects/-/serviceAccounts/${each.value}"
  role = (
    endswith(each.value, "@${var.project_id}.iam.gserviceaccount.com")
    ? google_project_iam_custom_role.access_token_minter.name
    : "roles/iam.serviceAccountTokenCreator"
  )
  member = local.runtime_member
}

# --- Build: Cloud Build, when it turns the source into the functions' images --------

resource "google_project_iam_member" "build_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = local.build_member

  depends_on = [google_project_service.services]
}

resource "google_artifact_registry_repository_iam_member" "build_image_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = local.build_member
}

resource "google_storage_bucket_iam_member" "build_source_reader" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = local.build_member
}

# Cloud Functions stages the source in its own buckets (gcf-v2-sources-<project
# number>-<region>, gcf-v2-uploads-...), which it creates on the first deployment, so
# they cannot be granted on by name beforehand: the grant is conditional on them.
resource "google_project_iam_member" "build_staging_objects" {
  project = var.project_id
  role    = "roles/storage.objectAdmin"
  member  = local.build_member

  condition {
    title       = "${var.name_prefix}-gcf-staging-buckets"
    description = "Only the Cloud Functions staging buckets of this project"
    expression  = "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-${local.project_number}-\") || resource.name.startsWith(\"projects/_/buckets/gcf-v2-uploads-${local.project_number}-\")"
  }

  depends_on = [google_project_service.services]
}

# --- IAM propagation ------------------------------------------------------------------

# A new service account and new grants take a while to be seen everywhere: dataset
# access entries name the runtime account ("service account ... does not exist" right
# after it was made), Cloud Build needs the build account's grants. What uses them
# waits (the functions, the dataset entries); a new account or grant waits again.
resource "time_sleep" "iam_propagation" {
  create_duration = "60s"

  triggers = {
    accounts = join(",", sort([for account in google_service_account.accounts : account.email]))
    grants = join(",", sort(concat(
      [for grant in google_project_iam_member.runtime_bigquery_job_user : grant.id],
      [
        google_project_iam_member.runtime_datastore_user.id,
        google_project_iam_member.build_log_writer.id,
        google_project_iam_member.build_staging_objects.id,
        google_artifact_registry_repository_iam_member.build_image_writer.id,
        google_storage_bucket_iam_member.build_source_reader.id,
        google_project_iam_member.runtime_webhook_secret_creator.id,
        google_project_iam_member.runtime_webhook_secret_manager.id,
      ],
    )))
  }
}

# --- Invokers ------------------------------------------------------------------------

resource "google_cloud_run_v2_service_iam_member" "invokers" {
  for_each = local.functions

  project  = var.project_id
  location = var.region
  # A 2nd gen function runs as the Cloud Run service of the same name.
  name   = google_cloudfunctions2_function.functions[each.key].name
  role   = "roles/run.invoker"
  member = local.invoker_by_trigger[each.value.trigger]
}

# Scheduler calls execute directly (not through the gateway) with its OIDC token, which
# execute verifies itself; this binding lets it through in private mode.
resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes_execute" {
  count = length(var.scheduler_jobs) > 0 ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.functions["execute"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.accounts["scheduler"].email}"
}
