terraform {
  # optional() object attributes with defaults need 1.3; import/check blocks are not used.
  required_version = ">= 1.5"

  required_providers {
    # Arguments were checked against the provider's documentation at v7.45.0.
    google = {
      source  = "hashicorp/google"
      version = "~> 7.45"
    }
    # API Gateway resources exist only in the beta provider.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 7.45"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.7"
    }
  }
}
