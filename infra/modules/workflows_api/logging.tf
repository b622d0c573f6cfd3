# CARTO's dialect takes the API token in the URL (`?access_token=...`). The functions
# never log query strings, but Cloud Run's request log and API Gateway's record the
# full URL; drop those entries so no token is kept in Cloud Logging. The functions read
# the token only under the exact raw name `access_token`, once (a percent-encoded name
# is refused, http/carto/job_requests.url_token); an entry whose URL holds a token's
# `wfa_` prefix anywhere (pasted as a name, say) is dropped too.
resource "google_logging_project_exclusion" "url_tokens" {
  project     = var.project_id
  name        = "${var.name_prefix}-url-tokens"
  description = "Request logs whose URL carries an API token (CARTO's access_token)."
  filter      = "httpRequest.requestUrl:\"access_token=\" OR httpRequest.requestUrl:\"wfa_\""

  depends_on = [google_project_service.services]
}
