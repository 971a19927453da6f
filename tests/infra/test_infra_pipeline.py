"""Stream → relay → queue → consumer, with the dead-letter queues."""

from __future__ import annotations

import json

from aws_cdk import App
from constructs import Construct

from infra.config import GovrateConfig
from load.invariants import CASE_STALL_S
from tests.infra.conftest import Synthesized


def _arn(synth: Synthesized, construct: Construct) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [synth.logical_id(construct), "Arn"]}


def test_queues_are_encrypted_and_refuse_plain_http(synth: Synthesized) -> None:
    queues = synth.of_type("AWS::SQS::Queue")
    # negative reviews, evaluator notices, invitations, upstream (FIFO), a DLQ for each, and the relay's and
    # watcher's failures
    assert len(queues) == 10
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())
    protected: set[str] = set()
    for policy in synth.of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}:
                protected.update(q["Ref"] for q in policy["Properties"]["Queues"])
    assert protected == set(queues)


def test_negative_reviews_and_notices_redrive_to_their_dead_letter_queues(synth: Synthesized) -> None:
    pipeline = synth.stack.pipeline
    for queue, dlq in (
        (pipeline.negative_reviews, pipeline.negative_reviews_dlq),
        (pipeline.notices, pipeline.notices_dlq),
    ):
        props = synth.resources[synth.logical_id(queue)]["Properties"]
        assert props["RedrivePolicy"] == {"deadLetterTargetArn": _arn(synth, dlq), "maxReceiveCount": 5}


def test_visibility_timeout_is_at_least_six_consumer_timeouts(synth: Synthesized) -> None:
    props = synth.resources[synth.logical_id(synth.stack.pipeline.negative_reviews)]["Properties"]
    _, consumer = synth.function("case_consumer.handler")
    assert props["VisibilityTimeout"] >= 6 * consumer["Timeout"]
    # A load run waits out a failed message's return before it calls a bad review lost.
    assert props["VisibilityTimeout"] < CASE_STALL_S


def test_max_receive_count_comes_from_context() -> None:
    app = App(context={"govrate:maxReceiveCount": "3", "govrate:stackName": "Govrate-dev", "govrate:logLevel": "debug"})
    config = GovrateConfig.from_context(app.node)
    assert (config.max_receive_count, config.stack_name, config.log_level) == (3, "Govrate-dev", "DEBUG")
    assert GovrateConfig.from_context(App().node) == GovrateConfig()


def test_relay_reads_both_streams_with_bisect_bounded_retries_and_partial_failures(synth: Synthesized) -> None:
    relay_id, _ = synth.function("relay.handler")
    mappings = {
        m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]: m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": relay_id}
    }
    evaluations, cases = (synth.logical_id(synth.stack.data.evaluations), synth.logical_id(synth.stack.data.cases))
    assert set(mappings) == {evaluations, cases}
    for table, mapping in mappings.items():
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table, "StreamArn"]}
        assert mapping["StartingPosition"] == "TRIM_HORIZON"
        assert mapping["BatchSize"] == 100
        assert mapping["BisectBatchOnFunctionError"] is True
        # Retried until the fault clears; given up only hours before the stream drops the records.
        assert mapping.get("MaximumRetryAttempts", -1) == -1
        assert mapping["MaximumRecordAgeInSeconds"] == 20 * 3600
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination == _arn(synth, synth.stack.pipeline.relay_failures)
    # Only what is relayed wakes the function: on a stage with an upstream (this one), every new evaluation
    # and every new state of a case, besides the new notices for evaluators.
    (evaluations_filter,) = [json.loads(f["Pattern"]) for f in mappings[evaluations]["FilterCriteria"]["Filters"]]
    assert evaluations_filter == {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"entity": {"S": ["evaluation"]}}}}
    notices, case_states = [json.loads(f["Pattern"]) for f in mappings[cases]["FilterCriteria"]["Filters"]]
    assert notices == {"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "NOTICE#"}]}}}}
    assert case_states == {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"sk": {"S": ["CASE", "RELAYED"]}}}}


def test_without_an_upstream_the_relay_wakes_for_bad_reviews_and_notices_only(
    synth_with_existing_staff_pool: Synthesized,
) -> None:
    synth = synth_with_existing_staff_pool
    relay_id, _ = synth.function("relay.handler")
    patterns = sorted(
        json.dumps(json.loads(f["Pattern"]), sort_keys=True)
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": relay_id}
        for f in m["Properties"]["FilterCriteria"]["Filters"]
    )
    assert [json.loads(p) for p in patterns] == [
        {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "NOTICE#"}]}}}, "eventName": ["INSERT"]},
        {"dynamodb": {"NewImage": {"bad_review": {"BOOL": [True]}}}, "eventName": ["INSERT"]},
    ]


def test_consumer_reads_the_queue_with_partial_batch_failures(synth: Synthesized) -> None:
    consumer_id, _ = synth.function("case_consumer.handler")
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": consumer_id}
    ]
    assert mapping["EventSourceArn"] == _arn(synth, synth.stack.pipeline.negative_reviews)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
