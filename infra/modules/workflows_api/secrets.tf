# Webhook signing secrets: the service creates one secret per workflow at run time,
# `<name_prefix>-webhook-<sha256 hex of org NUL workflow id>` (functions/workflows_api/
# adapters/secret_manager.py; the prefix reaches it as WFAPI_WEBHOOK_SECRET_PREFIX, and
# the default name_prefix gives its default, SECRET_PREFIX), labelled wfapi_org=<org>,
# adds versions, reads the latest and deletes the secret. Secrets of earlier releases,
# `<name_prefix>-webhook-<org>-<workflow id>` (ambiguous across orgs), are read until
# `wfapi secrets migrate` moves them; both forms share the prefix the roles below name. No predefined role fits without Secret Manager Admin,
# so two custom roles:
#
# - creating a secret is checked on the parent project (projects.secrets.create
#   authorizes on `parent`), where a condition on the new secret's name cannot apply:
#   that one permission alone, on this project only, unconditioned. It creates empty
#   secrets and reveals nothing;
# - everything else is checked on the secret or its versions, and is granted only on
#   secrets whose id starts with this deployment's prefix. Other secrets of the
#   project, another deployment's included, stay out of reach.
#
# A deleted custom role keeps its id for 7 to 37 days, so the ids carry the time this
# deployment's state first created them: a new deployment after a destroy gets new ids.

locals {
  webhook_secret_prefix = "${var.name_prefix}-webhook-"
  custom_role_prefix    = replace(var.name_prefix, "-", "_")
  custom_role_suffix    = time_static.custom_roles.unix
}

resource "time_static" "custom_roles" {}

resource "google_project_iam_custom_role" "webhook_secret_creator" {
  project     = var.project_id
  role_id     = "${local.custom_role_prefix}_webhookSecretCreator_${local.custom_role_suffix}"
  title       = "Workflows API: create webhook signing secrets"
  description = "Create (empty) Secret Manager secrets."
  permissions = ["secretmanager.secrets.create"]

  depends_on = [google_project_service.services]
}

resource "google_project_iam_custom_role" "webhook_secret_manager" {
  project     = var.project_id
  role_id     = "${local.custom_role_prefix}_webhookSecretManager_${local.custom_role_suffix}"
  title       = "Workflows API: manage webhook signing secrets"
  description = "Read, rotate and delete Secret Manager secrets (bound with a condition on the secret id prefix)."
  permissions = [
    "secretmanager.secrets.get",
    "secretmanager.secrets.delete",
    # What adapters/secret_manager.py calls, no more: create_secret (the other role),
    # get_secret, delete_secret, add_secret_version, access_secret_version.
    "secretmanager.versions.add",
    "secretmanager.versions.access",
  ]

  depends_on = [google_project_service.services]
}

resource "google_project_iam_member" "runtime_webhook_secret_creator" {
  project = var.project_id
  role    = google_project_iam_custom_role.webhook_secret_creator.name
  member  = local.runtime_member

  depends_on = [google_project_service.services]
}

resource "google_project_iam_member" "runtime_webhook_secret_manager" {
  project = var.project_id
  role    = google_project_iam_custom_role.webhook_secret_manager.name
  member  = local.runtime_member

  condition {
    title       = "${var.name_prefix}-webhook-secrets"
    description = "Only secrets whose id starts with ${local.webhook_secret_prefix}"
    # Secret Manager names secrets by project number in IAM checks.
    expression = "resource.name.startsWith(\"projects/${local.project_number}/secrets/${local.webhook_secret_prefix}\")"
  }

  depends_on = [google_project_service.services]
}
