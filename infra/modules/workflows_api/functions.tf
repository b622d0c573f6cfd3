# One Cloud Function (2nd gen) per entry of local.functions (main.tf), all built from
# the same source archive; each runs only its entry point of functions/main.py.

resource "google_cloudfunctions2_function" "functions" {
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description = each.value.description
  labels      = merge(local.labels, { function = each.key })

  build_config {
    runtime           = "python312"
    entry_point       = each.key
    service_account   = google_service_account.accounts["build"].id
    docker_repository = google_artifact_registry_repository.images.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.functions_source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.accounts["runtime"].email

    available_memory                 = each.value.memory
    available_cpu                    = "1"
    timeout_seconds                  = each.value.timeout_seconds
    max_instance_request_concurrency = each.value.concurrency
    min_instance_count               = coalesce(try(var.function_scaling[each.key].min_instances, null), 0)
    max_instance_count               = coalesce(try(var.function_scaling[each.key].max_instances, null), each.value.max_instances)

    # HTTP functions are reached through API Gateway (and by Cloud Scheduler), which
    # call their run.app URL from outside any VPC: API Gateway is neither internal
    # traffic nor a load balancer, so "internal and load balancing" ingress would shut
    # it out too. In private mode IAM keeps everyone else out (only the gateway's and
    # Scheduler's accounts hold run.invoker). Event functions: only Pub/Sub pushes of
    # this project, which count as internal traffic.
    ingress_settings               = each.value.trigger == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true

    # The settings (local.environment) plus THREADS: functions-framework serves with
    # gunicorn, whose thread count must match the concurrency Cloud Run sends.
    environment_variables = merge(local.environment, { THREADS = tostring(each.value.concurrency) })
  }

  # The build account's grants (and the runtime's), propagated (iam.tf): a build that
  # starts before them fails on a fresh project. The sleep names every grant.
  depends_on = [time_sleep.iam_propagation]
}
