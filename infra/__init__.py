"""The Govrate CDK app (`cdk.json` runs `python -m infra.app`)."""

import os

# jsii warns loudly on a Node release past its end of life (this machine's Node 20); the synthesized
# output is the same, so the banner only hides real output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
