"""Stream → relay → queue → consumer, with the dead-letter queues."""

from __future__ import annotations

import json

from aws_cdk import App
from constructs import Construct

from infra.config import GovrateConfig
from tests.infra.conftest import Synthesized


def _arn(synth: Synthesized, construct: Construct) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [synth.logical_id(construct), "Arn"]}


def test_queues_are_encrypted_and_refuse_plain_http(synth: Synthesized) -> None:
    queues = synth.of_type("AWS::SQS::Queue")
    assert len(queues) == 5  # negative reviews, its DLQ, relay failures, invitations, its DLQ
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())
    protected: set[str] = set()
    for policy in synth.of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}:
                protected.update(q["Ref"] for q in policy["Properties"]["Queues"])
    assert protected == set(queues)


def test_negative_reviews_redrive_to_their_dead_letter_queue(synth: Synthesized) -> None:
    pipeline = synth.stack.pipeline
    props = synth.resources[synth.logical_id(pipeline.negative_reviews)]["Properties"]
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": _arn(synth, pipeline.negative_reviews_dlq),
        "maxReceiveCount": 5,
    }


def test_visibility_timeout_is_at_least_six_consumer_timeouts(synth: Synthesized) -> None:
    props = synth.resources[synth.logical_id(synth.stack.pipeline.negative_reviews)]["Properties"]
    _, consumer = synth.function("case_consumer.handler")
    assert props["VisibilityTimeout"] >= 6 * consumer["Timeout"]


def test_max_receive_count_comes_from_context() -> None:
    app = App(context={"govrate:maxReceiveCount": "3", "govrate:stackName": "Govrate-dev", "govrate:logLevel": "debug"})
    config = GovrateConfig.from_context(app.node)
    assert (config.max_receive_count, config.stack_name, config.log_level) == (3, "Govrate-dev", "DEBUG")
    assert GovrateConfig.from_context(App().node) == GovrateConfig()


def test_relay_reads_the_stream_with_bisect_bounded_retries_and_partial_failures(synth: Synthesized) -> None:
    relay_id, _ = synth.function("relay.handler")
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": relay_id}
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [synth.logical_id(synth.stack.data.evaluations), "StreamArn"]}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == 100
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == _arn(synth, synth.stack.pipeline.relay_failures)
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"bad_review": {"BOOL": [True]}}}}


def test_consumer_reads_the_queue_with_partial_batch_failures(synth: Synthesized) -> None:
    consumer_id, _ = synth.function("case_consumer.handler")
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": consumer_id}
    ]
    assert mapping["EventSourceArn"] == _arn(synth, synth.stack.pipeline.negative_reviews)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
