# Firestore holds every record (workflows, tokens, executions): point-in-time recovery
# (7 days of versions, on the database: firestore.tf) and a daily backup kept
# var.firestore_backup_retention_days. Restoring is a new database
# (`gcloud firestore databases restore`, infra/README.md).

resource "google_firestore_backup_schedule" "daily" {
  project   = var.project_id
  database  = local.firestore_database
  retention = "${var.firestore_backup_retention_days * 24 * 60 * 60}s"

  daily_recurrence {}

  # The database is ours only when created here; the API, always.
  depends_on = [google_project_service.services, google_firestore_database.records]
}
