"""Differential tests: celerylint's static view against real Celery.

Each fixture project under ``tests/fixtures/projects`` is imported with real
Celery by ``celery_probe.py`` in a subprocess (celerylint itself never imports
analysed code), and the settings and task options Celery ends up with are
compared with what ``celerylint.api.describe`` resolved without running
anything.

Per fixture, ``Case`` pins:

* ``settings`` / ``options`` - what real Celery must show. These guard the
  fixture itself (a Celery upgrade that changes a precedence rule fails the
  probe test, not a confusing differential one) and every one of them must
  also be *known* statically, so the differential test cannot pass by the
  analyzer shrugging.
* ``unknown_settings`` / ``unknown_options`` - exactly what the analyzer must
  call unknown; everything else it must resolve, and resolve right.
* ``origins`` - where a resolved value must point: ``(path, marker)`` names
  the one line of ``path`` that contains ``marker``.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# The settings and task options compared; `celerylint inspect` shows the same.
from celerylint.model.describe import SETTINGS, TASK_OPTIONS
from tests.probing import PROBE, PROBE_TIMEOUT, probe_environment

# Compared with the installed Celery (the modelled version, pinned by the test extra).
pytestmark = pytest.mark.real_celery

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures" / "projects"

SettingKey = tuple[str, str]  # (app, setting)
OptionKey = tuple[str, str, str]  # (app, task, option)


@dataclass(frozen=True)
class Case:
    name: str
    tasks: Mapping[str, frozenset[str]]
    settings: Mapping[SettingKey, Any] = field(default_factory=dict)
    options: Mapping[OptionKey, Any] = field(default_factory=dict)
    unknown_settings: frozenset[SettingKey] = frozenset()
    unknown_options: frozenset[tuple[str, str]] = frozenset()  # (task, option)
    origins: Mapping[SettingKey, tuple[str, str]] = field(default_factory=dict)

    def must_know_settings(self) -> list[SettingKey]:
        return [k for k in self.settings if k not in self.unknown_settings]

    def must_know_options(self) -> list[tuple[str, str]]:
        keys = dict.fromkeys((task, option) for _, task, option in self.options)
        return [k for k in keys if k not in self.unknown_options]


DJ = "proj.celery:app"
CFG = "app.worker:app"
OLD = "legacy.celery:app"
SVC = "svc.celery:app"
FAC = "factory.celery:app"
REP = "factory.celery:reports"
PKG = "pkg.celery:app"
WEB = "web.celery_app:app"
WRK = "worker.celery_app:app"
ENV = "envapp.celery:app"
SHP = "shapes.celery:app"
DCT = "shapes.dictcfg:app"
MRO = "shapes.classes:app"
UNP = "shapes.unpacked:app"
MRG = "shapes.merged:app"
SDF = "shapes.defaults:app"
ALPHA = "alpha.celery:app"
BETA = "beta.celery:app"
DEPL = "depl.celery:app"
TRK = "trk.celeryapp:app"
OPS = "ops.celery:app"
STU = "studio.celery:app"
KOBO = "kobo.celery:app"
FLK = "web.app:celery"
FLF = "web.factory:celery_app"
SCA = "svc_a.tasks:app"
FFW = "fac.worker:celery"
FFD = "fac.default_worker:celery"
FFE = "fac.env_worker:celery"
FFC = "fac.class_worker:celery"
FFG = "fac.guide:celery_app"
FFM = "fac.make_celery:celery_app"
FFS = "fac.split_worker:celery"
SCB = "svc_b.tasks:app"
RPK = "main.celery:app"
BRA = "proj.celery:app"
ITM = "web.app:celery"
RTD = "rtd.worker:app"
FXC = "ext.extensions:celery_app"
FXJ = "ext.jobs:jobs_app"
FXO = "ext.other:other_app"
DIF = "app:celery"

CASES = [
    Case(
        name="django_split",
        tasks={
            DJ: frozenset(
                {
                    "orders.tasks.charge_order",
                    "orders.tasks.sync_inventory",
                    "orders.send_receipt",
                    "orders.tasks.nightly_report",
                }
            )
        },
        settings={
            # production.py overrides base.py, through `from .base import *`.
            (DJ, "task_time_limit"): 900,
            (DJ, "broker_url"): "redis://redis.internal:6379/0",
            (DJ, "task_acks_late"): True,
            (DJ, "worker_prefetch_multiplier"): 1,
            # Old name already starting with CELERY_: deprecated, still read.
            (DJ, "task_default_queue"): "orders",
            # CELERY_WORKER_TASK_SOFT_TIME_LIMIT is no setting: dropped.
            (DJ, "task_soft_time_limit"): None,
            # Old name without the prefix: still read under namespace='CELERY'.
            (DJ, "worker_pool"): "threads",
            (DJ, "result_expires"): 43200.0,
            (DJ, "accept_content"): ["json", "msgpack"],
            (DJ, "result_backend"): "redis://localhost:6379/1",
            # A dict display, then an item set and updates at module level: as Python
            # runs them, the later value of a key winning.
            (DJ, "task_annotations"): {
                "orders.tasks.charge_order": {"rate_limit": "5/m"},
                "orders.tasks.sync_inventory": {"rate_limit": "2/s"},
                "orders.tasks.nightly_report": {"rate_limit": "1/h"},
                "unregistered": {"rate_limit": "3/s"},
            },
        },
        options={
            (DJ, "orders.tasks.charge_order", "time_limit"): 30,
            (DJ, "orders.tasks.charge_order", "rate_limit"): "5/m",
            (DJ, "orders.tasks.sync_inventory", "rate_limit"): "2/s",
            (DJ, "orders.tasks.nightly_report", "rate_limit"): "1/h",
            (DJ, "orders.tasks.charge_order", "max_retries"): 5,
            (DJ, "orders.tasks.charge_order", "autoretry_for"): [
                "orders.tasks.PaymentGatewayError",
                "builtins.ConnectionError",
            ],
            (DJ, "orders.tasks.charge_order", "retry_backoff"): True,
            (DJ, "orders.tasks.charge_order", "ignore_result"): True,
            (DJ, "orders.tasks.charge_order", "serializer"): "json",
            (DJ, "orders.tasks.sync_inventory", "max_retries"): None,
            (DJ, "orders.tasks.sync_inventory", "retry_backoff"): 5,
            (DJ, "orders.tasks.sync_inventory", "autoretry_for"): [
                "kombu.exceptions.OperationalError"
            ],
            (DJ, "orders.send_receipt", "acks_late"): False,
            (DJ, "orders.send_receipt", "rate_limit"): "10/m",
            (DJ, "orders.send_receipt", "soft_time_limit"): 20,
            (DJ, "orders.tasks.nightly_report", "time_limit"): 900,
            (DJ, "orders.tasks.nightly_report", "acks_late"): True,
        },
        origins={
            (DJ, "task_time_limit"): ("proj/settings/production.py", "CELERY_TASK_TIME_LIMIT ="),
            (DJ, "broker_url"): ("proj/settings/production.py", "CELERY_BROKER_URL ="),
            (DJ, "task_default_queue"): ("proj/settings/base.py", "CELERY_DEFAULT_QUEUE ="),
            (DJ, "worker_pool"): ("proj/settings/base.py", "CELERYD_POOL ="),
            (DJ, "result_expires"): ("proj/settings/base.py", "CELERY_RESULT_EXPIRES ="),
            (DJ, "task_annotations"): ("proj/settings/base.py", "CELERY_TASK_ANNOTATIONS = {"),
        },
    ),
    Case(
        name="celeryconfig_module",
        tasks={CFG: frozenset({"app.tasks.fetch_feed", "app.tasks.ping", "app.tasks.ingest"})},
        settings={
            # Celery(broker=...) beats celeryconfig.broker_url.
            (CFG, "broker_url"): "redis://localhost:6379/0",
            (CFG, "result_backend"): "redis://localhost:6379/1",
            (CFG, "task_time_limit"): 600,
            (CFG, "task_soft_time_limit"): 540,
            (CFG, "result_accept_content"): ["json", "application/x-msgpack"],
            # `accept_content += ['msgpack']` extends the list bound before it.
            (CFG, "accept_content"): ["json", "msgpack"],
            (CFG, "result_expires"): 3600,
            (CFG, "worker_pool"): "threads",
            (CFG, "task_default_queue"): "default",
        },
        options={
            (CFG, "app.tasks.ping", "time_limit"): 60,
            (CFG, "app.tasks.ping", "soft_time_limit"): 50,
            (CFG, "app.tasks.ping", "ignore_result"): True,
            (CFG, "app.tasks.fetch_feed", "max_retries"): 10,
            (CFG, "app.tasks.fetch_feed", "time_limit"): 600,
            (CFG, "app.tasks.fetch_feed", "acks_late"): True,
            (CFG, "app.tasks.ingest", "typing"): False,
            (CFG, "app.tasks.ingest", "serializer"): "msgpack",
            (CFG, "app.tasks.ingest", "acks_late"): False,
        },
        origins={
            (CFG, "broker_url"): ("app/worker.py", "broker='redis://localhost:6379/0'"),
            (CFG, "task_time_limit"): ("celeryconfig.py", "task_time_limit ="),
        },
    ),
    Case(
        name="old_names",
        tasks={OLD: frozenset({"legacy.tasks.resize_image", "legacy.tasks.thumbnail"})},
        settings={
            # CELERYD_TASK_TIME_LIMIT counts; CELERY_TASK_TIME_LIMIT = 60 is ignored.
            (OLD, "task_time_limit"): 300,
            (OLD, "broker_url"): "amqp://guest:guest@localhost:5672//",
            (OLD, "result_backend"): "redis://localhost:6379/2",
            (OLD, "task_serializer"): "pickle",
            (OLD, "accept_content"): ["json", "pickle"],
            (OLD, "result_expires"): 7200,
            (OLD, "task_ignore_result"): True,
            (OLD, "task_default_queue"): "legacy",
            (OLD, "worker_prefetch_multiplier"): 8,
        },
        options={
            (OLD, "legacy.tasks.resize_image", "time_limit"): 300,
            (OLD, "legacy.tasks.resize_image", "serializer"): "pickle",
            (OLD, "legacy.tasks.resize_image", "ignore_result"): True,
            (OLD, "legacy.tasks.thumbnail", "ignore_result"): False,
            (OLD, "legacy.tasks.thumbnail", "serializer"): "json",
        },
        origins={
            (OLD, "task_time_limit"): ("legacy/celeryconfig.py", "CELERYD_TASK_TIME_LIMIT ="),
            (OLD, "broker_url"): ("legacy/celeryconfig.py", "BROKER_URL ="),
        },
    ),
    Case(
        name="conf_styles",
        tasks={SVC: frozenset({"svc.tasks.add", "svc.tasks.render"})},
        settings={
            # Written before config_from_object('svc.defaults') (100), still wins.
            (SVC, "task_time_limit"): 5,
            (SVC, "result_backend"): "redis://localhost:6379/3",
            (SVC, "task_serializer"): "json",
            (SVC, "result_serializer"): "json",
            (SVC, "accept_content"): ["json"],
            (SVC, "task_acks_late"): True,
            (SVC, "result_expires"): 3600,
            (SVC, "worker_prefetch_multiplier"): 1,
            # Only the config module sets these.
            (SVC, "broker_url"): "redis://localhost:6379/0",
            (SVC, "task_soft_time_limit"): 80,
            (SVC, "task_default_queue"): "svc",
        },
        options={
            (SVC, "svc.tasks.add", "time_limit"): 5,
            (SVC, "svc.tasks.add", "soft_time_limit"): 80,
            (SVC, "svc.tasks.add", "acks_late"): True,
            (SVC, "svc.tasks.render", "serializer"): "pickle",
            (SVC, "svc.tasks.render", "time_limit"): 7,
        },
        origins={
            (SVC, "task_time_limit"): ("svc/celery.py", "app.conf.task_time_limit = 5"),
            (SVC, "result_backend"): ("svc/celery.py", "backend='redis://localhost:6379/3'"),
            (SVC, "task_serializer"): ("svc/celery.py", "task_serializer='json'"),
            (SVC, "result_expires"): ("svc/celery.py", "{'result_expires': 3600}"),
            (SVC, "worker_prefetch_multiplier"): (
                "svc/celery.py",
                "app.conf['worker_prefetch_multiplier']",
            ),
            (SVC, "result_serializer"): ("svc/celery.py", "app.conf.result_serializer ="),
            (SVC, "broker_url"): ("svc/defaults.py", "broker_url ="),
        },
    ),
    Case(
        name="django_dict",
        tasks={STU: frozenset({"jobs.tasks.export_channel"})},
        settings={
            (STU, "broker_url"): "redis://localhost:6379/0",
            (STU, "result_backend"): "redis://localhost:6379/1",
            (STU, "task_serializer"): "json",
            (STU, "accept_content"): ["application/json"],
            (STU, "task_time_limit"): 600,
            # CELERY_TASK_SOFT_TIME_LIMIT is a Django setting beside the dict: not read.
            (STU, "task_soft_time_limit"): None,
        },
        options={(STU, "jobs.tasks.export_channel", "time_limit"): 600},
        origins={(STU, "task_time_limit"): ("studio/settings.py", "'task_time_limit': 600")},
    ),
    Case(
        name="module_globals",
        tasks={OPS: frozenset({"ops.tasks.run_playbook"})},
        settings={
            (OPS, "broker_url"): "redis://localhost:6379/0",
            (OPS, "task_serializer"): "pickle",
            (OPS, "result_serializer"): "pickle",
            (OPS, "accept_content"): ["json", "pickle"],
            (OPS, "task_soft_time_limit"): 3600,
            (OPS, "result_expires"): 600,
            # The item set on the dict after the comprehension wins.
            (OPS, "task_default_queue"): "ansible",
            # `TASK_TIME_LIMIT` has no CELERY prefix: not in the dict.
            (OPS, "task_time_limit"): None,
        },
        options={
            (OPS, "ops.tasks.run_playbook", "serializer"): "pickle",
            (OPS, "ops.tasks.run_playbook", "soft_time_limit"): 3600,
        },
        origins={
            (OPS, "task_serializer"): ("ops/settings.py", "CELERY_TASK_SERIALIZER ="),
            (OPS, "task_default_queue"): ("ops/celery.py", "= 'ansible'"),
        },
    ),
    Case(
        name="class_config",
        tasks={
            FAC: frozenset({"factory.tasks.assemble", "factory.tasks.inspect"}),
            REP: frozenset({"factory.report_tasks.monthly"}),
        },
        settings={
            (FAC, "task_time_limit"): 300,
            (FAC, "broker_url"): "redis://localhost:6379/4",
            (FAC, "task_ignore_result"): True,
            (FAC, "worker_prefetch_multiplier"): 2,
            # Behind `try: from kombu import ...` / `else:` in the class body.
            (FAC, "task_default_queue"): "assembly",
            (FAC, "task_acks_late"): True,
            (REP, "broker_url"): "redis://localhost:6379/5",
            (REP, "result_backend"): "redis://localhost:6379/6",
            (REP, "task_serializer"): "msgpack",
            (REP, "accept_content"): ["msgpack", "json"],
            (REP, "task_soft_time_limit"): 45,
            (REP, "task_default_queue"): "reports",
            (REP, "task_time_limit"): None,
            # A module-level guard's `else`; a version guard's handler (`celery.task`).
            (REP, "result_expires"): 3600,
            (REP, "task_acks_late"): True,
        },
        unknown_settings=frozenset({(REP, "task_acks_late")}),
        unknown_options=frozenset({("factory.report_tasks.monthly", "acks_late")}),
        options={
            (FAC, "factory.tasks.assemble", "time_limit"): 300,
            (FAC, "factory.tasks.assemble", "ignore_result"): True,
            # time_limit=None means "take the app's", not "no limit".
            (FAC, "factory.tasks.inspect", "time_limit"): 300,
            (FAC, "factory.tasks.inspect", "ignore_result"): False,
            (REP, "factory.report_tasks.monthly", "serializer"): "msgpack",
            (REP, "factory.report_tasks.monthly", "soft_time_limit"): 45,
            (REP, "factory.report_tasks.monthly", "ignore_result"): True,
        },
        origins={
            (FAC, "task_time_limit"): ("factory/celery.py", "task_time_limit = 300"),
            (FAC, "broker_url"): ("factory/celery.py", "broker_url = 'redis://localhost:6379/4'"),
            (REP, "task_soft_time_limit"): ("factory/settings_mod.py", "task_soft_time_limit ="),
        },
    ),
    Case(
        name="class_tasks",
        tasks={
            PKG: frozenset(
                {
                    "pkg.tasks.fetch",
                    "pkg.tasks.upload",
                    "pkg.tasks.special",
                    "pkg.tasks.slow",
                    "pkg.tasks.aliased",
                    "x.y",
                }
            )
        },
        settings={
            (PKG, "task_annotations"): {
                "*": {"soft_time_limit": 10},
                "pkg.tasks.special": {"time_limit": 99, "soft_time_limit": 5},
            },
            (PKG, "task_time_limit"): None,
        },
        options={
            (PKG, "pkg.tasks.fetch", "time_limit"): 30,
            (PKG, "pkg.tasks.fetch", "max_retries"): None,
            (PKG, "pkg.tasks.fetch", "autoretry_for"): [
                "builtins.ConnectionError",
                "builtins.TimeoutError",
            ],
            (PKG, "pkg.tasks.fetch", "retry_backoff"): True,
            (PKG, "pkg.tasks.fetch", "soft_time_limit"): 10,
            (PKG, "pkg.tasks.upload", "time_limit"): 45,
            (PKG, "pkg.tasks.upload", "max_retries"): 2,
            (PKG, "pkg.tasks.upload", "acks_late"): True,
            (PKG, "pkg.tasks.upload", "autoretry_for"): [
                "builtins.ConnectionError",
                "builtins.TimeoutError",
            ],
            # The task's own annotation is applied first, then '*' over it.
            (PKG, "pkg.tasks.special", "time_limit"): 99,
            (PKG, "pkg.tasks.special", "soft_time_limit"): 10,
            # Annotations beat decorator keywords too.
            (PKG, "pkg.tasks.slow", "soft_time_limit"): 10,
            (PKG, "pkg.tasks.aliased", "ignore_result"): True,
            (PKG, "pkg.tasks.aliased", "rate_limit"): "1/s",
            (PKG, "x.y", "serializer"): "pickle",
            (PKG, "x.y", "max_retries"): 7,
            (PKG, "x.y", "soft_time_limit"): 10,
        },
    ),
    Case(
        name="multi_service",
        tasks={WEB: frozenset(), WRK: frozenset({"worker.tasks.process_order"})},
        settings={
            (WEB, "broker_url"): "amqp://guest:guest@rabbitmq:5672//",
            (WEB, "task_serializer"): "pickle",
            (WEB, "accept_content"): ["pickle", "json"],
            (WEB, "task_ignore_result"): True,
            (WRK, "broker_url"): "amqp://guest:guest@rabbitmq:5672//",
            (WRK, "result_backend"): "redis://redis:6379/0",
            (WRK, "task_serializer"): "json",
            (WRK, "accept_content"): ["json"],
            (WRK, "result_expires"): 600,
            (WRK, "worker_prefetch_multiplier"): 1,
        },
        options={
            (WRK, "worker.tasks.process_order", "acks_late"): True,
            (WRK, "worker.tasks.process_order", "time_limit"): 120,
            (WRK, "worker.tasks.process_order", "serializer"): "json",
            (WRK, "worker.tasks.process_order", "ignore_result"): False,
        },
        origins={
            (WEB, "task_serializer"): ("web/celery_app.py", "app.conf.task_serializer ="),
            (WRK, "broker_url"): ("worker/celery_app.py", "broker="),
        },
    ),
    Case(
        name="env_settings",
        tasks={ENV: frozenset({"envapp.tasks.poll", "envapp.tasks.store"})},
        settings={
            # What the probe's clean environment yields; statically unknown.
            (ENV, "broker_url"): "redis://localhost:6379/0",
            (ENV, "result_backend"): "redis://localhost:6379/7",
            (ENV, "task_default_queue"): None,
            (ENV, "worker_prefetch_multiplier"): 4,
            (ENV, "task_acks_late"): False,
            # Literals beside them stay known.
            (ENV, "task_time_limit"): 300,
            (ENV, "task_serializer"): "json",
            (ENV, "accept_content"): ["json"],
        },
        options={
            (ENV, "envapp.tasks.poll", "time_limit"): 30,
            (ENV, "envapp.tasks.poll", "acks_late"): False,
            (ENV, "envapp.tasks.store", "acks_late"): True,
            (ENV, "envapp.tasks.store", "time_limit"): 300,
        },
        unknown_settings=frozenset(
            {
                (ENV, "broker_url"),
                (ENV, "result_backend"),
                (ENV, "task_default_queue"),
                (ENV, "worker_prefetch_multiplier"),
                (ENV, "task_acks_late"),
            }
        ),
        unknown_options=frozenset(
            {
                ("envapp.tasks.poll", "time_limit"),
                # Falls back to task_acks_late, which is unknown.
                ("envapp.tasks.poll", "acks_late"),
            }
        ),
        origins={(ENV, "task_time_limit"): ("envapp/config.py", "task_time_limit =")},
    ),
    Case(
        name="config_shapes",
        tasks={
            DCT: frozenset({"shapes.dict_tasks.tally"}),
            MRO: frozenset(),
            UNP: frozenset(),
            MRG: frozenset(),
            SDF: frozenset(),
        },
        settings={
            # config_from_object({**EXTRA, ...}): later entries win.
            (DCT, "task_time_limit"): 77,
            (DCT, "task_default_queue"): "dicts",
            (DCT, "accept_content"): ["json", "msgpack"],
            (DCT, "broker_url"): "redis://localhost:6379/8",
            # class Production(TimeoutsMixin, Staging(Base)): the MRO decides.
            (MRO, "task_time_limit"): 200,
            (MRO, "task_soft_time_limit"): 150,
            (MRO, "worker_prefetch_multiplier"): 3,
            (MRO, "task_default_queue"): "staging",
            (MRO, "broker_url"): "redis://localhost:6379/9",
            (MRO, "result_backend"): "redis://localhost:6379/10",
            (MRO, "result_expires"): 600,
            # Celery(**SETTINGS) and conf.update(...) beat the class; None is skipped.
            (UNP, "broker_url"): "redis://localhost:6379/11",
            (UNP, "result_backend"): "redis://localhost:6379/12",
            (UNP, "task_acks_late"): True,
            (UNP, "task_time_limit"): 33,
            (UNP, "worker_prefetch_multiplier"): 6,
            # {**BaseConfig.CELERY, ...} in a subclass.
            (MRG, "task_time_limit"): 120,
            (MRG, "task_serializer"): "json",
            (MRG, "task_acks_late"): True,
            (MRG, "broker_url"): "redis://localhost:6379/13",
            # setdefault before finalisation: a pending change, over the class...
            (SDF, "task_time_limit"): 5,
            (SDF, "result_expires"): 60,
            # ...but not over an earlier change.
            (SDF, "task_acks_late"): True,
            # A setdefault in a function may run after finalisation: unknown.
            (SDF, "task_soft_time_limit"): 50,
        },
        unknown_settings=frozenset(
            {
                (MRO, "result_backend"),
                (MRO, "result_expires"),
                (SDF, "task_soft_time_limit"),
            }
        ),
        origins={
            (DCT, "task_time_limit"): ("shapes/dictcfg.py", "'task_time_limit': 77"),
            (DCT, "task_default_queue"): ("shapes/dictcfg.py", "EXTRA ="),
            (MRO, "task_time_limit"): ("shapes/classes.py", "task_time_limit = 200"),
            (MRO, "task_default_queue"): ("shapes/classes.py", "task_default_queue ="),
            (UNP, "broker_url"): ("shapes/unpacked.py", "'broker_url':"),
            (UNP, "worker_prefetch_multiplier"): ("shapes/unpacked.py", "EVEN_MORE ="),
            (MRG, "task_serializer"): ("shapes/merged.py", "'task_serializer': 'json'"),
            (MRG, "task_time_limit"): ("shapes/merged.py", "'task_time_limit': 120"),
            (SDF, "task_time_limit"): ("shapes/defaults.py", "setdefault('task_time_limit'"),
        },
    ),
    Case(
        name="monorepo",
        tasks={
            ALPHA: frozenset({"alpha.tasks.ping_alpha"}),
            BETA: frozenset({"beta.tasks.ping_beta"}),
        },
        settings={
            # Each project's app reads its own settings, not its neighbour's.
            (ALPHA, "task_time_limit"): 30,
            (ALPHA, "task_serializer"): "json",
            (ALPHA, "accept_content"): ["json"],
            (ALPHA, "broker_url"): "redis://localhost:6379/0",
            (BETA, "task_time_limit"): 90,
            (BETA, "task_serializer"): "pickle",
            (BETA, "accept_content"): ["pickle"],
            (BETA, "broker_url"): "redis://localhost:6379/0",
        },
        origins={
            (ALPHA, "task_time_limit"): ("svc_a/alpha/settings.py", "CELERY_TASK_TIME_LIMIT"),
            (BETA, "task_time_limit"): ("svc_b/beta/settings.py", "CELERY_TASK_TIME_LIMIT"),
        },
    ),
    Case(
        name="deployed_settings",
        tasks={DEPL: frozenset({"depl.tasks.rebuild_index"})},
        settings={
            # DJANGO_SETTINGS_MODULE from the Dockerfile's ENV and the compose file.
            (DEPL, "task_time_limit"): 600,
            (DEPL, "broker_url"): "redis://redis.internal:6379/0",
            (DEPL, "worker_prefetch_multiplier"): 1,
        },
        origins={
            (DEPL, "task_time_limit"): ("depl/settings/production.py", "CELERY_TASK_TIME_LIMIT"),
        },
    ),
    Case(
        name="manage_script_settings",
        tasks={TRK: frozenset({"trk.things.tasks.ping"})},
        settings={
            # manage.py's bare "settings" is trk/settings.py (run as a script), the
            # module the app's own default names: the candidates agree.
            (TRK, "task_time_limit"): 90,
            (TRK, "broker_url"): "redis://localhost:6379/3",
            (TRK, "accept_content"): ["json"],
        },
        origins={(TRK, "task_time_limit"): ("trk/settings.py", "CELERY_TASK_TIME_LIMIT")},
    ),
    Case(
        name="computed_settings",
        tasks={KOBO: frozenset({"kobo.things.tasks.sync_media"})},
        settings={
            # The settings module is `f"{PROJECT_NAME}.settings"`, the name that of the
            # app module's directory (kpi); a leftover wsgi.py names a missing module.
            (KOBO, "task_time_limit"): 82800,
            (KOBO, "broker_url"): "redis://localhost:6379/4",
            (KOBO, "accept_content"): ["json"],
        },
        origins={(KOBO, "task_time_limit"): ("kobo/settings.py", "CELERY_TASK_TIME_LIMIT")},
    ),
    Case(
        name="settings_class",
        tasks={RTD: frozenset({"rtd.builds.tasks.update_docs"})},
        settings={
            # readthedocs' `DockerBaseSettings.load_settings(__name__)` copies the class's
            # upper-case members into the module, over its own names; its base class's too.
            (RTD, "broker_url"): "redis://cache:6379/2",
            (RTD, "task_time_limit"): 3600,
            (RTD, "task_acks_late"): True,
            (RTD, "task_default_queue"): "celery",
            (RTD, "task_always_eager"): False,
            (RTD, "task_serializer"): "json",
            # Bound after the export: the module's own value wins.
            (RTD, "worker_prefetch_multiplier"): 4,
            (RTD, "result_backend"): "redis://localhost:6379/1",
        },
        options={
            (RTD, "rtd.builds.tasks.update_docs", "time_limit"): 120,
            (RTD, "rtd.builds.tasks.update_docs", "acks_late"): True,
            (RTD, "rtd.builds.tasks.update_docs", "ignore_result"): True,
        },
        # A property is computed when the settings are loaded.
        unknown_settings=frozenset({(RTD, "result_backend")}),
        origins={
            (RTD, "task_default_queue"): ("rtd/settings/base.py", "CELERY_TASK_DEFAULT_QUEUE"),
            (RTD, "broker_url"): ("rtd/settings/docker.py", "CELERY_BROKER_URL"),
        },
    ),
    Case(
        name="flask_config",
        tasks={FLK: frozenset({"web.app.send_email"}), FLF: frozenset()},
        settings={
            # conf.update(app.config): the Flask config's Celery names, old ones included.
            (FLK, "result_backend"): "redis://localhost:6379/2",
            (FLK, "task_time_limit"): 120,
            (FLK, "broker_url"): "redis://localhost:6379/0",
            (FLK, "worker_prefetch_multiplier"): 1,
            (FLK, "task_serializer"): "json",
            # CELERY_TASK_ACKS_LATE is neither a new nor an old name: ignored.
            (FLK, "task_acks_late"): False,
            # config_from_object(flask_app.config, namespace='CELERY'), via a config class.
            (FLF, "broker_url"): "redis://localhost:6379/5",
            (FLF, "task_time_limit"): 300,
            (FLF, "result_expires"): 600,
            (FLF, "task_default_queue"): "web",
        },
        origins={
            (FLK, "result_backend"): ("web/settings.py", "CELERY_RESULT_BACKEND ="),
            (FLK, "worker_prefetch_multiplier"): ("web/app.py", "CELERYD_PREFETCH_MULTIPLIER"),
            (FLF, "task_time_limit"): ("web/factory.py", "CELERY_TASK_TIME_LIMIT = 300"),
        },
    ),
    Case(
        name="flask_factory",
        tasks={
            FFW: frozenset(),
            FFD: frozenset(),
            FFE: frozenset(),
            FFC: frozenset(),
            FFG: frozenset(),
            FFM: frozenset(),
            FFS: frozenset(),
        },
        settings={
            # make_celery(app), app = create_app('production'): config['production'].
            (FFW, "task_time_limit"): 600,
            (FFW, "result_expires"): 900,
            (FFW, "worker_prefetch_multiplier"): 8,
            (FFW, "task_default_queue"): "fac",
            (FFW, "broker_url"): "redis://localhost:6379/3",
            # make_celery(create_app()): the default argument picks DevConfig.
            (FFD, "task_time_limit"): 30,
            (FFD, "worker_prefetch_multiplier"): 4,
            (FFD, "task_default_queue"): "fac",
            # create_app(os.environ['FLASK_CONFIG']): what every class agrees on.
            (FFE, "broker_url"): "redis://localhost:6379/3",
            (FFE, "task_default_queue"): "fac",
            # make_app(ProdConfig): the config class given, then conf.update(app.config).
            (FFC, "worker_prefetch_multiplier"): 8,
            (FFC, "result_backend"): "redis://localhost:6379/4",
            # Celery's Flask guide: config_from_object(app.config['CELERY']).
            (FFG, "broker_url"): "redis://localhost:6379/7",
            (FFG, "task_ignore_result"): True,
            (FFG, "task_time_limit"): 45,
            # The guide split: flask_app.extensions['celery'], stored by celery_init_app.
            (FFM, "broker_url"): "redis://localhost:6379/8",
            (FFM, "task_ignore_result"): True,
            (FFM, "task_time_limit"): 75,
            # make_celery(flask_app) from another module, the app create_app('production').
            (FFS, "broker_url"): "redis://localhost:6379/3",
            (FFS, "task_time_limit"): 120,
            (FFS, "task_default_queue"): "split",
            (FFS, "result_expires"): 90,
        },
        unknown_settings=frozenset(
            {
                (FFE, "task_time_limit"),
                (FFE, "result_expires"),
                (FFE, "worker_prefetch_multiplier"),
            }
        ),
        origins={
            (FFW, "task_time_limit"): ("fac/config.py", "CELERY_TASK_TIME_LIMIT = 600"),
            (FFD, "task_time_limit"): ("fac/config.py", "CELERY_TASK_TIME_LIMIT = 30"),
            (FFE, "task_default_queue"): ("fac/factory.py", "CELERY_TASK_DEFAULT_QUEUE"),
            (FFG, "task_time_limit"): ("fac/guide.py", "task_time_limit=45"),
            (FFM, "task_time_limit"): ("fac/guide_app.py", "task_time_limit=75"),
            (FFS, "task_time_limit"): ("fac/celery_utils.py", "task_time_limit=120"),
            (FFS, "result_expires"): ("fac/split_worker.py", "result_expires = 90"),
        },
    ),
    Case(
        name="script_services",
        # Two script directories (no __init__.py), each run from its own directory:
        # worker.py's bare `from tasks import app` is the tasks.py next to it.
        tasks={SCA: frozenset({"alpha.add"}), SCB: frozenset({"beta.add"})},
        settings={
            (SCA, "task_time_limit"): 30,
            (SCA, "task_default_queue"): "alpha",
            (SCB, "task_time_limit"): 90,
            (SCB, "task_default_queue"): "beta",
        },
        origins={
            (SCA, "task_time_limit"): ("svc_a/worker.py", "task_time_limit"),
            (SCB, "task_time_limit"): ("svc_b/worker.py", "task_time_limit"),
        },
    ),
]
# Task shapes: decorators built ahead of use, project decorators, stacked
# decorators, and task classes with mixins in either order (C3 MRO).
_EXTERNAL = "shapes.external_after_mixin"
CASES.append(
    Case(
        name="task_shapes",
        tasks={
            SHP: frozenset(
                {
                    "shapes.tasks.fetch",
                    "shapes.tasks.store",
                    "shapes.tasks.notify",
                    "shapes.tasks.report",
                    "shapes.tasks.audit",
                    "shapes.tasks.stacked",
                    "shapes.tasks.mixed",
                    "shapes.mixin_first",
                    "shapes.task_first",
                    _EXTERNAL,
                }
            )
        },
        settings={(SHP, "task_time_limit"): 300},
        options={
            # retrying = shared_task(...): the factory's options.
            (SHP, "shapes.tasks.fetch", "max_retries"): None,
            (SHP, "shapes.tasks.fetch", "autoretry_for"): ["builtins.OSError"],
            (SHP, "shapes.tasks.fetch", "retry_backoff"): True,
            # limited = app.task(...)
            (SHP, "shapes.tasks.store", "time_limit"): 30,
            (SHP, "shapes.tasks.store", "acks_late"): True,
            # partial(shared_task, ...)(rate_limit=...): the use site wins.
            (SHP, "shapes.tasks.notify", "rate_limit"): "5/s",
            (SHP, "shapes.tasks.notify", "acks_late"): True,
            # def job(**options): return shared_task(ignore_result=True, **options)
            (SHP, "shapes.tasks.report", "ignore_result"): True,
            (SHP, "shapes.tasks.report", "time_limit"): 12,
            # def strict(func): return app.task(...)(func)
            (SHP, "shapes.tasks.audit", "typing"): False,
            (SHP, "shapes.tasks.audit", "max_retries"): 1,
            (SHP, "shapes.tasks.stacked", "soft_time_limit"): 9,
            (SHP, "shapes.tasks.mixed", "max_retries"): 10,
            (SHP, "shapes.tasks.mixed", "time_limit"): 20,
            # class T(Mixin, Task): the mixin's attributes first.
            (SHP, "shapes.mixin_first", "max_retries"): 10,
            (SHP, "shapes.mixin_first", "time_limit"): 20,
            (SHP, "shapes.mixin_first", "autoretry_for"): ["builtins.ConnectionError"],
            # class T(Task, Mixin): Task's own attributes first, the mixin's others.
            (SHP, "shapes.task_first", "max_retries"): 3,
            (SHP, "shapes.task_first", "time_limit"): 300,
            (SHP, "shapes.task_first", "autoretry_for"): ["builtins.ConnectionError"],
            # A project mixin before an outside base: what it sets is known.
            (SHP, _EXTERNAL, "max_retries"): 10,
            (SHP, _EXTERNAL, "time_limit"): 20,
            (SHP, _EXTERNAL, "autoretry_for"): ["builtins.ConnectionError"],
            (SHP, _EXTERNAL, "serializer"): "json",
        },
        unknown_options=frozenset(
            (_EXTERNAL, option)
            for option in (
                "acks_late",
                "ignore_result",
                "rate_limit",
                "retry_backoff",
                "serializer",
                "soft_time_limit",
                "typing",
            )
        ),
    )
)
# The checkout's root holds an `__init__.py`, but the worker runs from the root: the
# modules are `main.celery` and `orders.tasks`, whatever the checkout is called.
CASES.append(
    Case(
        name="root_package",
        tasks={RPK: frozenset({"orders.tasks.ship"})},
        settings={(RPK, "task_time_limit"): 120},
        options={(RPK, "orders.tasks.ship", "time_limit"): 30},
    )
)
# An app made in either branch of an `if` (papermerge): one app; the broker, given in
# one branch only, is unknown, the rest is known.
CASES.append(
    Case(
        name="branch_app",
        tasks={BRA: frozenset({"proj.tasks.resize"})},
        settings={
            (BRA, "task_time_limit"): 90,
            (BRA, "result_expires"): 600,
            (BRA, "task_acks_late"): True,
        },
        options={(BRA, "proj.tasks.resize", "max_retries"): 4},
        unknown_settings=frozenset({(BRA, "broker_url")}),
    )
)
# `app.config["KEY"]` of a Flask config the module fills, and a module dict's item; by
# `.get`, the default where the key is not set.
CASES.append(
    Case(
        name="flask_items",
        tasks={ITM: frozenset({"web.app.resize"})},
        settings={
            (ITM, "broker_url"): "redis://localhost:6379/3",
            (ITM, "result_backend"): "redis://localhost:6379/4",
            (ITM, "task_acks_late"): True,
            (ITM, "result_expires"): 900,
            (ITM, "task_time_limit"): 600,
            (ITM, "task_soft_time_limit"): 300,
            (ITM, "worker_prefetch_multiplier"): 2,
        },
        origins={(ITM, "broker_url"): ("web/app.py", "broker=app.config")},
    )
)
# Module-level apps configured inside Flask factories (superset's shape): a factory
# that the worker's -A module, or a module it imports, calls at import configures the
# app with what its body certainly runs, as if written at the call.
CASES.append(
    Case(
        name="flask_extension",
        tasks={FXC: frozenset({"ext.tasks.prune"}), FXJ: frozenset(), FXO: frozenset()},
        settings={
            # config_from_object(app.config["CELERY_CONFIG"]): the CeleryConfig class.
            (FXC, "broker_url"): "redis://redis:6379/0",
            (FXC, "result_backend"): "redis://redis:6379/1",
            (FXC, "task_time_limit"): 120,
            (FXC, "task_soft_time_limit"): 100,
            (FXC, "worker_prefetch_multiplier"): 4,
            # The factory's write beats the worker module's before the call ...
            (FXC, "task_acks_late"): True,
            # ... and the worker module's after it beats the factory's.
            (FXC, "task_default_queue"): "from-worker",
            # In a branch, and after a branch that may return: not known statically.
            (FXC, "task_always_eager"): False,
            (FXC, "result_expires"): 600,
            # Called by a module the -A module imports, its Flask app kept in a name.
            (FXJ, "broker_url"): "redis://redis:6379/5",
            (FXJ, "task_time_limit"): 33,
            # Only the web process calls create_web_app(): its worker has no limit.
            (FXO, "task_time_limit"): None,
        },
        unknown_settings=frozenset(
            {(FXC, "task_always_eager"), (FXC, "result_expires"), (FXO, "task_time_limit")}
        ),
        origins={
            (FXC, "task_time_limit"): ("ext/config.py", "task_time_limit = 120"),
            (FXC, "task_acks_late"): ("ext/app.py", "task_acks_late = True"),
            (FXC, "task_default_queue"): ("ext/worker.py", "'from-worker'"),
            (FXJ, "task_time_limit"): ("ext/jobs_factory.py", "'task_time_limit': 33"),
        },
    )
)
# dify's shape: `celery = cast("Celery", app.extensions["celery"])` in the `else` of a
# module-level `if` (the worker runs it), the Flask app a subclass made by a helper, and
# the Celery factory called in a loop over extensions imported inside another helper.
CASES.append(
    Case(
        name="flask_extensions",
        tasks={DIF: frozenset({"tasks.mail_task.send_mail"})},
        settings={
            (DIF, "broker_url"): "redis://localhost:6379/9",
            (DIF, "task_time_limit"): 240,
            (DIF, "task_ignore_result"): True,
            (DIF, "result_expires"): 600,
        },
        options={
            (DIF, "tasks.mail_task.send_mail", "time_limit"): 240,
            (DIF, "tasks.mail_task.send_mail", "max_retries"): 5,
        },
        origins={(DIF, "task_time_limit"): ("extensions/ext_celery.py", "task_time_limit=240")},
    )
)
# No config_from_object and no process naming a module: Celery's defaults under the
# app.conf changes (the named-module cases: `test_a_named_configuration_module_...`).
CMD = "proj.tasks:app"
CASES.append(
    Case(
        name="config_module",
        tasks={CMD: frozenset({"proj.tasks.fetch"})},
        settings={(CMD, "task_time_limit"): None, (CMD, "task_acks_late"): True},
        options={(CMD, "proj.tasks.fetch", "acks_late"): True},
        origins={(CMD, "task_acks_late"): ("proj/tasks.py", "task_acks_late=True")},
    )
)
# app.add_defaults({...}) (mozilla/remo): each dict is read after the app.conf changes
# and before the configuration source, the last call's first; other keys are untouched.
ADD = "extra.celery:app"
ADN = "extra.namespaced:app"
CASES.append(
    Case(
        name="added_defaults",
        tasks={ADD: frozenset({"extra.tasks.resize"}), ADN: frozenset()},
        settings={
            # Two calls: the second (after config_from_object) beats the first ...
            (ADD, "task_time_limit"): 6,
            # ... which still beats the module where the second is silent.
            (ADD, "worker_prefetch_multiplier"): 2,
            # An app.conf assignment beats both; keys no dict gives come from the module.
            (ADD, "result_expires"): 120,
            (ADD, "task_soft_time_limit"): 50,
            (ADD, "task_acks_late"): True,
            # Under a namespace: the namespaced key, the new name and the old name.
            (ADN, "task_soft_time_limit"): 11,
            (ADN, "task_acks_late"): True,
            (ADN, "task_time_limit"): 12,
        },
        origins={
            (ADD, "task_time_limit"): ("extra/celery.py", '"task_time_limit": 6'),
            (ADD, "worker_prefetch_multiplier"): ("extra/celery.py", '"task_time_limit": 5'),
            (ADD, "result_expires"): ("extra/celery.py", "result_expires = 120"),
            (ADD, "task_soft_time_limit"): ("extra/celeryconfig.py", "task_soft_time_limit"),
            (ADN, "task_time_limit"): ("extra/namespaced.py", "CELERYD_TASK_TIME_LIMIT"),
        },
    )
)
CASE_IDS = [case.name for case in CASES]


# --- running the probe ----------------------------------------------------------


def run_probe(
    fixture: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROBE), str(fixture)],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT,
        env=probe_environment(extra_env),
        cwd=tempfile.gettempdir(),
        check=False,
    )


@functools.cache
def probe(name: str) -> dict[str, Any]:
    proc = run_probe(FIXTURES / name)
    if proc.returncode != 0:
        pytest.fail(f"probe failed for {name} (exit {proc.returncode}):\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def probe_spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((FIXTURES / name / "probe.json").read_text("utf-8"))
    return spec


# --- comparing --------------------------------------------------------------------


def plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def same(static: Any, real: Any) -> bool:
    """JSON equality, except that True is not 1 and 3600 is 3600.0."""
    if isinstance(static, bool) or isinstance(real, bool):
        return type(static) is type(real) and static == real
    if isinstance(static, (int, float)) and isinstance(real, (int, float)):
        return float(static) == float(real)
    if isinstance(static, list) and isinstance(real, list):
        return len(static) == len(real) and all(map(same, static, real))
    if isinstance(static, dict) and isinstance(real, dict):
        return static.keys() == real.keys() and all(same(static[k], real[k]) for k in real)
    return bool(static == real)


def origin_of(case: Case, path: str, marker: str) -> str:
    lines = (FIXTURES / case.name / path).read_text("utf-8").splitlines()
    hits = [n for n, line in enumerate(lines, start=1) if marker in line]
    assert len(hits) == 1, f"{case.name}/{path}: marker {marker!r} on lines {hits}"
    return f"{path}:{hits[0]}"


def compare_settings(case: Case, real: dict[str, Any], view: dict[str, Any]) -> Iterator[str]:
    for app, real_app in real.items():
        static_settings = view["apps"].get(app, {}).get("settings", {})
        for name in SETTINGS:
            key = (app, name)
            entry = static_settings.get(name)
            celery_value = real_app["settings"][name]
            if entry is None:
                yield f"{app} {name}: not in the static view (Celery: {celery_value!r})"
            elif not entry["known"]:
                if key not in case.unknown_settings:
                    yield f"{app} {name}: static says unknown, Celery says {celery_value!r}"
            elif key in case.unknown_settings:
                yield f"{app} {name}: must be unknown, static says known {entry['value']!r}"
            elif not same(plain(entry["value"]), celery_value):
                yield (
                    f"{app} {name}: static {entry['value']!r} (from {entry.get('origin')}),"
                    f" Celery {celery_value!r}"
                )
        for (origin_app, name), (path, marker) in case.origins.items():
            if origin_app != app or name not in static_settings:
                continue
            want = origin_of(case, path, marker)
            got = static_settings[name].get("origin")
            if got != want:
                yield f"{app} {name}: origin {got!r}, expected {want!r}"


def compare_tasks(case: Case, real: dict[str, Any], view: dict[str, Any]) -> Iterator[str]:
    static_tasks: dict[str, Any] = view["tasks"]
    for name, task in static_tasks.items():
        if not task["apps"]:
            yield f"task {name}: static view binds it to no app"
    for app, real_app in real.items():
        static_names = {n for n, t in static_tasks.items() if app in t["apps"]}
        real_names = set(real_app["tasks"])
        if static_names != real_names:
            yield (
                f"{app} tasks: static only {sorted(static_names - real_names)},"
                f" Celery only {sorted(real_names - static_names)}"
            )
        for name in sorted(static_names & real_names):
            static_options = static_tasks[name]["options"]
            real_options = real_app["tasks"][name]
            for option in TASK_OPTIONS:
                entry = static_options.get(option)
                where = f"{app} task {name} {option}"
                if entry is None:
                    yield f"{where}: not in the static view (Celery: {real_options[option]!r})"
                elif not entry["known"]:
                    if (name, option) not in case.unknown_options:
                        yield f"{where}: static says unknown, Celery says {real_options[option]!r}"
                elif (name, option) in case.unknown_options:
                    yield f"{where}: must be unknown, static says known {entry['value']!r}"
                elif not same(plain(entry["value"]), real_options[option]):
                    yield f"{where}: static {entry['value']!r}, Celery {real_options[option]!r}"


def must_know_gaps(case: Case, view: dict[str, Any]) -> Iterator[str]:
    for app, name in case.must_know_settings():
        entry = view["apps"].get(app, {}).get("settings", {}).get(name)
        if not (entry and entry["known"]):
            yield f"{app} {name}: the fixture exists to resolve this, static view has {entry!r}"
    for task, option in case.must_know_options():
        entry = view["tasks"].get(task, {}).get("options", {}).get(option)
        if not (entry and entry["known"]):
            yield f"task {task} {option}: the fixture exists to resolve this, static has {entry!r}"


# --- tests ---------------------------------------------------------------------------


def test_every_fixture_has_a_case() -> None:
    on_disk = sorted(p.name for p in FIXTURES.iterdir() if (p / "probe.json").is_file())
    assert on_disk == sorted(CASE_IDS)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_probe_reports_every_setting_and_option(case: Case) -> None:
    real = probe(case.name)
    assert list(real) == probe_spec(case.name)["apps"]
    for app, data in real.items():
        assert set(data) == {"settings", "tasks"}
        assert sorted(data["settings"]) == sorted(SETTINGS), app
        for name, options in data["tasks"].items():
            assert sorted(options) == sorted(TASK_OPTIONS), f"{app} {name}"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_probe_shows_the_celery_behaviour_the_fixture_pins(case: Case) -> None:
    real = probe(case.name)
    assert {app: set(data["tasks"]) for app, data in real.items()} == dict(case.tasks)
    wrong = [
        f"{app} {name}: Celery {real[app]['settings'][name]!r}, fixture expects {want!r}"
        for (app, name), want in case.settings.items()
        if not same(real[app]["settings"][name], want)
    ] + [
        f"{app} {task} {option}: Celery {real[app]['tasks'][task][option]!r}, expects {want!r}"
        for (app, task, option), want in case.options.items()
        if not same(real[app]["tasks"][task][option], want)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_fixture_origin_markers_are_unambiguous(case: Case) -> None:
    for path, marker in case.origins.values():
        origin_of(case, path, marker)


def test_probe_fails_loudly_on_a_broken_fixture(tmp_path: Path) -> None:
    (tmp_path / "probe.json").write_text(json.dumps({"apps": ["boom:app"]}), "utf-8")
    (tmp_path / "boom.py").write_text("raise RuntimeError('fixture exploded')\n", "utf-8")
    proc = run_probe(tmp_path)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    assert "fixture exploded" in proc.stderr
    assert proc.stdout == ""


def test_probe_ignores_the_callers_celery_environment(tmp_path: Path) -> None:
    (tmp_path / "probe.json").write_text(json.dumps({"apps": ["mini:app"]}), "utf-8")
    (tmp_path / "mini.py").write_text(
        "from celery import Celery\napp = Celery('mini', broker='redis://fixture')\n", "utf-8"
    )
    leaked = {"CELERY_BROKER_URL": "redis://leaked", "DJANGO_SETTINGS_MODULE": "nowhere"}
    proc = run_probe(tmp_path, leaked)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["mini:app"]["settings"]["broker_url"] == "redis://fixture"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_static_view_matches_celery(case: Case) -> None:
    # Imported here so that the probe tests above still run while the
    # engine is missing or broken; this test then fails, it is not skipped.
    from celerylint.api import describe

    real = probe(case.name)
    view = describe(FIXTURES / case.name)

    gaps = list(must_know_gaps(case, view))
    assert not gaps, f"{case.name}: not resolved statically:\n  " + "\n  ".join(gaps)

    assert sorted(view["apps"]) == sorted(real), f"{case.name}: apps differ"
    problems = [*compare_settings(case, real, view), *compare_tasks(case, real, view)]
    assert not problems, f"{case.name}: static view disagrees with Celery:\n  " + "\n  ".join(
        problems
    )


# --- settings as each deployed service resolves them ---------------------------------

SERVICES_COMPOSE = """\
services:
  web:
    build: .
    command: gunicorn envapp.wsgi
    environment:
      ENVAPP_RESULT_BACKEND: redis://results:6379/1
  worker:
    build: .
    command: ["celery", "-A", "envapp", "worker"]
    environment:
      - ENVAPP_BROKER_URL=redis://broker:6379/3
      - ENVAPP_RESULT_BACKEND=redis://results:6379/2
      - ENVAPP_PREFETCH=1
      - ENVAPP_QUEUE=jobs
"""
SERVICE_SETTINGS = (
    "broker_url",
    "result_backend",
    "task_default_queue",
    "worker_prefetch_multiplier",
    "task_serializer",
)


def test_each_deployed_service_resolves_settings_as_celery_does(tmp_path: Path) -> None:
    """env_settings deployed by compose: each service's settings, resolved statically with
    its environment, equal what real Celery loads with that environment."""
    import shutil

    from celerylint.api import check
    from celerylint.config import load_config

    root = tmp_path / "env_settings"
    shutil.copytree(FIXTURES / "env_settings", root)
    (root / "docker-compose.yml").write_text(SERVICES_COMPOSE, "utf-8")
    config = load_config(None, root).with_overrides(root=root)
    project = check([root], config, selected=lambda code: False, use_cache=False).project
    assert project is not None
    resolved = {}
    for service in project.services:
        app = project.service_app(service)
        assert app is not None and app.id == ENV, service.name
        deployed = project.as_deployed(app, service)
        environment = {k: v for k, v in service.environment.items() if v is not None}
        spec = {**probe_spec("env_settings"), "env": environment}
        (root / "probe.json").write_text(json.dumps(spec), "utf-8")
        proc = run_probe(root)
        assert proc.returncode == 0, proc.stderr
        real = json.loads(proc.stdout)[ENV]["settings"]
        for name in SERVICE_SETTINGS:
            setting = deployed.setting(name)
            assert setting.known, (service.name, name, setting.value.reason)
            assert same(setting.value.value, real[name]), (service.name, name)
            resolved[(service.name, name)] = setting.value.value
    assert resolved[("web", "broker_url")] == "redis://localhost:6379/0"  # the default
    assert resolved[("worker", "worker_prefetch_multiplier")] == 1


# --- the configuration module a process names ------------------------------------------

CONFIG_MODULE_COMPOSE = """\
services:
  web:
    build: .
    command: gunicorn proj.wsgi
  worker:
    build: .
    command: celery -A proj.tasks --config proj.prodconfig worker
  beat:
    build: .
    command: celery -A proj.tasks beat
    environment:
      CELERY_CONFIG_MODULE: proj.prodconfig
"""
CONFIG_MODULE_SETTINGS = ("broker_url", "task_time_limit", "task_acks_late")


def _config_module_project(tmp_path: Path, compose: str) -> Any:
    import shutil

    from celerylint.api import check
    from celerylint.config import load_config

    root = tmp_path / "config_module"
    shutil.copytree(FIXTURES / "config_module", root)
    (root / "docker-compose.yml").write_text(compose, "utf-8")
    config = load_config(None, root).with_overrides(root=root)
    project = check([root], config, selected=lambda code: False, use_cache=False).project
    assert project is not None
    return root, project


def test_a_named_configuration_module_is_read_as_celery_reads_it(tmp_path: Path) -> None:
    """An app that loads no configuration itself reads the module `--config` or
    CELERY_CONFIG_MODULE names, under its app.conf changes: each service's settings,
    resolved statically, equal what real Celery loads with that variable (the `celery`
    command's `--config` sets it: `test_the_config_option_names_the_module`)."""
    root, project = _config_module_project(tmp_path, CONFIG_MODULE_COMPOSE)
    named = {"web": None, "worker": "proj.prodconfig", "beat": "proj.prodconfig"}
    for service in project.services:
        app = project.service_app(service)
        assert app is not None, service.name
        deployed = project.as_deployed(app, service)
        module = named[service.name]
        spec = {
            **probe_spec("config_module"),
            "env": {"CELERY_CONFIG_MODULE": module} if module else {},
        }
        (root / "probe.json").write_text(json.dumps(spec), "utf-8")
        proc = run_probe(root)
        assert proc.returncode == 0, proc.stderr
        real = json.loads(proc.stdout)["proj.tasks:app"]["settings"]
        for name in CONFIG_MODULE_SETTINGS:
            setting = deployed.setting(name)
            assert setting.known, (service.name, name, setting.value.reason)
            assert same(setting.value.value, real[name]), (service.name, name, real[name])
    # The project's own view: the module every process naming one names.
    (app,) = project.apps
    assert app.setting("task_time_limit").value.value == 600
    assert "named by `worker`" in app.source.description


def test_processes_naming_different_modules_leave_the_settings_unknown(tmp_path: Path) -> None:
    compose = CONFIG_MODULE_COMPOSE.replace(
        "CELERY_CONFIG_MODULE: proj.prodconfig", "CELERY_CONFIG_MODULE: proj.devconfig"
    )
    _root, project = _config_module_project(tmp_path, compose)
    (app,) = project.apps
    assert not app.setting("task_time_limit").known
    beat = next(service for service in project.services if service.name == "beat")
    assert project.as_deployed(app, beat).setting("task_time_limit").value.value == 30


def test_the_config_option_names_the_module() -> None:
    """The premise: `celery --config X` makes the app read X (it sets CELERY_CONFIG_MODULE
    before loading the app), under app.conf changes."""
    fixture = FIXTURES / "config_module"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "proj.tasks",
            "--config",
            "proj.prodconfig",
            "report",
        ],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT,
        env=probe_environment({"PYTHONPATH": str(fixture)}),
        cwd=fixture,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "task_time_limit: 600" in proc.stdout
    assert "task_acks_late: True" in proc.stdout
