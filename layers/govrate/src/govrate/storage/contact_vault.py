"""Evaluator and applicant contact data, encrypted with KMS before it is stored.

The encryption context binds a ciphertext to its purpose and owner, so a blob copied onto another
record does not decrypt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govrate.storage.clients import aws_client
from govrate.storage.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


class ContactVault:
    def __init__(self, key_id: str, client: KMSClient | None = None) -> None:
        self._key_id = key_id
        self._client = client or aws_client("kms")

    def seal(self, plaintext: str, owner: str) -> bytes:
        with translated("contact encryption"):
            response = self._client.encrypt(
                KeyId=self._key_id, Plaintext=plaintext.encode(), EncryptionContext={"owner": owner}
            )
        return bytes(response["CiphertextBlob"])

    def open(self, ciphertext: bytes, owner: str) -> str:
        with translated("contact decryption"):
            response = self._client.decrypt(CiphertextBlob=ciphertext, EncryptionContext={"owner": owner})
        return bytes(response["Plaintext"]).decode()
