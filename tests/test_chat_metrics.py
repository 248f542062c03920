"""Chat metrics in mart.metric_values through a real load and `dbt build`, on a hand-made
centre whose every expected value is worked out by hand from METRICS.md section 2."""

from __future__ import annotations

import pytest

from conftest import built_mart, csv_text, metric, write

# CQ1 (London, P1): T = 60 s, short abandons under 10 s. CQ2 (London, P2): T = 30 s, short
# abandons off. CQ3 (London, P3 of client C2) shows its button only while a CSS is free, so its
# chat abandonment is not measurable. London is on GMT (= UTC) in early March, so local days are
# UTC days.
D1, D2 = "2026-03-10", "2026-03-11"


def ts(day, hms):
    return f"{day}T{hms}+00:00" if hms else ""


SESSIONS = [
    # chat, queue, program, type, invited, requested, first human, replied, established,
    # ended, end reason, agent, wrap
    # k1: a bot replies at 10:00:05, the first human at 10:00:40 (wait 40 s, within T)
    ("k1", "CQ1", "P1", "reactive", None, (D1, "10:00:00"), None, (D1, "10:00:50"), "true",
     (D1, "10:05:00"), "agent_closed", "A1", 60),
    # k2: no message log; first human response at exactly T (60 s); in-session abandon
    ("k2", "CQ1", "P1", "reactive", None, (D1, "10:02:00"), (D1, "10:03:00"), (D1, "10:03:10"),
     "true", (D1, "10:10:00"), "customer_left", "A1", 30),
    # k3: answered after T (90 s)
    ("k3", "CQ1", "P1", "reactive", None, (D1, "10:20:00"), (D1, "10:21:30"), (D1, "10:22:00"),
     "true", (D1, "10:30:00"), "agent_closed", "A1", 0),
    # k4: left after 5 s: a short abandon
    ("k4", "CQ1", "P1", "reactive", None, (D1, "10:40:00"), None, None, "false",
     (D1, "10:40:05"), "customer_left", None, None),
    # k5: left after 120 s: an abandon
    ("k5", "CQ1", "P1", "reactive", None, (D1, "10:50:00"), None, None, "false",
     (D1, "10:52:00"), "customer_left", None, None),
    # k6: a declined proactive invitation: invited, never offered
    ("k6", "CQ1", "P1", "proactive", (D1, "11:00:00"), None, None, None, "false",
     None, None, None, None),
    # k7: an accepted invitation; the clock starts at acceptance (11:10:20), wait 30 s
    ("k7", "CQ1", "P1", "proactive", (D1, "11:10:00"), (D1, "11:10:20"), (D1, "11:10:50"),
     (D1, "11:11:00"), "true", (D1, "11:20:50"), "agent_closed", "A2", 10),
    # next day: k9 on CQ1 answered in 10 s; k8 on CQ2 abandoned, nobody answered on CQ2
    ("k9", "CQ1", "P1", "reactive", None, (D2, "12:00:00"), (D2, "12:00:10"), (D2, "12:00:20"),
     "true", (D2, "12:10:10"), "agent_closed", "A1", 0),
    ("k8", "CQ2", "P2", "reactive", None, (D2, "09:00:00"), None, None, "false",
     (D2, "09:01:00"), "customer_left", None, None),
    # k10 on CQ3 left after 60 s: offered and abandoned, but not measurable as abandonment
    ("k10", "CQ3", "P3", "reactive", None, (D2, "09:30:00"), None, None, "false",
     (D2, "09:31:00"), "customer_left", None, None),
]  # fmt: skip

MESSAGES = [
    ("k1", "customer", "10:00:00"),
    ("k1", "bot", "10:00:05"),
    ("k1", "agent", "10:00:40"),
    ("k1", "customer", "10:01:00"),
    ("k1", "agent", "10:01:30"),
    ("k1", "customer", "10:02:00"),
]


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    home = tmp_path_factory.mktemp("chat") / "home"
    landing = home / "landing"
    write(landing, "sites", "sites.csv", csv_text("sites", [
        {"site_id": "LON", "time_zone": "Europe/London"},
    ]))  # fmt: skip
    write(landing, "programs", "programs.csv", csv_text("programs", [
        {"program_id": "P1", "client_id": "C1"}, {"program_id": "P2", "client_id": "C1"},
        {"program_id": "P3", "client_id": "C2"},
    ]))  # fmt: skip
    write(landing, "queues", "queues.csv", csv_text("queues", [
        {"queue_id": "CQ1", "site_id": "LON", "program_id": "P1", "channel": "chat",
         "service_level_seconds": 60, "short_abandon_seconds": 10},
        {"queue_id": "CQ2", "site_id": "LON", "program_id": "P2", "channel": "chat",
         "service_level_seconds": 30, "short_abandon_seconds": 0},
        {"queue_id": "CQ3", "site_id": "LON", "program_id": "P3", "channel": "chat",
         "chat_button_only_when_free": "true"},
    ]))  # fmt: skip
    sessions = [
        {
            "chat_id": k, "site_id": "LON", "program_id": prog, "queue_id": q, "chat_type": kind,
            "invited_at": ts(*(inv or ("", ""))), "requested_at": ts(*(req or ("", ""))),
            "first_human_response_at": ts(*(fhr or ("", ""))),
            "customer_replied_at": ts(*(rep or ("", ""))), "established": est,
            "ended_at": ts(*(end or ("", ""))), "end_reason": reason or "",
            "agent_id": agent or "", "wrap_seconds": "" if wrap is None else wrap,
        }
        for k, q, prog, kind, inv, req, fhr, rep, est, end, reason, agent, wrap in SESSIONS
    ]  # fmt: skip
    write(landing, "chat_sessions", "sessions.csv", csv_text("chat_sessions", sessions))
    messages = [{"chat_id": k, "sender": s, "sent_at": ts(D1, t)} for k, s, t in MESSAGES]
    write(landing, "chat_messages", "messages.csv", csv_text("chat_messages", messages))
    yield from built_mart(home)


def test_queue_day_service_metrics(mart):
    # CQ1 on the 10th: offered k1 k2 k3 k4 k5 k7 (k6 declined) = 6; k4 short. Within T = 60 s:
    # k1 (40 s, the bot does not count), k2 (exactly 60 s), k7 (30 s from acceptance): 3 / 5.
    assert metric(mart, "chat_offered", "queue", "CQ1", "day", D1)[2] == 6
    assert metric(mart, "chat_short_abandoned", "queue", "CQ1", "day", D1)[2] == 1
    assert metric(mart, "chat_service_level", "queue", "CQ1", "day", D1)[:3] == (3, 5, 0.6)
    # ASA over the four responded chats: (40 + 60 + 90 + 30) / 4 = 55.
    assert metric(mart, "chat_asa", "queue", "CQ1", "day", D1)[:3] == (220, 4, 55)
    # No dialog: k4 and k5, over 6 offered.
    num, den, value, *_ = metric(mart, "chat_abandon_rate", "queue", "CQ1", "day", D1)
    assert (num, den) == (2, 6) and value == pytest.approx(1 / 3)
    # Established: k1 k2 k3 k7; k2 ended by the customer: 1 / 4.
    assert metric(mart, "chat_session_abandon_rate", "queue", "CQ1", "day", D1)[:3] == (1, 4, 0.25)
    # k1's pairs: 10:00:00 -> 10:00:40 (40 s), 10:01:00 -> 10:01:30 (30 s); the last customer
    # message has no CSS reply: 70 / 2.
    assert metric(mart, "chat_css_response_time", "queue", "CQ1", "day", D1)[:3] == (70, 2, 35)
    # Invitations k6 and k7, one accepted.
    assert metric(mart, "chat_proactive_acceptance_rate", "queue", "CQ1", "day", D1)[:3] == (1, 2, 0.5)


def test_act_and_concurrency(mart):
    # Handled (from first human response to end, plus wrap): k1 260 + 60, k2 420 + 30,
    # k3 510 + 0, k7 600 + 10 = 1890 over 4.
    assert metric(mart, "chat_act", "queue", "CQ1", "day", D1)[:3] == (1890, 4, 472.5)
    # A1: [10:00:40, 10:06:00] and [10:03:00, 10:10:30] overlap: 590 s; [10:21:30, 10:30:00]
    # is 510 s: union 1100 s for 320 + 450 + 510 = 1280 s of chat.
    num, den, value, *_ = metric(mart, "chat_concurrency", "agent", "A1", "day", D1)
    assert (num, den) == (1280, 1100) and value == pytest.approx(1280 / 1100)
    # The queue sums its CSSs' parts: A2's k7 adds 610 / 610.
    assert metric(mart, "chat_concurrency", "queue", "CQ1", "day", D1)[:2] == (1890, 1710)


def test_a_zero_denominator_is_null_with_a_reason(mart):
    # CQ2 on the 11th: one chat abandoned, nobody responded: no ASA, and it says why.
    assert metric(mart, "chat_asa", "queue", "CQ2", "day", D2) == (0, 0, None, False, "zero_denominator")
    assert metric(mart, "chat_abandon_rate", "queue", "CQ2", "day", D2)[:3] == (1, 1, 1)


def test_months_and_levels_recompute_rates_from_summed_parts(mart):
    # CQ1 in March: the 10th's 3 / 5 plus k9 (10 s) on the 11th: 4 / 6; ASA (220 + 10) / 5.
    num, den, value, *_ = metric(mart, "chat_service_level", "queue", "CQ1", "month", "2026-03-01")
    assert (num, den) == (4, 6) and value == pytest.approx(4 / 6)
    assert metric(mart, "chat_asa", "queue", "CQ1", "month", "2026-03-01")[:3] == (230, 5, 46)
    # Client C1: CQ2's k8 adds one offered chat, not short (threshold 0): 4 / 7. Organisation
    # and channel: CQ3's k10 adds one more (60 s, over the default 5 s short threshold): 4 / 8.
    num, den, value, *_ = metric(mart, "chat_service_level", "client", "C1", "month", "2026-03-01")
    assert (num, den) == (4, 7) and value == pytest.approx(4 / 7)
    for level, unit in (("organisation", "organisation"), ("channel", "chat")):
        num, den, value, *_ = metric(mart, "chat_service_level", level, unit, "month", "2026-03-01")
        assert (num, den) == (4, 8) and value == pytest.approx(4 / 8), level
    # Concurrency: the 10th's 1890 / 1710 plus k9's 600 / 600 on the 11th.
    num, den, *_ = metric(mart, "chat_concurrency", "organisation", "organisation", "month", "2026-03-01")
    assert (num, den) == (2490, 2310)


def test_abandonment_is_not_measurable_where_the_button_shows_only_when_a_css_is_free(mart):
    # CQ3 alone: its one offered chat is left out of the rate, which is NULL with that reason.
    assert metric(mart, "chat_abandon_rate", "queue", "CQ3", "day", D2) == (
        0, 0, None, False, "not_measurable"
    )  # fmt: skip
    assert metric(mart, "chat_abandon_rate", "client", "C2", "month", "2026-03-01")[4] == "not_measurable"
    # The count of abandoned chats still includes k10.
    assert metric(mart, "chat_abandoned", "queue", "CQ3", "day", D2)[2] == 1
    # Above the queue the rate covers measurable queues only: k4, k5 (10th) and k8 (11th)
    # abandoned of the 8 chats offered on CQ1 and CQ2; k10 is in neither part.
    for level, unit in (("client", "C1"), ("organisation", "organisation"), ("channel", "chat")):
        num, den, value, ok, _ = metric(mart, "chat_abandon_rate", level, unit, "month", "2026-03-01")
        assert (num, den, ok) == (3, 8, True) and value == pytest.approx(3 / 8), level


def test_no_value_is_null_without_a_reason(mart):
    assert mart.execute(
        "select count(*) from mart.metric_values where value is null and not_countable_reason is null"
    ).fetchone() == (0,)
