"""Reporting for the load tests: a schemathesis operation fails once with all its findings."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    result = yield
    findings = getattr(item, "contract_findings", None)
    if findings:
        report = "\n\n".join(findings[key] for key in sorted(findings))
        raise AssertionError(f"{len(findings)} distinct contract findings:\n\n{report}")
    return result
