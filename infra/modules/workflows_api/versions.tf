terraform {
  # optional() object attributes with defaults need 1.3; import/check blocks are not used.
  required_version = ">= 1.5"

  required_providers {
    # tests/infra checks every argument and block name against the schema of v7.45.0
    # (infra/tools/provider_schema.json).
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
    # time_static (custom role ids) and time_sleep (IAM propagation).
    time = {
      source  = "hashicorp/time"
      version = "~> 0.13"
    }
  }
}
