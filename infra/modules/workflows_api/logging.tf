# CARTO's dialect takes the API token in the URL (`?access_token=...`). The functions
# never log query strings, but Cloud Run's request log and API Gateway's record the
# full URL; drop those entries so no token is kept in Cloud Logging.
resource "google_logging_project_exclusion" "url_tokens" {
  project     = var.project_id
  name        = "${var.name_prefix}-url-tokens"
  description = "Request logs whose URL carries an API token (CARTO's access_token)."
  filter      = "httpRequest.requestUrl:\"access_token=\""

  depends_on = [google_project_service.services]
}
