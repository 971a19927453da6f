"""The Govrate CDK app (`cdk.json` runs `python -m infra.app`)."""

import os

# jsii prints a banner for every Node release it was not tested on; the synthesized output is the same.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
