"""Repositories: the only code that talks to DynamoDB, SQS and S3. AWS errors become domain errors here."""
