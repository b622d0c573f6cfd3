# An optional monthly budget on the project's costs: e-mails to the billing account's
# admins and the notification channels at 50 %, 90 % and 100 % of var.monthly_budget
# (actual spend), and at 100 % forecast. Only with var.billing_account.

resource "google_billing_budget" "project" {
  count = var.billing_account == null ? 0 : 1

  billing_account = var.billing_account
  display_name    = "Workflows API (${var.name_prefix}) in ${var.project_id}"

  budget_filter {
    projects = ["projects/${local.project_number}"]
  }

  amount {
    specified_amount {
      # The billing account's currency.
      units = tostring(var.monthly_budget)
    }
  }

  threshold_rules {
    threshold_percent = 0.5
  }
  threshold_rules {
    threshold_percent = 0.9
  }
  threshold_rules {
    threshold_percent = 1.0
  }
  threshold_rules {
    threshold_percent = 1.0
    spend_basis       = "FORECASTED_SPEND"
  }

  all_updates_rule {
    monitoring_notification_channels = local.notification_channels
  }

  depends_on = [google_project_service.services]
}
