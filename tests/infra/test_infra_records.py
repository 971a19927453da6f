"""The sweep of unrated service records: schedule, public links, invitation queue."""

from __future__ import annotations

from infra import environment
from tests.infra.conftest import Synthesized


def test_the_sweep_runs_every_morning_china_time(synth: Synthesized) -> None:
    assert synth.schedule_of("record_sweep.handler")["ScheduleExpression"] == "cron(0 2 * * ? *)"


def test_invitation_links_point_at_the_api_unless_a_public_domain_is_configured(synth: Synthesized) -> None:
    _, sweep = synth.function("record_sweep.handler")
    base_url = sweep["Environment"]["Variables"][environment.PUBLIC_BASE_URL]
    rest_api = synth.logical_id(synth.stack.api.rest_api)
    assert rest_api in str(base_url)


def test_the_invitation_queue_has_a_dead_letter_queue_and_an_alarm(synth: Synthesized) -> None:
    queue = synth.document["Resources"][synth.logical_id(synth.stack.records.invitations)]
    dlq = synth.logical_id(synth.stack.records.invitation_dlq)
    assert queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq, "Arn"]}
    alarms = synth.of_type("AWS::CloudWatch::Alarm").values()
    assert any(
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}} in a["Properties"].get("Dimensions", [])
        for a in alarms
    )
