"""Vendor readers, registered in one place: a new vendor is one module here and one line in READERS.

Each reader implements the interface of `base.py` (the folder it claims, the canonical entities it
yields, how its files make load units and how its rows are staged); the loader depends on that
interface only. README.md "Vendor exports" documents what each reader expects and its mapping.
"""

from __future__ import annotations

from .amazon_connect import AmazonConnectReader
from .asterisk import AsteriskReader
from .base import Claim, Landing, Reader
from .genesys import GenesysCloudReader
from .intercom import IntercomReader
from .mapped import MappedReader
from .qualtrics import QualtricsReader
from .servicenow import ServiceNowReader
from .workday import WorkdayReader
from .zendesk import ZendeskReader

# In the order they are asked: the first reader claiming a folder reads it. A folder with a
# `_mapping.yml` is a mapped call log whatever its name, so the mapped reader is asked first.
READERS: tuple[Reader, ...] = (
    MappedReader(),
    WorkdayReader(),
    QualtricsReader(),
    AsteriskReader(),
    GenesysCloudReader(),
    AmazonConnectReader(),
    ZendeskReader(),
    ServiceNowReader(),
    IntercomReader(),
)


def claim_folder(landing: Landing, folder: str) -> Claim | None:
    """The claim of the first reader that reads this landing folder, else None."""
    for reader in READERS:
        claim = reader.claim(landing, folder)
        if claim is not None:
            return claim
    return None
