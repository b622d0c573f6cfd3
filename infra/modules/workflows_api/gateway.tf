# The public HTTPS entry: API Gateway, because the routing table sends the same path
# to different functions by method (POST /v1/workflows/{id}/executions is execute, GET
# is status), which API Gateway routes per operation and a load balancer's URL map
# cannot (it matches hosts and paths, not methods). See infra/README.md.
#
# The OpenAPI 2.0 document is generated from the routing table by
# infra/gateway_spec.py; each operation's backend is filled in here.

locals {
  gateway_backends = {
    for name, fn in local.http_functions : name => {
      address = google_cloudfunctions2_function.functions[name].service_config[0].uri
      # The gateway gives up after `deadline` seconds (15 by default): as long as the
      # function may take.
      deadline = format("%.1f", fn.timeout_seconds)
      # public: forward the caller's Authorization header untouched. private: call
      # with the gateway account's ID token (the only invoker of the HTTP functions);
      # the gateway then moves the caller's header to X-Forwarded-Authorization.
      disable_auth = var.access_mode == "public"
    }
  }
  gateway_spec = templatefile("${path.module}/gateway.swagger.yaml.tftpl", {
    backends = local.gateway_backends
  })
}

resource "google_api_gateway_api" "api" {
  provider = google-beta

  project      = var.project_id
  api_id       = "${var.name_prefix}-api"
  display_name = "Workflows API"
  labels       = local.labels

  depends_on = [google_project_service.services]
}

resource "google_api_gateway_api_config" "api" {
  provider = google-beta

  project = var.project_id
  api     = google_api_gateway_api.api.api_id
  # A config is immutable: a changed document is a new config, created before the old
  # one is destroyed so the gateway always has one.
  api_config_id_prefix = "${var.name_prefix}-"
  display_name         = "Workflows API routes"
  labels               = local.labels

  openapi_documents {
    document {
      path     = "workflows-api.swagger.yaml"
      contents = base64encode(local.gateway_spec)
    }
  }

  gateway_config {
    backend_config {
      # The account whose ID token the gateway sends to the backends in private mode
      # (run.invoker on the HTTP functions, iam.tf); unused in public mode.
      google_service_account = google_service_account.accounts["gateway"].email
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_api_gateway_gateway" "gateway" {
  provider = google-beta

  project      = var.project_id
  region       = local.gateway_region
  gateway_id   = "${var.name_prefix}-gateway"
  api_config   = google_api_gateway_api_config.api.id
  display_name = "Workflows API"
  labels       = local.labels

  # The gateway serves the API's managed service, which must be enabled first.
  depends_on = [google_project_service.gateway_managed_service]
}

# The API's managed service must be enabled in the project before the gateway serves
# it, and it is ready to enable only once the API has a config (API Gateway rolls the
# service out with the first config): after the config, before the gateway.
resource "google_project_service" "gateway_managed_service" {
  project = var.project_id
  service = google_api_gateway_api.api.managed_service
  # The API's own service, made by and for this deployment: off with it.
  disable_on_destroy = true

  depends_on = [google_api_gateway_api_config.api]
}
