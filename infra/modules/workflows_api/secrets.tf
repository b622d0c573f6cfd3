# Webhook signing secrets: the service creates one secret per workflow at run time,
# `wfapi-webhook-<org>-<workflow id>` (functions/workflows_api/adapters/
# secret_manager.py, SECRET_PREFIX), adds versions, reads the latest and deletes the
# secret. No predefined role fits without Secret Manager Admin, so two custom roles:
#
# - creating a secret is checked on the project, where a condition on the secret's
#   name cannot apply: that one permission alone, unconditioned. It creates empty
#   secrets and reveals nothing;
# - everything else is checked on the secret or its versions, and is granted only on
#   secrets whose id starts with the prefix. Other secrets of the project stay out of
#   reach.

locals {
  # The code's SECRET_PREFIX: tests/infra keeps them equal.
  webhook_secret_prefix = "wfapi-webhook-"
}

resource "google_project_iam_custom_role" "webhook_secret_creator" {
  project     = var.project_id
  role_id     = "${replace(var.name_prefix, "-", "_")}_webhookSecretCreator"
  title       = "Workflows API: create webhook signing secrets"
  description = "Create (empty) Secret Manager secrets."
  permissions = ["secretmanager.secrets.create"]

  depends_on = [google_project_service.services]
}

resource "google_project_iam_custom_role" "webhook_secret_manager" {
  project     = var.project_id
  role_id     = "${replace(var.name_prefix, "-", "_")}_webhookSecretManager"
  title       = "Workflows API: manage webhook signing secrets"
  description = "Read, rotate and delete Secret Manager secrets (bound with a condition on the secret id prefix)."
  permissions = [
    "secretmanager.secrets.get",
    "secretmanager.secrets.delete",
    "secretmanager.versions.add",
    "secretmanager.versions.access",
    "secretmanager.versions.get",
    "secretmanager.versions.list",
    "secretmanager.versions.destroy",
  ]

  depends_on = [google_project_service.services]
}

resource "google_project_iam_member" "runtime_webhook_secret_creator" {
  project = var.project_id
  role    = google_project_iam_custom_role.webhook_secret_creator.name
  member  = local.runtime_member
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
}
