"""Failure alerts of the nightly Airflow DAG: one line per failed task, where the deployer says.

Every task of `contact_centre_nightly` has `on_failure_callback=cxmart.alerts.on_failure`. Airflow
calls it once when a task has failed for good (after its retries; a failed gate is never retried).
It logs the line and sends it to what the environment configures; nothing is sent otherwise:

- `CXMART_ALERT_WEBHOOK`: an incoming-webhook URL (Slack, Mattermost, Microsoft Teams workflows):
  the line is POSTed as JSON `{"text": ...}`;
- `CXMART_ALERT_EMAIL`: comma-separated addresses, sent through Airflow's SMTP provider with the
  connection `CXMART_ALERT_SMTP_CONN_ID` (default `smtp_default`).

A failing alert channel is logged and never fails the task a second time.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request

log = logging.getLogger(__name__)

ENV_WEBHOOK = "CXMART_ALERT_WEBHOOK"
ENV_EMAIL = "CXMART_ALERT_EMAIL"
ENV_SMTP_CONN = "CXMART_ALERT_SMTP_CONN_ID"
WEBHOOK_TIMEOUT_S = 10


def failure_line(context) -> str:
    """`cxmart contact_centre_nightly, night 2026-03-04: raw_gate failed: raw gate failed: ...`."""
    ti = context.get("ti") or context.get("task_instance")
    task_id = getattr(ti, "task_id", "?")
    if getattr(ti, "map_index", -1) not in (-1, None):
        task_id += f"[{ti.map_index}]"
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is not None and end is not None:
        from .night import Night

        when = f"night {Night.from_interval(start, end).key}"
    else:
        when = f"run {context.get('run_id', '?')}"
    dag_id = getattr(ti, "dag_id", None) or "cxmart"
    reason = " ".join(str(context.get("exception") or "no exception recorded").split())
    return f"cxmart {dag_id}, {when}: {task_id} failed: {reason}"


def on_failure(context) -> None:
    """The DAG's on_failure_callback."""
    line = failure_line(context)
    log.error("%s", line)
    webhook = os.environ.get(ENV_WEBHOOK, "").strip()
    if webhook:
        try:
            send_webhook(webhook, line)
        except Exception as exc:  # an alert channel must not fail the task again
            log.error("cxmart alert: webhook %s not reached: %s", webhook, exc)
    emails = [a.strip() for a in os.environ.get(ENV_EMAIL, "").split(",") if a.strip()]
    if emails:
        try:
            send_email(emails, line, context)
        except Exception as exc:
            log.error("cxmart alert: e-mail to %s not sent: %s", ", ".join(emails), exc)


def send_webhook(url: str, line: str) -> None:
    body = json.dumps({"text": line}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=WEBHOOK_TIMEOUT_S) as resp:
        resp.read()


def send_email(to: list[str], line: str, context) -> None:
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    subject = line if len(line) <= 150 else line[:147] + "..."
    SmtpNotifier(
        to=to,
        subject=subject,
        html_content=f"<p>{_html(line)}</p>",
        smtp_conn_id=os.environ.get(ENV_SMTP_CONN, "smtp_default"),
    ).notify(context)


def _html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
