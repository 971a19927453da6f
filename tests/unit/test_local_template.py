"""How the local stack reads a synthesized template: selection by type, wiring, intrinsic functions.
No network and no moto: a small template shaped like CDK's output."""

from __future__ import annotations

from typing import Any

import pytest

from local.template import CdkTemplate, Resolver, Unresolvable, flatten_nested

GET_ATT = "Fn::GetAtt"
TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/version"}
    },
    "Rules": {"CheckBootstrapVersion": {"Assertions": []}},
    "Resources": {
        "Evaluations": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {"StreamSpecification": {"StreamViewType": "NEW_IMAGE"}},
        },
        "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Queue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"RedrivePolicy": {"deadLetterTargetArn": {GET_ATT: ["Dlq", "Arn"]}}},
            "DependsOn": ["RelayRole", "Dlq"],
        },
        "Signing": {"Type": "AWS::SecretsManager::Secret", "Properties": {"GenerateSecretString": {}}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        # refers to a dropped resource, so it goes too
        "Archive": {"Type": "AWS::S3::Bucket", "Properties": {"NotificationConfiguration": {"Ref": "Topic"}}},
        "RelayRole": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Relay": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Handler": "relay.handler",
                "MemorySize": 256,
                "Environment": {"Variables": {"GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL": {"Ref": "Queue"}}},
            },
        },
        "Consumer": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "case_consumer.handler"}},
        "Job": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "analyze_job.handler"}},
        "RelayStream": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": {GET_ATT: ["Evaluations", "StreamArn"]},
                "FunctionName": {"Ref": "Relay"},
                "StartingPosition": "TRIM_HORIZON",
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "MaximumRetryAttempts": -1,
                "FilterCriteria": {"Filters": [{"Pattern": '{"eventName": ["INSERT"]}'}]},
                "DestinationConfig": {"OnFailure": {"Destination": {GET_ATT: ["Dlq", "Arn"]}}},
            },
        },
        "ConsumerQueue": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": {GET_ATT: ["Queue", "Arn"]},
                "FunctionName": {"Ref": "Consumer"},
                "BatchSize": 5,
            },
        },
        "Nightly": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "ScheduleExpression": "cron(15 16 * * ? *)",
                "Targets": [{"Arn": {GET_ATT: ["Job", "Arn"]}, "Id": "Target0"}],
            },
        },
    },
}


def test_keeps_what_moto_creates_and_drops_the_rest_with_whatever_refers_to_it() -> None:
    local = CdkTemplate(TEMPLATE).local_template(frozenset({"AWS::SecretsManager::Secret"}))

    assert set(local.cloudformation["Resources"]) == {"Evaluations", "Dlq", "Queue"}
    assert set(local.api_resources) == {"Signing"}
    assert local.cloudformation["Resources"]["Queue"]["DependsOn"] == ["Dlq"]
    assert "Parameters" not in local.cloudformation
    assert "Rules" not in local.cloudformation
    assert local.left_out["AWS::S3::Bucket"] == 1
    assert local.left_out["AWS::Lambda::Function"] == 3


def test_reads_the_wiring_from_event_source_mappings_and_rules() -> None:
    template = CdkTemplate(TEMPLATE)

    stream, queue = sorted(template.event_sources(), key=lambda source: source.kind)
    assert (stream.kind, stream.function_id, stream.source_id) == ("dynamodb", "Relay", "Evaluations")
    assert (stream.starting_position, stream.report_item_failures, stream.max_retries) == ("TRIM_HORIZON", True, None)
    assert (stream.filter_patterns, stream.on_failure_id) == (('{"eventName": ["INSERT"]}',), "Dlq")
    assert (queue.kind, queue.function_id, queue.source_id, queue.batch_size) == ("sqs", "Consumer", "Queue", 5)
    assert not queue.report_item_failures
    assert (queue.filter_patterns, queue.on_failure_id) == ((), None)
    (schedule,) = template.schedules()
    assert (schedule.function_id, schedule.expression) == ("Job", "cron(15 16 * * ? *)")
    assert template.functions()["Relay"].memory_mb == 256


def test_resolves_the_intrinsic_functions_that_name_resources() -> None:
    resolver = Resolver(
        {"Queue": "https://sqs/123/q", "Bucket": "b-1"},
        lambda logical_id, name: f"arn:{logical_id}:{name}",
        {"AWS::Region": "us-east-1"},
    )

    assert resolver.resolve({"Ref": "Queue"}) == "https://sqs/123/q"
    assert resolver.resolve({GET_ATT: ["Queue", "Arn"]}) == "arn:Queue:Arn"
    assert resolver.resolve({"Fn::Join": ["", ["s3://", {"Ref": "Bucket"}, "/x"]]}) == "s3://b-1/x"
    assert resolver.resolve({"Fn::Sub": "${Bucket}.${AWS::Region}.${Queue.Arn}.${!Literal}"}) == (
        "b-1.us-east-1.arn:Queue:Arn.${Literal}"
    )
    assert resolver.resolve({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Bucket"}}]}) == "b-1-x"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "Queue"}]}]}) == ""
    assert resolver.resolve({"Fn::Select": [3, {"Fn::Split": ["/", {"Ref": "Queue"}]}]}) == "123"
    assert resolver.resolve({"Key": [{"Ref": "Bucket"}]}) == {"Key": ["b-1"]}


@pytest.mark.parametrize(
    "expression", [{"Ref": "Topic"}, {GET_ATT: ["Topic", "Arn"]}, {"Fn::ImportValue": "x"}, {"Fn::Sub": "${Topic}"}]
)
def test_an_expression_on_something_not_created_is_unresolvable(expression: dict[str, Any]) -> None:
    resolver = Resolver({}, lambda logical_id, name: "", {})
    with pytest.raises(Unresolvable):
        resolver.resolve(expression)


def test_nested_stacks_are_merged_with_their_parameters_and_outputs_resolved() -> None:
    parent = {
        "Resources": {
            "Relay": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": "relay.handler",
                    "Environment": {"Variables": {"QUEUE": {GET_ATT: ["UpstreamStack", "Outputs.QueueRef"]}}},
                },
            },
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "UpstreamStack": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": "…", "Parameters": {"TableName": {"Ref": "Table"}}},
            },
            "AlarmsStack": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {
                    "TemplateURL": "…",
                    "Parameters": {"QueueName": {GET_ATT: ["UpstreamStack", "Outputs.QueueName"]}},
                },
            },
        }
    }
    upstream = {
        "Parameters": {"TableName": {"Type": "String"}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
            "Sender": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": "upstream_sender.handler",
                    "Environment": {"Variables": {"T": {"Ref": "TableName"}}},
                },
            },
        },
        "Outputs": {"QueueRef": {"Value": {"Ref": "Queue"}}, "QueueName": {"Value": {GET_ATT: ["Queue", "QueueName"]}}},
    }
    alarms = {
        "Parameters": {"QueueName": {"Type": "String"}},
        "Resources": {"Age": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Dimensions": [{"Ref": "QueueName"}]}}},
    }
    # The alarms' stack waits for the upstream stack's output, whatever order they are given in.
    flat = flatten_nested(parent, {"AlarmsStack": alarms, "UpstreamStack": upstream})
    resources = flat["Resources"]
    assert set(resources) == {"Relay", "Table", "Queue", "Sender", "Age"}
    assert resources["Relay"]["Properties"]["Environment"]["Variables"]["QUEUE"] == {"Ref": "Queue"}
    assert resources["Sender"]["Properties"]["Environment"]["Variables"]["T"] == {"Ref": "Table"}
    assert resources["Age"]["Properties"]["Dimensions"] == [{GET_ATT: ["Queue", "QueueName"]}]
    # moto's CloudFormation does not give a FIFO queue the `.fifo` its name needs; the local stack does.
    local = CdkTemplate(flat).local_template(frozenset())
    assert local.cloudformation["Resources"]["Queue"]["Properties"]["QueueName"] == "Queue.fifo"


def test_a_nested_logical_id_the_parent_has_is_refused() -> None:
    parent = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Inner": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "…"}},
        }
    }
    with pytest.raises(ValueError, match="Queue"):
        flatten_nested(parent, {"Inner": {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}})
