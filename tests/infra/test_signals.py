"""Signals (issue 27): log-based metrics whose filters match the log lines the code
really writes, an alert on each, on every dead-letter subscription and on /healthz
through the public entry, SLOs of execute and status with burn-rate alerts, a
dashboard, an optional budget, and Firestore point-in-time recovery and backups."""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest

from tests.infra.hcl import block, blocks, dependencies, expression, module, root
from tests.infra.logcalls import LogCall, class_field_literal, log_calls, module_constant
from workflows_api.domain.execution.states import TERMINAL_STATES
from workflows_api.http.tables import all_routes

CLAUSE = re.compile(r"^(?P<field>[\w.]+)(?P<op>=~|>=|<=|!=|=|>|<|:)(?P<value>.+)$")
EXTRACTOR = re.compile(
    r'^(?:EXTRACT\((?P<field>[\w.]+)\)|REGEXP_EXTRACT\((?P<rfield>[\w.]+), "(?P<regex>.*)"\))$'
)


def hcl_string(text: str) -> str:
    """An HCL string literal's value (python-hcl2 keeps the escapes)."""
    return text.replace('\\"', '"').replace("\\\\", "\\")


def clauses(metric: dict[str, Any]) -> list[tuple[str, str, Any]]:
    found = []
    for clause in metric["filter"]:
        parsed = CLAUSE.match(hcl_string(clause))
        assert parsed, clause
        value = parsed["value"]
        literal: Any = value[1:-1] if value.startswith('"') else value
        found.append((parsed["field"], parsed["op"], literal))
    return found


def extracted_fields(metric: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(field, regex or None) of every label extractor and the value extractor."""
    found = []
    extractors = list(metric["labels"].values()) + ([metric["value"]] if "value" in metric else [])
    for extractor in extractors:
        parsed = EXTRACTOR.match(hcl_string(extractor))
        assert parsed, extractor
        found.append((parsed["field"] or parsed["rfield"], parsed["regex"]))
    return found


def literal_prefix(regex: str) -> str:
    """The literal text a `^...` regex starts with."""
    assert regex.startswith("^"), regex
    prefix = re.match(r"(?:[^\\.^$*+?()\[\]{}|]|\\.)*", regex[1:])
    assert prefix
    return re.sub(r"\\(.)", r"\1", prefix[0])


def writers(metric: dict[str, Any]) -> list[LogCall]:
    """The log calls whose lines the metric's message clause matches (every call when
    it has none)."""
    calls = list(log_calls())
    for field, op, value in clauses(metric):
        if field != "jsonPayload.message":
            continue
        if op == "=":
            calls = [c for c in calls if c.may_write(value)]
        elif op == "=~":
            prefix = literal_prefix(value)
            calls = [
                c
                for c in calls
                if (c.constant and re.search(value, re.sub(r"\\(.)", r"\1", c.message)))
                or (not c.constant and c.may_write(prefix + "x"))
            ]
        else:
            pytest.fail(f"message clause {field}{op}{value}: use = or =~")
    return calls


def has_field(call: LogCall, field: str) -> bool:
    top, _, rest = field.partition(".")
    if top == "jsonPayload":
        return rest == "message" or rest in call.fields
    if top == "httpRequest":
        return rest in call.http_request
    if top == "resource":
        return True  # the monitored resource's labels: every entry has them
    raise AssertionError(f"{field}: not a field of the functions' log lines")


def log_metrics() -> dict[str, dict[str, Any]]:
    metrics = module().locals["log_metrics"]
    assert isinstance(metrics, dict) and metrics
    return metrics


def test_the_code_writes_log_lines_to_read() -> None:
    # The reader itself: the lines these metrics rely on are found.
    messages = {c.message for c in log_calls()}
    assert re.escape("execution submitted") in messages
    assert any(c.http_request == {"requestMethod", "requestUrl", "status"} for c in log_calls())


@pytest.mark.parametrize("key", sorted(module().locals["log_metrics"]))
def test_every_metric_filter_matches_a_line_the_code_writes(key: str) -> None:
    metric = log_metrics()[key]
    fields = [field for field, _, _ in clauses(metric)] + [f for f, _ in extracted_fields(metric)]
    candidates = [c for c in writers(metric) if all(has_field(c, f) for f in fields)]
    assert candidates, (
        f"{key}: no log call of functions/ writes a line with message and fields {fields}"
    )
    if "jsonPayload.message" not in [field for field, _, _ in clauses(metric)]:
        # Without a message, the fields alone must single out one line.
        assert len(candidates) == 1, [f"{c.path}:{c.line}" for c in candidates]


def test_metrics_read_only_the_functions_own_lines() -> None:
    config = module()
    log_filter = hcl_string(expression(config.locals["function_log_filter"]))
    assert 'resource.type=\\"cloud_run_revision\\"' in log_filter or (
        'resource.type="cloud_run_revision"' in log_filter
    )
    assert "run.googleapis.com%2Fstdout" in log_filter
    services = expression(config.locals["function_services_regex"])
    assert "keys(local.functions)" in services and "var.name_prefix" in services
    metric = config.resource("google_logging_metric", "signals")
    assert expression(metric["for_each"]) == "local.log_metrics"
    assert expression(metric["filter"]) == (
        'join(" AND ", concat([local.function_log_filter], each.value.filter))'
    )
    assert expression(metric["label_extractors"]) == "each.value.labels"


def test_label_values_are_the_codes() -> None:
    metrics = log_metrics()
    # Executions end in the code's terminal states, on an event the code says it applied.
    ended = dict((f, v) for f, _, v in clauses(metrics["executions_ended"]))
    states = re.fullmatch(r"\^\((.*)\)\$", ended["jsonPayload.state"])
    assert states and set(states[1].split("|")) == {s.value for s in TERMINAL_STATES}
    assert "applied" in class_field_literal("CompletionOutcome", "status")
    assert literal_prefix(ended["jsonPayload.message"]).split()[-1] == "applied:"
    # ID-token refusal reasons: the checks adapters/google_oidc.py tells apart.
    reasons = module_constant("_REASONS")
    assert isinstance(reasons, ast.Tuple)
    checks = {
        pair.elts[0].value
        for pair in reasons.elts
        if isinstance(pair, ast.Tuple) and isinstance(pair.elts[0], ast.Constant)
    }
    ((_, regex),) = extracted_fields(metrics["id_token_refusals"])
    assert regex is not None
    found = re.fullmatch(r"\(\?i\)\((.*)\)", regex)
    assert found and set(found[1].split("|")) == checks


def test_5xx_route_labels_tell_the_routes_apart() -> None:
    extractors = dict(extracted_fields(log_metrics()["http_5xx"]))
    labels = log_metrics()["http_5xx"]["labels"]
    route = re.compile(EXTRACTOR.match(hcl_string(labels["route"]))["regex"])  # type: ignore[index]
    action = re.compile(EXTRACTOR.match(hcl_string(labels["action"]))["regex"])  # type: ignore[index]
    assert set(extractors) == {"httpRequest.requestMethod", "httpRequest.requestUrl"}
    seen: dict[tuple[str, str, str, str], list[str]] = {}
    for r in all_routes():
        path = re.sub(r"<(?:path:)?\w+>", "id1", r.path.replace("<schedule_id>", "0" * 16))
        found = route.search(path)
        assert found, f"{r.path}: no route label"
        suffix = action.search(path)
        key = (r.function, r.method, found[1], suffix[1] if suffix else "")
        seen.setdefault(key, []).append(r.path)
    # Routes sharing labels: only a collection and its items (known, documented).
    shared = [paths for paths in seen.values() if len(paths) > 1]
    schedules = "/v1/workflows/<workflow_id>/schedules"
    assert shared == [
        ["/v1/workflows", "/v1/workflows/<workflow_id>"],
        [schedules, f"{schedules}/<schedule_id>"],
        ["/console/", "/console/assets/<asset>"],
    ], shared


def test_every_signal_has_an_alert_going_to_the_channels() -> None:
    config = module()
    alerts = config.locals["log_alerts"]
    alerted = {spec["metric"] for spec in alerts.values()}
    # sweep_left (a distribution) is the dashboard's; its alert is sweeps_leaving_executions.
    assert alerted == set(log_metrics()) - {"sweep_left"}
    policies = config.all_resources("google_monitoring_alert_policy")
    assert set(policies) == {"log_signals", "dead_letters", "uptime", "slo_burn"}
    for name, policy in policies.items():
        assert expression(policy["notification_channels"]) == "local.notification_channels", name
        assert block(policy, "documentation")["content"], name
    channels = config.resource("google_monitoring_notification_channel", "channels")
    assert expression(channels["for_each"]) == "var.notification_channels"
    for config_ in (module(), root()):
        variable = config_.variables["notification_channels"]
        assert variable["default"] == {}
        assert 'optional(string, "email")' in variable["type"]
    log_policy = policies["log_signals"]
    condition = block(block(log_policy, "conditions"), "condition_threshold")
    assert "google_logging_metric.signals[each.value.metric].name" in condition["filter"]
    assert expression(condition["threshold_value"]) == (
        "lookup(var.alert_thresholds, each.key, each.value.threshold)"
    )
    for key, spec in alerts.items():
        assert spec["threshold"] >= 0 and spec["window"] >= 300 and spec["why"], key
    # Alerts wait until Cloud Monitoring knows the new metrics.
    assert "time_sleep.log_metrics" in dependencies(
        config, "google_monitoring_alert_policy.log_signals"
    )


def test_every_dead_letter_subscription_is_alerted_on() -> None:
    config = module()
    dead_letter_subscriptions = {
        name
        for name, body in config.all_resources("google_pubsub_subscription").items()
        if expression(body["topic"]) == "google_pubsub_topic.dead_letter.id"
    }
    watched = str(config.locals["dead_letter_subscriptions"])
    for name in dead_letter_subscriptions:
        assert f"google_pubsub_subscription.{name}.name" in watched
    policy = config.resource("google_monitoring_alert_policy", "dead_letters")
    condition = block(block(policy, "conditions"), "condition_threshold")
    assert "subscription/num_undelivered_messages" in condition["filter"]


def test_healthz_is_checked_through_the_public_entry() -> None:
    config = module()
    check = config.resource("google_monitoring_uptime_check_config", "healthz")
    http = block(check, "http_check")
    assert http["path"] == "/healthz" and http["use_ssl"] is True
    assert any(r.path == "/healthz" and r.method == "GET" for r in all_routes())
    resource = block(check, "monitored_resource")
    assert resource["type"] == "uptime_url"
    assert expression(resource["labels"]["host"]) == (
        "google_api_gateway_gateway.gateway.default_hostname"
    )
    policy = config.resource("google_monitoring_alert_policy", "uptime")
    condition = block(block(policy, "conditions"), "condition_threshold")
    assert "google_monitoring_uptime_check_config.healthz.uptime_check_id" in condition["filter"]


def test_execute_and_status_have_availability_and_latency_slos_with_burn_rate_alerts() -> None:
    config = module()
    slos = config.locals["slos"]
    assert set(slos) == {"execute", "status"}
    for goals in slos.values():
        assert 0.9 <= goals["availability"] < 1 and 0.9 <= goals["latency"] < 1
    slo = config.resource("google_monitoring_slo", "functions")
    assert expression(slo["for_each"]) == "local.slo_objectives"
    sli = str(block(slo, "request_based_sli"))
    assert "run.googleapis.com/request_count" in sli and "response_code_class" in sli
    assert "run.googleapis.com/request_latencies" in sli
    burn = config.resource("google_monitoring_alert_policy", "slo_burn")
    assert expression(burn["for_each"]) == "local.slo_objectives"
    assert "select_slo_burn_rate" in str(burn)
    rates = config.locals["burn_rates"]
    assert {r["threshold"] for r in rates.values()} == {14.4, 6}


def test_the_dashboard_shows_golden_signals_and_executions_per_state() -> None:
    config = module()
    charts = config.locals["dashboard_charts"]
    text = str(charts)
    for metric in (
        "run.googleapis.com/request_count",
        "run.googleapis.com/request_latencies",
        "run.googleapis.com/container/instance_count",
        "run.googleapis.com/container/cpu/utilizations",
    ):
        assert metric in text, metric
    used = {chart[k] for chart in charts for k in ("metric", "also") if k in chart}
    assert used <= set(log_metrics())
    assert any(
        c.get("metric") == "executions_ended" and c["group_by"] == ["metric.label.state"]
        for c in charts
    )
    assert all("resource.label.service_name" in c["group_by"] for c in charts[:8])
    dashboard = config.resource("google_monitoring_dashboard", "signals")
    assert expression(dashboard["dashboard_json"]) == "jsonencode(local.dashboard)"


def test_the_budget_is_optional() -> None:
    config = module()
    budget = config.resource("google_billing_budget", "project")
    assert expression(budget["count"]) == "var.billing_account == null ? 0 : 1"
    assert config.variables["billing_account"]["default"] is None
    rule = block(budget, "all_updates_rule")
    assert expression(rule["monitoring_notification_channels"]) == "local.notification_channels"
    assert '"billingbudgets.googleapis.com"' in expression(config.locals["services"])


def test_firestore_has_point_in_time_recovery_and_daily_backups() -> None:
    config = module()
    database = config.resource("google_firestore_database", "records")
    assert database["point_in_time_recovery_enablement"] == "POINT_IN_TIME_RECOVERY_ENABLED"
    schedule = config.resource("google_firestore_backup_schedule", "daily")
    assert blocks(schedule, "daily_recurrence") == [{}]
    assert expression(schedule["database"]) == "local.firestore_database"
    assert "var.firestore_backup_retention_days" in schedule["retention"]


def test_monitoring_is_enabled() -> None:
    assert '"monitoring.googleapis.com"' in expression(module().locals["services"])
