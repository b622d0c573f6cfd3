# The functions' source: functions/ zipped, uploaded under its hash (a change of source
# is a new object, which redeploys every function), built into images in our own
# Artifact Registry repository.

data "archive_file" "functions" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = "${path.root}/.terraform/${var.name_prefix}-functions.zip"
  # Same bytes for the same source, whoever zips it.
  output_file_mode = "0644"
  excludes = setunion(
    fileset(var.source_dir, "**/__pycache__/**"),
    fileset(var.source_dir, "**/*.pyc"),
  )
}

resource "google_storage_bucket" "source" {
  project  = var.project_id
  name     = "${var.project_id}-${var.name_prefix}-source"
  location = var.region
  labels   = local.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # Only build inputs live here: destroy may empty it.
  force_destroy = true

  # No age-based delete rule: the archive the functions were built from must stay
  # while they run (Cloud Functions rebuilds from it, e.g. on a settings change). Old
  # archives do not pile up either: a new archive is a new object name, so Terraform
  # replaces the object and deletes the old one once the functions use the new one.

  depends_on = [google_project_service.services]
}

resource "google_storage_bucket_object" "functions_source" {
  bucket = google_storage_bucket.source.name
  name   = "functions-${data.archive_file.functions.output_sha256}.zip"
  source = data.archive_file.functions.output_path

  # The new archive first; the old one goes after the functions moved to the new.
  lifecycle {
    create_before_destroy = true
  }
}

resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-functions"
  description   = "Images Cloud Build makes of the Workflows API functions"
  format        = "DOCKER"
  labels        = local.labels

  # Keep the last few images of each function; older ones only cost storage.
  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }
  cleanup_policies {
    id     = "delete-older"
    action = "DELETE"
    condition {
      older_than = "30d"
    }
  }

  depends_on = [google_project_service.services]
}
