"""The composition root: adapters wired into services, once per process.

`bootstrap(settings)` gives the real thing (Firestore, BigQuery, Secret Manager, clients
created on first use); tests pass fakes by keyword (`store=`, `warehouse=`, `clock=`...).
Every service is wired by keyword (schedules' in `schedule_root.py`). The webhook payload
is an execution's view, handed in as `webhook_payload`; `get_app()` is the process's own
App (entry points', CLI's): the real adapters and the native execution view
(`execution_views.py`), built once.

Each service and adapter module is imported where it is first built, not here: a function
process imports only what its requests use (cold start: `status` never loads the compiler).
"""

from __future__ import annotations

import datetime as dt
from functools import cache, cached_property
from typing import TYPE_CHECKING, Unpack

from workflows_api.config import Settings, get_settings
from workflows_api.process_adapters import Adapters, ProcessAdapters

if TYPE_CHECKING:
    from workflows_api.schedule_root import ScheduleServices
    from workflows_api.service.admin import AdminService
    from workflows_api.service.admission import ExecutionAdmission
    from workflows_api.service.auth import Authenticator
    from workflows_api.service.carto import CartoCalls
    from workflows_api.service.completion import JobCompletions
    from workflows_api.service.health import HealthCheck
    from workflows_api.service.lifecycle import ExecutionLifecycle
    from workflows_api.service.queries import ExecutionQueries
    from workflows_api.service.results import ExecutionResults
    from workflows_api.service.sweep import ExecutionSweep
    from workflows_api.service.triggers import PubSubTriggers
    from workflows_api.service.webhooks import Webhooks
    from workflows_api.service.workflows import WorkflowService


class App(ProcessAdapters):
    """Services built on first use from the process's adapters (`ProcessAdapters`)."""

    @cached_property
    def health(self) -> HealthCheck:
        from workflows_api.service.health import HealthCheck

        return HealthCheck(self.health_probes())

    # --- services -------------------------------------------------------------------

    @cached_property
    def authenticator(self) -> Authenticator:
        from workflows_api.service.auth import Authenticator

        verifier = self._id_token_verifier
        if verifier is None and self.settings.oidc_audience:
            from workflows_api.adapters.google_oidc import GoogleIdTokenVerifier

            verifier = GoogleIdTokenVerifier(
                self.settings.oidc_audience, self.settings.oidc_certs_url
            )
        return Authenticator(
            tokens=self.store,
            clock=self.clock,
            cache_seconds=self.settings.token_cache_seconds,
            principals=self.store,
            id_tokens=verifier,
            refused_accounts=frozenset(filter(None, (self.settings.gateway_service_account,))),
        )

    @cached_property
    def admin(self) -> AdminService:
        from workflows_api.service.admin import AdminService

        return AdminService(
            connections=self.store,
            tokens=self.store,
            clock=self.clock,
            principals=self.store,
            warehouse=self.warehouse,
            single_org=self.settings.single_org,
        )

    @cached_property
    def workflows(self) -> WorkflowService:
        from workflows_api.service.workflows import WorkflowService

        return WorkflowService(
            connections=self.store,
            workflows=self.store,
            warehouse=self.warehouse,
            clock=self.clock,
            single_org=self.settings.single_org,
        )

    @cached_property
    def lifecycle(self) -> ExecutionLifecycle:
        from workflows_api.service.lifecycle import ExecutionLifecycle
        from workflows_api.service.limits import ConcurrencyLimits

        return ExecutionLifecycle(
            workflows=self.workflows,
            executions=self.store,
            warehouse=self.warehouse,
            clock=self.clock,
            sleep=self._sleep,
            on_finished=lambda execution: self.webhooks.announce(execution),
            limits=ConcurrencyLimits(slots=self.store, executions=self.store, clock=self.clock),
        )

    @cached_property
    def admission(self) -> ExecutionAdmission:
        from workflows_api.service.admission import ExecutionAdmission
        from workflows_api.service.execute_plans import ExecutePlanner

        return ExecutionAdmission(
            planner=ExecutePlanner(
                workflows=self.workflows, executions=self.store, clock=self.clock
            ),
            workflows=self.workflows,
            executions=self.store,
            lifecycle=self.lifecycle,
            clock=self.clock,
        )

    @cached_property
    def queries(self) -> ExecutionQueries:
        from workflows_api.service.queries import ExecutionQueries

        return ExecutionQueries(
            workflows=self.workflows, executions=self.store, lifecycle=self.lifecycle
        )

    @cached_property
    def results(self) -> ExecutionResults:
        from workflows_api.service.results import ExecutionResults

        return ExecutionResults(
            executions=self.queries,
            workflows=self.workflows,
            warehouse=self.warehouse,
            clock=self.clock,
        )

    @cached_property
    def webhooks(self) -> Webhooks:
        from workflows_api.adapters.webhook_http import HttpWebhookSender
        from workflows_api.service.webhooks import Webhooks

        return Webhooks(
            workflows=self.workflows,
            store=self.store,
            secrets=self.signing_secrets,
            executions=self.store,
            sender=self._webhook_sender
            or HttpWebhookSender(
                # Test-only (the receivers of the e2e suite listen on loopback over HTTP).
                allow_http=self.settings.webhooks_allow_http,
                allow_loopback=self.settings.webhooks_allow_http,
            ),
            queue=self.delivery_queue,
            render=self._webhook_payload,
            clock=self.clock,
            allow_http=self.settings.webhooks_allow_http,
        )

    @cached_property
    def job_completions(self) -> JobCompletions:
        from workflows_api.service.completion import JobCompletions

        return JobCompletions(
            lifecycle=self.lifecycle,
            store=self.store,
            workflows=self.workflows,
            warehouse=self.warehouse,
        )

    @cached_property
    def carto(self) -> CartoCalls:
        from workflows_api.service.carto import CartoCalls

        return CartoCalls(
            workflows=self.workflows,
            workflow_store=self.store,
            admission=self.admission,
            queries=self.queries,
            executions=self.store,
        )

    @cached_property
    def pubsub_triggers(self) -> PubSubTriggers:
        from workflows_api.service.triggers import PubSubTriggers

        return PubSubTriggers(
            executions=self.admission,
            rejections=self.store,
            topic_orgs=self.settings.pubsub_topic_orgs,
            clock=self.clock,
        )

    @cached_property
    def sweep(self) -> ExecutionSweep:
        from workflows_api.service.sweep import ExecutionSweep

        return ExecutionSweep(
            executions=self.store,
            lifecycle=self.lifecycle,
            clock=self.clock,
            recheck_after=dt.timedelta(seconds=self.settings.sweep_recheck_seconds),
        )

    @cached_property
    def schedules(self) -> ScheduleServices:
        from workflows_api.schedule_root import ScheduleServices

        return ScheduleServices(self, jobs=self._scheduler_jobs, verifier=self._id_token_verifier)


def bootstrap(settings: Settings, **adapters: Unpack[Adapters]) -> App:
    """The services of one process, on the adapters given; the real ones otherwise."""
    return App(settings, **adapters)


@cache
def get_app() -> App:
    """The process's App: real adapters, the native execution view as webhook payload."""
    # Imported here: only a process that builds its App needs the view.
    from workflows_api.execution_views import execution_view

    return bootstrap(get_settings(), webhook_payload=execution_view)
