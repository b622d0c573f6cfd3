# Records (functions/workflows_api/adapters/firestore/): a native-mode
# database, the composite indexes its queries need (COMPOSITE_INDEXES there) and TTL
# policies on the `expire_at` fields. tests/infra checks both lists against the code.

resource "google_firestore_database" "records" {
  count = var.create_firestore_database ? 1 : 0

  project     = var.project_id
  name        = var.firestore_database
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"
  # ABANDON by default: destroying the deployment leaves the records (and the database
  # id, which cannot be reused for a while once deleted).
  deletion_policy         = var.firestore_deletion_policy
  delete_protection_state = var.firestore_deletion_policy == "DELETE" ? "DELETE_PROTECTION_DISABLED" : "DELETE_PROTECTION_ENABLED"
  # Any version of the last 7 days can be read or restored (backups.tf: daily backups).
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"

  depends_on = [google_project_service.services]
}

# list_executions: a workflow's executions, newest first (ties broken by document id,
# descending: Firestore appends __name__ with the last field's direction, written out
# here so that plans show no drift).
resource "google_firestore_index" "executions_by_workflow" {
  project    = var.project_id
  database   = local.firestore_database
  collection = "executions"

  fields {
    field_path = "workflow_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
  fields {
    field_path = "__name__"
    order      = "DESCENDING"
  }

  # The database is ours only when created here; the API, always.
  depends_on = [google_project_service.services, google_firestore_database.records]
}

# list_executions with a state filter.
resource "google_firestore_index" "executions_by_workflow_and_state" {
  project    = var.project_id
  database   = local.firestore_database
  collection = "executions"

  fields {
    field_path = "workflow_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
  fields {
    field_path = "__name__"
    order      = "DESCENDING"
  }

  depends_on = [google_project_service.services, google_firestore_database.records]
}

# list_unconfirmed_executions (the sweep): every org's executions still `created` whose
# job BigQuery never confirmed (`reconciled_at` null), oldest first, across the
# orgs/{org}/executions collections.
resource "google_firestore_index" "unconfirmed_executions_of_every_org" {
  project     = var.project_id
  database    = local.firestore_database
  collection  = "executions"
  query_scope = "COLLECTION_GROUP"

  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "reconciled_at"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "ASCENDING"
  }
  fields {
    field_path = "__name__"
    order      = "ASCENDING"
  }

  depends_on = [google_project_service.services, google_firestore_database.records]
}

# list_unsettled_executions (the sweep's backstop): every org's open executions whose
# job BigQuery confirmed, least recently reconciled first (one query per open state).
resource "google_firestore_index" "unsettled_executions_of_every_org" {
  project     = var.project_id
  database    = local.firestore_database
  collection  = "executions"
  query_scope = "COLLECTION_GROUP"

  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "reconciled_at"
    order      = "ASCENDING"
  }
  fields {
    field_path = "__name__"
    order      = "ASCENDING"
  }

  depends_on = [google_project_service.services, google_firestore_database.records]
}

# TTL: Firestore deletes documents (within about a day) once `expire_at` has passed.
# Executions and idempotency keys: 90 days after creation; cache entries: when their
# output table expires. index_config {} turns off the single-field indexes of a
# timestamp no query reads, as Firestore recommends for TTL fields.
resource "google_firestore_field" "ttl" {
  for_each = toset(["executions", "cache_entries", "idempotency_keys"])

  project    = var.project_id
  database   = local.firestore_database
  collection = each.value
  field      = "expire_at"

  ttl_config {}
  index_config {}

  depends_on = [google_project_service.services, google_firestore_database.records]
}
