terraform {
  # 1.9: variable validations that name other variables (root: completion_event_projects);
  # the root's import block with for_each (Firestore re-apply) needs 1.7.
  required_version = ">= 1.9"

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
