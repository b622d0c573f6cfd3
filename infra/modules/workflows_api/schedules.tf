# Schedules made through the API (functions/workflows_api/service/schedules.py): the
# runtime creates one Cloud Scheduler job per schedule, in var.region, named
# "<name_prefix>-sched-...", POSTing execute's fire route with an OIDC ID token of the
# sched-invoker account (iam.tf), which is no org's principal: execute lets it fire
# schedules and nothing else (WFAPI_SCHEDULE_INVOKER).
#
# Least privilege, as far as IAM allows it:
# - the runtime gets a custom role with the job permissions its code calls and no
#   other (no run, no list, no locations). Cloud Scheduler does not recognise IAM
#   Conditions' resource attributes, so the grant cannot be narrowed to the region or
#   the name prefix by IAM: the code writes jobs only there (settings below);
# - creating a job that signs as an account needs iam.serviceAccounts.actAs on that
#   account: granted on the invoker account alone (a custom role holding only actAs),
#   never project-wide, so the runtime cannot make jobs that act as anyone else.

resource "google_project_iam_custom_role" "scheduler_jobs_manager" {
  project     = var.project_id
  role_id     = "${local.custom_role_prefix}_schedulerJobsManager_${local.custom_role_suffix}"
  title       = "Workflows API: manage the Cloud Scheduler jobs of schedules"
  description = "Create, read, update, pause, resume and delete Cloud Scheduler jobs; nothing else."
  permissions = [
    "cloudscheduler.jobs.create",
    "cloudscheduler.jobs.get",
    "cloudscheduler.jobs.update",
    "cloudscheduler.jobs.pause",
    "cloudscheduler.jobs.enable",
    "cloudscheduler.jobs.delete",
  ]

  depends_on = [google_project_service.services]
}

resource "google_project_iam_member" "runtime_scheduler_jobs" {
  project = var.project_id
  role    = google_project_iam_custom_role.scheduler_jobs_manager.name
  member  = local.runtime_member

  depends_on = [google_project_service.services]
}

resource "google_project_iam_custom_role" "invoker_act_as" {
  project     = var.project_id
  role_id     = "${local.custom_role_prefix}_invokerActAs_${local.custom_role_suffix}"
  title       = "Workflows API: let Cloud Scheduler jobs sign as the schedules' invoker"
  description = "iam.serviceAccounts.actAs, granted on the schedules' invoker account only."
  permissions = ["iam.serviceAccounts.actAs"]

  depends_on = [google_project_service.services]
}

resource "google_service_account_iam_member" "runtime_acts_as_schedule_invoker" {
  service_account_id = google_service_account.accounts["sched-invoker"].name
  role               = google_project_iam_custom_role.invoker_act_as.name
  member             = local.runtime_member
}

# The jobs call execute directly (not through the gateway); in private mode only the
# gateway may invoke it otherwise.
resource "google_cloud_run_v2_service_iam_member" "schedule_invoker_invokes_execute" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.functions["execute"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.accounts["sched-invoker"].email}"
}
