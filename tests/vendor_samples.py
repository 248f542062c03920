"""The real vendor samples of ../shared/realdata, put in a landing folder without copying them: each
sample file is a symbolic link to the shared file, so the loader reads it where it lies."""

from __future__ import annotations

from pathlib import Path

from conftest import REALDATA

GENESYS = REALDATA / "genesys_cloud"
AMAZON_CONNECT_DOCS = REALDATA / "amazon_connect_docs"
ZENDESK = REALDATA / "zendesk_fivetran_seeds"
SERVICENOW = REALDATA / "fivetran_servicenow_seeds"
INTERCOM = REALDATA / "fivetran_intercom_seeds"


def link_sample(source: Path, landing: Path, folder: str, names: list[str] | None = None) -> Path:
    """Link the sample's files (all but SOURCE.txt, or `names`) into `<landing>/<folder>/`."""
    dst = landing / folder
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(source.iterdir()):
        if f.name == "SOURCE.txt" or (names is not None and f.name not in names):
            continue
        (dst / f.name).symlink_to(f)
    return dst
